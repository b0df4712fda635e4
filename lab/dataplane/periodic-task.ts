import type { Clock } from '../../shared/ports/clock';

/**
 * Runs a task every period of the injected Clock: real seconds with the system clock, virtual
 * ones with the lab's or a test's clock. A failing run is reported and the loop goes on — the
 * lab must keep running whatever one tick does. `stop` does not wait for the pending sleep.
 */
export class PeriodicTask {
  private active = false;
  private wake: (() => void) | null = null;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    private readonly periodMs: number,
    private readonly run: () => void | Promise<void>,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    if (!(periodMs > 0)) throw new RangeError(`period must be positive, got ${periodMs}`);
  }

  get running(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.active = false;
    this.wake?.();
    await this.done;
  }

  private async loop(): Promise<void> {
    while (this.active) {
      const stopped = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      await Promise.race([this.clock.sleep(this.periodMs), stopped]);
      this.wake = null;
      if (!this.active) return;
      try {
        await this.run();
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
