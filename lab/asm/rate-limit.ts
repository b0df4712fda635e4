import type { Clock } from '../../shared/ports/clock';

/** A token bucket on the lab clock: `requestsPerSecond` sustained, bursts up to the same number. */
export class RateLimit {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    private readonly requestsPerSecond: number,
  ) {
    if (!(requestsPerSecond > 0)) throw new Error(`requestsPerSecond must be positive (got ${requestsPerSecond})`);
    this.tokens = requestsPerSecond;
    this.last = clock.now();
  }

  tryTake(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.requestsPerSecond, this.tokens + ((now - this.last) / 1000) * this.requestsPerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
