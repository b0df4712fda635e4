import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteStateStore } from '../../../shared/adapters/state-sqlite';
import type { CheckResult, ReadinessReport } from '../../../shared/readiness/checks';
import { dailyReadiness, REMEMBER_MS } from '../../../shared/readiness/daily';
import { RecordingNotifier } from '../../../lab/fakes/recording-notifier';

/** The daily run on a real SQLite store, with pinned times (2026-03-02 09:00 UTC and on). */
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const HOUR = 3_600_000;
const fail = (id: string, message = `${id} broke`): CheckResult => ({ id, status: 'fail', lookedAt: 'x', message, fix: 'do y' });
const pass = (id: string): CheckResult => ({ id, status: 'pass', lookedAt: 'x', message: 'ok', fix: null });

let store: SqliteStateStore;
beforeEach(() => {
  store = new SqliteStateStore(path.join(mkdtempSync(path.join(tmpdir(), 'regionshift-daily-')), 'state.db'));
});
afterEach(() => store.close());

function run(now: number, checks: CheckResult[], notifier: RecordingNotifier, calls: { n: number }) {
  const report: ReadinessReport = { mesh: 'm', at: now, status: checks.some((c) => c.status === 'fail') ? 'fail' : 'pass', checks };
  return dailyReadiness({ mesh: 'm', store, notifier, now, readiness: async () => ((calls.n += 1), report) });
}

test('runs once a day and notifies a failure once; a new failure notifies, a lasting one does not', async () => {
  const notifier = new RecordingNotifier();
  const calls = { n: 0 };
  expect(await run(T0, [fail('capacity'), pass('executor')], notifier, calls)).toEqual({
    ran: true,
    status: 'fail',
    notified: ['capacity'],
  });
  expect(notifier.sent).toEqual([expect.objectContaining({ level: 'warning', title: 'readiness: capacity fails', mesh: 'm', at: T0 })]);
  // Later ticks the same day do not run the checks at all.
  expect(await run(T0 + HOUR, [fail('capacity')], notifier, calls)).toEqual({ ran: false, notified: [] });
  expect(calls.n).toBe(1);
  // Next day: capacity still failing (already notified), executor newly failing.
  expect(await run(T0 + 24 * HOUR, [fail('capacity'), fail('executor')], notifier, calls)).toEqual({
    ran: true,
    status: 'fail',
    notified: ['executor'],
  });
  // The same check failing for another reason is new.
  expect((await run(T0 + 48 * HOUR, [fail('capacity', 'capacity broke differently')], notifier, calls)).notified).toEqual(['capacity']);
  expect(notifier.sent.map((n) => n.title)).toEqual([
    'readiness: capacity fails',
    'readiness: executor fails',
    'readiness: capacity fails',
  ]);
});

test('a failure that lasts past the memory is notified again', async () => {
  const notifier = new RecordingNotifier();
  const calls = { n: 0 };
  await run(T0, [fail('capacity')], notifier, calls);
  expect((await run(T0 + REMEMBER_MS + 24 * HOUR, [fail('capacity')], notifier, calls)).notified).toEqual(['capacity']);
});

test('nothing failing notifies nothing', async () => {
  const notifier = new RecordingNotifier();
  expect(await run(T0, [pass('capacity')], notifier, { n: 0 })).toEqual({ ran: true, status: 'pass', notified: [] });
  expect(notifier.sent).toEqual([]);
});
