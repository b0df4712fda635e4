import { floor, imul, sqrt } from './math';
/**
 * The data plane's only source of randomness. A seeded mulberry32 generator: small, fast and
 * good enough for load-balancing picks and latency jitter, and it makes every routing run
 * reproducible from its seed.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return floor(this.next() * n);
  }

  /** Approximately standard normal: Irwin–Hall with four uniforms, rescaled to unit variance (cheap, bounded at ±3.46). */
  normal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * sqrt(3);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
}
