import { binValue, latencyBin, percentilesOf } from '../../../lab/dataplane/latency-histogram';
import { TrafficMetrics } from '../../../lab/dataplane/metrics';

const T = 1_767_225_600_000;
const reviewsV1 = { region: 'cn-hangzhou', service: 'reviews', version: 'v1', servedKey: 'cn-hangzhou/reviews/v1' };
const reviewsV2 = { region: 'cn-shanghai', service: 'reviews', version: 'v2', servedKey: 'cn-shanghai/reviews/v2' };

describe('latency histogram', () => {
  test('every latency from 0.2 ms to 100 s reads back within 5%', () => {
    for (let ms = 0.2; ms < 100_000; ms *= 1.37) {
      const back = binValue(latencyBin(ms));
      expect(Math.abs(back - ms) / ms).toBeLessThan(0.05);
    }
  });

  test('percentiles are nearest-rank over the counts', () => {
    const counts = new Array<number>(150).fill(0);
    counts[latencyBin(10)] = 90;
    counts[latencyBin(100)] = 9;
    counts[latencyBin(1000)] = 1;
    const p = percentilesOf(counts, 100);
    const near = (actual: number | undefined, expected: number) => Math.abs((actual ?? 0) - expected) / expected;
    expect(near(p?.p50, 10)).toBeLessThan(0.05);
    expect(near(p?.p95, 100)).toBeLessThan(0.05);
    expect(near(p?.p99, 100)).toBeLessThan(0.05);
    expect(percentilesOf(counts, 0)).toBeNull();
  });
});

describe('TrafficMetrics', () => {
  test('stats cover buckets starting in [from, to): adjacent alarm periods never share a request', () => {
    const m = new TrafficMetrics();
    m.recordHop('cn-hangzhou', reviewsV1, 200, 10, T + 9_999);
    m.recordHop('cn-hangzhou', reviewsV1, 503, 10, T + 10_000);
    const filter = { kind: 'destination', region: 'cn-hangzhou', service: 'reviews' } as const;

    expect(m.stats(filter, T, T + 10_000)).toMatchObject({ requests: 1, errors5xx: 0 });
    expect(m.stats(filter, T + 10_000, T + 20_000)).toMatchObject({ requests: 1, errors5xx: 1, errorPercent: 100 });
  });

  test('filters select by entry region, serving region, service and version', () => {
    const m = new TrafficMetrics();
    for (let i = 0; i < 30; i++) m.recordHop('cn-hangzhou', reviewsV1, i < 3 ? 500 : 200, 10, T);
    for (let i = 0; i < 10; i++) m.recordHop('cn-hangzhou', reviewsV2, 200, 40, T);
    for (let i = 0; i < 20; i++) m.recordHop('cn-shanghai', reviewsV2, 200, 10, T);
    const stats = (f: Record<string, string>) => m.stats({ kind: 'destination', ...f }, T, T + 1000).requests;

    expect(stats({})).toBe(60);
    expect(stats({ sourceRegion: 'cn-hangzhou' })).toBe(40);
    expect(stats({ region: 'cn-shanghai' })).toBe(30);
    expect(stats({ region: 'cn-shanghai', sourceRegion: 'cn-hangzhou' })).toBe(10);
    expect(stats({ version: 'v1' })).toBe(30);
    expect(stats({ service: 'ratings' })).toBe(0);
    expect(m.stats({ kind: 'destination', version: 'v1' }, T, T + 1000)).toMatchObject({ errors5xx: 3, errorPercent: 10, rps: 30 });
  });

  test('buckets older than the retention are gone; the ring reuses their slots', () => {
    const m = new TrafficMetrics({ bucketMs: 1000, retentionMs: 60_000 });
    m.recordGateway('gw-hangzhou', 'cn-hangzhou', 200, 5, T);
    m.recordGateway('gw-hangzhou', 'cn-hangzhou', 200, 5, T + 61_000); // same slot, a later bucket
    const f = { kind: 'gateway', gateway: 'gw-hangzhou' } as const;

    expect(m.stats(f, T, T + 1000).requests).toBe(0);
    expect(m.stats(f, T, T + 62_000).requests).toBe(1);
    expect(m.timeline(f, T, T + 62_000)).toEqual([{ at: T + 61_000, requests: 1, errors5xx: 0 }]);
  });

  test('a snapshot covers the window up to and including the current bucket, with rates and the served matrix', () => {
    const m = new TrafficMetrics();
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 9; i++) m.recordHop('cn-hangzhou', reviewsV1, 200, 10, T + s * 1000);
      m.recordHop('cn-hangzhou', reviewsV2, s === 0 ? 503 : 200, 40, T + s * 1000);
      for (let i = 0; i < 10; i++) m.recordGateway('gw-hangzhou', 'cn-hangzhou', 200, 20, T + s * 1000);
    }

    const snap = m.snapshot(10_000, T + 9_500);

    expect(snap.from).toBe(T);
    expect(snap.to).toBe(T + 10_000);
    expect(snap.gateways).toEqual([
      {
        gateway: 'gw-hangzhou',
        region: 'cn-hangzhou',
        requests: 100,
        errors5xx: 0,
        errorPercent: 0,
        rps: 10,
        latencyMs: expect.objectContaining({ p50: expect.any(Number) }),
      },
    ]);
    expect(snap.served).toEqual([
      { sourceRegion: 'cn-hangzhou', region: 'cn-hangzhou', service: 'reviews', version: 'v1', requests: 90, errors5xx: 0 },
      { sourceRegion: 'cn-hangzhou', region: 'cn-shanghai', service: 'reviews', version: 'v2', requests: 10, errors5xx: 1 },
    ]);
    expect(snap.matrix).toEqual({ reviews: { 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 } } });
    expect(snap.destinations.map((d) => [d.region, d.version, d.requests, d.errorPercent, d.rps])).toEqual([
      ['cn-hangzhou', 'v1', 90, 0, 9],
      ['cn-shanghai', 'v2', 10, 10, 1],
    ]);
    expect(m.snapshot(2_000, T + 9_500).served.map((c) => c.requests)).toEqual([18, 2]);
  });

  test('probe hops count in destination stats but not in the served cells or the matrix', () => {
    const m = new TrafficMetrics();
    for (let i = 0; i < 6; i++) m.recordHop('cn-hangzhou', reviewsV1, 200, 10, T);
    for (let i = 0; i < 4; i++) m.recordHop('cn-hangzhou', reviewsV1, 503, 1, T, 'probe');
    m.recordHop('cn-shanghai', reviewsV2, 200, 10, T, 'probe');

    const snap = m.snapshot(10_000, T);

    expect(snap.destinations.map((d) => [d.region, d.version, d.requests, d.errors5xx])).toEqual([
      ['cn-hangzhou', 'v1', 10, 4],
      ['cn-shanghai', 'v2', 1, 0],
    ]);
    expect(snap.served).toEqual([
      { sourceRegion: 'cn-hangzhou', region: 'cn-hangzhou', service: 'reviews', version: 'v1', requests: 6, errors5xx: 0 },
    ]);
    expect(snap.matrix).toEqual({ reviews: { 'cn-hangzhou': { 'cn-hangzhou': 100 } } });
    expect(snap.probes).toEqual([
      { sourceRegion: 'cn-hangzhou', region: 'cn-hangzhou', service: 'reviews', version: 'v1', requests: 4, errors5xx: 4 },
      { sourceRegion: 'cn-shanghai', region: 'cn-shanghai', service: 'reviews', version: 'v2', requests: 1, errors5xx: 0 },
    ]);
    const hz = { kind: 'destination', region: 'cn-hangzhou', service: 'reviews' } as const;
    expect([
      m.stats(hz, T, T + 1000).errorPercent,
      m.stats({ ...hz, origin: 'client' }, T, T + 1000).requests,
      m.stats({ ...hz, origin: 'probe' }, T, T + 1000).requests,
    ]).toEqual([40, 6, 4]);
  });
});
