import type { EffectiveTrafficPolicy } from './config-source';
import { localityKey, type Locality, type Pod } from './endpoints';

/**
 * How Istio lays out one upstream cluster's endpoints for one caller proxy (pilot's
 * `ApplyLocalityLoadBalancer`): either priority levels (failover) or locality weights within a
 * single level (distribute), or one flat level when neither applies.
 *
 * Rules reproduced, and why they matter to the product:
 * - `distribute` is applied whenever an entry's `from` matches the caller, outlier detection or
 *   not: it is how a region is drained explicitly. Localities no `to` matches lose their endpoints.
 * - Priorities (failover) are applied only when the host has outlierDetection: without it Istio
 *   sends no priorities and Envoy spreads over every endpoint, so a dead local endpoint keeps
 *   receiving its share of requests forever. That is the documented "failover needs outlier
 *   detection" trap, and the lab keeps it.
 * - `enabled: false` turns both off. A null setting means the mesh has no locality LB at all
 *   (ASM's mesh-wide default is off; upstream Istio's meshConfig differs, but the product
 *   always renders an explicit setting).
 */

export type LbMode = 'failover' | 'distribute' | 'flat';

export interface LocalityGroup {
  /** `region/zone`, or `region/zone/subzone`. */
  locality: string;
  hosts: Pod[];
  /** Istio's locality load-balancing weight (distribute mode); null when localities are not weighted. */
  weight: number | null;
}

export interface PriorityLevel {
  groups: LocalityGroup[];
  hosts: Pod[];
}

export interface EndpointLayout {
  mode: LbMode;
  levels: PriorityLevel[];
}

/** Istio's `util.LocalityMatch`: a `from`/`to` pattern is a locality prefix, `*` matching a whole segment or the rest. */
export function localityMatches(locality: Locality, pattern: string): boolean {
  const parts = pattern.split('/');
  const actual = [locality.region, locality.zone, locality.subzone ?? ''];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (p === '*') return true;
    if (i >= actual.length) return false;
    if (p !== actual[i]) return false;
  }
  return true;
}

function groupByLocality(pods: Pod[]): LocalityGroup[] {
  const groups = new Map<string, LocalityGroup>();
  for (const pod of pods) {
    const key = localityKey(pod);
    let g = groups.get(key);
    if (!g) {
      g = { locality: key, hosts: [], weight: null };
      groups.set(key, g);
    }
    g.hosts.push(pod);
  }
  return [...groups.values()];
}

function level(groups: LocalityGroup[]): PriorityLevel {
  return { groups, hosts: groups.flatMap((g) => g.hosts) };
}

/**
 * A locality's weight before any distribute rule: Istio's EDS sets each LocalityLbEndpoints'
 * `load_balancing_weight` to the sum of its endpoints' weights (1 per pod, `spec.weight` for a
 * WorkloadEntry), not to its endpoint count.
 */
function originalWeight(g: LocalityGroup): number {
  return g.hosts.reduce((s, h) => s + (h.weight ?? 1), 0);
}

/**
 * Istio's `applyLocalityWeights`: the first `from` entry matching the caller applies; each `to`
 * pattern's weight is split over the localities it matches in proportion to their original
 * weights, each share rounded up (`math.Ceil`, as pilot does), and localities left unmatched are
 * dropped. The rounding is why a region's share can read above its `to` weight: 10 over a
 * region whose 3 endpoints sit 2 + 1 in two zones becomes 7 + 4 = 11 against the other
 * region's 90, 10.9% of requests (docs/lab.md, "Distribute weights are rounded up per locality").
 */
function distributeLayout(groups: LocalityGroup[], to: Record<string, number>): LocalityGroup[] {
  const weighted: LocalityGroup[] = [];
  const claimed = new Set<LocalityGroup>();
  for (const [pattern, weight] of Object.entries(to)) {
    const matched = groups.filter((g) => !claimed.has(g) && localityMatches(localityOf(g), pattern));
    const total = matched.reduce((s, g) => s + originalWeight(g), 0);
    for (const g of matched) {
      claimed.add(g);
      const w = Math.ceil((originalWeight(g) * weight) / total);
      if (w > 0) weighted.push({ ...g, weight: w });
    }
  }
  return weighted;
}

function localityOf(g: LocalityGroup): Locality {
  const [region = '', zone = '', subzone = ''] = g.locality.split('/');
  return { region, zone, subzone };
}

/**
 * Istio's `applyLocalityFailover` (no `failoverPriority`): `util.LbPriority` gives P0 when
 * region, zone and subzone all match the caller's, P1 region and zone, P2 region; another
 * region is P3 when it is the `failover.to` of the entry whose `from` is the caller's region (or
 * no entry names the caller's region), else P4. A missing subzone is '' on both sides, so
 * without subzones same-zone is P0. Empty levels are compacted away, as pilot does.
 */
function failoverLayout(caller: Locality, groups: LocalityGroup[], failover: Array<{ from?: unknown; to?: unknown }>): PriorityLevel[] {
  const entry = failover.find((f) => f.from === caller.region);
  const buckets: LocalityGroup[][] = [[], [], [], [], []];
  for (const g of groups) {
    const loc = localityOf(g);
    let p: number;
    if (loc.region === caller.region) {
      if (loc.zone !== caller.zone) p = 2;
      else p = (loc.subzone ?? '') === (caller.subzone ?? '') ? 0 : 1;
    } else if (!entry || entry.to === loc.region) p = 3;
    else p = 4;
    (buckets[p] as LocalityGroup[]).push(g);
  }
  return buckets.filter((b) => b.length > 0).map(level);
}

export function layoutEndpoints(caller: Locality, pods: Pod[], policy: EffectiveTrafficPolicy): EndpointLayout {
  const groups = groupByLocality(pods);
  const lb = policy.localityLb;
  if (!lb || lb.enabled === false || groups.length === 0) return { mode: 'flat', levels: groups.length > 0 ? [level(groups)] : [] };
  const distribute = lb.distribute ?? [];
  if (distribute.length > 0) {
    const entry = distribute.find((d) => typeof d.from === 'string' && localityMatches(caller, d.from));
    if (!entry) return { mode: 'flat', levels: [level(groups)] };
    const weighted = distributeLayout(groups, (entry.to ?? {}) as Record<string, number>);
    return { mode: 'distribute', levels: weighted.length > 0 ? [level(weighted)] : [] };
  }
  if (!policy.outlierDetection) return { mode: 'flat', levels: [level(groups)] };
  return { mode: 'failover', levels: failoverLayout(caller, groups, lb.failover ?? []) };
}
