import { UnknownGatewayError } from '../../../lab/dataplane/engine';
import type { FaultEvent } from '../../../lab/dataplane/faults';
import { loadDefaultTopology, parseTopology, type TopologyInput } from '../../../lab/topology/schema';
import { failoverPolicy, keepLocalPolicy, labFixture, percentOf, T0 } from './support/lab-fixture';

function scripted(seed: number) {
  const lab = labFixture({ seed });
  lab.config.setPolicyEverywhere(lab.topology, { ...failoverPolicy, outlierDetection: null });
  lab.faults.inject({ kind: 'error-rate', region: 'cn-hangzhou', service: 'details', rate: 0.2 });
  return [lab.dataPlane.send('gw-hangzhou', 700), lab.dataPlane.send('gw-shanghai', 300, { 'end-user': 'jason' })];
}

describe('LabDataPlane', () => {
  test('the same seed gives the same results, another seed different ones', () => {
    expect(scripted(11)).toEqual(scripted(11));
    expect(scripted(11)).not.toEqual(scripted(12));
  });

  test('an unknown gateway is refused, naming it and the known ones', () => {
    const { dataPlane } = labFixture();
    expect(() => dataPlane.send('gw-beijing', 1)).toThrow(UnknownGatewayError);
    expect(() => dataPlane.send('gw-beijing', 1)).toThrow('gateway: unknown gateway gw-beijing (known: gw-hangzhou, gw-shanghai)');
  });

  test("the background loop sends each gateway's load on every tick of the clock, and stops", async () => {
    const base = loadDefaultTopology();
    const input = { ...base, gateways: base.gateways.map((g) => ({ ...g, load: g.name === 'gw-hangzhou' ? 20 : 2.5 })) } as TopologyInput;
    const { dataPlane, clock } = labFixture({ topology: parseTopology(input) });

    dataPlane.start();
    expect(dataPlane.running).toBe(true);
    await clock.advance(10_000);
    await dataPlane.stop();
    await clock.advance(10_000);

    const snapshot = dataPlane.trafficSnapshot(60_000);
    // Ticks at 1 s … 10 s: 20 × 10, and 2.5 × 10 through the carried fractions.
    expect(snapshot.gateways.map((g) => [g.gateway, g.requests])).toEqual([
      ['gw-hangzhou', 200],
      ['gw-shanghai', 25],
    ]);
    expect(dataPlane.running).toBe(false);
  });

  test('a latency fault adds its milliseconds to the requests that cross it', () => {
    const { topology, config, faults, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    const before = dataPlane.send('gw-hangzhou', 2000).latencyMs;
    faults.inject({ kind: 'latency', region: 'cn-hangzhou', service: 'reviews', latencyMs: 200 });
    const slowed = dataPlane.send('gw-hangzhou', 2000).latencyMs;
    const shanghai = dataPlane.send('gw-shanghai', 2000).latencyMs;

    expect(slowed.p50 - before.p50).toBeGreaterThan(195);
    expect(slowed.p50 - before.p50).toBeLessThan(205);
    expect(shanghai.p50).toBeLessThan(before.p50 + 20);
  });

  test('an error-rate fault fails its share of requests, and only where it is injected', () => {
    const { topology, config, faults, dataPlane } = labFixture();
    // No ejection and no spill to the other region: this test is about the rate.
    config.setPolicyEverywhere(topology, keepLocalPolicy);
    faults.inject({ kind: 'error-rate', region: 'cn-hangzhou', service: 'details', rate: 0.3 });

    const hz = dataPlane.send('gw-hangzhou', 4000);
    const sh = dataPlane.send('gw-shanghai', 4000);

    const hzDetailsErrors = (100 * (hz.errors['cn-hangzhou/details/v1'] ?? 0)) / (hz.served['cn-hangzhou/details/v1'] ?? 1);
    expect(hzDetailsErrors).toBeGreaterThan(27);
    expect(hzDetailsErrors).toBeLessThan(33);
    expect(hz.failed).toBe(hz.errors['cn-hangzhou/details/v1']);
    expect(sh.failed).toBe(0);
  });

  test("region-down without a service takes the region's gateway down too", () => {
    const { topology, config, faults, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    faults.inject({ kind: 'region-down', region: 'cn-hangzhou' });

    const hz = dataPlane.send('gw-hangzhou', 100);
    const sh = dataPlane.send('gw-shanghai', 100);

    expect(hz).toMatchObject({ ok: 0, failed: 100, statuses: { 503: 100 }, served: {} });
    expect(sh).toMatchObject({ ok: 100, failed: 0, byRegion: { 'cn-shanghai': 100 } });
  });

  test('pods join and leave the endpoints as the control plane reports them ready', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);

    config.setReplicas('c-hangzhou', 'reviews-v1', 2, 0);
    const scaledDown = dataPlane.send('gw-hangzhou', 200);
    config.setReplicas('c-hangzhou', 'reviews-v1', 2, 1);
    const oneReady = dataPlane.send('gw-hangzhou', 200);

    expect(scaledDown.byService.reviews).toEqual({ 'cn-shanghai': 200 });
    // One ready pod in zone h: the productpage pod in zone h sees it at P0, the one in zone i at P1 — both stay local.
    expect(oneReady.byService.reviews).toEqual({ 'cn-hangzhou': 200 });
  });

  test('the control plane is read once per batch, not per request', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    config.reads = 0;
    dataPlane.send('gw-hangzhou', 10);
    const perBatch = config.reads;
    config.reads = 0;
    dataPlane.send('gw-hangzhou', 5000);
    expect(config.reads).toBe(perBatch);
  });

  test('a fault with a duration ends by the clock, and listeners hear of it', async () => {
    const { topology, config, faults, dataPlane, clock } = labFixture();
    config.setPolicyEverywhere(topology, keepLocalPolicy);
    const events: Array<[FaultEvent['type'], string, number]> = [];
    faults.subscribe((e) => events.push([e.type, e.fault.id, clock.now()]));
    const fault = faults.inject({ kind: 'error-rate', region: 'cn-shanghai', rate: 1, duration: '30s' });

    const during = dataPlane.send('gw-shanghai', 50);
    await clock.advance(30_000);
    const after = dataPlane.send('gw-shanghai', 50);

    expect(during.ok).toBe(0);
    expect(after.ok).toBe(50);
    expect(events).toEqual([
      ['injected', fault.id, T0],
      ['expired', fault.id, T0 + 30_000],
    ]);
  });

  test('with the loop running and no load at all, a fault still expires on the tick it lapses', async () => {
    const base = loadDefaultTopology();
    const idle = parseTopology({ ...base, gateways: base.gateways.map((g) => ({ ...g, load: 0 })) } as TopologyInput);
    const { faults, dataPlane, clock } = labFixture({ topology: idle });
    const expired: number[] = [];
    faults.subscribe((e) => {
      if (e.type === 'expired') expired.push(clock.now());
    });
    faults.inject({ kind: 'region-down', region: 'cn-hangzhou', duration: '5s' });

    dataPlane.start();
    await clock.advance(8_000);
    await dataPlane.stop();

    expect(expired).toEqual([T0 + 5_000]);
  });

  test("the traffic snapshot shows where each region's requests were served", () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    config.setReplicas('c-hangzhou', 'reviews-v1', 0, 0);
    dataPlane.send('gw-hangzhou', 400);
    dataPlane.send('gw-shanghai', 100);

    const snapshot = dataPlane.trafficSnapshot(60_000);

    expect(snapshot.matrix.reviews).toEqual({ 'cn-hangzhou': { 'cn-shanghai': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } });
    expect(snapshot.served.filter((c) => c.service === 'reviews')).toEqual([
      { sourceRegion: 'cn-hangzhou', region: 'cn-shanghai', service: 'reviews', version: 'v2', requests: 400, errors5xx: 0 },
      { sourceRegion: 'cn-shanghai', region: 'cn-shanghai', service: 'reviews', version: 'v2', requests: 100, errors5xx: 0 },
    ]);
    expect(snapshot.destinations.find((d) => d.service === 'reviews')).toMatchObject({
      region: 'cn-shanghai',
      version: 'v2',
      requests: 500,
      errors5xx: 0,
      errorPercent: 0,
    });
    expect(percentOf(Object.fromEntries(snapshot.gateways.map((g) => [g.gateway, g.requests])), 'gw-hangzhou')).toBe(80);
  });
});
