import { makeHandler as makeSchedulerHandler } from '../../../functions/scheduler/handler';
import { makeHandler as makeControlHandler } from '../../../functions/control/handler';
import type { ReadinessReport } from '../../../shared/readiness/checks';
import { fakeRuntime, fcContext, httpEvent, READ_TOKEN } from '../../support/fake-runtime';

/** The daily readiness run after the scheduler's tick, and the control route, on the fake runtime. */
const timer = (triggerTime: string) => Buffer.from(JSON.stringify({ triggerTime, triggerName: 'tick', payload: '{"task":"tick"}' }));
const report = (status: 'pass' | 'fail'): ReadinessReport => ({
  mesh: 'bookinfo',
  at: 0,
  status,
  checks: [
    {
      id: 'capacity',
      status,
      lookedAt: 'max',
      message: status === 'fail' ? 'too small' : 'ok',
      fix: status === 'fail' ? 'raise max' : null,
    },
  ],
});

test('the first tick of a day runs the checks after the tick and notifies a new failure; later ticks that day do not run them', async () => {
  const rt = fakeRuntime();
  let runs = 0;
  rt.readiness = async () => ((runs += 1), report('fail'));
  const handler = makeSchedulerHandler(async () => rt);
  // The day is the tick's (the engine's clock), not the event's triggerTime.
  const at = (time: string) => {
    rt.engine.tickAt = Date.parse(time);
    return timer(time);
  };
  const first = await handler(at('2026-11-03T02:16:00Z'), fcContext());
  expect(first).toMatchObject({ planId: 'p-tick', readiness: { ran: true, status: 'fail', notified: ['capacity'] } });
  expect(rt.engine.calls).toEqual([{ method: 'tick' }]);
  // Through the runtime's notifier (the engine's), not a second one built from the policy.
  expect(rt.notifier.sent).toEqual([expect.objectContaining({ title: 'readiness: capacity fails' })]);
  expect(rt.lines).not.toContainEqual(expect.objectContaining({ title: 'readiness: capacity fails' }));
  expect(await handler(at('2026-11-03T02:17:00Z'), fcContext())).toMatchObject({ readiness: { ran: false, notified: [] } });
  expect(await handler(at('2026-11-04T00:00:30Z'), fcContext())).toMatchObject({ readiness: { ran: true, notified: [] } });
  expect(runs).toBe(2);
});

test("a forged triggerTime does not choose the day nor age the remembered keys: the tick's clock does", async () => {
  const rt = fakeRuntime();
  let runs = 0;
  rt.readiness = async () => ((runs += 1), report('pass'));
  const handler = makeSchedulerHandler(async () => rt);
  const day = Math.floor(rt.engine.tickAt / 86_400_000);
  for (const forged of ['2099-01-01T00:00:00Z', '2100-06-01T00:00:00Z', '1999-01-01T00:00:00Z']) await handler(timer(forged), fcContext());
  expect(runs).toBe(1);
  expect([...rt.store.keys.keys()]).toEqual([`readiness-run/bookinfo/${day}`]);
  expect(rt.store.keys.get(`readiness-run/bookinfo/${day}`)).toBe((day + 1) * 86_400_000);
});

test('a readiness run that throws is logged and the tick still answers', async () => {
  const rt = fakeRuntime();
  rt.readiness = async () => Promise.reject(new Error('probe exploded'));
  const result = await makeSchedulerHandler(async () => rt)(timer('2026-11-03T02:16:00Z'), fcContext());
  expect(result).toMatchObject({ planId: 'p-tick', committed: true });
  expect(result).not.toHaveProperty('readiness');
  expect(rt.lines).toContainEqual(expect.objectContaining({ level: 'warning', message: 'daily readiness check failed: probe exploded' }));
});

test('GET /v1/readiness: the report with the read token, 404 where no probes are wired', async () => {
  const rt = fakeRuntime({ readToken: READ_TOKEN });
  const get = () =>
    makeControlHandler(async () => rt)(
      httpEvent({ method: 'GET', path: '/v1/readiness', headers: { authorization: `Bearer ${READ_TOKEN}` } }),
      fcContext(),
    ) as Promise<{ statusCode: number; body: string }>;
  const missing = await get();
  expect(missing.statusCode).toBe(404);
  rt.readiness = async () => report('fail');
  const res = await get();
  expect(res.statusCode).toBe(200);
  expect(JSON.parse(res.body)).toEqual(report('fail'));
});
