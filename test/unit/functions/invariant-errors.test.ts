import { readFileSync } from 'node:fs';
import { makeHandler as makeAlarmHandler } from '../../../functions/alarm/handler';
import { makeHandler as makeControlHandler } from '../../../functions/control/handler';
import { signRequest } from '../../../shared/http/auth';
import type { HttpReply } from '../../../shared/http/http-message';
import type { Runtime } from '../../../shared/runtime/types';
import { bookinfoPolicy, World } from '../engine/harness';
import { ALARM_TOKEN, CONTROL_SECRET, fcContext, httpEvent } from '../../support/fake-runtime';

/**
 * An internal invariant that fails inside the decision (here: the stored applied matrix has a row
 * summing to 90, which nothing the product writes can produce) is our inconsistency, not the
 * caller's: a 500 the sender retries, never a 400 that tells it to stop. Pause still works: it is
 * how an operator stops a wedged autopilot.
 */

const policy = bookinfoPolicy({
  detection: {
    rules: [
      {
        name: 'cms-5xx',
        match: { source: 'cms', alertName: '*-5xx-*' },
        region: { fromUrl: true },
        severity: { CRITICAL: 'down', WARN: 'degraded' },
      },
    ],
  },
});

let w: World;
afterEach(() => w.cleanup());

let seq = 0;
async function wedged() {
  w = new World(policy);
  const engine = w.engine();
  await w.baseline(engine);
  const { state, version } = await w.store.load('bookinfo');
  if (!state?.applied) throw new Error('no baseline');
  const broken = {
    ...state,
    applied: { ...state.applied, matrix: { 'cn-hangzhou': { 'cn-hangzhou': 90 }, 'cn-shanghai': { 'cn-shanghai': 100 } } },
  };
  await w.store.commit('bookinfo', version, broken, null, []);
  const runtime: Runtime = {
    engine,
    policy,
    store: w.store,
    notifier: w.notifier,
    clock: w.clock,
    secrets: { alarmToken: ALARM_TOKEN, controlSecret: CONTROL_SECRET },
    log: () => undefined,
  };
  const control = makeControlHandler(async () => runtime);
  async function call(method: string, path: string, body: unknown) {
    const text = JSON.stringify(body);
    const sig = signRequest({
      secret: CONTROL_SECRET,
      method,
      path,
      body: text,
      timestamp: Math.floor(w.clock.now() / 1000),
      requestId: `inv-${++seq}-0000`,
    }).headers;
    const reply = await control(
      httpEvent({ method, path, headers: { 'content-type': 'application/json', ...sig }, body: text }),
      fcContext(),
    );
    if (!reply) throw new Error('no reply');
    return { status: reply.statusCode, json: JSON.parse(reply.body) };
  }
  const alarm = makeAlarmHandler(async () => runtime);
  async function alarmDown() {
    const body = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8').trim();
    const reply = (await alarm(
      httpEvent({
        method: 'POST',
        path: '/cms',
        query: { region: 'cn-hangzhou', token: ALARM_TOKEN },
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
      }),
      fcContext(),
    )) as HttpReply;
    return { status: reply.statusCode, json: JSON.parse(reply.body) };
  }
  return { call, alarmDown, version: version + 1 };
}

describe('an invariant failure inside the decision', () => {
  test('a valid override is answered 500 INTERNAL.INVARIANT (retry), not 400, and changes nothing', async () => {
    const { call, version } = await wedged();
    const res = await call('POST', '/v1/overrides', { drain: ['cn-hangzhou'], reason: 'maintenance' });
    expect(res.status).toBe(500);
    expect(res.json.error).toEqual({
      code: 'INTERNAL.INVARIANT',
      message: 'internal error: an invariant of the decision failed; retry, and report it if it lasts',
      requestId: 'req-1',
    });
    expect((await w.store.load('bookinfo')).version).toBe(version);
  });

  test('an alarm is answered 500, so the alarm system delivers it again', async () => {
    const { alarmDown } = await wedged();
    const res = await alarmDown();
    expect(res.status).toBe(500);
    expect(res.json.error.code).toBe('INTERNAL.INVARIANT');
  });

  test('pause still pauses: recorded without a traffic decision, the failure named in a critical notice', async () => {
    const { call } = await wedged();
    const applies = w.mesh.applied.length;
    const res = await call('POST', '/v1/pause', { reason: 'autopilot wedged' });
    expect(res.status).toBe(200);
    expect(res.json.committed).toBe(true);
    expect(res.json.plan.reasons).toEqual([
      'automation paused by api: autopilot wedged',
      expect.stringMatching(
        /^the decision failed \(internal invariant failed: matrix\.cn-hangzhou: weights must sum to 100 \(got 90\)\); paused without deciding the traffic/,
      ),
    ]);
    expect(res.json.plan.steps).toEqual([{ kind: 'notify', level: 'critical', message: res.json.plan.reasons[1] }]);
    const { state } = await w.store.load('bookinfo');
    expect(state?.paused).toEqual({ actor: 'api', at: w.clock.now(), reason: 'autopilot wedged' });
    expect(w.mesh.applied).toHaveLength(applies);
    // A second pause is refused as usual (409), not failed.
    expect((await call('POST', '/v1/pause', { reason: 'again' })).status).toBe(409);
  });
});
