import type { Pod } from './endpoints';
import type { EndpointLayout, PriorityLevel } from './locality-lb';
import type { SeededRandom } from './prng';
import { floor, min } from './math';

/**
 * Envoy's host selection over priority levels (`LoadBalancerBase::recalculatePerPriorityState`
 * and `chooseHostSet`), with its integer arithmetic:
 * - a level's availability is min(100, 140 × healthy / hosts) (overprovisioning factor 1.4);
 * - the normalized total availability is min(100, Σ availability);
 * - level i gets availability_i × 100 / normalized total, capped by what is left, so with a
 *   total of 100 the load waterfalls from P0 and spills the shortfall to P1, P2…; rounding
 *   leftovers go to the first level with any availability;
 * - when the normalized total is below 100, a level whose healthy share is below the panic
 *   threshold routes to all its hosts, healthy or not; when every level is in panic the load is
 *   split by host count instead. The threshold is Envoy's default 50% only for a cluster Istio
 *   sends without outlierDetection; with it, Istio sets it from `minHealthPercent`, 0 when
 *   omitted, and 0 means never panic: with every host ejected there is no host (503);
 * - in distribute mode (one level, weighted localities) a locality's effective weight is its
 *   weight × min(1, 1.4 × healthy / hosts).
 */

export const OVERPROVISIONING_PERCENT = 140;
/** Envoy's default healthy_panic_threshold (clusters without outlierDetection). */
export const PANIC_THRESHOLD_PERCENT = 50;

export interface LevelHealth {
  hosts: number;
  healthy: number;
}

export interface PriorityLoad {
  /** Integer percent of requests per level, summing to 100 (all zero when there are no levels). */
  load: number[];
  panic: boolean[];
}

export function priorityLoad(levels: LevelHealth[], panicThresholdPercent = PANIC_THRESHOLD_PERCENT): PriorityLoad {
  const n = levels.length;
  const load = new Array<number>(n).fill(0);
  const panic = new Array<boolean>(n).fill(false);
  if (n === 0) return { load, panic };
  const availability = levels.map((l) => (l.hosts === 0 ? 0 : min(100, floor((OVERPROVISIONING_PERCENT * l.healthy) / l.hosts))));
  const normalizedTotal = min(
    100,
    availability.reduce((s, a) => s + a, 0),
  );
  if (normalizedTotal < 100) {
    levels.forEach((l, i) => {
      const healthyPercent = l.hosts === 0 ? 0 : (100 * l.healthy) / l.hosts;
      panic[i] = healthyPercent < panicThresholdPercent;
    });
  }
  if (normalizedTotal === 0 && !panic.some(Boolean)) {
    // Panic off and nothing healthy: Envoy gives P0 the load and finds no host in it.
    load[0] = 100;
    return { load, panic };
  }
  if (panic.every(Boolean)) {
    // Total panic: Envoy splits by host count and ignores health everywhere.
    const totalHosts = levels.reduce((s, l) => s + l.hosts, 0);
    let remaining = 100;
    levels.forEach((l, i) => {
      const share = min(remaining, floor((100 * l.hosts) / totalHosts));
      load[i] = share;
      remaining -= share;
    });
    const first = levels.findIndex((l) => l.hosts > 0);
    load[first] = (load[first] as number) + remaining;
    return { load, panic };
  }
  let remaining = 100;
  availability.forEach((a, i) => {
    const share = min(remaining, floor((a * 100) / normalizedTotal));
    load[i] = share;
    remaining -= share;
  });
  const firstAvailable = availability.findIndex((a) => a > 0);
  load[firstAvailable] = (load[firstAvailable] as number) + remaining;
  return { load, panic };
}

/** Health of every host in a layout, as the caller's outlier detector sees it now. */
export type HostHealth = (pod: Pod) => boolean;

function countHealthy(hosts: Pod[], healthy: HostHealth): number {
  let n = 0;
  for (const h of hosts) if (healthy(h)) n++;
  return n;
}

function pickUniform<T>(items: T[], rand: SeededRandom): T | null {
  if (items.length === 0) return null;
  return items[rand.int(items.length)] as T;
}

/**
 * Envoy picks among a level's hosts in proportion to their endpoint weights (WorkloadEntry
 * spec.weight); with every weight 1 (all pods) that is the uniform pick, drawn as before.
 */
function pickHost(hosts: Pod[], rand: SeededRandom): Pod | null {
  if (!hosts.some((h) => h.weight !== undefined && h.weight !== 1)) return pickUniform(hosts, rand);
  const total = hosts.reduce((s, h) => s + (h.weight ?? 1), 0);
  let r = rand.next() * total;
  for (const h of hosts) {
    r -= h.weight ?? 1;
    if (r < 0) return h;
  }
  return hosts[hosts.length - 1] ?? null;
}

function pickInLevel(lvl: PriorityLevel, inPanic: boolean, healthy: HostHealth, rand: SeededRandom): Pod | null {
  if (inPanic) return pickHost(lvl.hosts, rand);
  const weighted = lvl.groups.length > 0 && lvl.groups[0]?.weight !== null;
  if (!weighted) return pickHost(lvl.hosts.filter(healthy), rand);
  const effective = lvl.groups.map((g) => {
    const h = countHealthy(g.hosts, healthy);
    return (g.weight ?? 0) * min(1, (OVERPROVISIONING_PERCENT / 100) * (h / g.hosts.length));
  });
  const total = effective.reduce((s, w) => s + w, 0);
  if (total <= 0) return pickHost(lvl.hosts.filter(healthy), rand);
  let r = rand.next() * total;
  for (let i = 0; i < effective.length; i++) {
    r -= effective[i] as number;
    if (r < 0) return pickHost(lvl.groups[i]!.hosts.filter(healthy), rand);
  }
  return pickHost(lvl.groups[lvl.groups.length - 1]!.hosts.filter(healthy), rand);
}

/** Pick the endpoint for one request, or null when the layout has no hosts (Envoy's "no healthy upstream"). */
export function chooseHost(
  layout: EndpointLayout,
  healthy: HostHealth,
  rand: SeededRandom,
  panicThresholdPercent = PANIC_THRESHOLD_PERCENT,
): Pod | null {
  const { levels } = layout;
  if (levels.length === 0) return null;
  if (levels.length === 1) {
    const only = levels[0] as PriorityLevel;
    const h = countHealthy(only.hosts, healthy);
    // One level takes all the load; below the threshold its availability is under 100 too, so it panics.
    return pickInLevel(only, (100 * h) / only.hosts.length < panicThresholdPercent, healthy, rand);
  }
  const { load, panic } = priorityLoad(
    levels.map((l) => ({ hosts: l.hosts.length, healthy: countHealthy(l.hosts, healthy) })),
    panicThresholdPercent,
  );
  let r = rand.int(100);
  for (let i = 0; i < levels.length; i++) {
    r -= load[i] as number;
    if (r < 0) return pickInLevel(levels[i] as PriorityLevel, panic[i] as boolean, healthy, rand);
  }
  return null;
}
