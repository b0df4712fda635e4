import { RegionshiftError, SupersededError } from '../core/errors';
import type { Clock } from '../ports/clock';

/**
 * Retry a call on retryable errors with full-jitter exponential backoff, within a deadline.
 * Non-retryable errors and the last retryable one are rethrown with the attempt count.
 */
export interface RetryOptions {
  clock: Clock;
  deadline: number;
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}

export class RetriesExhausted extends RegionshiftError {
  readonly attempts: number;
  constructor(attempts: number, cause: unknown) {
    const code = (cause as RegionshiftError)?.code ?? 'RETRY.EXHAUSTED';
    // The code goes into the message: it is what ends up in the journal and the alert, and
    // `Throttling.User` tells an operator more than the API's prose does.
    super(code, `gave up after ${attempts} attempts: ${code}: ${(cause as Error)?.message ?? String(cause)}`, { retryable: true, cause });
    this.attempts = attempts;
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof RegionshiftError ? err.retryable : false;
}

export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<{ value: T; attempts: number }> {
  const base = opts.baseMs ?? 200;
  const cap = opts.capMs ?? 5000;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(), attempts: attempt };
    } catch (err) {
      if (!isRetryable(err)) throw err;
      const wait = Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1)));
      if (opts.clock.now() + wait >= opts.deadline) throw new RetriesExhausted(attempt, err);
      await opts.clock.sleep(wait);
    }
  }
}

/**
 * `fn` as a retry attempt that first asks `superseded` on every attempt after the first: a retry
 * comes after a backoff in which a newer plan may have taken over, and would re-send a stale
 * config or replica count. A reason ends the retries with a SupersededError (not retryable).
 * `made()` counts the attempts that ran `fn`.
 */
export function unlessSuperseded<T>(
  fn: () => Promise<T>,
  superseded: () => Promise<string | null>,
): { attempt: () => Promise<T>; made: () => number } {
  let made = 0;
  return {
    attempt: async () => {
      if (made > 0) {
        const why = await superseded();
        if (why !== null) throw new SupersededError(why);
      }
      made++;
      return fn();
    },
    made: () => made,
  };
}
