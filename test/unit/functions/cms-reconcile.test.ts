import { reconcileCmsAlerts, resetReconcileMemory } from '../../../functions/scheduler/reconcile';
import { runTick } from '../../../functions/scheduler/tick';
import type { LabControlPlane } from '../../../lab/k8s/control-plane';
import type { AlertingRuleResource } from '../../../lab/dataplane/alarms';
import { cmsCallbackForm, type CmsCallbackInput } from '../../../lab/dataplane/alarm-payloads';
import { popRpcClient } from '../../../shared/adapters/cloud-credentials';
import { cmsAlertingReader } from '../../../shared/adapters/cms-alerting';
import { CMS_API_VERSION } from '../../../shared/adapters/cms-alarm-rules';
import type { Signal } from '../../../shared/core/types';
import type { Runtime } from '../../../shared/runtime/types';
import { alertingRawAlarms } from '../../../shared/signals/cms-alerting';
import { parseCmsCallback } from '../../../shared/signals/cms-webhook';
import { toSignals } from '../../../shared/signals/detection';
import { LAB, startLab } from '../../contract/mesh-control-lab';
import { bookinfoPolicy, World } from '../engine/harness';

/**
 * The scheduler's read-back of CloudMonitor's alerting state (policy detection.cmsReconcile),
 * against the CMS twin over HTTP through pop-core, and the real engine on a SQLite store: an
 * alerting resource becomes the signal its callback would have given (same key, severity,
 * region), it never resolves one, it respects a remembered resolve, and a failed read changes
 * nothing and never fails the tick.
 */

const RULE = 'rs-productpage-5xx-hangzhou';
const USER = '1234567890123456';
const policy = bookinfoPolicy({
  detection: {
    rules: [
      {
        name: 'cms-5xx',
        measure: { kind: 'errorPercent' },
        match: { source: 'cms', alertName: '*-5xx-*' },
        region: { fromUrl: true },
        severity: { CRITICAL: 'down', WARN: 'degraded' },
      },
    ],
    cmsReconcile: { every: '60s', timeout: '2s', rules: [{ ruleId: RULE, region: 'cn-hangzhou' }] },
  },
});

let world: World;
let cp: LabControlPlane;
let alerting: AlertingRuleResource[];
let lines: Array<Record<string, unknown>>;

beforeEach(async () => {
  resetReconcileMemory();
  world = new World(policy);
  cp = await startLab(world.clock);
  alerting = [];
  lines = [];
  cp.cms.setAlertingSource(() => alerting);
});
afterEach(async () => {
  await cp.stop();
  await world.cleanup();
});

function runtime(endpoint = cp.cmsEndpoint): Runtime {
  const client = popRpcClient({
    endpoint,
    apiVersion: CMS_API_VERSION,
    credentials: { accessKeyId: LAB.accessKeyId, accessKeySecret: LAB.accessKeySecret },
  });
  return {
    engine: world.engine(),
    policy,
    store: world.store,
    notifier: world.notifier,
    clock: world.clock,
    secrets: { alarmToken: 'a'.repeat(16), controlSecret: 'c'.repeat(16) },
    log: (l) => lines.push(l),
    cmsAlerting: cmsAlertingReader(client),
  };
}

function resource(over: Partial<AlertingRuleResource> = {}): AlertingRuleResource {
  return {
    ruleId: RULE,
    ruleName: 'productpage-5xx-cn-hangzhou',
    metricName: 'ServiceRequest5xxRate',
    level: 'CRITICAL',
    dimensions: { userId: USER, service: 'productpage' },
    lastAlertAt: world.clock.now() - 30_000,
    since: world.clock.now() - 30_000,
    value: 40,
    ...over,
  };
}

/** The signal the same alarm's callback (to `?region=cn-hangzhou`) gives. */
function callbackSignal(state: 'ALERT' | 'OK', at: number, level: CmsCallbackInput['level'] = 'CRITICAL'): Signal {
  const form = cmsCallbackForm({
    ruleId: RULE,
    alertName: 'productpage-5xx-cn-hangzhou',
    state,
    level,
    curValue: '40',
    metricName: 'ServiceRequest5xxRate',
    expression: '$Average>20',
    instanceName: 'productpage (cn-hangzhou)',
    dimensions: { service: 'productpage' },
    userId: USER,
    at,
  });
  const raw = { ...parseCmsCallback(form.toString(), 'application/x-www-form-urlencoded'), urlRegion: 'cn-hangzhou' };
  const [signal] = toSignals(raw, policy).signals;
  if (!signal) throw new Error('the callback gave no signal');
  return signal;
}

const active = async (rt: Runtime) => (await rt.engine.status()).activeSignals;

test("an alerting resource whose callback was lost becomes the callback's signal: same key, down in its region; a later OK callback resolves it", async () => {
  const rt = runtime();
  await world.baseline(rt.engine as ReturnType<World['engine']>);
  alerting = [resource()];
  const result = await reconcileCmsAlerts(rt, world.clock.now());
  expect(result).toMatchObject({ rules: 1, alerting: 1, signals: 1, committed: true });
  const expected = callbackSignal('ALERT', world.clock.now() - 30_000);
  expect(await active(rt)).toEqual([
    expect.objectContaining({ key: expected.key, region: 'cn-hangzhou', severity: 'down', source: 'cms' }),
  ]);
  expect((await rt.engine.status()).health['cn-hangzhou']?.status).toBe('DOWN');
  // The triggering value travels as the callback's curValue would: the signal's measure (40% errors).
  expect((await rt.store.load('bookinfo')).state?.signals[expected.key]?.measure).toEqual({
    kind: 'errorShare',
    value: 0.4,
    metric: 'ServiceRequest5xxRate',
  });
  // The call went to the twin as the documented action, with the rule's id.
  expect(cp.cms.calls.filter((c) => c.action === 'DescribeAlertingMetricRuleResources')).toEqual([
    expect.objectContaining({ code: 'OK', ruleId: RULE }),
  ]);

  world.clock.advance(10_000);
  await rt.engine.ingest([callbackSignal('OK', world.clock.now())], 'cms');
  expect(await active(rt)).toEqual([]);
});

test("the level maps as the callback's: Warn (3) is degraded; Info (4), which the rule does not map, gives no signal and says why", async () => {
  const rt = runtime();
  alerting = [resource({ level: 'WARN' })];
  await reconcileCmsAlerts(rt, world.clock.now());
  expect(await active(rt)).toEqual([
    expect.objectContaining({ key: callbackSignal('ALERT', world.clock.now(), 'WARN').key, severity: 'degraded' }),
  ]);

  resetReconcileMemory();
  const rt2 = runtime();
  alerting = [resource({ level: 'INFO', dimensions: { userId: USER, service: 'details' } })];
  const result = await reconcileCmsAlerts(rt2, world.clock.now());
  expect(result).toMatchObject({ alerting: 1, signals: 0, committed: false });
  expect(result?.problems?.join(' ')).toMatch(/level INFO is not mapped/);
});

test('it never resolves: a resource no longer alerting leaves its signal active; a repeat of an active signal commits nothing', async () => {
  const rt = runtime();
  alerting = [resource()];
  await reconcileCmsAlerts(rt, world.clock.now());
  const before = await rt.store.load('bookinfo');
  world.clock.advance(61_000);
  expect(await reconcileCmsAlerts(rt, world.clock.now())).toMatchObject({ signals: 1, committed: false });
  expect((await rt.store.load('bookinfo'))?.version).toBe(before?.version);

  alerting = [];
  world.clock.advance(61_000);
  expect(await reconcileCmsAlerts(rt, world.clock.now())).toMatchObject({ alerting: 0, signals: 0, committed: false });
  expect(await active(rt)).toHaveLength(1);
});

test('a remembered resolve wins over an alert stamped before it; an alert after it fires again', async () => {
  const rt = runtime();
  const resolvedAt = world.clock.now() - 10_000;
  await rt.engine.ingest([callbackSignal('OK', resolvedAt)], 'cms');
  alerting = [resource({ lastAlertAt: resolvedAt - 20_000 })];
  const stale = await reconcileCmsAlerts(rt, world.clock.now());
  expect(stale).toMatchObject({ signals: 1, committed: false });
  expect(await active(rt)).toEqual([]);

  world.clock.advance(61_000);
  alerting = [resource({ lastAlertAt: world.clock.now() - 5_000 })];
  await reconcileCmsAlerts(rt, world.clock.now());
  expect(await active(rt)).toEqual([expect.objectContaining({ severity: 'down' })]);
});

test('two instances reconciling at once: one decision commits, the other is a duplicate; the mesh is changed once', async () => {
  const a = runtime();
  await world.baseline(a.engine as ReturnType<World['engine']>);
  const applied = world.mesh.applied.length;
  // A second function instance: its own engine and store connection, its own memory of the last run.
  const b = { ...runtime(), engine: world.engine({ owner: 'fc-b', store: world.file.open() }) };
  alerting = [resource()];
  const first = reconcileCmsAlerts(a, world.clock.now());
  resetReconcileMemory();
  const [ra, rb] = await Promise.all([first, reconcileCmsAlerts(b, world.clock.now())]);
  expect([ra?.signals, rb?.signals]).toEqual([1, 1]);
  expect([ra?.committed, rb?.committed].filter(Boolean)).toHaveLength(1);
  expect(await active(a)).toHaveLength(1);
  expect(world.mesh.applied.length - applied).toBe(1);
});

test('at most every `every`: a second tick within it reads nothing', async () => {
  const rt = runtime();
  alerting = [resource()];
  expect(await reconcileCmsAlerts(rt, world.clock.now())).not.toBeNull();
  expect(await reconcileCmsAlerts(rt, world.clock.now() + 59_000)).toBeNull();
  expect(await reconcileCmsAlerts(rt, world.clock.now() + 60_000)).not.toBeNull();
  expect(cp.cms.calls.filter((c) => c.action === 'DescribeAlertingMetricRuleResources')).toHaveLength(2);
});

test('a failed read changes nothing, is notified once until a read succeeds, and the tick still answers', async () => {
  // A port nothing listens on: the read fails at once.
  const rt = runtime('http://127.0.0.1:9');
  await world.baseline(rt.engine as ReturnType<World['engine']>);
  const version = (await rt.store.load('bookinfo'))?.version;
  const tick = () =>
    runTick(
      { triggerTime: new Date(world.clock.now()).toISOString(), at: world.clock.now(), triggerName: 'tick', payload: '{"task":"tick"}' },
      rt,
    );
  const first = await tick();
  expect(first).toMatchObject({
    cmsReconcile: {
      rules: 1,
      signals: 0,
      committed: false,
      failed: [expect.stringMatching(/^rs-productpage-5xx-hangzhou: DescribeAlertingMetricRuleResources .* failed/)],
    },
  });
  world.clock.advance(61_000);
  await tick();
  expect((await rt.store.load('bookinfo'))?.version).toBe(version);
  const notices = world.notifier.sent.filter((n) => n.title === 'cms reconcile: CloudMonitor alerting state unreadable');
  expect(notices).toHaveLength(1);
  expect(lines.filter((l) => l.message === 'cms reconcile: reading CloudMonitor alerting state failed (nothing changed)')).toHaveLength(2);
});

test('a read that never answers is given up after the timeout and changes nothing', async () => {
  const rt = { ...runtime(), cmsAlerting: () => new Promise<never>(() => undefined) };
  const started = Date.now();
  const result = await reconcileCmsAlerts(rt, world.clock.now());
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(result).toMatchObject({ signals: 0, committed: false, failed: [expect.stringMatching(/no answer within 2500 ms/)] });
});

describe('alertingRawAlarms', () => {
  const now = 1_800_000_000_000;
  const base = {
    RuleId: RULE,
    RuleName: 'productpage-5xx-cn-hangzhou',
    Dimensions: JSON.stringify({ userId: USER, service: 'productpage' }),
    Level: 2,
    LastAlertTime: String(now - 60_000),
  };
  const read = (entries: unknown[]) => alertingRawAlarms(entries, { ruleId: RULE, region: 'cn-hangzhou', now, maxAge: 3_600_000 });

  test('keeps the alert time; an older one than maxAge, or none, becomes the oldest maxAge accepts', () => {
    expect(read([base]).raws[0]).toMatchObject({
      at: now - 60_000,
      level: 'CRITICAL',
      urlRegion: 'cn-hangzhou',
      instance: `${RULE}|service=productpage,userId=${USER}`,
    });
    expect(read([{ ...base, LastAlertTime: String(now - 5 * 3_600_000) }]).raws[0]?.at).toBe(now - 3_600_000 + 1000);
    const { LastAlertTime: _dropped, ...noTime } = base;
    expect(read([noTime]).raws[0]?.at).toBe(now - 3_600_000 + 1000);
  });

  test("the triggering value (MetricValues `value`, else `Average`) is the callback's curValue: the signal's measure", () => {
    expect(read([{ ...base, MetricValues: JSON.stringify({ timestamp: now, value: 37.5, Average: 12 }) }]).raws[0]?.curValue).toBe('37.5');
    expect(read([{ ...base, MetricValues: '{"Average":12}' }]).raws[0]?.curValue).toBe('12');
    expect(read([{ ...base, MetricValues: 'garbage' }]).raws[0]).not.toHaveProperty('curValue');
  });

  test('an unknown level, a reply for another rule or dimensions that are no object give no alarm, each said', () => {
    const out = read([{ ...base, Level: 1 }, { ...base, RuleId: 'other' }, { ...base, Dimensions: 'not-json' }, { Level: 2 }]);
    expect(out.raws).toEqual([]);
    expect(out.problems).toEqual([
      expect.stringMatching(/Level "1" is not 2, 3 or 4/),
      expect.stringMatching(/reply names rule other/),
      expect.stringMatching(/Dimensions is not a JSON object/),
      expect.stringMatching(/RuleId: /),
    ]);
  });
});

describe('policy detection.cmsReconcile', () => {
  const withReconcile = (cmsReconcile: unknown) => () => bookinfoPolicy({ detection: { cmsReconcile } });
  test('defaults: every 60s, timeout 5s; absent means off', () => {
    expect(
      bookinfoPolicy({ detection: { cmsReconcile: { rules: [{ ruleId: 'r', region: 'cn-shanghai' }] } } }).detection.cmsReconcile,
    ).toMatchObject({ every: 60_000, timeout: 5_000 });
    expect(bookinfoPolicy().detection.cmsReconcile).toBeUndefined();
  });
  test('an undeclared region, a ruleId listed twice, no rules or a too short interval are refused, naming the field', () => {
    expect(withReconcile({ rules: [{ ruleId: 'r', region: 'cn-beijing' }] })).toThrow(
      /detection\.cmsReconcile\.rules\[0\]\.region: unknown region cn-beijing/,
    );
    expect(
      withReconcile({
        rules: [
          { ruleId: 'r', region: 'cn-hangzhou' },
          { ruleId: 'r', region: 'cn-shanghai' },
        ],
      }),
    ).toThrow(/cmsReconcile\.rules.*listed twice/);
    expect(withReconcile({ rules: [] })).toThrow(/cmsReconcile\.rules.*at least one/);
    expect(withReconcile({ every: '5s', rules: [{ ruleId: 'r', region: 'cn-hangzhou' }] })).toThrow(/cmsReconcile\.every.*at least 10s/);
  });
});
