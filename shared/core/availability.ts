import { deploymentKey } from './capacity';
import type { Policy } from './policy';
import type { MeshState, Severity, Signal } from './types';

/**
 * Deployment availability as a signal source: on each tick the scheduler reads every policy
 * deployment (`scaling.deployments`) in every region it runs in, and grades available against
 * expected replicas with `detection.deploymentAvailability`. This is what the Deployment's
 * Available condition (MinimumReplicasUnavailable) says, read where it lives, since no Event
 * ever carries it.
 */

export const AVAILABILITY_SOURCE = 'k8s';
export const AVAILABILITY_RULE = 'deploymentAvailability';

export interface AvailabilityTarget {
  region: string;
  cluster: string;
  namespace: string;
  name: string;
  /** The region's normal replicas from the policy. */
  normalReplicas: number;
  /** The scoped service the deployment serves (`scaling.deployments[].service`), if any. */
  service?: string;
}

/** One read of a target: its status, or why it could not be read. */
export type AvailabilityReading = { target: AvailabilityTarget; available: number } | { target: AvailabilityTarget; error: string };

export function availabilityTargets(policy: Policy): AvailabilityTarget[] {
  const out: AvailabilityTarget[] = [];
  for (const d of policy.scaling.deployments) {
    for (const region of policy.regionIds) {
      const r = d.regions[region];
      if (!r) continue;
      const cluster = r.cluster ?? policy.regions[region]?.clusters[0]?.id ?? region;
      out.push({
        region,
        cluster,
        namespace: d.namespace,
        name: d.name,
        normalReplicas: r.normalReplicas,
        ...(d.service !== undefined ? { service: d.service } : {}),
      });
    }
  }
  return out;
}

function signalKey(t: AvailabilityTarget): string {
  return `${AVAILABILITY_RULE}|${AVAILABILITY_SOURCE}|${deploymentKey(t.cluster, t.namespace, t.name)}`;
}

/**
 * The replicas a target is expected to have available now: its normal count, but never more
 * than the product last asked for. Not spec.replicas: a scale-up the product started (pods
 * still starting) must not read as lost capacity, a drained region the product scaled down to
 * its min is not degraded, and a deployment someone scaled to zero is down, not "0 of 0".
 */
function expectedReplicas(t: AvailabilityTarget, state: MeshState | null): number {
  const asked = state?.scale[deploymentKey(t.cluster, t.namespace, t.name)]?.replicas;
  return asked === undefined ? t.normalReplicas : Math.min(t.normalReplicas, asked);
}

export interface AvailabilityOutcome {
  /** Signals that change the state: a new or regraded firing, a refresh due, a resolve of an active one. */
  signals: Signal[];
  /** Targets that could not be read or graded, and why (left as they are; a firing one lapses at its TTL). */
  skipped: string[];
}

/**
 * Signals from one round of readings. Only what changes the state is returned, so a steady
 * state (everything available, or the same degradation within half its TTL) ingests nothing
 * and the tick commits nothing.
 */
export function availabilitySignals(
  policy: Policy,
  state: MeshState | null,
  readings: AvailabilityReading[],
  now: number,
): AvailabilityOutcome {
  const cfg = policy.detection.deploymentAvailability;
  const out: AvailabilityOutcome = { signals: [], skipped: [] };
  if (!cfg) return out;
  for (const reading of readings) {
    const t = reading.target;
    const key = signalKey(t);
    const what = `${t.namespace}/${t.name} in ${t.cluster} (${t.region})`;
    if ('error' in reading) {
      out.skipped.push(`${what}: ${reading.error}`);
      continue;
    }
    const expected = expectedReplicas(t, state);
    if (expected <= 0) {
      out.skipped.push(`${what}: no replicas expected`);
      continue;
    }
    const percent = (Math.min(reading.available, expected) / expected) * 100;
    const severity: Severity | null = percent <= cfg.downAtOrBelow ? 'down' : percent < cfg.degradedBelow ? 'degraded' : null;
    const active = state?.signals[key];
    const base = {
      key,
      source: AVAILABILITY_SOURCE,
      rule: AVAILABILITY_RULE,
      region: t.region,
      service: t.service ?? t.name,
      at: now,
      ttl: cfg.ttl,
      name: `${t.name} ${reading.available}/${expected} available`,
    };
    if (severity === null) {
      if (active) out.signals.push({ ...base, severity: active.severity, status: 'resolved' });
      continue;
    }
    // The core treats a repeat within half the TTL as a duplicate; skip it here so no decision is even made.
    if (active && active.severity === severity && active.region === t.region && now - active.at < active.ttl / 2) continue;
    out.signals.push({ ...base, severity, status: 'firing' });
  }
  return out;
}
