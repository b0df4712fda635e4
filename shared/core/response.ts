import { retainedShare } from './health';
import { inboundShares } from './matrix';
import type { Policy } from './policy';
import type { RegionHealth, TrafficMatrix } from './types';

/** Fractional shares; rounded to integers only at the end of a decision. */
export type Shares = Record<string, Record<string, number>>;

function cloneShares(m: TrafficMatrix | Shares, regionIds: string[]): Shares {
  return Object.fromEntries(regionIds.map((s) => [s, Object.fromEntries(regionIds.map((d) => [d, m[s]?.[d] ?? 0]))]));
}

/**
 * Move `amount` points of row `src` away from a region to the regions that may take it:
 * by the failover order (the source itself first, then its failover list), or spread in
 * proportion to the candidates' normal inbound shares.
 */
function redistribute(policy: Policy, row: Record<string, number>, src: string, amount: number, candidates: Set<string>): boolean {
  if (amount <= 0) return true;
  if (policy.response.redistribute === 'proportional') {
    const normalIn = inboundShares(policy.normal, loadOf(policy), policy.regionIds);
    const weights = policy.regionIds.filter((r) => candidates.has(r)).map((r) => [r, (row[r] ?? 0) + (normalIn[r] ?? 0)] as const);
    const total = weights.reduce((a, [, w]) => a + w, 0);
    if (total <= 0) return false;
    for (const [r, w] of weights) row[r] = (row[r] ?? 0) + (amount * w) / total;
    return true;
  }
  const order = [src, ...(policy.failover[src] ?? []), ...policy.regionIds];
  const target = order.find((r) => candidates.has(r));
  if (!target) return false;
  row[target] = (row[target] ?? 0) + amount;
  return true;
}

export function loadOf(policy: Policy): Record<string, number> {
  return Object.fromEntries(policy.regionIds.map((r) => [r, policy.regions[r]?.load ?? 1]));
}

/** Drain regions from a matrix: their column goes to zero, each row's share follows the failover order. */
export function drainRegions(policy: Policy, m: TrafficMatrix | Shares, drained: string[]): Shares {
  const out = cloneShares(m, policy.regionIds);
  const candidates = new Set(policy.regionIds.filter((r) => !drained.includes(r)));
  for (const src of policy.regionIds) {
    const row = out[src] as Record<string, number>;
    for (const d of drained) {
      const amount = row[d] ?? 0;
      row[d] = 0;
      redistribute(policy, row, src, amount, candidates);
    }
  }
  return out;
}

export interface HealthResponse {
  shares: Shares;
  /** Regions whose traffic went to zero because they are DOWN. */
  drained: string[];
  /** DOWN regions that were left serving because draining them would break a safety rule. */
  notDrained: Array<{ region: string; rule: string; message: string }>;
}

/**
 * Health response on top of the intended matrix: DOWN regions get 0%, DEGRADED keep
 * `degradedShare` of their intended share, RECOVERING their step's share; what they shed goes
 * to healthy regions first, then to any region that is not DOWN.
 */
export function applyHealthResponse(policy: Policy, intended: TrafficMatrix, health: Record<string, RegionHealth>): HealthResponse {
  const notDrained: HealthResponse['notDrained'] = [];
  const downRegions = policy.regionIds
    .filter((r) => health[r]?.status === 'DOWN')
    .sort((a, b) => (health[a]?.since ?? 0) - (health[b]?.since ?? 0) || policy.regionIds.indexOf(a) - policy.regionIds.indexOf(b));
  const drained: string[] = [];
  for (const r of downRegions) {
    if (drained.length >= policy.safety.maxDrainedRegions) {
      notDrained.push({ region: r, rule: 'safety.maxDrainedRegions', message: `${r} is DOWN but ${drained.join(', ')} already drained (max ${policy.safety.maxDrainedRegions} at once)` });
      continue;
    }
    if (policy.regionIds.length - drained.length - 1 < policy.safety.minServingRegions) {
      notDrained.push({ region: r, rule: 'safety.minServingRegions', message: `draining ${r} would leave fewer than ${policy.safety.minServingRegions} regions serving; keeping the last good matrix` });
      continue;
    }
    drained.push(r);
  }
  let shares = drainRegions(policy, intended, drained);

  const serving = policy.regionIds.filter((r) => !drained.includes(r));
  const healthy = new Set(serving.filter((r) => health[r]?.status === 'HEALTHY'));
  const open = new Set(serving);
  shares = cloneShares(shares, policy.regionIds);
  for (const d of serving) {
    const h = health[d];
    if (!h || h.status === 'HEALTHY' || h.status === 'DOWN') continue;
    const keep = retainedShare(policy, h);
    const takers = new Set([...healthy].filter((r) => r !== d));
    const fallback = new Set([...open].filter((r) => r !== d));
    for (const src of policy.regionIds) {
      const row = shares[src] as Record<string, number>;
      const shed = (row[d] ?? 0) * (1 - keep);
      if (shed <= 0) continue;
      row[d] = (row[d] ?? 0) - shed;
      if (!redistribute(policy, row, src, shed, takers.size ? takers : fallback)) row[d] = (row[d] ?? 0) + shed;
    }
  }
  return { shares, drained, notDrained };
}
