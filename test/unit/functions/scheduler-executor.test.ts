import { makeHandler as makeExecutorHandler } from '../../../functions/executor/handler';
import { makeHandler as makeSchedulerHandler } from '../../../functions/scheduler/handler';
import type { PlanRecord } from '../../../shared/ports/state-store';
import { signRequest } from '../../../shared/http/auth';
import { CONTROL_SECRET, fakeRuntime, fcContext, httpEvent, plan } from '../../support/fake-runtime';

const timerEvent = (payload?: string) =>
  Buffer.from(JSON.stringify({ triggerTime: '2026-11-03T02:16:00Z', triggerName: 'tick', ...(payload !== undefined && { payload }) }));

describe('scheduler function (timer trigger)', () => {
  test('a tick runs engine.tick and reports the plan, resumed plans and drift', async () => {
    const rt = fakeRuntime();
    const result = await makeSchedulerHandler(async () => rt)(timerEvent('{"task":"tick"}'), fcContext());
    expect(result).toEqual({
      task: 'tick',
      triggerTime: '2026-11-03T02:16:00Z',
      planId: 'p-tick',
      committed: true,
      steps: 0,
      refused: [],
      resumed: ['p-old'],
      drift: null,
      availabilitySignals: 0,
    });
    expect(rt.engine.calls).toEqual([{ method: 'tick' }]);
    expect(rt.lines).toEqual([expect.objectContaining({ function: 'scheduler', trigger: 'event', outcome: 'ok' })]);
  });

  test('a firing without payload is a tick too', async () => {
    const rt = fakeRuntime();
    await makeSchedulerHandler(async () => rt)(timerEvent(), fcContext());
    expect(rt.engine.calls).toEqual([{ method: 'tick' }]);
  });

  test.each([
    ['{"task":"reboot"}', 'payload.task: must be "tick"'],
    ['tick', 'payload: not valid JSON'],
  ])('payload %s is rejected naming the field; no tick', async (payload, problem) => {
    const rt = fakeRuntime();
    const result = await makeSchedulerHandler(async () => rt)(timerEvent(payload), fcContext());
    expect(result).toMatchObject({ accepted: false, error: { problems: [expect.stringContaining(problem)] } });
    expect(rt.engine.calls).toEqual([]);
  });

  test('a broken timer event is rejected', async () => {
    const rt = fakeRuntime();
    const result = await makeSchedulerHandler(async () => rt)(Buffer.from('{"triggerName":"tick"}'), fcContext());
    expect(result).toMatchObject({ accepted: false, error: { problems: [expect.stringMatching(/^triggerTime: /)] } });
    expect(rt.engine.calls).toEqual([]);
  });

  test('an engine failure is rethrown (FC retries the timer invocation)', async () => {
    const rt = fakeRuntime();
    rt.engine.failWith = new Error('mesh API throttled');
    await expect(makeSchedulerHandler(async () => rt)(timerEvent(), fcContext())).rejects.toThrow('mesh API throttled');
  });
});

describe('executor function (async invocation)', () => {
  const record: PlanRecord = {
    mesh: 'bookinfo',
    plan: plan('p-9', {
      steps: [
        { kind: 'notify', level: 'info', message: 'a' },
        { kind: 'notify', level: 'info', message: 'b' },
      ],
    }),
    status: 'pending',
    outcomes: [
      { status: 'done', at: 1, attempts: 1 },
      { status: 'pending', at: 0, attempts: 0 },
    ],
    leaseOwner: null,
    leaseUntil: 0,
    dueAt: 5,
  };

  test('runs engine.execute for the plan and reports its progress', async () => {
    const rt = fakeRuntime();
    rt.engine.executeResult = record;
    const result = await makeExecutorHandler(async () => rt)(Buffer.from('{"planId":"p-9"}'), fcContext());
    expect(result).toEqual({ planId: 'p-9', found: true, status: 'pending', done: 1, steps: 2 });
    expect(rt.engine.calls).toEqual([{ method: 'execute', planId: 'p-9' }]);
  });

  test('an unknown plan is reported, not retried', async () => {
    const rt = fakeRuntime();
    await expect(makeExecutorHandler(async () => rt)(Buffer.from('{"planId":"p-404"}'), fcContext())).resolves.toEqual({
      planId: 'p-404',
      found: false,
    });
  });

  test.each([
    ['{}', '(payload).planId: '],
    ['{"planId":"p-1","extra":1}', '(payload).extra: unknown field'],
    ['{"planId":"../../x y"}', '(payload).planId: must be a plan id'],
    ['', '(payload): empty'],
  ])('payload %p is rejected naming the field', async (payload, problem) => {
    const rt = fakeRuntime();
    const result = await makeExecutorHandler(async () => rt)(Buffer.from(payload), fcContext());
    expect(result).toMatchObject({ accepted: false, error: { problems: [expect.stringContaining(problem)] } });
    expect(rt.engine.calls).toEqual([]);
  });
});

describe('executor function: no HTTP way in', () => {
  test('an HTTP request, even one signed with the control secret, is not a plan and runs nothing', async () => {
    const rt = fakeRuntime();
    const body = '{"planId":"p-7"}';
    const headers = signRequest({ secret: CONTROL_SECRET, method: 'POST', path: '/', body }).headers;
    const event = httpEvent({
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json', 'x-fc-invocation-type': 'Async', ...headers },
      body,
    });
    const result = await makeExecutorHandler(async () => rt)(event, fcContext());
    expect(result).toMatchObject({ accepted: false, error: { problems: expect.arrayContaining(['(payload).rawPath: unknown field']) } });
    expect(rt.engine.calls).toEqual([]);
  });
});
