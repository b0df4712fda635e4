import { makeHandler } from '../../../functions/control/handler';
import { signRequest } from '../../../shared/http/auth';
import type { Policy } from '../../../shared/core/policy';
import type { MeshConfig } from '../../../shared/core/types';
import type { Runtime } from '../../../shared/runtime/types';
import { bookinfoPolicy, World } from '../engine/harness';
import { ALARM_TOKEN, CONTROL_SECRET, fcContext, httpEvent } from '../../support/fake-runtime';

/**
 * The control API over the real function handler and a real engine (SQLite store, fake mesh):
 * what a command body says is what the engine is asked, a service included.
 */

const REVIEWS = 'reviews.default.svc.cluster.local';
const failover: MeshConfig = {
  mode: 'failover',
  localityLbSetting: {
    failover: [
      { from: 'cn-hangzhou', to: 'cn-shanghai' },
      { from: 'cn-shanghai', to: 'cn-hangzhou' },
    ],
  },
};
const hzDrained: MeshConfig = {
  mode: 'distribute',
  localityLbSetting: {
    distribute: [
      { from: 'cn-hangzhou/*', to: { 'cn-shanghai/*': 100 } },
      { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
    ],
  },
};
const scoped = () => bookinfoPolicy({ scopes: { entry: ['productpage'], services: { productpage: {}, reviews: {} } } });

let w: World;
afterEach(() => w.cleanup());

let seq = 0;
async function setup(policy: Policy) {
  w = new World(policy);
  const engine = w.engine();
  await w.baseline(engine);
  const runtime: Runtime = {
    engine,
    policy,
    store: w.store,
    notifier: w.notifier,
    clock: w.clock,
    secrets: { alarmToken: ALARM_TOKEN, controlSecret: CONTROL_SECRET },
    log: () => undefined,
  };
  const handler = makeHandler(async () => runtime);
  async function call(method: string, path: string, body: unknown) {
    const text = JSON.stringify(body);
    const sig = signRequest({
      secret: CONTROL_SECRET,
      method,
      path,
      body: text,
      timestamp: Math.floor(w.clock.now() / 1000),
      requestId: `svc-${++seq}-0000`,
    }).headers;
    const reply = await handler(
      httpEvent({ method, path, headers: { 'content-type': 'application/json', ...sig }, body: text }),
      fcContext(),
    );
    if (!reply) throw new Error('no reply');
    return { status: reply.statusCode, json: JSON.parse(reply.body) };
  }
  /** The stored state's version and the audit's length: both unchanged by a refused or bad command. */
  const footprint = async () => ({
    version: (await w.store.load('bookinfo')).version,
    events: (await engine.history({ limit: 500 })).length,
  });
  return { call, footprint };
}

describe('control API: a command naming a service acts on that service only', () => {
  test("scoped policy: an override draining cn-hangzhou for reviews changes reviews' host only", async () => {
    const { call } = await setup(scoped());
    const res = await call('POST', '/v1/overrides', {
      drain: ['cn-hangzhou'],
      service: 'reviews',
      ttl: '30m',
      reason: 'reviews canary broken',
    });
    expect(res.status).toBe(200);
    expect(res.json.committed).toBe(true);
    const last = w.mesh.applied.at(-1)?.config;
    // The mesh-wide default is untouched: productpage and the rest stay local.
    expect(last).toEqual(failover);
    const { state } = await w.store.load('bookinfo');
    expect(state?.override).toMatchObject({ drain: ['cn-hangzhou'], service: 'reviews' });
    expect(state?.applied?.matrix).toEqual({ 'cn-hangzhou': { 'cn-hangzhou': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } });
    expect(Object.keys(state?.applied?.scopes ?? {})).toEqual([REVIEWS]);
    expect(state?.applied?.scopes?.[REVIEWS]?.config).toEqual(hzDrained);
  });

  test('scoped policy: a dry run through /v1/plan keeps the service too', async () => {
    const { call, footprint } = await setup(scoped());
    const before = await footprint();
    const res = await call('POST', '/v1/plan', {
      kind: 'override',
      drain: ['cn-hangzhou'],
      service: 'reviews',
      reason: 'what would it do',
    });
    expect(res.status).toBe(200);
    expect(res.json.plan.after.matrix).toEqual({ 'cn-hangzhou': { 'cn-hangzhou': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } });
    expect(res.json.plan.after.scopes[REVIEWS].config).toEqual(hzDrained);
    expect(await footprint()).toEqual(before);
  });

  test.each([
    ['an override', '/v1/overrides', { drain: ['cn-hangzhou'], service: 'reviews', reason: 'maintenance' }, 'override.service'],
    ['a drill', '/v1/drills', { region: 'cn-hangzhou', service: 'reviews', duration: '5m' }, 'drill.service'],
  ])('unscoped policy: %s naming a service is refused (409 naming service) and changes nothing', async (_what, path, body, rule) => {
    const { call, footprint } = await setup(bookinfoPolicy());
    const before = await footprint();
    const applies = w.mesh.applied.length;
    const res = await call('POST', path, body);
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('COMMAND.REFUSED');
    expect(res.json.error.refused).toEqual([{ rule, message: 'names service reviews, but the policy declares no scopes' }]);
    expect(await footprint()).toEqual(before);
    expect(w.mesh.applied).toHaveLength(applies);
  });
});

describe('control API: bad command bodies are a 400 naming the field and change nothing', () => {
  test.each([
    ['an unknown key in an override', '/v1/overrides', { drain: ['cn-hangzhou'], reason: 'x', servce: 'reviews' }, 'body.servce'],
    ['an unknown key in a drill', '/v1/drills', { region: 'cn-hangzhou', duration: '5m', sevrity: 'down' }, 'body.sevrity'],
    ['an unknown key in a pause', '/v1/pause', { reason: 'x', until: '1h' }, 'body.until'],
    ['an unknown key in a dry run', '/v1/plan', { kind: 'pause', reason: 'x', force: true }, 'body.force'],
    ['a NUL-only reason (override)', '/v1/overrides', { drain: ['cn-hangzhou'], reason: '\u0000' }, 'body.reason'],
    ['a NUL-only reason (pause)', '/v1/pause', { reason: '\u0000\u0000' }, 'body.reason'],
    [
      'a control-character reason (drill)',
      '/v1/drills',
      { region: 'cn-hangzhou', duration: '5m', reason: ' \u0007\u001b\t ' },
      'body.reason',
    ],
    ['a whitespace-only reason', '/v1/pause', { reason: ' \n\t ' }, 'body.reason'],
    ['a zero-width-only reason', '/v1/pause', { reason: '\u200b\u200e' }, 'body.reason'],
  ])('%s', async (_what, path, body, field) => {
    const { call, footprint } = await setup(bookinfoPolicy());
    const before = await footprint();
    const res = await call('POST', path, body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('INPUT.INVALID');
    expect(res.json.error.problems.some((p: string) => p.startsWith(`${field}:`))).toBe(true);
    expect(await footprint()).toEqual(before);
  });

  test('a reason with words and a stray control character is still a reason', async () => {
    const { call } = await setup(bookinfoPolicy());
    const res = await call('POST', '/v1/pause', { reason: 'incident 4711\u0007' });
    expect(res.status).toBe(200);
  });
});
