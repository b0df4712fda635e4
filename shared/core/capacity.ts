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

/**
 * With service scopes, a deployment follows the routing of its service (`matrixFor`), and a
 * scope's checks look at its own deployments only (`only`). Absent: every deployment follows `matrix`.
 */
export interface DeploymentRouting {
  matrixFor?: (d: DeploymentPolicy) => TrafficMatrix;
  only?: (d: DeploymentPolicy) => boolean;
}

export function scaleNeeds(policy: Policy, state: MeshState, matrix: TrafficMatrix, routing: DeploymentRouting = {}): ScaleNeed[] {
  const load = loadOf(policy);
  const plain = inboundShares(matrix, load, policy.regionIds);
  const normalIn = inboundShares(policy.normal, load, policy.regionIds);
  const needs: ScaleNeed[] = [];
  for (const d of policy.scaling.deployments) {
    if (routing.only && !routing.only(d)) continue;
    const inbound = routing.matrixFor ? inboundShares(routing.matrixFor(d), load, policy.regionIds) : plain;
    for (const region of policy.regionIds) {
      const r = d.regions[region];
      if (!r) continue;
      const cluster = r.cluster ?? policy.regions[region]?.clusters[0]?.id ?? region;
      const key = deploymentKey(cluster, d.namespace, d.name);
      const current = state.scale[key]?.replicas ?? r.normalReplicas;
      const I = inbound[region] ?? 0;
      const N = normalIn[region] ?? 0;
      let unclamped: number;
      if (N === 0) unclamped = I > 0 ? r.max : r.normalReplicas;
      else if (I > N) unclamped = Math.ceil(r.normalReplicas * (I / N) * policy.response.headroom - 1e-9);
      else unclamped = Math.ceil(r.normalReplicas * (I / N) - 1e-9);
      // A region with no traffic keeps at least one replica (and its min): the product never scales to zero.
      const floor = Math.max(r.min, 1);
      const required = Math.min(r.max, Math.max(floor, unclamped));
      needs.push({ key, cluster, namespace: d.namespace, deployment: d.name, region, current, required, unclamped, max: r.max });
    }
  }
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
export function planScaling(policy: Policy, state: MeshState, matrix: TrafficMatrix, opts: { now: number; planId: string; waitReady: boolean }, routing: DeploymentRouting = {}): ScalePlan {
  const before: Step[] = [];
  const after: Step[] = [];
  const short: ScaleNeed[] = [];
  for (const n of scaleNeeds(policy, state, matrix, routing)) {
    if (n.unclamped > n.max) short.push(n);
    const entry = state.scale[n.key] ?? { replicas: n.current };
    const base = { cluster: n.cluster, namespace: n.namespace, deployment: n.deployment, region: n.region };
    if (n.required > n.current) {
      before.push({ kind: 'scale', ...base, from: n.current, to: n.required, waitReady: opts.waitReady });
      state.scale[n.key] = { replicas: n.required };
    } else if (n.required < n.current) {
      if (entry.pendingDown?.to === n.required) continue; // already scheduled
      const notBefore = opts.now + policy.scaling.scaleDownDelay;
      after.push({ kind: 'scale', ...base, from: n.current, to: n.required, waitReady: false, notBefore });
      state.scale[n.key] = { replicas: n.current, pendingDown: { to: n.required, notBefore, planId: opts.planId } };
    } else if (entry.pendingDown) {
      // Traffic came back before the delayed scale-down ran: cancel it.
      state.scale[n.key] = { replicas: n.current };
    }
  }
  return { before, after, short };
}

/** Delayed scale-downs whose time has come are taken as done (the engine runs them at notBefore). */
export function settleScaleDowns(state: MeshState, now: number): void {
  for (const [key, entry] of Object.entries(state.scale)) {
    if (entry.pendingDown && entry.pendingDown.notBefore <= now) state.scale[key] = { replicas: entry.pendingDown.to };
  }
}

/**
 * Deployments a move from `from` to `to` would push past their max. Only needs that grow
 * count: a shift that lightens a region already beyond its max (a recovery after a DOWN drain
 * that was short of capacity) must not be refused, or the traffic could never come back.
 */
export function capacityShortfall(policy: Policy, state: MeshState, from: TrafficMatrix, to: TrafficMatrix, routing: DeploymentRouting = {}): ScaleNeed[] {
  const before = new Map(scaleNeeds(policy, state, from, routing).map((n) => [n.key, n.unclamped]));
  return scaleNeeds(policy, state, to, routing).filter((n) => n.unclamped > n.max && n.unclamped > (before.get(n.key) ?? 0));
}
