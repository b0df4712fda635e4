import { LATENCY_BINS, latencyBin, percentilesOf, round2, type LatencyPercentiles } from './latency-histogram';
import { ceil, floor, max, min } from './math';

/**
 * What the lab measures, as the mesh's telemetry would: per gateway (where clients enter) and
 * per hop destination (region, service, version, and the region the request entered in), the
 * requests, the 5xx answers and the latency, in fixed time buckets kept for a retention period.
 * Buckets are a ring indexed by `floor(at / bucketMs)`, so recording is O(1) and old buckets are
 * overwritten rather than collected.
 *
 * Hops are tagged with their origin: client requests (entered at a gateway) or synthetic probes.
 * Destination stats and alarms see both, as a region's telemetry would; gateway stats, the served
 * cells and the traffic matrix are about clients only.
 */

/** Who sent the request a hop belongs to: a client through a gateway, or a synthetic probe. */
export type TrafficOrigin = 'client' | 'probe';

export interface MetricsOptions {
  bucketMs?: number;
  retentionMs?: number;
}

interface Bucket {
  index: number;
  requests: number;
  errors5xx: number;
  latency: Uint32Array;
}

class BucketSeries {
  private readonly slots: Array<Bucket | undefined>;

  constructor(capacity: number) {
    this.slots = new Array<Bucket | undefined>(capacity);
  }

  record(index: number, is5xx: boolean, latencyMs: number): void {
    const slot = index % this.slots.length;
    let b = this.slots[slot];
    if (!b || b.index !== index) {
      b = { index, requests: 0, errors5xx: 0, latency: new Uint32Array(LATENCY_BINS) };
      this.slots[slot] = b;
    }
    b.requests++;
    if (is5xx) b.errors5xx++;
    b.latency[latencyBin(latencyMs)]!++;
  }

  /** Buckets with index in [from, to), oldest first; missing ones had no traffic. */
  *between(from: number, to: number): Generator<Bucket> {
    const start = max(from, to - this.slots.length);
    for (let i = start; i < to; i++) {
      const b = this.slots[i % this.slots.length];
      if (b && b.index === i) yield b;
    }
  }
}

export interface TrafficStats {
  requests: number;
  errors5xx: number;
  /** 5xx as a percent of requests, 0 when there were none. */
  errorPercent: number;
  rps: number;
  latencyMs: LatencyPercentiles | null;
}

export interface GatewayStats extends TrafficStats {
  gateway: string;
  region: string;
}

export interface DestinationStats extends TrafficStats {
  region: string;
  service: string;
  version: string;
}

export interface ServedCell {
  sourceRegion: string;
  region: string;
  service: string;
  version: string;
  requests: number;
  errors5xx: number;
}

export interface TrafficSnapshot {
  from: number;
  to: number;
  windowMs: number;
  gateways: GatewayStats[];
  destinations: DestinationStats[];
  /** Every (entry region → serving region/service/version) cell with client traffic. */
  served: ServedCell[];
  /** The same for synthetic probe traffic, `sourceRegion` being the probed region. */
  probes: ServedCell[];
  /** The observed traffic matrix per service: percent of client calls from requests entering in `src` served in `dst`. */
  matrix: Record<string, Record<string, Record<string, number>>>;
}

export interface TimelinePoint {
  at: number;
  requests: number;
  errors5xx: number;
}

/** One step of a gateway's chart: its request and 5xx rates, and where the calls of its region's clients were served. */
export interface GatewaySeriesPoint {
  /** Start of the step (epoch ms). */
  at: number;
  rps: number;
  errors5xxPerSecond: number;
  /** Percent of client calls entering in the gateway's region served in each region (empty: no calls). */
  servedShare: Record<string, number>;
}

export interface GatewaySeries {
  from: number;
  to: number;
  stepMs: number;
  gateways: Array<{ gateway: string; region: string; points: GatewaySeriesPoint[] }>;
}

export type SeriesFilter =
  | { kind: 'gateway'; gateway?: string; region?: string }
  | { kind: 'destination'; sourceRegion?: string; region?: string; service?: string; version?: string; origin?: TrafficOrigin };

interface GatewayBuckets {
  gateway: string;
  region: string;
  data: BucketSeries;
}

interface HopSeries {
  origin: TrafficOrigin;
  sourceRegion: string;
  region: string;
  service: string;
  version: string;
  data: BucketSeries;
}

export class TrafficMetrics {
  readonly bucketMs: number;
  readonly retentionMs: number;
  private readonly capacity: number;
  private readonly gateways = new Map<string, GatewayBuckets>();
  private readonly hops = new Map<string, HopSeries>();

  constructor(opts: MetricsOptions = {}) {
    this.bucketMs = opts.bucketMs ?? 1000;
    this.retentionMs = opts.retentionMs ?? 15 * 60_000;
    this.capacity = ceil(this.retentionMs / this.bucketMs) + 1;
  }

  recordGateway(gateway: string, region: string, status: number, latencyMs: number, at: number): void {
    let s = this.gateways.get(gateway);
    if (!s) {
      s = { gateway, region, data: new BucketSeries(this.capacity) };
      this.gateways.set(gateway, s);
    }
    s.data.record(floor(at / this.bucketMs), status >= 500, latencyMs);
  }

  /** One hop answered by a pod of `region/service/version`, for a request that entered (or was probed) in `sourceRegion`. */
  recordHop(
    sourceRegion: string,
    target: { region: string; service: string; version: string; servedKey: string },
    status: number,
    latencyMs: number,
    at: number,
    origin: TrafficOrigin = 'client',
  ): void {
    const key = `${origin}|${sourceRegion}|${target.servedKey}`;
    let s = this.hops.get(key);
    if (!s) {
      s = {
        origin,
        sourceRegion,
        region: target.region,
        service: target.service,
        version: target.version,
        data: new BucketSeries(this.capacity),
      };
      this.hops.set(key, s);
    }
    s.data.record(floor(at / this.bucketMs), status >= 500, latencyMs);
  }

  /** Totals over buckets starting in [from, to): alarm periods use it, so consecutive periods never share a bucket. */
  stats(filter: SeriesFilter, from: number, to: number): TrafficStats {
    const acc = new Accumulator();
    for (const s of this.select(filter)) acc.add(s.data, this.index(from), this.index(to));
    return acc.result((to - from) / 1000);
  }

  timeline(filter: SeriesFilter, from: number, to: number): TimelinePoint[] {
    const byIndex = new Map<number, TimelinePoint>();
    for (const s of this.select(filter)) {
      for (const b of s.data.between(this.index(from), this.index(to))) {
        const p = byIndex.get(b.index) ?? { at: b.index * this.bucketMs, requests: 0, errors5xx: 0 };
        p.requests += b.requests;
        p.errors5xx += b.errors5xx;
        byIndex.set(b.index, p);
      }
    }
    return [...byIndex.values()].sort((a, b) => a.at - b.at);
  }

  /** The last `windowMs` up to and including the bucket `now` falls in. */
  snapshot(windowMs: number, now: number): TrafficSnapshot {
    const window = min(max(windowMs, this.bucketMs), this.retentionMs);
    const to = (floor(now / this.bucketMs) + 1) * this.bucketMs;
    const from = to - window;
    const [fi, ti] = [this.index(from), this.index(to)];
    const seconds = window / 1000;
    const gateways: GatewayStats[] = [...this.gateways.values()]
      .map((s) => {
        const acc = new Accumulator();
        acc.add(s.data, fi, ti);
        return { gateway: s.gateway, region: s.region, ...acc.result(seconds) };
      })
      .filter((g) => g.requests > 0)
      .sort((a, b) => a.gateway.localeCompare(b.gateway));

    const destinations = new Map<string, { key: Omit<DestinationStats, keyof TrafficStats>; acc: Accumulator }>();
    const served: ServedCell[] = [];
    const probes: ServedCell[] = [];
    for (const s of this.hops.values()) {
      const cell = new Accumulator();
      cell.add(s.data, fi, ti);
      if (cell.requests === 0) continue;
      (s.origin === 'client' ? served : probes).push({
        sourceRegion: s.sourceRegion,
        region: s.region,
        service: s.service,
        version: s.version,
        requests: cell.requests,
        errors5xx: cell.errors5xx,
      });
      const dk = `${s.region}|${s.service}|${s.version}`;
      const d = destinations.get(dk) ?? { key: { region: s.region, service: s.service, version: s.version }, acc: new Accumulator() };
      d.acc.add(s.data, fi, ti);
      destinations.set(dk, d);
    }
    const cellOrder = (a: ServedCell, b: ServedCell) =>
      `${a.service}|${a.sourceRegion}|${a.region}|${a.version}`.localeCompare(`${b.service}|${b.sourceRegion}|${b.region}|${b.version}`);
    served.sort(cellOrder);
    probes.sort(cellOrder);
    return {
      from,
      to,
      windowMs: window,
      gateways,
      destinations: [...destinations.values()]
        .map((d) => ({ ...d.key, ...d.acc.result(seconds) }))
        .sort((a, b) => `${a.service}|${a.region}|${a.version}`.localeCompare(`${b.service}|${b.region}|${b.version}`)),
      served,
      probes,
      matrix: servedMatrix(served),
    };
  }

  /**
   * Every gateway seen in the window, as rates per `stepMs` step over the last `windowMs` up to
   * and including the bucket `now` falls in; steps without traffic are zeros, so a chart's time
   * axis has no gaps. Served shares count every gateway entering in the same region (the
   * served cells are kept per entry region, not per gateway).
   */
  gatewaySeries(windowMs: number, stepMs: number, now: number): GatewaySeries {
    const step = max(this.bucketMs, floor(stepMs / this.bucketMs) * this.bucketMs);
    const window = min(max(windowMs, step), this.retentionMs);
    const steps = ceil(window / step);
    const to = (floor(now / step) + 1) * step;
    const from = to - steps * step;
    const slot = (bucketIndex: number) => floor((bucketIndex * this.bucketMs - from) / step);
    const seconds = step / 1000;
    const servedByRegion = new Map<string, Array<Record<string, number>>>();
    for (const s of this.hops.values()) {
      if (s.origin !== 'client') continue;
      let rows = servedByRegion.get(s.sourceRegion);
      if (!rows) {
        rows = Array.from({ length: steps }, () => ({}));
        servedByRegion.set(s.sourceRegion, rows);
      }
      for (const b of s.data.between(this.index(from), this.index(to))) {
        const row = rows[slot(b.index)];
        if (row) row[s.region] = (row[s.region] ?? 0) + b.requests;
      }
    }
    const gateways: GatewaySeries['gateways'] = [];
    for (const g of [...this.gateways.values()].sort((a, b) => a.gateway.localeCompare(b.gateway))) {
      const counts = Array.from({ length: steps }, () => ({ requests: 0, errors5xx: 0 }));
      for (const b of g.data.between(this.index(from), this.index(to))) {
        const c = counts[slot(b.index)];
        if (c) {
          c.requests += b.requests;
          c.errors5xx += b.errors5xx;
        }
      }
      if (counts.every((c) => c.requests === 0)) continue;
      const served = servedByRegion.get(g.region);
      gateways.push({
        gateway: g.gateway,
        region: g.region,
        points: counts.map((c, i) => {
          const row = served?.[i] ?? {};
          const total = Object.values(row).reduce((a, n) => a + n, 0);
          return {
            at: from + i * step,
            rps: round2(c.requests / seconds),
            errors5xxPerSecond: round2(c.errors5xx / seconds),
            servedShare:
              total === 0
                ? {}
                : Object.fromEntries(
                    Object.keys(row)
                      .sort()
                      .map((r) => [r, round2((100 * (row[r] as number)) / total)]),
                  ),
          };
        }),
      });
    }
    return { from, to, stepMs: step, gateways };
  }

  private index(at: number): number {
    return floor(at / this.bucketMs);
  }

  private select(filter: SeriesFilter): Array<{ data: BucketSeries }> {
    if (filter.kind === 'gateway') {
      return [...this.gateways.values()].filter(
        (s) =>
          (filter.gateway === undefined || s.gateway === filter.gateway) && (filter.region === undefined || s.region === filter.region),
      );
    }
    return [...this.hops.values()].filter(
      (s) =>
        (filter.origin === undefined || s.origin === filter.origin) &&
        (filter.sourceRegion === undefined || s.sourceRegion === filter.sourceRegion) &&
        (filter.region === undefined || s.region === filter.region) &&
        (filter.service === undefined || s.service === filter.service) &&
        (filter.version === undefined || s.version === filter.version),
    );
  }
}

class Accumulator {
  requests = 0;
  errors5xx = 0;
  private readonly latency = new Uint32Array(LATENCY_BINS);

  add(series: BucketSeries, from: number, to: number): void {
    for (const b of series.between(from, to)) {
      this.requests += b.requests;
      this.errors5xx += b.errors5xx;
      for (let i = 0; i < LATENCY_BINS; i++) this.latency[i]! += b.latency[i] as number;
    }
  }

  result(seconds: number): TrafficStats {
    return {
      requests: this.requests,
      errors5xx: this.errors5xx,
      errorPercent: this.requests === 0 ? 0 : round2((100 * this.errors5xx) / this.requests),
      rps: seconds > 0 ? round2(this.requests / seconds) : 0,
      latencyMs: percentilesOf(this.latency, this.requests),
    };
  }
}

function servedMatrix(cells: ServedCell[]): TrafficSnapshot['matrix'] {
  const counts: Record<string, Record<string, Record<string, number>>> = {};
  for (const c of cells) {
    const row = ((counts[c.service] ??= {})[c.sourceRegion] ??= {});
    row[c.region] = (row[c.region] ?? 0) + c.requests;
  }
  const matrix: TrafficSnapshot['matrix'] = {};
  for (const [service, bySource] of Object.entries(counts)) {
    for (const [src, row] of Object.entries(bySource)) {
      const total = Object.values(row).reduce((s, n) => s + n, 0);
      (matrix[service] ??= {})[src] = Object.fromEntries(Object.entries(row).map(([dst, n]) => [dst, round2((100 * n) / total)]));
    }
  }
  return matrix;
}
