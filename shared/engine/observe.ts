import { scaledCells } from '../core/capacity';
import { UpstreamError } from '../core/errors';
import type { Policy } from '../core/policy';
import type { Observations, Plan, RegionReadiness, TrafficMatrix } from '../core/types';
import type { ClusterScaler } from '../ports/cluster-scaler';

/**
 * What the target guard needs read before a move: whether the regions that would receive traffic
 * have ready pods for every deployment the policy places there. Read only when a first decision
 * moves traffic, so an alarm that changes nothing pays nothing; the decision is then taken again
 * with what was read (the core stays pure: same observations, same plan).
 */

/** Regions whose inbound share the plan's mesh step raises against the matrix the mesh has. */
export function regionsGaining(plan: Plan, current: TrafficMatrix | null | undefined): string[] {
  const mesh = plan.steps.find((s) => s.kind === 'mesh');
  if (!mesh || mesh.kind !== 'mesh' || !current) return [];
  const gaining = new Set<string>();
  const routings = [mesh.matrix, ...Object.values(mesh.scopes ?? {}).map((r) => r.matrix)];
  for (const next of routings) {
    for (const [src, row] of Object.entries(next)) {
      for (const [dst, w] of Object.entries(row)) {
        if (dst !== src && w > (current[src]?.[dst] ?? 0)) gaining.add(dst);
      }
    }
  }
  return [...gaining].sort();
}

/**
 * The service a scaled Deployment serves: its `service:` in the policy, else its name without a
 * `-v<N>` version suffix (Bookinfo's convention: reviews-v1 and reviews-v2 both serve reviews).
 */
export function servedService(deployment: { name: string; service?: string | undefined }): string {
  return deployment.service ?? deployment.name.replace(/-v\d+$/, '');
}

/**
 * Ready pods per region, by service: every service the policy runs in any region
 * (`scaling.deployments`, `normalReplicas` above 0) must have a Deployment in the receiving region
 * with at least one ready pod, or that region's share of it would have nowhere to go. A Deployment
 * that is not found counts as not ready (the policy says it is there; it is not); a read that fails
 * otherwise is unknown and never blocks a move: a drain must not wait on a flaky API.
 */
export async function readReadiness(
  policy: Policy,
  scaler: ClusterScaler,
  regions: readonly string[],
  timeoutMs = 2_000,
): Promise<Observations> {
  // A deployment meant to run with no pods (normalReplicas 0) is not expected ready.
  const running = scaledCells(policy).filter((c) => c.normalReplicas > 0);
  const services = [...new Set(running.map((c) => servedService(c.source)))].sort();
  const cells = running.filter((c) => regions.includes(c.region));
  const results = await Promise.all(
    cells.map(async (c) => {
      const ref = { cluster: c.cluster, namespace: c.namespace, name: c.deployment };
      try {
        const status = await withTimeout(scaler.get(ref), timeoutMs);
        return { c, ready: status === null ? null : status.readyReplicas > 0 };
      } catch (err) {
        if (err instanceof UpstreamError && err.code === 'K8S.NotFound') return { c, ready: false };
        return { c, ready: null };
      }
    }),
  );
  const ready: Record<string, RegionReadiness> = {};
  for (const region of regions) {
    const missing: string[] = [];
    const unknown: string[] = [];
    for (const service of services) {
      const mine = results.filter((r) => r.c.region === region && servedService(r.c.source) === service);
      if (mine.some((r) => r.ready === true)) continue;
      if (mine.length === 0) missing.push(`${service} (no Deployment of it placed in ${region})`);
      else if (mine.some((r) => r.ready === null)) unknown.push(...mine.filter((r) => r.ready === null).map((r) => r.c.key));
      else missing.push(...mine.map((r) => r.c.key));
    }
    ready[region] = { ready: missing.length === 0, missing: missing.sort(), unknown: unknown.sort() };
  }
  return { ready };
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
