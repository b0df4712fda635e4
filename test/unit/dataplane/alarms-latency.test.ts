import { readFileSync } from 'node:fs';
import { CMS_CALLBACK_FIELDS } from '../../../shared/signals/cms-fields';
import { loadPolicyYaml } from '../../../shared/core/policy';
import { parseCmsCallback } from '../../../shared/signals/cms-webhook';
import { toSignals } from '../../../shared/signals/detection';
import { AlarmDelivery } from '../../../lab/dataplane/alarm-delivery';
import { AlarmEvaluator } from '../../../lab/dataplane/alarms';
import { loadDefaultTopology, topologySchema, type AlarmRule, type Topology, type TopologyInput } from '../../../lab/topology/schema';
import { ValidationError } from '../../../shared/core/errors';
import { keepLocalPolicy, advanceAndDeliver, labFixture, T0, type LabFixture } from './support/lab-fixture';
import { Receiver } from './support/receiver';

const noWait = () => Promise.resolve();
/** CloudMonitor "Use the alert callback feature": every documented callback field, the list the product's parser cites. */
const DOCUMENTED_CMS_FIELDS = [...CMS_CALLBACK_FIELDS];

/** The default topology's rule on a 10-s period (its own is CMS's documented 60 s): these tests step in 10-s periods. */
function rule(topology: Topology, id: string): AlarmRule {
  const r = topology.alarms.find((a) => a.id === id);
  if (!r) throw new Error(`the default topology lost its rule ${id}`);
  return { ...r, period: 10_000 };
}

function evaluator(lab: LabFixture, rules: AlarmRule[], url: string | null): AlarmEvaluator {
  const { topology, config, clock, dataPlane } = lab;
  return new AlarmEvaluator({
    topology,
    rules,
    metrics: dataPlane.metrics,
    config,
    clock,
    delivery: new AlarmDelivery({ clock, sleep: noWait }),
    targets: { cmsCallbackUrl: url, ackEventsUrl: null },
  });
}

describe('latency alarm rules', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await receiver.close();
  });

  test('a +800 ms reviews region trips the p99 rule after 3 periods with a CMS callback the example policy reads as degraded, and clears with one OK', async () => {
    const lab = labFixture();
    const { topology, config, clock, faults, dataPlane } = lab;
    // Each region serves itself, so the slow pods keep their traffic while the fault lasts.
    config.setPolicyEverywhere(topology, keepLocalPolicy);
    const r = rule(topology, 'rs-reviews-latency-hangzhou');
    expect(r).toMatchObject({
      kind: 'latency',
      name: 'reviews-cn-hangzhou-latency-p99',
      thresholdMs: 250,
      percentile: 99,
      periods: 3,
      period: 10_000,
      level: 'WARN',
    });
    const alarms = evaluator(lab, [r, rule(topology, 'rs-reviews-latency-shanghai')], receiver.url('/alarm?token=t0ken'));
    dataPlane.start();
    alarms.start();

    await advanceAndDeliver(clock, alarms, 30_000);
    expect(receiver.requests).toEqual([]);
    // Healthy: tens of ms, far under the threshold.
    expect(alarms.statuses()[0]?.lastValue).toBeLessThan(100);

    const fault = faults.inject({ kind: 'latency', region: 'cn-hangzhou', service: 'reviews', latencyMs: 800 });
    await advanceAndDeliver(clock, alarms, 20_000);
    expect(receiver.requests).toEqual([]); // two breaching periods of three
    await advanceAndDeliver(clock, alarms, 10_000);
    expect(receiver.requests).toHaveLength(1);

    const trippedAt = T0 + 60_000;
    const p99 = dataPlane.metrics.stats({ kind: 'destination', region: 'cn-hangzhou', service: 'reviews' }, trippedAt - 10_000, trippedAt)
      .latencyMs?.p99;
    expect(p99).toBeGreaterThan(800);
    expect(receiver.requests[0]).toMatchObject({
      method: 'POST',
      path: '/alarm?token=t0ken&region=cn-hangzhou',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(receiver.forms()[0]).toEqual({
      alertName: 'reviews-cn-hangzhou-latency-p99',
      alertState: 'ALERT',
      curValue: String(p99),
      dimensions: `{userId=${topology.account}, service=reviews}`,
      expression: '$Average>250',
      instanceName: 'reviews (cn-hangzhou)',
      metricName: 'ServiceRequestLatency',
      metricProject: 'acs_service_mesh',
      namespace: 'acs_service_mesh',
      preTriggerLevel: 'OK',
      triggerLevel: 'WARN',
      ruleId: 'rs-reviews-latency-hangzhou',
      timestamp: String(trippedAt),
      userId: topology.account,
      signature: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    // Only the documented callback fields, in their order: the latency rule adds none.
    expect(receiver.requests.map((q) => [...new URLSearchParams(q.body).keys()])).toEqual([DOCUMENTED_CMS_FIELDS]);

    // The product's parser and the example policy's cms-latency rule: cn-hangzhou degraded, from the URL.
    const policy = loadPolicyYaml(readFileSync('examples/bookinfo.yaml', 'utf8'));
    const raw = { ...parseCmsCallback(receiver.requests[0]!.body, receiver.requests[0]!.contentType), urlRegion: 'cn-hangzhou' };
    expect(toSignals(raw, policy).signals).toMatchObject([
      { rule: 'cms-latency', region: 'cn-hangzhou', severity: 'degraded', status: 'firing' },
    ]);

    // Still slow: no repeat. Shanghai never breached.
    await advanceAndDeliver(clock, alarms, 20_000);
    expect(receiver.requests).toHaveLength(1);
    expect(alarms.statuses()[1]).toMatchObject({ ruleId: 'rs-reviews-latency-shanghai', state: 'OK', breaches: 0 });

    faults.delete(fault.id);
    // The period the fault was deleted in still holds its last slow tick; the next is clean.
    await advanceAndDeliver(clock, alarms, 20_000);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.forms()[1]).toMatchObject({
      alertName: 'reviews-cn-hangzhou-latency-p99',
      alertState: 'OK',
      ruleId: 'rs-reviews-latency-hangzhou',
      triggerLevel: 'WARN',
      preTriggerLevel: 'WARN',
    });
    expect(Number(receiver.forms()[1]?.curValue)).toBeLessThanOrEqual(250);
    expect(alarms.statuses()[0]).toMatchObject({ state: 'OK', breaches: 0 });
    await Promise.all([dataPlane.stop(), alarms.stop()]);
  });

  test('latency under the threshold, or over it for fewer than `periods` periods, sends nothing', async () => {
    const lab = labFixture();
    const { topology, config, clock, faults, dataPlane } = lab;
    config.setPolicyEverywhere(topology, keepLocalPolicy);
    const alarms = evaluator(
      lab,
      topology.alarms.filter((a) => a.kind === 'latency').map((a) => ({ ...a, period: 10_000 })),
      receiver.url('/alarm'),
    );
    dataPlane.start();
    alarms.start();
    // +150 ms: slower, yet a p99 under 250 ms.
    const mild = faults.inject({ kind: 'latency', region: 'cn-hangzhou', service: 'reviews', latencyMs: 150 });
    await advanceAndDeliver(clock, alarms, 60_000);
    expect(receiver.requests).toEqual([]);
    const hz = alarms.statuses().find((s) => s.ruleId === 'rs-reviews-latency-hangzhou');
    expect(hz?.lastValue).toBeGreaterThan(150);
    expect(hz?.lastValue).toBeLessThan(250);
    faults.delete(mild.id);
    // +800 ms for 15 s from a period boundary: two breaching periods of the three needed.
    const brief = faults.inject({ kind: 'latency', region: 'cn-hangzhou', service: 'reviews', latencyMs: 800 });
    await clock.advance(15_000);
    faults.delete(brief.id);
    await advanceAndDeliver(clock, alarms, 40_000);
    expect(receiver.requests).toEqual([]);
    expect(alarms.statuses().every((s) => s.state === 'OK')).toBe(true);
    await Promise.all([dataPlane.stop(), alarms.stop()]);
  });

  test('the percentile is the one the rule names: at 10 ms, healthy reviews breach on p99 (its tail) but not on p50', async () => {
    const lab = labFixture();
    const { topology, config, clock, dataPlane } = lab;
    config.setPolicyEverywhere(topology, keepLocalPolicy);
    const p99 = { ...rule(topology, 'rs-reviews-latency-hangzhou'), thresholdMs: 10 } as AlarmRule;
    const p50 = { ...p99, id: 'p50', name: 'reviews-p50', percentile: 50 } as AlarmRule;
    const alarms = evaluator(lab, [p99, p50], null);
    dataPlane.start();
    alarms.start();
    await clock.advance(40_000);
    const [a, b] = alarms.statuses();
    expect(a).toMatchObject({ state: 'ALERT' });
    expect(b).toMatchObject({ state: 'OK', breaches: 0 });
    expect(b?.lastValue).toBeLessThan(10);
    expect(a?.lastValue).toBeGreaterThan(10);
    await Promise.all([dataPlane.stop(), alarms.stop()]);
  });

  test('the topology checks a latency rule: unknown service or region, a percentile the lab does not keep, named by field', () => {
    const base = (): TopologyInput => {
      const t = loadDefaultTopology();
      return { ...t, probes: undefined, alarms: [] } as unknown as TopologyInput;
    };
    const bad = (alarm: Record<string, unknown>) =>
      topologySchema.safeParse({
        ...base(),
        alarms: [
          { id: 'x', kind: 'latency', name: 'x-latency-p99', service: 'reviews', region: 'cn-hangzhou', thresholdMs: 250, ...alarm },
        ],
      });
    const msgs = (r: ReturnType<typeof bad>) => (r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
    expect(bad({}).success).toBe(true);
    expect(msgs(bad({ service: 'nope' }))).toEqual([expect.stringMatching(/^alarms\.0\.service: unknown service nope/)]);
    expect(msgs(bad({ region: 'cn-nowhere' }))).toEqual([expect.stringMatching(/^alarms\.0\.region: unknown region cn-nowhere/)]);
    expect(msgs(bad({ percentile: 90 }))[0]).toMatch(/^alarms\.0\.percentile/);
    expect(msgs(bad({ thresholdMs: 0 }))[0]).toMatch(/^alarms\.0\.thresholdMs/);
    // A latency rule watches its service: the default probes cover it, so a drained region's latency stays readable.
    const parsed = bad({ service: 'details' });
    expect(parsed.success && parsed.data.probes.map((p) => `${p.service}/${p.region}`)).toEqual([
      'details/cn-hangzhou',
      'details/cn-shanghai',
    ]);
    // The evaluator refuses a rule the topology does not have, naming it.
    const lab = labFixture();
    const ghost = { ...rule(lab.topology, 'rs-reviews-latency-hangzhou'), service: 'ghost' } as AlarmRule;
    expect(() => evaluator(lab, [ghost], null)).toThrow(ValidationError);
  });
});
