import { OutlierDetector, outlierSettings } from '../../../lab/dataplane/outlier';

const T = 1_767_225_600_000;

describe('outlierSettings', () => {
  test('Istio defaults fill what the DestinationRule leaves out', () => {
    expect(outlierSettings({})).toEqual({
      consecutive5xx: 5,
      consecutiveGateway: 0,
      intervalMs: 10_000,
      baseEjectionMs: 30_000,
      maxEjectionPercent: 10,
      panicThresholdPercent: 0,
    });
    expect(
      outlierSettings({
        consecutive5xxErrors: 2,
        interval: '1s',
        baseEjectionTime: '2m',
        maxEjectionPercent: 100,
        consecutiveGatewayErrors: 3,
        minHealthPercent: 30,
      }),
    ).toEqual({
      consecutive5xx: 2,
      consecutiveGateway: 3,
      intervalMs: 1_000,
      baseEjectionMs: 120_000,
      maxEjectionPercent: 100,
      panicThresholdPercent: 30,
    });
  });
});

describe('OutlierDetector', () => {
  const fail = (d: OutlierDetector, host: string, n: number, status = 503, at = T) => {
    for (let i = 0; i < n; i++) d.record(host, status, 4, at);
  };

  test('only consecutive 5xx count: a success in between resets the streak', () => {
    const d = new OutlierDetector(outlierSettings({ maxEjectionPercent: 100 }), T);
    fail(d, 'a', 4);
    d.record('a', 200, 4, T);
    fail(d, 'a', 4);
    expect(d.isEjected('a', T)).toBe(false);
    fail(d, 'a', 1);
    expect(d.isEjected('a', T)).toBe(true);
    fail(d, 'b', 4, 404);
    expect(d.isEjected('b', T)).toBe(false);
  });

  test('consecutive5xxErrors 0 disables 5xx ejection; gateway errors eject on their own threshold', () => {
    const d = new OutlierDetector(outlierSettings({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 2, maxEjectionPercent: 100 }), T);
    fail(d, 'a', 10, 500);
    expect(d.isEjected('a', T)).toBe(false);
    fail(d, 'b', 2, 504);
    expect(d.isEjected('b', T)).toBe(true);
  });

  test('maxEjectionPercent caps ejections, counting the host about to go (no first one for free)', () => {
    const d = new OutlierDetector(outlierSettings({ maxEjectionPercent: 10 }), T);
    fail(d, 'a', 5);
    fail(d, 'b', 5);
    expect([d.isEjected('a', T), d.isEjected('b', T)]).toEqual([false, false]);
    const half = new OutlierDetector(outlierSettings({ maxEjectionPercent: 50 }), T);
    for (const h of ['a', 'b', 'c']) fail(half, h, 5);
    // 4 hosts: (0+1)/4 and (1+1)/4 are within 50%, (2+1)/4 is not.
    expect(['a', 'b', 'c'].map((h) => half.isEjected(h, T))).toEqual([true, true, false]);
  });

  test('ejection ends at the first interval sweep after baseEjectionTime × multiplier; healthy sweeps forgive', () => {
    const d = new OutlierDetector(outlierSettings({ maxEjectionPercent: 100 }), T);
    fail(d, 'a', 5, 503, T + 1_000);
    expect(d.ejections(T + 30_999)).toEqual([{ hostId: 'a', ejectedAt: T + 1_000, multiplier: 1 }]);
    expect(d.isEjected('a', T + 39_999)).toBe(true); // 30 s passed at 31 s, but sweeps run at 10 s steps
    expect(d.isEjected('a', T + 40_000)).toBe(false);
    fail(d, 'a', 5, 503, T + 45_000);
    expect(d.ejections(T + 45_000)).toEqual([{ hostId: 'a', ejectedAt: T + 45_000, multiplier: 2 }]);
    expect(d.isEjected('a', T + 100_000)).toBe(true);
    expect(d.isEjected('a', T + 110_000)).toBe(false);
    // Two healthy sweeps bring the multiplier back to 0: the next ejection is a first one again.
    fail(d, 'a', 5, 503, T + 140_000);
    expect(d.ejections(T + 140_000)[0]?.multiplier).toBe(1);
  });

  test('a host that leaves the cluster is forgotten, and its ejection no longer counts against the cap', () => {
    const d = new OutlierDetector(outlierSettings({ maxEjectionPercent: 25 }), T);
    fail(d, 'a', 5);
    d.retain(new Set(['b', 'c']));
    expect(d.ejections(T)).toEqual([]);
    fail(d, 'b', 5);
    expect(d.isEjected('b', T)).toBe(true);
    fail(d, 'a', 5);
    expect(d.isEjected('a', T)).toBe(false);
  });
});
