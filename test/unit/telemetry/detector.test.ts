import fc from 'fast-check';
import { parsePolicy } from '../../../shared/core/policy';
import type { TelemetryPolicy } from '../../../shared/core/policy-schema';
import type { AccessLogEntry } from '../../../shared/telemetry/access-log';
import { detect, judge, signalKey, wilson } from '../../../shared/telemetry/detector';
import { addEntries, ALL, emptyRow, totals, type TelemetryRow } from '../../../shared/telemetry/windows';

const T0 = Date.UTC(2026, 10, 3, 2, 0, 0);
const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';

function telemetry(over: Record<string, unknown> = {}): TelemetryPolicy {
  return parsePolicy({
    name: 'bookinfo',
    mesh: { backend: 'asm', meshId: 'm', apiRegion: HZ },
    regions: { [HZ]: { clusters: [{ id: 'c-hangzhou' }] }, [SH]: { clusters: [{ id: 'c-shanghai' }] } },
    telemetry: { logstores: [{ project: 'k8s-log-c-hangzhou', logstore: 'istio-access-log', cluster: 'c-hangzhou' }], ...over },
  }).telemetry!;
}

/** mulberry32: a seeded stream, so a property's counterexample replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` inbound requests of `workload` served in `region`, each failing with probability `p`. */
function traffic(
  region: string,
  n: number,
  p: number,
  rand: () => number,
  at: number,
  workload = 'reviews-v1',
  service = 'reviews',
): Array<[string, AccessLogEntry]> {
  return Array.from({ length: n }, () => [
    region,
    {
      direction: 'inbound',
      service,
      subset: null,
      workload,
      responseCode: rand() < p ? 503 : 200,
      durationMs: 10,
      startMs: at,
      responseFlags: null,
    },
  ]);
}

function feed(row: TelemetryRow, batch: Array<[string, AccessLogEntry]>, now: number, t: TelemetryPolicy): void {
  const byRegion = new Map<string, AccessLogEntry[]>();
  for (const [r, e] of batch) {
    const list = byRegion.get(r);
    if (list) list.push(e);
    else byRegion.set(r, [e]);
  }
  for (const [r, es] of byRegion) addEntries(row, r, es, now, t.window);
}

describe('Wilson bounds', () => {
  test('known values and edges', () => {
    const { lower, upper } = wilson(30, 100, 1.96);
    expect(lower).toBeCloseTo(0.2189, 3);
    expect(upper).toBeCloseTo(0.3958, 3);
    expect(wilson(0, 0, 3.09)).toEqual({ lower: 0, upper: 1 });
    expect(wilson(0, 1000, 3.09).lower).toBeCloseTo(0, 12);
    expect(wilson(1000, 1000, 3.09).upper).toBe(1);
  });
});

describe('detector', () => {
  test('background noise of 1–2% everywhere never trips, over many windows, even with the threshold just above it (property)', () => {
    // Threshold 3%, no margin: a detector on the point estimate would trip on most of these windows.
    const t = telemetry({ threshold: 3, margin: 0, minRequests: 200 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 0.01, max: 0.02, noNaN: true }),
        fc.integer({ min: 200, max: 1500 }),
        (seed, p, n) => {
          const rand = rng(seed);
          const row = emptyRow(t.bucket);
          for (let w = 0; w < 30; w++) {
            const now = T0 + w * t.window;
            feed(
              row,
              [...traffic(HZ, n, p, rand, now), ...traffic(SH, n, p, rand, now), ...traffic(HZ, n >> 2, p, rand, now, 'reviews-v2')],
              now,
              t,
            );
            const d = detect(row, t, now);
            if (d.signals.length > 0 || d.verdicts.some((v) => v.tripped)) return false;
          }
          return true;
        },
      ),
      { numRuns: 25, seed: 2026 },
    );
  });

  test('the naive point estimate would trip on that noise (so the property above can fail)', () => {
    const t = telemetry({ threshold: 3, margin: 0, minRequests: 200 });
    const rand = rng(7);
    let naive = 0;
    for (let w = 0; w < 40; w++) {
      const cells = new Map();
      const row = emptyRow(t.bucket);
      feed(row, traffic(HZ, 200, 0.02, rand, T0), T0, t);
      for (const [k, c] of totals(row, T0, t.window)) cells.set(k, c);
      const c = cells.get(`s|${HZ}|reviews|${ALL}`)!;
      if (c.e / c.n > 0.03) naive++;
    }
    expect(naive).toBeGreaterThan(0);
  });

  test('30% 5xx in one region trips it, as a service signal with the measured share; the other region stays quiet', () => {
    const t = telemetry();
    const rand = rng(11);
    const row = emptyRow(t.bucket);
    feed(row, [...traffic(HZ, 1000, 0.3, rand, T0), ...traffic(SH, 1000, 0.01, rand, T0)], T0, t);
    const d = detect(row, t, T0);
    expect(d.signals).toEqual([
      expect.objectContaining({
        key: signalKey(HZ, 'reviews', ALL),
        source: 'telemetry',
        region: HZ,
        service: 'reviews',
        severity: 'degraded',
        status: 'firing',
        measure: { kind: 'errorShare', value: expect.closeTo(0.3, 1), metric: 'telemetry.5xxShare' },
      }),
      expect.objectContaining({ key: signalKey(HZ, 'reviews', 'reviews-v1'), region: HZ, service: 'reviews' }),
    ]);
    expect(d.verdicts.filter((v) => v.region === SH).every((v) => !v.tripped)).toBe(true);
  });

  test('both regions at 30%: global, nothing trips (no drain; the target guard holds)', () => {
    const t = telemetry();
    const rand = rng(12);
    const row = emptyRow(t.bucket);
    feed(row, [...traffic(HZ, 1000, 0.3, rand, T0), ...traffic(SH, 1000, 0.3, rand, T0)], T0, t);
    const d = detect(row, t, T0);
    expect(d.signals).toEqual([]);
    expect(d.verdicts.find((v) => v.key === signalKey(HZ, 'reviews', ALL))!.why).toMatch(/global/);
  });

  test("gray failure: one version at 30% on half of a region's reviews is reported as that version, the response scoped to reviews in that region", () => {
    const t = telemetry({ threshold: 20 });
    const rand = rng(13);
    const row = emptyRow(t.bucket);
    feed(
      row,
      [
        ...traffic(HZ, 600, 0.3, rand, T0, 'reviews-v2'),
        ...traffic(HZ, 600, 0.01, rand, T0, 'reviews-v1'),
        ...traffic(SH, 1200, 0.01, rand, T0, 'reviews-v1'),
        ...traffic(SH, 1200, 0.01, rand, T0, 'ratings-v1', 'ratings'),
      ],
      T0,
      t,
    );
    const d = detect(row, t, T0);
    // The service's share in the region (~15%) is under the 20% threshold: only the version trips.
    expect(d.signals.map((s) => s.key)).toEqual([signalKey(HZ, 'reviews', 'reviews-v2')]);
    expect(d.signals[0]).toMatchObject({
      region: HZ,
      service: 'reviews',
      name: expect.stringContaining('reviews-v2 (reviews) in cn-hangzhou'),
    });
    expect(d.signals[0]!.measure!.value).toBeGreaterThan(0.1);
    expect(d.signals[0]!.measure!.value).toBeLessThan(0.2);
  });

  test('too few requests never trip, however bad they look', () => {
    const t = telemetry();
    const row = emptyRow(t.bucket);
    feed(row, traffic(HZ, t.minRequests - 1, 1, rng(1), T0), T0, t);
    expect(judge(totals(row, T0, t.window), t).every((v) => !v.tripped && /requests </.test(v.why))).toBe(true);
  });

  test('hysteresis: a firing unit is refreshed while bad and resolves only after clearAfter of clean windows', () => {
    const t = telemetry({ window: '10s', bucket: '5s', clearAfter: '20s', ttl: '60s' });
    const rand = rng(5);
    const row = emptyRow(t.bucket);
    const step = (now: number, p: number) => {
      feed(row, [...traffic(HZ, 400, p, rand, now), ...traffic(SH, 400, 0.01, rand, now)], now, t);
      return detect(row, t, now)
        .signals.filter((s) => s.key === signalKey(HZ, 'reviews', ALL))
        .map((s) => s.status);
    };
    expect(step(T0, 0.4)).toEqual(['firing']);
    expect(step(T0 + 5_000, 0.4)).toEqual([]); // sent 5 s ago: no refresh yet
    expect(step(T0 + 20_000, 0.4)).toEqual(['firing']); // a third of the TTL since: refreshed
    expect(step(T0 + 30_000, 0.0)).toEqual([]); // the window still holds bad requests
    expect(step(T0 + 40_000, 0.0)).toEqual([]); // clean since now
    expect(step(T0 + 50_000, 0.0)).toEqual([]);
    expect(step(T0 + 60_000, 0.0)).toEqual(['resolved']);
    expect(row.active).toEqual({});
  });

  test('a drained unit (no requests) neither resolves nor refreshes: it lapses by its TTL', () => {
    const t = telemetry({ window: '10s', bucket: '5s', clearAfter: '10s', ttl: '30s' });
    const row = emptyRow(t.bucket);
    feed(row, [...traffic(HZ, 400, 0.5, rng(3), T0), ...traffic(SH, 400, 0, rng(4), T0)], T0, t);
    expect(detect(row, t, T0).signals.length).toBeGreaterThan(0);
    for (let s = 15_000; s <= 40_000; s += 5_000) expect(detect(row, t, T0 + s).signals).toEqual([]);
    expect(row.active).toEqual({});
  });
});
