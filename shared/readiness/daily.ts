import { createHash } from 'node:crypto';
import type { Notifier } from '../ports/notifier';
import type { StateStore } from '../ports/state-store';
import type { ReadinessReport } from './checks';

/**
 * The scheduler's daily readiness run, kept off the decision path: it runs after the tick's own
 * work, once per UTC day (the first tick of the day claims the day's key), and notifies only the
 * failures it has not notified lately. What was notified is remembered as idempotency keys (one
 * per failing check and message, for REMEMBER_MS), not in the state row, which stays as it is.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** A failure that persists is notified again after a week, so it is not forgotten. */
export const REMEMBER_MS = 7 * DAY_MS;

export interface DailyReadinessResult {
  ran: boolean;
  status?: ReadinessReport['status'];
  /** Failing checks notified by this run (new since they were last notified). */
  notified: string[];
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export async function dailyReadiness(opts: {
  mesh: string;
  store: StateStore;
  notifier: Notifier;
  readiness: () => Promise<ReadinessReport>;
  now: number;
}): Promise<DailyReadinessResult> {
  const { mesh, store, now } = opts;
  const day = Math.floor(now / DAY_MS);
  if (!(await store.rememberKey(`readiness-run/${mesh}/${day}`, (day + 1) * DAY_MS, now))) return { ran: false, notified: [] };
  const report = await opts.readiness();
  const notified: string[] = [];
  for (const c of report.checks) {
    if (c.status !== 'fail') continue;
    // Keyed by the message too: the same check failing for another reason is a new failure.
    if (!(await store.rememberKey(`readiness-fail/${mesh}/${c.id}/${digest(c.message)}`, now + REMEMBER_MS, now))) continue;
    notified.push(c.id);
    // An unsent notice (already logged by the notifier) does not keep the other failures from theirs.
    await opts.notifier
      .notify({
        level: 'warning',
        title: `readiness: ${c.id} fails`,
        text: `${c.message}\nlooked at: ${c.lookedAt}\nfix: ${c.fix ?? ''}`,
        mesh,
        at: now,
      })
      .catch(() => undefined);
  }
  return { ran: true, status: report.status, notified };
}
