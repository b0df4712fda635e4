import { inboundShares } from './matrix';
import type { Policy } from './policy';
import type { DeploymentPolicy } from './policy-schema';
import { loadOf } from './response';
import type { MeshState, Step, TrafficMatrix } from './types';

/**
 * Capacity: a destination's inbound share is I[d] = Σ_s load[s]·W[s][d] / Σ_s load[s]. Each
 * scaled deployment needs ceil(normalReplicas[d] · I[d]/N[d] · headroom) replicas in d when it
 * takes more than its normal share (N: the inbound share under the normal matrix), clamped to
 * [min, max]. Less traffic scales down proportionally, never below min, never to zero.
 */

export interface ScaleNeed {
  key: string;
  cluster: string;
  namespace: string;
  deployment: string;
  region: string;
  current: number;
  required: number;
  /** What the traffic would need before clamping to max: more than max means the region cannot carry it. */
  unclamped: number;
  max: number;
}

export function deploymentKey(cluster: string, namespace: string, name: string): string {
  return `${cluster}/${namespace}/${name}`;
}

/** A scaled deployment in one region, as the policy declares it: the same on every decision. */
interface ScaledCell {
  key: string;
  cluster: string;
  namespace: string;
  deployment: string;
  region: string;
  normalReplicas: number;
  min: number;
  max: number;
  /** The policy entry it comes from (service scopes route and filter by it). */
  source: DeploymentPolicy;
}

interface PolicyCapacity {
  normal: TrafficMatrix;
  regionIds: readonly string[];
  regions: Policy['regions'];
  deployments: Policy['scaling']['deployments'];
  load: Record<string, number>;
  normalIn: Record<string, number>;
  cells: ScaledCell[];
}

/**
 * What scaleNeeds reads from the policy alone (the normal inbound shares, each deployment's key and
 * cluster), derived once per policy object instead of on every call: decide asks for the needs of
 * several matrices per decision. Rebuilt if any part it was derived from is replaced.
 */
const capacityOfPolicy = new WeakMap<Policy, PolicyCapacity>();
function policyCapacity(policy: Policy): PolicyCapacity {
  const hit = capacityOfPolicy.get(policy);
  if (
    hit &&
    hit.normal === policy.normal &&
    hit.regionIds === policy.regionIds &&
    hit.regions === policy.regions &&
    hit.deployments === policy.scaling.deployments
  )
    return hit;
  const load = loadOf(policy);
  const cells: ScaledCell[] = [];
  for (const d of policy.scaling.deployments) {
    for (const region of policy.regionIds) {
      const r = d.regions[region];
      if (!r) continue;
      const cluster = r.cluster ?? policy.regions[region]?.clusters[0]?.id ?? region;
      cells.push({
        key: deploymentKey(cluster, d.namespace, d.name),
        cluster,
        namespace: d.namespace,
        deployment: d.name,
        region,
        normalReplicas: r.normalReplicas,
        min: r.min,
        max: r.max,
        source: d,
      });
    }
  }
  const built = {
    normal: policy.normal,
    regionIds: policy.regionIds,
    regions: policy.regions,
    deployments: policy.scaling.deployments,
    load,
    normalIn: inboundShares(policy.normal, load, policy.regionIds),
    cells,
  };
  capacityOfPolicy.set(policy, built);
  return built;
}

/** Every (deployment, region) the policy scales, with its cluster and key. */
export function scaledCells(policy: Policy): readonly ScaledCell[] {
  return policyCapacity(policy).cells;
}

/**
 * With service scopes, a deployment follows the routing of its service (`matrixFor`), and a
 * scope's checks look at its own deployments only (`only`). Absent: every deployment follows `matrix`.
 */
export interface DeploymentRouting {
  matrixFor?: (d: DeploymentPolicy) => TrafficMatrix;
  only?: (d: DeploymentPolicy) => boolean;
}

/**
 * Each scaled deployment's need under `matrix`, handed to `visit` as computed: the callers that
 * only look for shortfalls build no ScaleNeed for the deployments that have none (a 20 × 10
 * policy has 200 of them, and decide asks for the needs of several matrices per decision).
 */
function eachNeed(
  policy: Policy,
  matrix: TrafficMatrix,
  routing: DeploymentRouting,
  visit: (c: ScaledCell, required: number, unclamped: number) => void,
): void {
  const { load, normalIn, cells } = policyCapacity(policy);
  const plain = inboundShares(matrix, load, policy.regionIds);
  // One deployment has a cell per region: its routed inbound shares are computed once for them all.
  const routed = new Map<DeploymentPolicy, Record<string, number>>();
  for (const c of cells) {
    if (routing.only && !routing.only(c.source)) continue;
    let inbound = plain;
    if (routing.matrixFor) {
      inbound = routed.get(c.source) ?? inboundShares(routing.matrixFor(c.source), load, policy.regionIds);
      routed.set(c.source, inbound);
    }
    const I = inbound[c.region] ?? 0;
    const N = normalIn[c.region] ?? 0;
    let unclamped: number;
    if (N === 0) unclamped = I > 0 ? c.max : c.normalReplicas;
    else if (I > N) unclamped = Math.ceil(c.normalReplicas * (I / N) * policy.response.headroom - 1e-9);
    else unclamped = Math.ceil(c.normalReplicas * (I / N) - 1e-9);
    // A region with no traffic keeps at least one replica (and its min): the product never scales to zero.
    const floor = Math.max(c.min, 1);
    const required = Math.min(c.max, Math.max(floor, unclamped));
    visit(c, required, unclamped);
  }
}

/** The need as callers see it; `current` (a lookup in the state's 200-odd scale entries) only for the needs built. */
const needOf = (state: MeshState, c: ScaledCell, required: number, unclamped: number): ScaleNeed => ({
  key: c.key,
  cluster: c.cluster,
  namespace: c.namespace,
  deployment: c.deployment,
  region: c.region,
  current: state.scale[c.key]?.replicas ?? c.normalReplicas,
  required,
  unclamped,
  max: c.max,
});

export function scaleNeeds(policy: Policy, state: MeshState, matrix: TrafficMatrix, routing: DeploymentRouting = {}): ScaleNeed[] {
  const needs: ScaleNeed[] = [];
  eachNeed(policy, matrix, routing, (c, required, unclamped) => needs.push(needOf(state, c, required, unclamped)));
  return needs;
}

export interface ScalePlan {
  before: Step[];
  after: Step[];
  /** Deployments the traffic needs more of than their max. */
  short: ScaleNeed[];
}

/**
 * Scale-ups go before the mesh change (waiting for readiness on elective shifts; concurrently
 * for a DOWN drain); scale-downs after it, delayed by scaleDownDelay. Mutates `state.scale`.
 */
export function planScaling(
  policy: Policy,
  state: MeshState,
  matrix: TrafficMatrix,
  opts: { now: number; planId: string; waitReady: boolean },
  routing: DeploymentRouting = {},
): ScalePlan {
  const before: Step[] = [];
  const after: Step[] = [];
  const short: ScaleNeed[] = [];
  // Every need first (each reads the state's replicas before any is written, as scaleNeeds did),
  // as plain columns: a ScaleNeed object is built only for a deployment that is short.
  const cells: ScaledCell[] = [];
  const currents: number[] = [];
  const requireds: number[] = [];
  const unclampeds: number[] = [];
  eachNeed(policy, matrix, routing, (c, required, unclamped) => {
    cells.push(c);
    currents.push(state.scale[c.key]?.replicas ?? c.normalReplicas);
    requireds.push(required);
    unclampeds.push(unclamped);
  });
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i] as ScaledCell;
    const current = currents[i] as number;
    const required = requireds[i] as number;
    const unclamped = unclampeds[i] as number;
    if (unclamped > c.max)
      short.push({
        key: c.key,
        cluster: c.cluster,
        namespace: c.namespace,
        deployment: c.deployment,
        region: c.region,
        current,
        required,
        unclamped,
        max: c.max,
      });
    const entry = state.scale[c.key] ?? { replicas: current };
    if (required > current) {
      before.push({
        kind: 'scale',
        cluster: c.cluster,
        namespace: c.namespace,
        deployment: c.deployment,
        region: c.region,
        from: current,
        to: required,
        waitReady: opts.waitReady,
      });
      state.scale[c.key] = { replicas: required };
    } else if (required < current) {
      if (entry.pendingDown?.to === required) continue; // already scheduled
      const notBefore = opts.now + policy.scaling.scaleDownDelay;
      after.push({
        kind: 'scale',
        cluster: c.cluster,
        namespace: c.namespace,
        deployment: c.deployment,
        region: c.region,
        from: current,
        to: required,
        waitReady: false,
        notBefore,
      });
      state.scale[c.key] = { replicas: current, pendingDown: { to: required, notBefore, planId: opts.planId } };
    } else if (entry.pendingDown) {
      // Traffic came back before the delayed scale-down ran: cancel it.
      state.scale[c.key] = { replicas: current };
    }
  }
  return { before, after, short };
}

/** Delayed scale-downs whose time has come are taken as done (the engine runs them at notBefore). */
export function settleScaleDowns(state: MeshState, now: number): void {
  // Keys, not entries: one array instead of a [key, value] pair per deployment on every decision.
  for (const key of Object.keys(state.scale)) {
    const entry = state.scale[key];
    if (entry?.pendingDown && entry.pendingDown.notBefore <= now) state.scale[key] = { replicas: entry.pendingDown.to };
  }
}

/**
 * Deployments a move from `from` to `to` would push past their max. Only needs that grow
 * count: a shift that lightens a region already beyond its max (a recovery after a DOWN drain
 * that was short of capacity) must not be refused, or the traffic could never come back.
 */
export function capacityShortfall(
  policy: Policy,
  state: MeshState,
  from: TrafficMatrix,
  to: TrafficMatrix,
  routing: DeploymentRouting = {},
): ScaleNeed[] {
  return capacityShortfalls(policy, state, from, [to], routing);
}

/**
 * capacityShortfall from one matrix to each of several, concatenated in that order, each
 * deployment once (its first entry): the needs of `from` are computed once for all of them.
 */
export function capacityShortfalls(
  policy: Policy,
  state: MeshState,
  from: TrafficMatrix,
  tos: readonly TrafficMatrix[],
  routing: DeploymentRouting = {},
): ScaleNeed[] {
  const before = new Map<string, number>();
  eachNeed(policy, from, routing, (c, _required, unclamped) => before.set(c.key, unclamped));
  const all: ScaleNeed[] = [];
  for (const to of tos) {
    eachNeed(policy, to, routing, (c, required, unclamped) => {
      if (unclamped > c.max && unclamped > (before.get(c.key) ?? 0)) all.push(needOf(state, c, required, unclamped));
    });
  }
  return tos.length === 1 ? all : all.filter((n, i) => all.findIndex((o) => o.key === n.key) === i);
}
