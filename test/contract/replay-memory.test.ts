import { SqliteStateStore } from '../../shared/adapters/state-sqlite';
import type { Clock } from '../../shared/ports/clock';

/**
 * Regionshift issue #17, item 9: the SQLite store swept its remembered idempotency keys (the
 * control API's request ids among them) with the caller's `now`, and the scheduler passed the
 * timer event's `triggerTime`. About 256 ticks with a forged time far ahead emptied the replay
 * memory, and a captured signed request could be sent again. The sweep goes by the store's clock.
 */

const T = Date.parse('2026-11-03T02:15:30Z');
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

function clockAt(at: number): Clock {
  return { now: () => at, sleep: () => Promise.resolve() };
}

test('300 remembered keys with a forged now far ahead do not sweep a live request id', async () => {
  const store = new SqliteStateStore(':memory:', { clock: clockAt(T) });
  try {
    expect(await store.rememberKey('req:captured-1', T + 5 * MIN, T)).toBe(true);
    const forged = T + 1000 * DAY;
    for (let i = 0; i < 300; i++) await store.rememberKey(`readiness-run/bookinfo/${i}`, forged + DAY, forged);
    // The same signed request again, within its window: still remembered, so refused as a replay.
    expect(await store.rememberKey('req:captured-1', T + 6 * MIN, T + MIN)).toBe(false);
  } finally {
    await store.close();
  }
});

test("the sweep still removes keys that are expired by the store's clock", async () => {
  let now = T;
  const store = new SqliteStateStore(':memory:', { clock: { now: () => now, sleep: () => Promise.resolve() } });
  try {
    for (let i = 0; i < 100; i++) await store.rememberKey(`old-${i}`, T + MIN, T);
    now = T + 2 * MIN;
    for (let i = 0; i < 156; i++) await store.rememberKey(`new-${i}`, now + MIN, now);
    // The 256th call swept: the expired keys are gone from the table, the live ones are there.
    const rows = (store as unknown as { db: { prepare(sql: string): { get(): { n: number } } } }).db
      .prepare('SELECT count(*) AS n FROM idempotency_keys')
      .get();
    expect(rows.n).toBe(156);
  } finally {
    await store.close();
  }
});
