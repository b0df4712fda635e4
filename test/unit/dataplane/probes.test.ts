import { AlarmDelivery } from '../../../lab/dataplane/alarm-delivery';
import { AlarmEvaluator } from '../../../lab/dataplane/alarms';
import type { EffectiveTrafficPolicy } from '../../../lab/dataplane/config-source';
import { UnknownProbeTargetError } from '../../../lab/dataplane/engine';
import { loadDefaultTopology, type AlarmRule, type ProbeSpec, type Topology } from '../../../lab/topology/schema';
import { failoverPolicy, labFixture, T0, type LabFixture } from './support/lab-fixture';
import { Receiver } from './support/receiver';

const noWait = () => Promise.resolve();

/** What a distribute override that drains cn-hangzhou renders: every locality's traffic to cn-shanghai. */
const drainHangzhou: Partial<EffectiveTrafficPolicy> = {
  localityLb: {
    enabled: true,
    distribute: [
      { from: 'cn-hangzhou/*', to: { 'cn-shanghai/*': 100 } },
      { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
    ],
  },
  outlierDetection: null,
};

/** The default topology with other probes (and gateway load). Not parsed again: durations in parsed output are ms, the parser reads numbers as seconds. */
function withProbes(probes: ProbeSpec[], gatewayLoad?: number): Topology {
  const base = loadDefaultTopology();
  const gateways = gatewayLoad === undefined ? base.gateways : base.gateways.map((g) => ({ ...g, load: gatewayLoad }));
  return { ...base, gateways, probes };
}

function reviewsHangzhouAlarm(lab: LabFixture, receiver: Receiver): AlarmEvaluator {
  const rule = lab.topology.alarms.find((a) => a.id === 'rs-reviews-5xx-hangzhou') as AlarmRule;
  return new AlarmEvaluator({
    topology: lab.topology,
    rules: [rule],
    metrics: lab.dataPlane.metrics,
    config: lab.config,
    clock: lab.clock,
    delivery: new AlarmDelivery({ clock: lab.clock, sleep: noWait }),
    targets: { cmsCallbackUrl: receiver.url('/alarm?token=t0ken'), ackEventsUrl: null },
  });
}

describe('synthetic probes', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await receiver.close();
  });

  test("a drained region's 5xx alarm trips and clears on probe traffic alone", async () => {
    const lab = labFixture();
    const { topology, config, clock, faults, dataPlane } = lab;
    config.setPolicyEverywhere(topology, drainHangzhou);
    const alarms = reviewsHangzhouAlarm(lab, receiver);
    const fault = faults.inject({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' });
    dataPlane.start();
    alarms.start();

    await clock.advance(30_000);
    await alarms.idle();
    // Three breaching periods: probes at 2 rps, every one answered 503 by the downed pods.
    expect(receiver.forms().map((f) => [f.alertState, f.curValue, f.timestamp])).toEqual([['ALERT', '100', String(T0 + 30_000)]]);

    // No client request reached reviews in hangzhou: the alarm read probes only.
    const window = { kind: 'destination', region: 'cn-hangzhou', service: 'reviews' } as const;
    expect(dataPlane.metrics.stats({ ...window, origin: 'client' }, T0, T0 + 30_000).requests).toBe(0);
    expect(dataPlane.metrics.stats({ ...window, origin: 'probe' }, T0, T0 + 30_000)).toMatchObject({ requests: 58, errors5xx: 58 });
    const snapshot = dataPlane.trafficSnapshot(30_000);
    expect(snapshot.matrix.reviews).toEqual({ 'cn-hangzhou': { 'cn-shanghai': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } });
    expect(snapshot.served.filter((c) => c.region === 'cn-hangzhou')).toEqual([]);

    await clock.advance(500);
    faults.delete(fault.id);
    await clock.advance(9_500);
    await alarms.idle();
    // The clearing period [30 s, 40 s) still holds the tick at 30 s, sent while reviews was down: 2 of 20.
    expect(receiver.requests.map((r) => [r.method, r.path, r.contentType])).toEqual([
      ['POST', '/alarm?token=t0ken&region=cn-hangzhou', 'application/x-www-form-urlencoded'],
      ['POST', '/alarm?token=t0ken&region=cn-hangzhou', 'application/x-www-form-urlencoded'],
    ]);
    const common = {
      alertName: 'reviews-5xx-cn-hangzhou',
      ruleId: 'rs-reviews-5xx-hangzhou',
      metricName: 'ServiceRequest5xxRate',
      dimensions: `{userId=${topology.account}, service=reviews}`,
      instanceName: 'reviews (cn-hangzhou)',
    };
    expect(receiver.forms()).toEqual([
      expect.objectContaining({
        ...common,
        alertState: 'ALERT',
        curValue: '100',
        timestamp: String(T0 + 30_000),
        preTriggerLevel: 'OK',
        triggerLevel: 'CRITICAL',
      }),
      expect.objectContaining({
        ...common,
        alertState: 'OK',
        curValue: '10',
        timestamp: String(T0 + 40_000),
        preTriggerLevel: 'CRITICAL',
        triggerLevel: 'CRITICAL',
      }),
    ]);

    await clock.advance(30_000);
    await alarms.idle();
    expect(receiver.requests).toHaveLength(2);
    expect(alarms.statuses()[0]).toMatchObject({ state: 'OK', breaches: 0, lastValue: 0, since: T0 + 40_000 });
    await Promise.all([dataPlane.stop(), alarms.stop()]);
  });

  test("without probes the drained region's alarm has no data and never fires", async () => {
    const lab = labFixture({ topology: withProbes([]) });
    lab.config.setPolicyEverywhere(lab.topology, drainHangzhou);
    const alarms = reviewsHangzhouAlarm(lab, receiver);
    lab.faults.inject({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' });
    lab.dataPlane.start();
    alarms.start();

    await lab.clock.advance(60_000);
    await alarms.idle();

    expect(receiver.requests).toEqual([]);
    expect(alarms.statuses()[0]).toMatchObject({ state: 'OK', breaches: 0, lastValue: null, lastEvaluatedAt: T0 + 60_000 });
    await Promise.all([lab.dataPlane.stop(), alarms.stop()]);
  });

  test('the loop sends each probe at its rate; probes never show in gateway stats, served cells or the matrix', async () => {
    const lab = labFixture({
      topology: withProbes(
        [
          { service: 'reviews', region: 'cn-hangzhou', rps: 2.5 },
          { service: 'productpage', region: 'cn-shanghai', rps: 1 },
        ],
        0,
      ),
    });
    lab.config.setPolicyEverywhere(lab.topology, failoverPolicy);
    lab.dataPlane.start();
    await lab.clock.advance(10_000);
    await lab.dataPlane.stop();

    const snapshot = lab.dataPlane.trafficSnapshot(60_000);
    expect(snapshot.gateways).toEqual([]);
    expect(snapshot.served).toEqual([]);
    expect(snapshot.matrix).toEqual({});
    // 2.5 × 10 through the carried fractions; the productpage probes walk on to details, reviews and ratings in shanghai.
    expect(snapshot.probes).toEqual([
      { sourceRegion: 'cn-shanghai', region: 'cn-shanghai', service: 'details', version: 'v1', requests: 10, errors5xx: 0 },
      { sourceRegion: 'cn-shanghai', region: 'cn-shanghai', service: 'productpage', version: 'v1', requests: 10, errors5xx: 0 },
      { sourceRegion: 'cn-shanghai', region: 'cn-shanghai', service: 'ratings', version: 'v1', requests: 10, errors5xx: 0 },
      { sourceRegion: 'cn-hangzhou', region: 'cn-hangzhou', service: 'reviews', version: 'v1', requests: 25, errors5xx: 0 },
      { sourceRegion: 'cn-shanghai', region: 'cn-shanghai', service: 'reviews', version: 'v2', requests: 10, errors5xx: 0 },
    ]);
    // Destination stats (what alarms read) do count them.
    expect(snapshot.destinations.map((d) => [d.region, d.service, d.requests])).toEqual([
      ['cn-shanghai', 'details', 10],
      ['cn-shanghai', 'productpage', 10],
      ['cn-shanghai', 'ratings', 10],
      ['cn-hangzhou', 'reviews', 25],
      ['cn-shanghai', 'reviews', 10],
    ]);
  });

  test("client requests and probes side by side: the matrix and gateway stats are the clients' alone", () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, drainHangzhou);
    dataPlane.probe('reviews', 'cn-hangzhou', 40);
    dataPlane.send('gw-hangzhou', 60);

    const snapshot = dataPlane.trafficSnapshot(10_000);
    expect(snapshot.gateways.map((g) => [g.gateway, g.requests])).toEqual([['gw-hangzhou', 60]]);
    expect(snapshot.matrix.reviews).toEqual({ 'cn-hangzhou': { 'cn-shanghai': 100 } });
    expect(snapshot.served.filter((c) => c.service === 'reviews')).toEqual([
      { sourceRegion: 'cn-hangzhou', region: 'cn-shanghai', service: 'reviews', version: 'v2', requests: 60, errors5xx: 0 },
    ]);
    expect(snapshot.probes).toEqual([
      { sourceRegion: 'cn-hangzhou', region: 'cn-hangzhou', service: 'reviews', version: 'v1', requests: 40, errors5xx: 0 },
    ]);
  });

  test("a probe goes to the region's own pods whatever locality LB says, and its pod's calls follow the mesh", () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, drainHangzhou);

    const reviews = dataPlane.probe('reviews', 'cn-hangzhou', 50);
    expect(reviews).toMatchObject({
      service: 'reviews',
      region: 'cn-hangzhou',
      count: 50,
      ok: 50,
      failed: 0,
      statuses: { 200: 50 },
      noUpstream: {},
    });
    expect(reviews.served).toEqual({ 'cn-hangzhou/reviews/v1': 50 });

    // productpage in hangzhou is probed there; its calls to details and reviews are drained to shanghai.
    const page = dataPlane.probe('productpage', 'cn-hangzhou', 50);
    expect(page.byService).toEqual({
      productpage: { 'cn-hangzhou': 50 },
      details: { 'cn-shanghai': 50 },
      reviews: { 'cn-shanghai': 50 },
      ratings: { 'cn-shanghai': 50 },
    });
    expect(page.latencyMs.p50).toBeGreaterThan(2 * topology.network.crossRegionMs);
  });

  test('a region with no ready pod of the service answers 503 without spilling to the other region', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    config.setReplicas('c-hangzhou', 'reviews-v1', 2, 0);

    const r = dataPlane.probe('reviews', 'cn-hangzhou', 10);

    expect(r).toMatchObject({
      count: 10,
      ok: 0,
      failed: 10,
      statuses: { 503: 10 },
      noUpstream: { reviews: 10 },
      served: {},
      byService: {},
    });
    // A client request from hangzhou does fail over to shanghai's reviews-v2.
    expect(dataPlane.send('gw-hangzhou', 10).byService.reviews).toEqual({ 'cn-shanghai': 10 });
  });

  test('faults apply to probed pods, and probes feed no outlier detector', () => {
    const { topology, config, faults, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    faults.inject({ kind: 'error-rate', region: 'cn-hangzhou', service: 'reviews', rate: 1 });

    const probed = dataPlane.probe('reviews', 'cn-hangzhou', 30);
    expect(probed).toMatchObject({ ok: 0, statuses: { 500: 30 }, errors: { 'cn-hangzhou/reviews/v1': 30 } });
    expect(dataPlane.ejections()).toEqual([]);

    // The same failures seen through sidecars do eject.
    dataPlane.send('gw-hangzhou', 30);
    const callers = new Set(dataPlane.ejections().map((e) => e.caller));
    expect(callers.has('c-hangzhou/default/productpage-v1-0') || callers.has('c-hangzhou/default/productpage-v1-1')).toBe(true);
    expect([...callers].filter((c) => c.startsWith('probe/'))).toEqual([]);
  });

  test('an unknown service or region is refused, naming both', () => {
    const { dataPlane } = labFixture();
    expect(() => dataPlane.probe('cart', 'cn-beijing', 1)).toThrow(UnknownProbeTargetError);
    expect(() => dataPlane.probe('cart', 'cn-beijing', 1)).toThrow(
      'service: unknown service cart; region: unknown region cn-beijing (known: cn-hangzhou, cn-shanghai)',
    );
  });
});
