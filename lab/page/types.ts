/**
 * The lab API's answers as the lab page reads them (lab/v1/traffic, traffic/series, faults,
 * requests). The fields the page uses of lab/dataplane/metrics.ts, engine.ts and faults.ts,
 * restated here because those modules are Node code the browser program does not compile.
 */

export interface LatencyPercentiles {
  p50: number;
  p99: number;
}

export interface GatewayStats {
  gateway: string;
  region: string;
  requests: number;
  rps: number;
  errors5xx: number;
  errorPercent: number;
  latencyMs: LatencyPercentiles | null;
}

export interface DestinationStats {
  region: string;
  service: string;
  version: string;
  requests: number;
  errors5xx: number;
  errorPercent: number;
  latencyMs: LatencyPercentiles | null;
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
  gateways: GatewayStats[];
  destinations: DestinationStats[];
  served: ServedCell[];
}

export interface SeriesPoint {
  at: number;
  rps: number;
  errors5xxPerSecond: number;
  servedShare: Record<string, number>;
}

export interface GatewaySeries {
  from: number;
  to: number;
  gateways: Array<{ gateway: string; region: string; points: SeriesPoint[] }>;
}

export interface Fault {
  id: string;
  kind: string;
  region: string;
  service: string | null;
  version: string | null;
  rate: number | null;
  latencyMs: number | null;
  expiresAt: number | null;
}

export interface BurstResult {
  gateway: string;
  count: number;
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  byService: Record<string, Record<string, number>>;
  noUpstream: Record<string, number>;
  latencyMs: LatencyPercentiles;
}

/** What the page offers in its pickers (the topology given in the page, then what the traffic shows). */
export interface Known {
  regions: Set<string>;
  services: Map<string, Set<string>>;
  gateways: Map<string, string>;
}
