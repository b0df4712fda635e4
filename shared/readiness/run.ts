import type { Policy } from '../core/policy';
import type { LiveMeshConfig } from '../ports/mesh-control';
import {
  checkCapacity,
  checkControlPlanePlacement,
  checkClusterAccess,
  checkCloudAlarmWiring,
  checkExecutor,
  checkFailoverReach,
  checkHandMadeLocality,
  checkLocalityLabels,
  checkLocalityLbEnabled,
  checkOutlierDetection,
  checkSignalCoverage,
  checkStateTables,
  checkWorkloadEntryLocality,
  worst,
  type DestinationRuleInfo,
  type NodeInfo,
  type PlacementInfo,
  type Probed,
  type ReadinessReport,
  type WorkloadEntryInfo,
} from './checks';

/** The read-only cloud calls the checks need. Nothing here changes anything. */
export interface ReadinessProbes {
  /** Every DestinationRule the mesh control plane holds (all namespaces). */
  destinationRules(): Promise<DestinationRuleInfo[]>;
  nodes(cluster: string): Promise<NodeInfo[]>;
  /** Every WorkloadEntry the mesh control plane holds (all namespaces); [] when the CRD is not installed. */
  workloadEntries(): Promise<WorkloadEntryInfo[]>;
  meshLive(): Promise<LiveMeshConfig>;
  deployment(ref: { cluster: string; namespace: string; name: string }): Promise<unknown>;
  stateStore(): Promise<{ backend: string; version: number }>;
  /** null when no executor is configured. */
  executor(): Promise<{ functionName: string } | null>;
  /** Where the control plane runs (no cloud call: the runtime's own variables); absent: unknown. */
  placement?(): PlacementInfo;
}

async function probe<T>(f: () => Promise<T>): Promise<Probed<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** The policy-only checks: no cloud call, cheap enough for every scheduler run. */
export function policyChecks(policy: Policy) {
  return [checkCapacity(policy), checkFailoverReach(policy), checkSignalCoverage(policy)];
}

export async function runReadiness(policy: Policy, probes: ReadinessProbes, now: number): Promise<ReadinessReport> {
  const clusters = policy.regionIds.flatMap((r) => (policy.regions[r]?.clusters ?? []).map((c) => c.id));
  const deployments = policy.scaling.deployments.flatMap((d) =>
    Object.entries(d.regions).map(([region, r]) => ({ cluster: r.cluster ?? policy.regions[region]?.clusters[0]?.id ?? region, namespace: d.namespace, name: d.name })),
  );
  const [rules, entries, live, state, executor, nodes, deps] = await Promise.all([
    probe(() => probes.destinationRules()),
    probe(() => probes.workloadEntries()),
    probe(() => probes.meshLive()),
    probe(() => probes.stateStore()),
    probe(() => probes.executor()),
    Promise.all(clusters.map(async (c) => [c, await probe(() => probes.nodes(c))] as const)),
    Promise.all(deployments.map(async (d) => [`${d.cluster}/${d.namespace}/${d.name}`, await probe(() => probes.deployment(d))] as const)),
  ]);
  const checks = [
    checkOutlierDetection(policy, rules),
    checkHandMadeLocality(policy, rules),
    checkLocalityLabels(policy, Object.fromEntries(nodes)),
    checkWorkloadEntryLocality(policy, entries),
    checkLocalityLbEnabled(policy, live),
    ...policyChecks(policy),
    checkCloudAlarmWiring(policy),
    checkStateTables(state),
    checkClusterAccess(policy, Object.fromEntries(deps)),
    checkExecutor(executor),
    checkControlPlanePlacement(policy, probes.placement?.() ?? {}),
  ];
  return { mesh: policy.name, at: now, status: worst(checks), checks };
}
