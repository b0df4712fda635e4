import type { AccessLogEntry } from '../../../shared/telemetry/access-log';
import {
  addEntries,
  ALL,
  claimRange,
  CURSORS_PER_SHARD,
  emptyRow,
  latencyQuantile,
  MAX_CELLS,
  prune,
  servingKey,
  sourceKey,
  totals,
} from '../../../shared/telemetry/windows';

const T0 = Date.UTC(2026, 10, 3, 2, 0, 0);
const entry = (over: Partial<AccessLogEntry> = {}): AccessLogEntry => ({
  direction: 'inbound',
  service: 'reviews',
  subset: null,
  workload: 'reviews-v1',
  responseCode: 200,
  durationMs: 12,
  startMs: T0,
  responseFlags: null,
  ...over,
});

describe('window row', () => {
  test('inbound entries count for the serving region (service total and workload), outbound for the calling region and subset', () => {
    const row = emptyRow(5_000);
    addEntries(
      row,
      'cn-hangzhou',
      [
        entry(),
        entry({ responseCode: 503, workload: 'reviews-v2' }),
        entry({ direction: 'outbound', subset: 'v2', workload: null, responseCode: 0 }),
      ],
      T0 + 1_000,
      30_000,
    );
    const t = totals(row, T0 + 1_000, 30_000);
    expect(t.get(servingKey('cn-hangzhou', 'reviews', ALL))).toMatchObject({ n: 2, e: 1 });
    expect(t.get(servingKey('cn-hangzhou', 'reviews', 'reviews-v2'))).toMatchObject({ n: 1, e: 1 });
    expect(t.get(servingKey('cn-hangzhou', 'reviews', 'reviews-v1'))).toMatchObject({ n: 1, e: 0 });
    expect(t.get(sourceKey('cn-hangzhou', 'reviews', 'v2'))).toMatchObject({ n: 1, e: 1 });
    expect(t.get(sourceKey('cn-hangzhou', 'reviews', ALL))).toMatchObject({ n: 1, e: 1 });
  });

  test('an entry lands in the bucket of its own start time; older than the window is late; ahead of the clock is now', () => {
    const row = emptyRow(5_000);
    const r = addEntries(
      row,
      'cn-hangzhou',
      [entry({ startMs: T0 - 31_000 }), entry({ startMs: T0 - 12_000 }), entry({ startMs: T0 + 60_000 }), entry({ startMs: null })],
      T0,
      30_000,
    );
    expect(r).toEqual({ counted: 3, late: 1 });
    expect(row.buckets.map((b) => b.start)).toEqual([T0 - 15_000, T0]);
    expect(row.buckets[1]!.cells[servingKey('cn-hangzhou', 'reviews', ALL)]!.n).toBe(2);
  });

  test('the window slides: buckets that fell out are pruned and no longer counted', () => {
    const row = emptyRow(5_000);
    addEntries(row, 'cn-hangzhou', [entry({ startMs: T0 }), entry({ startMs: T0 + 20_000 })], T0 + 20_000, 30_000);
    expect(totals(row, T0 + 34_000, 30_000).get(servingKey('cn-hangzhou', 'reviews', ALL))!.n).toBe(2);
    expect(totals(row, T0 + 35_000, 30_000).get(servingKey('cn-hangzhou', 'reviews', ALL))!.n).toBe(1);
    prune(row, T0 + 35_000, 30_000);
    expect(row.buckets).toHaveLength(1);
  });

  test('a re-delivered range is claimed once; cursors per shard are bounded', () => {
    const row = emptyRow(5_000);
    expect(claimRange(row, 'p/l/0', 'c1')).toBe(true);
    expect(claimRange(row, 'p/l/0', 'c1')).toBe(false);
    expect(claimRange(row, 'p/l/1', 'c1')).toBe(true);
    for (let i = 2; i < 30; i++) claimRange(row, 'p/l/0', `c${i}`);
    expect(row.shards['p/l/0']).toHaveLength(CURSORS_PER_SHARD);
    expect(claimRange(row, 'p/l/0', 'c29')).toBe(false);
  });

  test('cells per bucket are bounded: new keys beyond it are counted as dropped', () => {
    const row = emptyRow(5_000);
    const many = Array.from({ length: MAX_CELLS + 10 }, (_, i) => entry({ service: `svc-${i}`, workload: null }));
    addEntries(row, 'cn-hangzhou', many, T0, 30_000);
    expect(Object.keys(row.buckets[0]!.cells)).toHaveLength(MAX_CELLS);
    expect(row.buckets[0]!.dropped).toBe(10);
  });

  test('latency quantiles from the histogram', () => {
    const row = emptyRow(5_000);
    addEntries(
      row,
      'r',
      [...Array.from({ length: 98 }, () => entry({ durationMs: 8 })), entry({ durationMs: 300 }), entry({ durationMs: 20_000 })],
      T0,
      30_000,
    );
    const cell = totals(row, T0, 30_000).get(servingKey('r', 'reviews', ALL))!;
    expect(latencyQuantile(cell, 0.5)).toBe(10);
    expect(latencyQuantile(cell, 0.99)).toBe(500);
    expect(latencyQuantile(cell, 1)).toBe(Infinity);
  });
});
