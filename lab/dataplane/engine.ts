import { ValidationError } from '../../shared/core/errors';
import type { Clock } from '../../shared/ports/clock';
import type { GatewaySpec, ProbeSpec, Topology } from '../topology/schema';
import type { RoutingConfigSource } from './config-source';
import { PodDirectory, type Locality, type Pod } from './endpoints';
import { NO_FAULT, type FaultEffects } from './faults';
import { exactPercentile, round2 } from './latency-histogram';
import { TrafficMetrics, type GatewaySeries, type TrafficOrigin, type TrafficSnapshot } from './metrics';
import { PeriodicTask } from './periodic-task';
import { SeededRandom } from './prng';
import { MeshRouter, type Caller, type CallerEjection } from './router';
import { exp, floor } from './math';

/**
 * The twin's data plane: requests enter at a gateway and walk the call graph; every hop is
 * routed by the caller's sidecar (see router.ts), answered by a pod (or failed by a fault), fed
 * back to the caller's outlier detector and measured. A pod whose dependency fails answers 500
 * itself, so a failure shows at every hop above it, as it does in services without fallbacks.
 * Synthetic probes (`probe`) enter at a service's pods in one region instead, as site monitoring
 * hitting each region's endpoint does, so a region clients no longer reach still has traffic.
 * Given the same seed, config and call sequence, the results are identical.
 */

/** What a batch of requests or probes met, hop by hop. */
interface BatchOutcome {
  count: number;
  /** Answered below 400. */
  ok: number;
  failed: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
  /** Hops that reached a pod, by `region/service/version` (whatever it answered). */
  served: Record<string, number>;
  /** Of those, hops the pod answered 5xx. */
  errors: Record<string, number>;
  /** Where each service was served: service → region → hops. */
  byService: Record<string, Record<string, number>>;
  /** Hops that found no endpoint to go to (Envoy's "no healthy upstream"), by service. */
  noUpstream: Record<string, number>;
  /**
   * Requests by how many of their hops crossed regions (caller and serving pod in different
   * regions; the gateway's hop to the entry service counts, a hop with no upstream does not):
   * `{ "0": n, "1": n, "2": n, … }`. A request that left its region and came back counts 2.
   */
  crossRegion: Record<string, number>;
  latencyMs: { p50: number; p99: number };
}

export interface RequestBatchResult extends BatchOutcome {
  gateway: string;
  /** Where the entry service was served: region → hops. */
  byRegion: Record<string, number>;
}

/** Probes: 503 for every probe when the region has no ready pod of the service; `served` starts at the probed pod. */
export interface ProbeBatchResult extends BatchOutcome {
  service: string;
  region: string;
}

export interface LabDataPlaneOptions {
  topology: Topology;
  config: RoutingConfigSource;
  clock: Clock;
  seed: number;
  faults?: FaultEffects;
  metrics?: TrafficMetrics;
  /** Background traffic tick; each tick sends every gateway's load × tick, and every probe's rps × tick. */
  tickMs?: number;
  /** Told when a background tick fails (it never stops the loop). */
  onError?: (err: unknown) => void;
}

export class UnknownGatewayError extends ValidationError {
  constructor(gateway: string, known: string[]) {
    super([`gateway: unknown gateway ${gateway} (known: ${known.join(', ')})`]);
  }
}

/** A probe of a service or region the topology does not have. */
export class UnknownProbeTargetError extends ValidationError {}

interface HopOutcome {
  status: number;
  latencyMs: number;
}

/** Where the request a hop belongs to came from: the region it entered (or was probed) in, and who sent it. */
interface HopContext {
  sourceRegion: string;
  origin: TrafficOrigin;
}

const NO_UPSTREAM: HopOutcome = { status: 503, latencyMs: 0.1 };

interface BatchTally {
  served: Record<string, number>;
  errors: Record<string, number>;
  byService: Record<string, Record<string, number>>;
  noUpstream: Record<string, number>;
  /** Cross-region hops of the request being walked (reset per request). */
  crossings: number;
  crossRegion: Record<string, number>;
}

const newTally = (): BatchTally => ({ served: {}, errors: {}, byService: {}, noUpstream: {}, crossings: 0, crossRegion: {} });

/** Close one request's walk: count it under its number of cross-region hops. */
function endRequest(tally: BatchTally): void {
  const key = String(tally.crossings);
  tally.crossRegion[key] = (tally.crossRegion[key] ?? 0) + 1;
  tally.crossings = 0;
}

const NO_FAULTS: FaultEffects = { effectOn: () => NO_FAULT, gatewayDown: () => false };

/** Bookinfo's page: what a client asks the gateway for when a test names no path. */
export const DEFAULT_REQUEST_PATH = '/productpage';

export class LabDataPlane {
  readonly metrics: TrafficMetrics;
  private readonly rand: SeededRandom;
  private readonly router: MeshRouter;
  private readonly directory: PodDirectory;
  private readonly gateways: Map<string, GatewaySpec>;
  private readonly probes: ProbeSpec[];
  private readonly regionZones: Map<string, string[]>;
  private readonly calls = new Map<string, string[]>();
  private readonly medianLatency = new Map<string, number>();
  private readonly faults: FaultEffects;
  private readonly background: PeriodicTask;
  private readonly carry = new Map<string, number>();
  private readonly probeCarry = new Map<string, number>();

  constructor(private readonly opts: LabDataPlaneOptions) {
    const { topology } = opts;
    this.rand = new SeededRandom(opts.seed);
    this.metrics = opts.metrics ?? new TrafficMetrics();
    this.faults = opts.faults ?? NO_FAULTS;
    this.directory = new PodDirectory(topology);
    this.router = new MeshRouter(topology, opts.config, this.directory);
    this.gateways = new Map(topology.gateways.map((g) => [g.name, g]));
    this.probes = topology.probes;
    this.regionZones = new Map(topology.regions.map((r) => [r.name, r.zones]));
    for (const s of topology.services) {
      this.medianLatency.set(s.name, s.latencyMs);
      for (const v of s.versions) {
        const callees = topology.calls.filter((c) => c.from === s.name && (!c.versions || c.versions.includes(v))).flatMap((c) => c.to);
        this.calls.set(`${s.name}|${v}`, callees);
      }
    }
    this.background = new PeriodicTask(opts.clock, opts.tickMs ?? 1000, () => this.backgroundTick(), opts.onError);
  }

  /**
   * Send `count` requests through a gateway, now (by the Clock). `path` is the client's request
   * path, which VirtualService `uri` matches at the entry hop see; the calls a service makes
   * carry Bookinfo's own paths (`/reviews/0`: product 0), and the headers propagate unchanged.
   */
  send(gateway: string, count: number, headers: Record<string, string> = {}, path = DEFAULT_REQUEST_PATH): RequestBatchResult {
    const gw = this.gateways.get(gateway);
    if (!gw) throw new UnknownGatewayError(gateway, [...this.gateways.keys()]);
    const now = this.opts.clock.now();
    this.faults.expire?.();
    this.router.beginBatch();
    const hdrs = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    const tally = newTally();
    const statuses: Record<string, number> = {};
    const latencies = new Float64Array(count);
    let ok = 0;
    const gatewayProxy: Caller = { proxyId: `gateway/${gw.name}`, locality: { region: gw.region, zone: gw.zone } };
    const gatewayDown = this.faults.gatewayDown(gw.region);
    const ctx: HopContext = { sourceRegion: gw.region, origin: 'client' };
    for (let i = 0; i < count; i++) {
      const outcome = gatewayDown ? { status: 503, latencyMs: 0 } : this.call(gatewayProxy, gw.entry, hdrs, ctx, now, tally, path);
      endRequest(tally);
      latencies[i] = outcome.latencyMs;
      statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
      if (outcome.status < 400) ok++;
      this.metrics.recordGateway(gw.name, gw.region, outcome.status, outcome.latencyMs, now);
    }
    latencies.sort();
    return {
      gateway,
      count,
      ok,
      failed: count - ok,
      statuses,
      served: tally.served,
      errors: tally.errors,
      byRegion: tally.byService[gw.entry] ?? {},
      byService: tally.byService,
      noUpstream: tally.noUpstream,
      crossRegion: tally.crossRegion,
      latencyMs: { p50: exactPercentile(latencies, 0.5), p99: exactPercentile(latencies, 0.99) },
    };
  }

  /**
   * Send `count` synthetic probes to `service` in `region`, now (by the Clock): from a prober in
   * the region straight to one of the service's ready pods there, picked uniformly — no
   * VirtualService, no locality LB, no spill to another region, no outlier detection (the prober
   * has no sidecar). With no ready pod in the region every probe is a 503 (no healthy upstream),
   * measured nowhere but in the result. The probed pod's own calls go through the mesh as any
   * pod's do. Every hop is measured as destination traffic tagged `probe`: alarms see it,
   * gateway stats and the traffic matrix do not.
   */
  probe(service: string, region: string, count: number): ProbeBatchResult {
    const zones = this.regionZones.get(region);
    const problems: string[] = [];
    if (!this.medianLatency.has(service)) problems.push(`service: unknown service ${service}`);
    if (!zones) problems.push(`region: unknown region ${region} (known: ${[...this.regionZones.keys()].join(', ')})`);
    if (problems.length > 0 || !zones) throw new UnknownProbeTargetError(problems);
    const now = this.opts.clock.now();
    this.faults.expire?.();
    this.router.beginBatch();
    const pods = this.directory.readyPods(this.opts.config, service, null).filter((p) => p.region === region);
    const prober: Caller = { proxyId: `probe/${region}/${service}`, locality: { region, zone: zones[0] as string } };
    const ctx: HopContext = { sourceRegion: region, origin: 'probe' };
    const tally = newTally();
    const statuses: Record<string, number> = {};
    const latencies = new Float64Array(count);
    let ok = 0;
    for (let i = 0; i < count; i++) {
      let outcome = NO_UPSTREAM;
      if (pods.length === 0) tally.noUpstream[service] = (tally.noUpstream[service] ?? 0) + 1;
      else outcome = this.serve(prober, pods[this.rand.int(pods.length)] as Pod, {}, ctx, now, tally);
      endRequest(tally);
      latencies[i] = outcome.latencyMs;
      statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
      if (outcome.status < 400) ok++;
    }
    latencies.sort();
    return {
      service,
      region,
      count,
      ok,
      failed: count - ok,
      statuses,
      served: tally.served,
      errors: tally.errors,
      byService: tally.byService,
      noUpstream: tally.noUpstream,
      crossRegion: tally.crossRegion,
      latencyMs: { p50: exactPercentile(latencies, 0.5), p99: exactPercentile(latencies, 0.99) },
    };
  }

  /** Start sending every gateway's configured load, and every probe's rate, on each tick of the Clock. */
  start(): void {
    this.background.start();
  }

  async stop(): Promise<void> {
    await this.background.stop();
  }

  get running(): boolean {
    return this.background.running;
  }

  trafficSnapshot(windowMs: number): TrafficSnapshot {
    return this.metrics.snapshot(windowMs, this.opts.clock.now());
  }

  /** Per-gateway rates over the last `windowMs`, one point per `stepMs` (the lab page's charts). */
  gatewaySeries(windowMs: number, stepMs: number): GatewaySeries {
    return this.metrics.gatewaySeries(windowMs, stepMs, this.opts.clock.now());
  }

  /** Endpoints currently ejected by outlier detection, per caller proxy and upstream cluster. */
  ejections(): CallerEjection[] {
    return this.router.ejections(this.opts.clock.now());
  }

  private backgroundTick(): void {
    // Faults end on time even when no gateway has load (listeners may be waiting to undo a scale-down).
    this.faults.expire?.();
    const tickMs = this.opts.tickMs ?? 1000;
    for (const gw of this.gateways.values()) {
      // Fractional loads (0.5 rps) carry over so the long-run rate is exact.
      const due = (this.carry.get(gw.name) ?? 0) + (gw.load * tickMs) / 1000;
      const n = floor(due);
      this.carry.set(gw.name, due - n);
      if (n > 0) this.send(gw.name, n);
    }
    for (const p of this.probes) {
      const key = `${p.service}|${p.region}`;
      const due = (this.probeCarry.get(key) ?? 0) + (p.rps * tickMs) / 1000;
      const n = floor(due);
      this.probeCarry.set(key, due - n);
      if (n > 0) this.probe(p.service, p.region, n);
    }
  }

  private call(
    caller: Caller,
    service: string,
    headers: Record<string, string>,
    ctx: HopContext,
    now: number,
    tally: BatchTally,
    path = `/${service}/0`,
  ): HopOutcome {
    const routing = this.router.route(caller, service, headers, this.rand, now, path);
    if (routing.kind === 'no-route') return { status: 404, latencyMs: 0.1 };
    if (routing.kind === 'no-upstream') {
      tally.noUpstream[routing.service] = (tally.noUpstream[routing.service] ?? 0) + 1;
      return NO_UPSTREAM;
    }
    const outcome = this.serve(caller, routing.pod, headers, ctx, now, tally);
    this.router.report(caller, routing.cluster, routing.pod, outcome.status, now);
    return outcome;
  }

  /** A pod answers one hop: its faults, its own work and its calls down the graph; measured and tallied. */
  private serve(caller: Caller, pod: Pod, headers: Record<string, string>, ctx: HopContext, now: number, tally: BatchTally): HopOutcome {
    const net = this.networkMs(caller.locality, pod);
    if (caller.locality.region !== pod.region) tally.crossings++;
    const effect = this.faults.effectOn(pod.region, pod.service, pod.version, { cluster: pod.cluster, workload: pod.deployment });
    let status = 200;
    let latencyMs = net;
    if (effect.down) {
      status = 503;
    } else if (this.rand.chance(effect.errorRate)) {
      status = 500;
      latencyMs += effect.addedLatencyMs;
    } else {
      latencyMs += effect.addedLatencyMs + this.serviceTime(pod.service);
      const self: Caller = { proxyId: pod.id, locality: pod };
      for (const callee of this.calls.get(`${pod.service}|${pod.version}`) ?? []) {
        const r = this.call(self, callee, headers, ctx, now, tally);
        latencyMs += r.latencyMs;
        if (r.status >= 400) status = 500;
      }
    }
    this.metrics.recordHop(ctx.sourceRegion, pod, status, latencyMs, now, ctx.origin);
    tally.served[pod.servedKey] = (tally.served[pod.servedKey] ?? 0) + 1;
    if (status >= 500) tally.errors[pod.servedKey] = (tally.errors[pod.servedKey] ?? 0) + 1;
    const byRegion = (tally.byService[pod.service] ??= {});
    byRegion[pod.region] = (byRegion[pod.region] ?? 0) + 1;
    return { status, latencyMs: round2(latencyMs) };
  }

  private networkMs(from: Locality, to: Pod): number {
    const n = this.opts.topology.network;
    if (from.region !== to.region) return n.crossRegionMs;
    return from.zone === to.zone ? n.sameZoneMs : n.crossZoneMs;
  }

  /** Log-normal around the service's median (σ 0.35): most requests near it, a realistic tail. */
  private serviceTime(service: string): number {
    return (this.medianLatency.get(service) ?? 5) * exp(0.35 * this.rand.normal());
  }
}
