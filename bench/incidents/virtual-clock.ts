import type { Clock } from '../../shared/ports/clock';

interface Sleeper {
  at: number;
  seq: number;
  wake: () => void;
}

/**
 * Simulated time for the incident benchmark. Unlike the tests' FakeClock it never moves by
 * itself: a sleep resolves only when the driver advances time past its wake time, so an hour of
 * incident runs as fast as the code in the loop, and the driver decides when time moves.
 * `activity` counts every read and sleep: the driver's sign that work is still running (the
 * functions, the twins and the engine all read the clock as they go).
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];
  activity = 0;

  constructor(start: number) {
    this.t = start;
  }

  now(): number {
    this.activity++;
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    this.activity++;
    const wait = Math.max(0, Number.isFinite(ms) ? ms : 0);
    return new Promise((resolve) => {
      this.sleepers.push({ at: this.t + wait, seq: this.seq++, wake: resolve });
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    });
  }

  /** The earliest wake time among pending sleepers, or null. */
  nextWake(): number | null {
    return this.sleepers[0]?.at ?? null;
  }

  get pending(): number {
    return this.sleepers.length;
  }

  /** Move time to `at`, waking (in order) every sleeper due by then. */
  advanceTo(at: number): void {
    if (at < this.t) throw new Error(`VirtualClock: time does not go backwards (${at} < ${this.t})`);
    this.t = at;
    while (this.sleepers[0] && this.sleepers[0].at <= this.t) this.sleepers.shift()?.wake();
  }
}
