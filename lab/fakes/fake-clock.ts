import { setImmediate } from 'node:timers';
import type { Clock } from '../../shared/ports/clock';

interface Sleeper {
  at: number;
  seq: number;
  wake: () => void;
}

/**
 * Virtual time for tests: `now()` only moves when a test moves it (`advance`, `set`) or when
 * code sleeps. A sleep never waits in real time: once everything runnable has run (a
 * `setImmediate` turn), the clock jumps to the earliest sleeper's wake time and wakes it (and
 * any others due at that instant, in call order). Concurrent sleepers therefore overlap as they
 * would on a real clock:
 *
 *   t0   A.sleep(100) ┐  B.sleep(40) ┐
 *   t0+40             │              └ B wakes (now = t0+40)
 *   t0+100            └ A wakes (now = t0+100), not t0+140
 *
 * Deterministic: the same code and the same calls give the same timeline.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private sleepers: Sleeper[] = [];
  private flushQueued = false;
  /** Every sleep asked for, in call order (ms): what backoff and polling actually waited. */
  readonly sleeps: number[] = [];

  /** Starts at a fixed instant (a Monday, 10:00 in Shanghai) unless told otherwise. */
  constructor(start: number = Date.parse('2025-03-03T02:00:00.000Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    const wait = Math.max(0, Number.isFinite(ms) ? ms : 0);
    this.sleeps.push(wait);
    return new Promise((resolve) => {
      this.sleepers.push({ at: this.t + wait, seq: this.seq++, wake: resolve });
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.queueFlush();
    });
  }

  /** Move time forward by hand, waking the sleepers that fall due on the way. */
  advance(ms: number): void {
    if (ms < 0) throw new Error('FakeClock.advance: time does not go backwards');
    this.set(this.t + ms);
  }

  set(at: number): void {
    if (at < this.t) throw new Error('FakeClock.set: time does not go backwards');
    this.t = at;
    this.wakeDue();
  }

  /** Sleepers not woken yet. */
  get pending(): number {
    return this.sleepers.length;
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      const next = this.sleepers[0];
      if (!next) return;
      this.t = Math.max(this.t, next.at);
      this.wakeDue();
    });
  }

  private wakeDue(): void {
    while (this.sleepers[0] && this.sleepers[0].at <= this.t) this.sleepers.shift()?.wake();
    if (this.sleepers.length) this.queueFlush();
  }
}
