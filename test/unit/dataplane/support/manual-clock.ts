import type { Clock } from '../../../../shared/ports/clock';

/** A clock that moves only when the test says so; sleepers wake in time order as it passes them. */
export class ManualClock implements Clock {
  private sleepers: Array<{ at: number; wake: () => void }> = [];

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.sleepers.push({ at: this.current + ms, wake: resolve });
    });
  }

  /** Move time forward by `ms`, waking each sleeper at its own time and letting it run before the next. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.current = next.at;
      next.wake();
      await settle();
    }
    this.current = target;
    await settle();
  }
}

/** Let every queued promise continuation run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
