import type { Policy } from '../core/policy';
import type { ReadinessProbes } from '../ports/readiness-probes';
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
  type Probed,
  type ReadinessReport,
} from './checks';

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
    Object.entries(d.regions).map(([region, r]) => ({
      cluster: r.cluster ?? policy.regions[region]?.clusters[0]?.id ?? region,
      namespace: d.namespace,
      name: d.name,
    })),
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
