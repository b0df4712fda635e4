import { retainedShare } from './health';
import { inboundShares } from './matrix';
import type { Policy } from './policy';
import type { TargetJudge } from './target-guard';
import type { RegionHealth, TrafficMatrix } from './types';

/** Fractional shares; rounded to integers only at the end of a decision. */
export type Shares = Record<string, Record<string, number>>;

function cloneShares(m: TrafficMatrix | Shares, regionIds: string[]): Shares {
  // Plain loops: this runs on every decision, and the entry arrays of fromEntries are garbage.
  const out: Shares = {};
  for (const s of regionIds) {
    const src = m[s];
    const row: Record<string, number> = {};
    for (const d of regionIds) row[d] = src?.[d] ?? 0;
    out[s] = row;
  }
  return out;
}

/**
 * Move `amount` points of row `src` away from a region to the regions that may take it:
 * by the failover order (the source itself first, then its failover list), or spread in
 * proportion to the candidates' normal inbound shares (what their capacity is sized for).
 */
function redistribute(
  policy: Policy,
  row: Record<string, number>,
  src: string,
  amount: number,
  offered: Set<string>,
  leaving: string,
  judge?: TargetJudge,
): boolean {
  if (amount <= 0) return true;
  // The target guard: only regions measurably better than the one the traffic leaves.
  const candidates = judge ? new Set([...offered].filter((r) => judge.accepts(r, leaving).ok)) : offered;
  if (policy.response.redistribute === 'proportional') {
    const normalIn = inboundShares(policy.normal, loadOf(policy), policy.regionIds);
    const takers = policy.regionIds.filter((r) => candidates.has(r));
    if (takers.length === 0) return false;
    // Weights are the normal shares alone: adding the row's current percent (another unit)
    // would hand nearly everything to whichever region the row already favours.
    let weights = takers.map((r) => [r, normalIn[r] ?? 0] as const);
    let total = weights.reduce((a, [, w]) => a + w, 0);
    if (total <= 0) {
      weights = takers.map((r) => [r, 1] as const);
      total = takers.length;
    }
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

/**
 * Drain regions from a matrix: their column goes to zero, each row's share follows the failover
 * order. With `prefer` (the HEALTHY regions), the share goes to those first and to any other
 * region left serving only when none of them is (design §3.2: "its share goes to healthy regions").
 */
export function drainRegions(
  policy: Policy,
  m: TrafficMatrix | Shares,
  drained: string[],
  prefer?: ReadonlySet<string>,
  judge?: TargetJudge,
): Shares {
  const out = cloneShares(m, policy.regionIds);
  const open = policy.regionIds.filter((r) => !drained.includes(r));
  // Per drained region: the open regions the guard accepts for its traffic, the preferred (HEALTHY) ones first.
  const candidatesFor = new Map(
    drained.map((d) => {
      const accepted = open.filter((r) => !judge || judge.accepts(r, d).ok);
      const preferred = accepted.filter((r) => prefer?.has(r));
      return [d, new Set(preferred.length ? preferred : accepted)] as const;
    }),
  );
  for (const src of policy.regionIds) {
    const row = out[src] as Record<string, number>;
    for (const d of drained) {
      const amount = row[d] ?? 0;
      row[d] = 0;
      // Nowhere to go (no region left open, or none the guard accepts): the share stays.
      if (!redistribute(policy, row, src, amount, candidatesFor.get(d) as Set<string>, d, judge)) row[d] = amount;
    }
  }
  return out;
}

/** The HEALTHY regions: where a drained region's traffic goes first. */
export function healthyRegions(policy: Policy, health: Record<string, RegionHealth>): Set<string> {
  return new Set(policy.regionIds.filter((r) => health[r]?.status === 'HEALTHY'));
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
export function applyHealthResponse(
  policy: Policy,
  intended: TrafficMatrix,
  health: Record<string, RegionHealth>,
  judge?: TargetJudge,
): HealthResponse {
  const notDrained: HealthResponse['notDrained'] = [];
  // The sickest first (measured), then the longest down, then the policy's order: with two
  // regions down and room to drain one, it is the worse one that gives its traffic away.
  const badness = (r: string) => judge?.badness(r) ?? 0;
  const downRegions = policy.regionIds
    .filter((r) => health[r]?.status === 'DOWN')
    .sort(
      (a, b) =>
        badness(b) - badness(a) ||
        (health[a]?.since ?? 0) - (health[b]?.since ?? 0) ||
        policy.regionIds.indexOf(a) - policy.regionIds.indexOf(b),
    );
  const drained: string[] = [];
  for (const r of downRegions) {
    // Leaving nothing serving is the graver refusal (usually broken monitoring): named first.
    if (policy.regionIds.length - drained.length - 1 < policy.safety.minServingRegions) {
      notDrained.push({
        region: r,
        rule: 'safety.minServingRegions',
        message: `draining ${r} would leave fewer than ${policy.safety.minServingRegions} regions serving; keeping the last good matrix`,
      });
      continue;
    }
    if (drained.length >= policy.safety.maxDrainedRegions) {
      notDrained.push({
        region: r,
        rule: 'safety.maxDrainedRegions',
        message: `${r} is DOWN but ${drained.join(', ')} already drained (max ${policy.safety.maxDrainedRegions} at once)`,
      });
      continue;
    }
    if (judge) {
      const open = policy.regionIds.filter((o) => o !== r && !drained.includes(o));
      const verdicts = open.map((o) => judge.accepts(o, r));
      if (!verdicts.some((v) => v.ok)) {
        const why =
          verdicts
            .map((v) => (v.ok ? '' : v.why))
            .filter(Boolean)
            .join('; ') || 'no other region serving';
        notDrained.push({
          region: r,
          rule: 'safety.doNoHarm',
          message: `${r} is DOWN but shifting would not help: ${why}; keeping its traffic and Envoy's fallback in place`,
        });
        continue;
      }
    }
    drained.push(r);
  }
  const shares = drainRegions(policy, intended, drained, healthyRegions(policy, health), judge);

  const serving = policy.regionIds.filter((r) => !drained.includes(r));
  const healthy = new Set(serving.filter((r) => health[r]?.status === 'HEALTHY'));
  const open = new Set(serving);
  // drainRegions returned a fresh dense copy (cloneShares): it is worked on in place, not copied again.
  for (const d of serving) {
    const h = health[d];
    if (!h || h.status === 'HEALTHY' || h.status === 'DOWN') continue;
    const keep = retainedShare(policy, h);
    const takes = (r: string) => r !== d && (!judge || judge.accepts(r, d).ok);
    const takers = new Set([...healthy].filter(takes));
    const fallback = new Set([...open].filter(takes));
    for (const src of policy.regionIds) {
      const row = shares[src] as Record<string, number>;
      const shed = (row[d] ?? 0) * (1 - keep);
      if (shed <= 0) continue;
      row[d] = (row[d] ?? 0) - shed;
      if (!redistribute(policy, row, src, shed, takers.size ? takers : fallback, d, judge)) row[d] = (row[d] ?? 0) + shed;
    }
  }
  return { shares, drained, notDrained };
}
