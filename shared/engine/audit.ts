import { RegionshiftError } from '../core/errors';
import type { Clock } from '../ports/clock';
import type { AuditEvent, StateStore } from '../ports/state-store';

/**
 * Bookkeeping never decides an outcome (house style 13): an audit line that cannot be written
 * does not fail the step, the alarm or the command it records. A busy store is retried a few
 * times with a short backoff (within the invocation's deadline); a store that still refuses
 * (disk full, a table down) gets the lines queued in this process and logged whole, so the
 * function log keeps them even if the process ends before the queue drains. The next append (or
 * the next tick) writes the queue first, in order.
 *
 *   step ✓ ─ append ✗ busy ─ 50 ms ─ append ✗ ─ 100 ms ─ append ✗ ─ queued + logged ─ next step
 *   tick   ─ flush: queued lines ✓ ─ …
 *
 * Only a store's own failures (a RegionshiftError, as adapters translate them) are absorbed;
 * anything else (a bug) is rethrown.
 */

export interface AuditDeps {
  store: StateStore;
  clock: Clock;
  log: (line: Record<string, unknown>) => void;
  /** Retries end before this (epoch ms); the invocation's deadline. */
  deadline?: number;
}

/** Attempts per append while the store answers retryable (busy, throttled). */
export const AUDIT_ATTEMPTS = 3;
const AUDIT_BACKOFF_MS = 50;
/** Lines kept per process while the store refuses; the oldest go first (they are in the log). */
export const AUDIT_QUEUE_MAX = 2000;

const queues = new WeakMap<StateStore, AuditEvent[]>();

/** Audit lines queued in this process for `store`, not yet written. */
export function auditBacklog(store: StateStore): number {
  return queues.get(store)?.length ?? 0;
}

function retryable(err: unknown): boolean {
  return err instanceof RegionshiftError && err.retryable;
}

async function tryAppend(deps: AuditDeps, events: AuditEvent[]): Promise<unknown> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.store.appendEvents(events);
      return null;
    } catch (err) {
      if (!(err instanceof RegionshiftError)) throw err;
      const wait = AUDIT_BACKOFF_MS * 2 ** (attempt - 1);
      if (!retryable(err) || attempt >= AUDIT_ATTEMPTS || deps.clock.now() + wait >= (deps.deadline ?? Infinity)) return err;
      await deps.clock.sleep(wait);
    }
  }
}

/**
 * Append `events` after any lines queued before them. True when everything is written; false
 * when the store refused and the lines wait in the queue (logged as `audit append deferred`).
 */
export async function appendAudit(deps: AuditDeps, events: AuditEvent[]): Promise<boolean> {
  const queued = queues.get(deps.store) ?? [];
  const batch = [...queued, ...events];
  if (batch.length === 0) return true;
  const err = await tryAppend(deps, batch);
  if (err === null) {
    // Lines queued by a concurrent call while this one wrote stay for the next.
    const left = (queues.get(deps.store) ?? []).slice(queued.length);
    if (left.length) queues.set(deps.store, left);
    else queues.delete(deps.store);
    if (queued.length) deps.log({ msg: 'audit backlog written', lines: queued.length });
    return true;
  }
  const next = [...(queues.get(deps.store) ?? []), ...events];
  const dropped = Math.max(0, next.length - AUDIT_QUEUE_MAX);
  queues.set(deps.store, next.slice(dropped));
  deps.log({
    msg: 'audit append deferred',
    error: (err as Error).message,
    queued: next.length - dropped,
    ...(dropped ? { droppedFromQueue: dropped } : {}),
    events,
  });
  return false;
}

/** Write what is queued (a tick's first act); true when nothing is left. */
export function flushAudit(deps: AuditDeps): Promise<boolean> {
  return appendAudit(deps, []);
}
