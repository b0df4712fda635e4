import { z } from 'zod';
import { parseDuration } from '../../shared/core/duration';
import type { Clock } from '../../shared/ports/clock';
import type { DeploymentSpec, Topology } from '../topology/schema';

/**
 * Injected faults. The data plane asks `FaultEffects` on every hop what the pods answering it
 * suffer; `FaultBook` is the lab's implementation, with ids and expiry by the Clock.
 * Scaling a deployment to zero (`scale-to-zero`) is not a data-plane fault — it goes through the
 * control plane so the product sees real readiness change — so the book only tells its listeners
 * when a fault starts and ends, and the lab host scales the deployments `deploymentsForFault`
 * names to 0 and back to their topology replicas.
 *
 * `control-plane-down` is not a data-plane fault either: regionshift's control plane (the FC host
 * serving its functions, with the state they keep, and the ASM control plane's API) becomes
 * unreachable, connections reset as in an outage, while the data plane keeps serving the last
 * configuration it was pushed. Its `region` is where that control plane runs (any region name:
 * it need not be one the topology steers). The lab host's listener acts on it.
 */

export const faultSpecSchema = z
  .object({
    kind: z.enum(['region-down', 'error-rate', 'latency', 'scale-to-zero', 'control-plane-down']),
    region: z.string().min(1),
    /**
     * Every service of the region when omitted; a region-down without a service takes the gateway
     * down too. Required for scale-to-zero.
     */
    service: z.string().min(1).optional(),
    version: z.string().min(1).optional(),
    /** Only the endpoints of this cluster of the region (several clusters share a region). */
    cluster: z.string().min(1).optional(),
    /** Only this workload: a Deployment's name, or a WorkloadEntry's (a VM). */
    workload: z.string().min(1).optional(),
    /** error-rate: fraction of requests answered 500, in (0, 1]. */
    rate: z.number().gt(0).max(1).optional(),
    /** latency: milliseconds added to every request the pods answer. */
    latencyMs: z.number().gt(0).max(600_000).optional(),
    /** How long the fault lasts (`90s`, `5m`); until deleted when omitted. */
    duration: z.union([z.string(), z.number()]).optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.kind === 'error-rate' && f.rate === undefined)
      ctx.addIssue({ code: 'custom', path: ['rate'], message: 'required for an error-rate fault' });
    if (f.kind !== 'error-rate' && f.rate !== undefined)
      ctx.addIssue({ code: 'custom', path: ['rate'], message: `only applies to error-rate faults, not ${f.kind}` });
    if (f.kind === 'latency' && f.latencyMs === undefined)
      ctx.addIssue({ code: 'custom', path: ['latencyMs'], message: 'required for a latency fault' });
    if (f.kind !== 'latency' && f.latencyMs !== undefined)
      ctx.addIssue({ code: 'custom', path: ['latencyMs'], message: `only applies to latency faults, not ${f.kind}` });
    if (f.kind === 'scale-to-zero' && f.service === undefined)
      ctx.addIssue({ code: 'custom', path: ['service'], message: 'required for a scale-to-zero fault' });
    if (f.kind === 'control-plane-down') {
      for (const field of ['service', 'version', 'cluster', 'workload'] as const) {
        if (f[field] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: 'a control-plane-down fault takes the whole control plane: it names no ' + field,
          });
      }
    }
    if (f.version !== undefined && f.service === undefined) ctx.addIssue({ code: 'custom', path: ['version'], message: 'needs a service' });
    if (f.duration !== undefined) {
      const ms = parseDuration(f.duration);
      if (ms === null || ms <= 0)
        ctx.addIssue({
          code: 'custom',
          path: ['duration'],
          message: `not a positive duration: ${JSON.stringify(f.duration)} (use 90s, 5m)`,
        });
    }
  });

export type FaultSpec = z.infer<typeof faultSpecSchema>;

export interface Fault {
  id: string;
  kind: FaultSpec['kind'];
  region: string;
  service: string | null;
  version: string | null;
  /** Set only when the fault is narrowed to one cluster / workload. */
  cluster?: string;
  workload?: string;
  rate: number | null;
  latencyMs: number | null;
  createdAt: number;
  expiresAt: number | null;
}

export interface HopFaultEffect {
  /** The pods refuse connections / answer 503 without doing any work. */
  down: boolean;
  /** Probability of answering 500. */
  errorRate: number;
  addedLatencyMs: number;
}

export const NO_FAULT: HopFaultEffect = Object.freeze({ down: false, errorRate: 0, addedLatencyMs: 0 });

/** What the data plane asks on each hop and at each gateway. */
/** Which endpoint answers: its cluster ('' for a VM beside none) and workload (Deployment or WorkloadEntry name). */
export interface EndpointIdentity {
  cluster: string;
  workload: string;
}

export interface FaultEffects {
  effectOn(region: string, service: string, version: string, where?: EndpointIdentity): HopFaultEffect;
  gatewayDown(region: string): boolean;
  /** Called before each batch, so faults with a duration end on time by the Clock. */
  expire?(): void;
}

export type FaultEvent = { type: 'injected' | 'deleted' | 'expired'; fault: Fault };
export type FaultListener = (event: FaultEvent) => void;

/** Problems with a fault's targets against the topology, each naming its field. */
export function faultTargetProblems(topology: Topology, spec: FaultSpec): string[] {
  const problems: string[] = [];
  // Where the control plane runs: placed outside the steered regions, so not one of the topology's.
  if (spec.kind === 'control-plane-down') return problems;
  if (!topology.regions.some((r) => r.name === spec.region)) problems.push(`region: unknown region ${spec.region}`);
  if (spec.service !== undefined) {
    const svc = topology.services.find((s) => s.name === spec.service);
    if (!svc) problems.push(`service: unknown service ${spec.service}`);
    else if (spec.version !== undefined && !svc.versions.includes(spec.version))
      problems.push(`version: ${spec.service} has no version ${spec.version}`);
  }
  const region = topology.regions.find((r) => r.name === spec.region);
  if (spec.cluster !== undefined && region && !region.clusters.some((c) => c.name === spec.cluster)) {
    problems.push(`cluster: ${spec.cluster} is not a cluster of ${spec.region} (${region.clusters.map((c) => c.name).join(', ')})`);
  }
  if (
    spec.workload !== undefined &&
    !topology.deployments.some((d) => d.name === spec.workload) &&
    !topology.workloadEntries.some((w) => w.name === spec.workload)
  ) {
    problems.push(`workload: no deployment or workload entry named ${spec.workload}`);
  }
  if (problems.length === 0 && spec.kind === 'scale-to-zero' && deploymentsForFault(topology, spec).length === 0) {
    const what = spec.version === undefined ? spec.service : `${spec.service} ${spec.version}`;
    problems.push(`${spec.version === undefined ? 'service' : 'version'}: no deployment of ${what} in ${spec.region} to scale to zero`);
  }
  return problems;
}

export interface FaultDeployment {
  cluster: string;
  namespace: string;
  name: string;
  /** The topology's replica count: what to scale back to when the fault ends. */
  replicas: number;
}

/**
 * The Deployments a scale-to-zero fault scales to 0: the topology's deployments of its service
 * (and version, if it names one) in the clusters of its region, with their topology replica
 * counts. Empty for every other kind, which the data plane applies by itself.
 */
export function deploymentsForFault(
  topology: Topology,
  fault: {
    kind: Fault['kind'];
    region: string;
    service?: string | null;
    version?: string | null;
    cluster?: string | null;
    workload?: string | null;
  },
): FaultDeployment[] {
  if (fault.kind !== 'scale-to-zero') return [];
  const clusters = new Set(topology.regions.filter((r) => r.name === fault.region).flatMap((r) => r.clusters.map((c) => c.name)));
  const matches = (d: DeploymentSpec) =>
    clusters.has(d.cluster) &&
    ((fault.service ?? null) === null || d.service === fault.service) &&
    ((fault.version ?? null) === null || d.version === fault.version) &&
    ((fault.cluster ?? null) === null || d.cluster === fault.cluster) &&
    ((fault.workload ?? null) === null || d.name === fault.workload);
  return topology.deployments
    .filter(matches)
    .map((d) => ({ cluster: d.cluster, namespace: d.namespace, name: d.name, replicas: d.replicas }));
}

export class FaultBook implements FaultEffects {
  private readonly faults = new Map<string, Fault>();
  private readonly listeners = new Set<FaultListener>();
  private readonly effects = new Map<string, HopFaultEffect>();
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    /** A listener that throws must not undo the fault or keep the others from hearing of it; it is reported here. */
    private readonly onListenerError: (err: unknown, event: FaultEvent) => void = (err) => console.error('fault listener failed:', err),
  ) {}

  inject(spec: FaultSpec): Fault {
    const now = this.clock.now();
    const duration = spec.duration === undefined ? null : parseDuration(spec.duration);
    const fault: Fault = {
      id: `flt-${(++this.seq).toString().padStart(4, '0')}`,
      kind: spec.kind,
      region: spec.region,
      service: spec.service ?? null,
      version: spec.version ?? null,
      ...(spec.cluster !== undefined ? { cluster: spec.cluster } : {}),
      ...(spec.workload !== undefined ? { workload: spec.workload } : {}),
      rate: spec.rate ?? null,
      latencyMs: spec.latencyMs ?? null,
      createdAt: now,
      expiresAt: duration === null ? null : now + duration,
    };
    this.faults.set(fault.id, fault);
    this.effects.clear();
    this.emit({ type: 'injected', fault });
    return fault;
  }

  delete(id: string): Fault | null {
    this.expire();
    const fault = this.faults.get(id);
    if (!fault) return null;
    this.faults.delete(id);
    this.effects.clear();
    this.emit({ type: 'deleted', fault });
    return fault;
  }

  list(): Fault[] {
    this.expire();
    return [...this.faults.values()];
  }

  /** Drop faults whose duration has lapsed by the Clock; the data plane calls it before each batch. */
  expire(): void {
    const now = this.clock.now();
    for (const fault of [...this.faults.values()]) {
      if (fault.expiresAt === null || fault.expiresAt > now) continue;
      this.faults.delete(fault.id);
      this.effects.clear();
      this.emit({ type: 'expired', fault });
    }
  }

  subscribe(listener: FaultListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  effectOn(region: string, service: string, version: string, where?: EndpointIdentity): HopFaultEffect {
    if (this.faults.size === 0) return NO_FAULT;
    const key = `${region}|${service}|${version}|${where?.cluster ?? ''}|${where?.workload ?? ''}`;
    let effect = this.effects.get(key);
    if (!effect) {
      effect = this.combine(region, service, version, where);
      this.effects.set(key, effect);
    }
    return effect;
  }

  gatewayDown(region: string): boolean {
    for (const f of this.faults.values())
      if (f.kind === 'region-down' && f.region === region && f.service === null && f.cluster === undefined && f.workload === undefined)
        return true;
    return false;
  }

  private combine(region: string, service: string, version: string, where?: EndpointIdentity): HopFaultEffect {
    let down = false;
    let ok = 1;
    let addedLatencyMs = 0;
    for (const f of this.faults.values()) {
      if (f.region !== region || (f.service !== null && f.service !== service) || (f.version !== null && f.version !== version)) continue;
      // A fault narrowed to a cluster or workload misses an endpoint that does not say where it is.
      if (f.cluster !== undefined && f.cluster !== where?.cluster) continue;
      if (f.workload !== undefined && f.workload !== where?.workload) continue;
      if (f.kind === 'region-down') down = true;
      else if (f.kind === 'error-rate') ok *= 1 - (f.rate ?? 0);
      else if (f.kind === 'latency') addedLatencyMs += f.latencyMs ?? 0;
      // scale-to-zero: the control plane takes the pods away; the ones still routed to answer normally.
      // control-plane-down: nothing on the data plane's hops (it keeps its last configuration).
    }
    return { down, errorRate: 1 - ok, addedLatencyMs };
  }

  private emit(event: FaultEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }
}
