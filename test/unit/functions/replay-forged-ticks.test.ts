import { makeHandler as makeControlHandler } from '../../../functions/control/handler';
import { makeHandler as makeSchedulerHandler } from '../../../functions/scheduler/handler';
import { SqliteStateStore } from '../../../shared/adapters/state-sqlite';
import { signRequest } from '../../../shared/http/auth';
import type { Runtime } from '../../../shared/runtime/types';
import { CONTROL_SECRET, fakeRuntime, fcContext, httpEvent } from '../../support/fake-runtime';
import { FakeClock } from '../../../lab/fakes';

/**
 * Regionshift issue #17, item 9, through the functions: timer events with a forged triggerTime far
 * ahead (the local host's invoke path takes events without credentials) must not empty the replay
 * memory, so a captured signed control request stays refused.
 */

const NOW = Date.UTC(2026, 10, 3, 2, 15, 30);
const DAY = 86_400_000;

test('300 forged ticks, then the captured control request again: still AUTH.REPLAY', async () => {
  const store = new SqliteStateStore(':memory:', { clock: { now: () => NOW, sleep: () => Promise.resolve() } });
  try {
    const fake = fakeRuntime();
    fake.engine.tickAt = NOW;
    const rt: Runtime = {
      ...fake,
      clock: new FakeClock(NOW),
      store,
      readiness: async () => ({ mesh: 'bookinfo', at: NOW, status: 'pass', checks: [] }),
    };
    const control = makeControlHandler(async () => rt);
    const scheduler = makeSchedulerHandler(async () => rt);
    const captured = signRequest({
      secret: CONTROL_SECRET,
      method: 'POST',
      path: '/v1/resume',
      body: '',
      timestamp: NOW / 1000,
      requestId: 'captured-request-1',
    }).headers;
    const send = async () =>
      (
        await control(
          httpEvent({ method: 'POST', path: '/v1/resume', headers: { 'content-type': 'application/json', ...captured }, body: '' }),
          fcContext(),
        )
      )?.statusCode;
    expect(await send()).toBe(200);
    for (let i = 0; i < 300; i++) {
      const triggerTime = new Date(NOW + (1000 + i) * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
      await scheduler(Buffer.from(JSON.stringify({ triggerTime, triggerName: 'tick', payload: '{"task":"tick"}' })), fcContext());
    }
    expect(await send()).toBe(409);
    expect(fake.engine.calls.filter((c) => c.method === 'command')).toHaveLength(1);
  } finally {
    await store.close();
  }
});
