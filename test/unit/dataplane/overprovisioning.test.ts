import { priorityLoad } from '../../../lab/dataplane/priority-load';
import { parseTopology, type Topology } from '../../../lab/topology/schema';
import { failoverPolicy, labFixture, percentOf } from './support/lab-fixture';

/**
 * Envoy's overprovisioning factor (1.4) and panic threshold (50%), seen end to end: four reviews
 * endpoints in the caller's own zone (v1 and v3 pods, so a fault on v3 takes out exactly the
 * pods we choose), four more in cn-shanghai. productpage runs only in hangzhou, so the one pod
 * that calls reviews is the one we measure, whatever the gateway's own outlier detector does.
 */
function zonalTopology(v1: number, v3: number, v2InShanghai = 4): Topology {
  return parseTopology({
    account: '1700000000000001',
    regions: [
      { name: 'cn-hangzhou', displayName: 'China (Hangzhou)', cluster: 'c-hangzhou', zones: ['cn-hangzhou-h'] },
      { name: 'cn-shanghai', displayName: 'China (Shanghai)', cluster: 'c-shanghai', zones: ['cn-shanghai-e'] },
    ],
    services: [
      { name: 'productpage', versions: ['v1'] },
      { name: 'reviews', versions: ['v1', 'v2', 'v3'] },
    ],
    calls: [{ from: 'productpage', to: ['reviews'] }],
    deployments: [
      { cluster: 'c-hangzhou', name: 'productpage-v1', service: 'productpage', version: 'v1', replicas: 1 },
      { cluster: 'c-hangzhou', name: 'reviews-v1', service: 'reviews', version: 'v1', replicas: v1 },
      { cluster: 'c-hangzhou', name: 'reviews-v3', service: 'reviews', version: 'v3', replicas: v3 },
      { cluster: 'c-shanghai', name: 'reviews-v2', service: 'reviews', version: 'v2', replicas: v2InShanghai },
    ],
    gateways: [{ name: 'gw-hangzhou', region: 'cn-hangzhou', zone: 'cn-hangzhou-h', entry: 'productpage' }],
  });
}

/**
 * Inject region-down on reviews-v3 in hangzhou, let the callers eject it, and measure the next batch.
 * productpage has no outlier detection here: its one pod passes reviews' 5xx on, and with
 * detection on the gateway would eject it (panic off) and the test would measure that instead.
 */
function measureAfterEjection(v1: number, v3: number, v2InShanghai = 4, outlierDetection = failoverPolicy.outlierDetection) {
  const { topology, config, faults, dataPlane } = labFixture({ topology: zonalTopology(v1, v3, v2InShanghai) });
  config.setPolicyEverywhere(topology, { ...failoverPolicy, outlierDetection });
  config.setPolicy('productpage', { ...failoverPolicy, outlierDetection: null });
  faults.inject({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews', version: 'v3' });
  dataPlane.send('gw-hangzhou', 300);
  const ejected = dataPlane
    .ejections()
    .filter((e) => e.cluster === 'reviews|')
    .map((e) => e.hostId)
    .sort();
  return { ejected, result: dataPlane.send('gw-hangzhou', 4000) };
}

describe('priority load (Envoy integer arithmetic)', () => {
  test.each([
    {
      name: 'all healthy: P0 takes everything',
      levels: [
        [4, 4],
        [4, 4],
      ],
      load: [100, 0],
      panic: [false, false],
    },
    {
      name: '75% healthy × 1.4 = 105: still all of it',
      levels: [
        [4, 3],
        [4, 4],
      ],
      load: [100, 0],
      panic: [false, false],
    },
    {
      name: '50% healthy × 1.4 = 70: 30 spills',
      levels: [
        [4, 2],
        [4, 4],
      ],
      load: [70, 30],
      panic: [false, false],
    },
    {
      name: '25% healthy: 35 stays, P1 takes the rest, no panic while the total is 100',
      levels: [
        [4, 1],
        [4, 4],
      ],
      load: [35, 65],
      panic: [false, false],
    },
    {
      name: 'total below 100 (28 + 70): load normalized, the level under 50% panics',
      levels: [
        [10, 2],
        [4, 2],
      ],
      load: [29, 71],
      panic: [true, false],
    },
    {
      name: 'nothing healthy anywhere: split by host count, all in panic',
      levels: [
        [4, 0],
        [2, 0],
      ],
      load: [67, 33],
      panic: [true, true],
    },
    {
      name: 'three levels, waterfall',
      levels: [
        [2, 1],
        [2, 1],
        [4, 4],
      ],
      load: [70, 30, 0],
      panic: [false, false, false],
    },
  ])('$name', ({ levels, load, panic }) => {
    expect(priorityLoad(levels.map(([hosts, healthy]) => ({ hosts: hosts as number, healthy: healthy as number })))).toEqual({
      load,
      panic,
    });
  });
});

describe('overprovisioning and panic through the data plane', () => {
  test('4 local endpoints, 1 ejected (75% × 1.4 ≥ 100%): nothing spills to cn-shanghai', () => {
    const { ejected, result } = measureAfterEjection(3, 1);

    expect(ejected).toEqual(['c-hangzhou/default/reviews-v3-0']);
    expect(result.failed).toBe(0);
    expect(result.served).toEqual({ 'cn-hangzhou/productpage/v1': 4000, 'cn-hangzhou/reviews/v1': 4000 });
  });

  test('4 local endpoints, 2 ejected (50% × 1.4 = 70%): ~30% spills to cn-shanghai', () => {
    const { ejected, result } = measureAfterEjection(2, 2);

    expect(ejected).toEqual(['c-hangzhou/default/reviews-v3-0', 'c-hangzhou/default/reviews-v3-1']);
    expect(result.failed).toBe(0);
    const spilled = percentOf(result.byService.reviews, 'cn-shanghai');
    expect(spilled).toBeGreaterThan(27);
    expect(spilled).toBeLessThan(33);
    expect(result.served['cn-hangzhou/reviews/v3']).toBeUndefined();
  });

  test('below 50% healthy in total (no remote endpoints), panic off as Istio sets it: every request goes to the one healthy host', () => {
    const { ejected, result } = measureAfterEjection(1, 3, 0);

    expect(ejected).toEqual(['c-hangzhou/default/reviews-v3-0', 'c-hangzhou/default/reviews-v3-1', 'c-hangzhou/default/reviews-v3-2']);
    expect(result.failed).toBe(0);
    expect(result.served['cn-hangzhou/reviews/v1']).toBe(4000);
  });

  test('below 50% healthy in total with minHealthPercent 50: panic routes to every host, ejected or not', () => {
    const { ejected, result } = measureAfterEjection(1, 3, 0, { ...failoverPolicy.outlierDetection, minHealthPercent: 50 });

    expect(ejected).toEqual(['c-hangzhou/default/reviews-v3-0', 'c-hangzhou/default/reviews-v3-1', 'c-hangzhou/default/reviews-v3-2']);
    // Three of four hosts are dead and chosen anyway: ~75% fail. Without panic none would.
    const failedPercent = (100 * result.failed) / result.count;
    expect(failedPercent).toBeGreaterThan(71);
    expect(failedPercent).toBeLessThan(79);
    expect(percentOf(result.byService.reviews, 'cn-hangzhou')).toBe(100);
  });

  test('the same 25% local health with a healthy remote region: no panic, 65% fails over', () => {
    const { result } = measureAfterEjection(1, 3);

    expect(result.failed).toBe(0);
    const remote = percentOf(result.byService.reviews, 'cn-shanghai');
    expect(remote).toBeGreaterThan(62);
    expect(remote).toBeLessThan(68);
  });
});

describe('distribute weights scaled by locality availability', () => {
  function distributed(v1: number, v3: number) {
    const { topology, config, faults, dataPlane } = labFixture({ topology: zonalTopology(v1, v3) });
    config.setPolicyEverywhere(topology, failoverPolicy);
    config.setPolicy('reviews', {
      localityLb: { enabled: true, distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 50, 'cn-shanghai/*': 50 } }] },
      outlierDetection: failoverPolicy.outlierDetection ?? null,
    });
    faults.inject({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews', version: 'v3' });
    dataPlane.send('gw-hangzhou', 300);
    return dataPlane.send('gw-hangzhou', 4000);
  }

  test('2 of 4 hangzhou endpoints ejected: weight 50 × min(1, 1.4 × 0.5) = 35 against 50, so ~41% stays', () => {
    const r = distributed(2, 2);
    expect(r.failed).toBe(0);
    const local = percentOf(r.byService.reviews, 'cn-hangzhou');
    expect(local).toBeGreaterThan(38);
    expect(local).toBeLessThan(44);
  });

  test('1 of 4 ejected: 50 × min(1, 1.05) keeps the full weight, ~50% stays', () => {
    const r = distributed(3, 1);
    const local = percentOf(r.byService.reviews, 'cn-hangzhou');
    expect(local).toBeGreaterThan(47);
    expect(local).toBeLessThan(53);
  });
});
