import { isServerError, type AccessLogEntry } from './access-log';

/**
 * Sliding windows of access-log counts, kept as one small row per mesh in the state store.
 *
 * FC instances are not sticky (each trigger invocation may land on a fresh instance, and shards
 * are invoked in parallel), so the window cannot live in memory: every invocation loads the row,
 * adds its entries, prunes what fell out of the window and writes it back under compare-and-set.
 * One row per mesh rather than one per window or per key: a detection needs every region's
 * counts of a service at once (peers), and one read + one conditional write per invocation is
 * the whole cost. The row is bounded: `buckets` ≤ window / bucket + 1, cells per bucket ≤
 * `MAX_CELLS`, a fixed latency histogram per cell, and a few cursors per shard.
 *
 * Pure: no clock, no I/O. `now` is passed in.
 */

/** Latency histogram bounds (ms, upper inclusive); the last bucket is everything above. */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;
/** Cells kept per bucket: beyond it new keys are counted in `dropped` (the row stays bounded). */
export const MAX_CELLS = 400;
/** End cursors remembered per shard, to count a re-delivered range once. */
export const CURSORS_PER_SHARD = 8;
/** Shards remembered (the oldest forgotten first). */
export const MAX_SHARDS = 256;

/** Requests, server errors, latency histogram (counts per `LATENCY_BOUNDS_MS` bucket + 1). */
export interface Cell {
  n: number;
  e: number;
  lat: number[];
}

export interface Bucket {
  /** Epoch ms of the bucket's start (a multiple of `bucketMs`). */
  start: number;
  cells: Record<string, Cell>;
  /** Entries not counted because the bucket was full. */
  dropped?: number;
}

export interface DetectorMemory {
  /** When the unit first tripped in this episode. */
  since: number;
  /** Since when it has been clean (null: not clean now). */
  cleanSince: number | null;
  /** When a firing signal was last sent to the engine (refreshes its TTL). */
  sentAt: number;
}

export interface TelemetryRow {
  v: 1;
  bucketMs: number;
  buckets: Bucket[];
  /** `project/logstore/shard` → the last end cursors counted, newest last. */
  shards: Record<string, string[]>;
  /** Signal key → detector memory (hysteresis). */
  active: Record<string, DetectorMemory>;
}

export function emptyRow(bucketMs: number): TelemetryRow {
  return { v: 1, bucketMs, buckets: [], shards: {}, active: {} };
}

/**
 * Cell keys. `serving` cells come from inbound entries: the Logstore's region served them.
 * `source` cells from outbound entries: the Logstore's region called. Workload `*` is the
 * service's total in that region.
 */
export const ALL = '*';
export function servingKey(region: string, service: string, workload: string): string {
  return `s|${region}|${service}|${workload}`;
}
export function sourceKey(region: string, service: string, subset: string): string {
  return `o|${region}|${service}|${subset}`;
}
export function parseKey(key: string): { view: 'serving' | 'source'; region: string; service: string; part: string } | null {
  const [v, region, service, part] = key.split('|');
  if ((v !== 's' && v !== 'o') || region === undefined || service === undefined || part === undefined) return null;
  return { view: v === 's' ? 'serving' : 'source', region, service, part };
}

export function latencyBucket(ms: number): number {
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (ms <= LATENCY_BOUNDS_MS[i]!) return i;
  return LATENCY_BOUNDS_MS.length;
}

function emptyCell(): Cell {
  return { n: 0, e: 0, lat: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0) };
}

function bump(bucket: Bucket, key: string, entry: AccessLogEntry): void {
  let cell = bucket.cells[key];
  if (!cell) {
    if (Object.keys(bucket.cells).length >= MAX_CELLS) {
      bucket.dropped = (bucket.dropped ?? 0) + 1;
      return;
    }
    cell = bucket.cells[key] = emptyCell();
  }
  cell.n += 1;
  if (isServerError(entry.responseCode)) cell.e += 1;
  cell.lat[latencyBucket(entry.durationMs)]! += 1;
}

export interface AddResult {
  counted: number;
  /** Older than the window (late delivery): not counted. */
  late: number;
}

/**
 * Add the entries one Logstore (so one region) logged. An entry is counted in the bucket of its
 * own `start_time`, clamped to `now` (a sender clock ahead of ours), so a delayed delivery still
 * lands where it happened; one older than the window is dropped as late.
 */
export function addEntries(
  row: TelemetryRow,
  region: string,
  entries: readonly AccessLogEntry[],
  now: number,
  windowMs: number,
): AddResult {
  let counted = 0;
  let late = 0;
  const oldest = now - windowMs;
  const byStart = new Map(row.buckets.map((b) => [b.start, b]));
  for (const entry of entries) {
    const t = Math.min(entry.startMs ?? now, now);
    if (t < oldest) {
      late++;
      continue;
    }
    const start = t - (((t % row.bucketMs) + row.bucketMs) % row.bucketMs);
    let bucket = byStart.get(start);
    if (!bucket) {
      bucket = { start, cells: {} };
      byStart.set(start, bucket);
      row.buckets.push(bucket);
    }
    if (entry.direction === 'inbound') {
      bump(bucket, servingKey(region, entry.service, ALL), entry);
      if (entry.workload) bump(bucket, servingKey(region, entry.service, entry.workload), entry);
    } else {
      bump(bucket, sourceKey(region, entry.service, ALL), entry);
      if (entry.subset) bump(bucket, sourceKey(region, entry.service, entry.subset), entry);
    }
    counted++;
  }
  row.buckets.sort((a, b) => a.start - b.start);
  return { counted, late };
}

/** Drop buckets wholly before the window. */
export function prune(row: TelemetryRow, now: number, windowMs: number): void {
  row.buckets = row.buckets.filter((b) => b.start + row.bucketMs > now - windowMs);
}

/**
 * Whether this shard's range was already counted (the trigger re-delivers a range it thinks
 * failed); records it when not.
 */
export function claimRange(row: TelemetryRow, shard: string, endCursor: string): boolean {
  const seen = row.shards[shard] ?? [];
  if (seen.includes(endCursor)) return false;
  delete row.shards[shard];
  row.shards[shard] = [...seen, endCursor].slice(-CURSORS_PER_SHARD);
  const names = Object.keys(row.shards);
  for (const old of names.slice(0, Math.max(0, names.length - MAX_SHARDS))) delete row.shards[old];
  return true;
}

/** The window's totals per cell key (buckets whose start is within `windowMs` of `now`). */
export function totals(row: TelemetryRow, now: number, windowMs: number): Map<string, Cell> {
  const out = new Map<string, Cell>();
  for (const b of row.buckets) {
    if (b.start + row.bucketMs <= now - windowMs || b.start > now) continue;
    for (const [key, c] of Object.entries(b.cells)) {
      const t = out.get(key) ?? emptyCell();
      t.n += c.n;
      t.e += c.e;
      c.lat.forEach((x, i) => (t.lat[i]! += x));
      out.set(key, t);
    }
  }
  return out;
}

/** The q-quantile of a cell's latency, as its histogram bucket's upper bound (null: no requests; Infinity: above the last bound). */
export function latencyQuantile(cell: Cell, q: number): number | null {
  if (cell.n === 0) return null;
  const rank = Math.ceil(q * cell.n);
  let seen = 0;
  for (let i = 0; i < cell.lat.length; i++) {
    seen += cell.lat[i]!;
    if (seen >= rank) return i < LATENCY_BOUNDS_MS.length ? LATENCY_BOUNDS_MS[i]! : Infinity;
  }
  return Infinity;
}
