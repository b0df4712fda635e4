import { ownValue, setOwn } from './own';
import type { Policy } from './policy';
import type { HealthStatus, Observations, RegionHealth, Signal, TrafficMatrix } from './types';

/**
 * Do no harm (design §3.3): traffic moves only toward a region that is measurably better than the
 * one it leaves and that has ready pods for what the moved traffic calls. When no region
 * qualifies (every region as sick or sicker: a global incident) the traffic stays where it is and
 * Envoy's own fallback (failover mode, outlier detection) stays in place.
 *
 * "Measurably better", in order:
 *   1. a region with no active signal is better than one with any (clear beats sick);
 *   2. between two sick regions, the one whose measured error share is at least
 *      `response.guard.margin` points lower; a DOWN region without an error measure counts as
 *      failing everything (it was graded down), a DEGRADED one without a measure is unknown;
 *   3. failing that, the same metric (a latency against a latency) lower by the same relative
 *      margin on every metric both report, and the target reports no metric the source does not;
 *   anything else is not measurably better. A DOWN region is a target only when it measures
 *   better than the source by the margin (both graded down, one failing 30%, the other 60%).
 * Between two clear regions nothing is better, but nothing is worse either: elective moves
 * (a schedule, an override, a recovery step) between healthy, ready regions pass.
 */

export interface RegionCondition {
  region: string;
  status: HealthStatus;
  /** No active signal (a drill's synthetic one included) and not DOWN or DEGRADED (RECOVERING counts as clear). */
  clear: boolean;
  /** The worst measured error share (0..1) of its active signals; 1 for DOWN without one; null when unknown. */
  errorShare: number | null;
  /** Worst value per metric of its active signals' other measures. */
  metrics: Record<string, number>;
  /** Known not ready (a deployment the policy places there has no ready pod). */
  notReady: string[] | null;
}

export interface TargetJudge {
  condition(region: string): RegionCondition;
  /** Whether traffic leaving `source` may go to `target`; `why` says what stops it. */
  accepts(target: string, source: string): { ok: true } | { ok: false; why: string };
  /** Worst first: the order in which DOWN regions are drained (the sickest gives its traffic away first). */
  badness(region: string): number;
}

const pct = (share: number) => `${Math.round(share * 1000) / 10}%`;

export function regionConditions(
  policy: Policy,
  health: Record<string, RegionHealth>,
  active: readonly Signal[],
  observed?: Observations,
): Map<string, RegionCondition> {
  const out = new Map<string, RegionCondition>();
  for (const region of policy.regionIds) {
    const mine = active.filter((s) => s.region === region && s.status === 'firing');
    const status = health[region]?.status ?? 'HEALTHY';
    let share: number | null = null;
    const metrics: Record<string, number> = {};
    for (const s of mine) {
      const m = s.measure;
      if (!m) continue;
      if (m.kind === 'errorShare') share = Math.max(share ?? 0, m.value);
      else if ((ownValue(metrics, m.metric) ?? -Infinity) < m.value) setOwn(metrics, m.metric, m.value);
    }
    // Signals cleared but not recovered yet (the hold): as sick as it last measured.
    const sick = status === 'DOWN' || status === 'DEGRADED';
    const remembered = health[region]?.measured;
    if (share === null && sick && remembered !== undefined) share = remembered;
    // Graded down by its source and nothing says how much it still serves: count it as serving nothing.
    if (share === null && status === 'DOWN') share = 1;
    const readiness = ownValue(observed?.ready, region);
    out.set(region, {
      region,
      status,
      clear: mine.length === 0 && !sick,
      errorShare: share,
      metrics,
      notReady: readiness && !readiness.ready ? readiness.missing : null,
    });
  }
  return out;
}

export function targetJudge(
  policy: Policy,
  health: Record<string, RegionHealth>,
  active: readonly Signal[],
  observed?: Observations,
): TargetJudge {
  const conditions = regionConditions(policy, health, active, observed);
  const margin = policy.response.guard.margin / 100;
  const condition = (r: string): RegionCondition =>
    conditions.get(r) ?? { region: r, status: 'HEALTHY', clear: true, errorShare: null, metrics: {}, notReady: null };

  function better(t: RegionCondition, s: RegionCondition): boolean {
    if (t.clear) return !s.clear;
    if (s.clear) return false;
    if (t.errorShare !== null && s.errorShare !== null) return t.errorShare + margin <= s.errorShare;
    const common = Object.keys(t.metrics).filter((m) => Object.hasOwn(s.metrics, m));
    if (common.length === 0 || Object.keys(t.metrics).length !== common.length) return false;
    return common.every((m) => (t.metrics[m] as number) * (1 + margin) <= (s.metrics[m] as number));
  }

  function describe(c: RegionCondition): string {
    if (c.clear) return `${c.region} ${c.status}, no active signal`;
    const parts: string[] = [c.status];
    if (c.errorShare !== null) parts.push(`${pct(c.errorShare)} failing`);
    for (const [m, v] of Object.entries(c.metrics)) parts.push(`${m} ${v}`);
    return `${c.region} ${parts.join(', ')}`;
  }

  return {
    condition,
    badness(region) {
      const c = condition(region);
      if (c.clear) return 0;
      return c.errorShare ?? (c.status === 'DOWN' ? 1 : 0.5);
    },
    accepts(target, source) {
      const t = condition(target);
      const s = condition(source);
      if (t.notReady) return { ok: false, why: `${target} has no ready pods for ${t.notReady.join(', ')}` };
      if (t.clear && s.clear) return { ok: true };
      if (better(t, s)) return { ok: true };
      return { ok: false, why: `${describe(t)} is not measurably better than ${describe(s)}` };
    },
  };
}

/**
 * The guard over a whole move, row by row (`from` is what the mesh has, `to` what the decision
 * wants): a row whose traffic would gain a region that is not accepted for every region the row
 * takes traffic away from keeps its `fallback` shares (by default the current ones; the decision
 * passes its guarded urgent drain, so one unacceptable elective move never holds back a drain). Returns the guarded matrix and one line per
 * held row ("shifting would not help: …").
 */
export function guardMoves(
  policy: Policy,
  judge: TargetJudge,
  from: TrafficMatrix,
  to: TrafficMatrix,
  fallback: TrafficMatrix = from,
): { matrix: TrafficMatrix; held: string[] } {
  const out: TrafficMatrix = {};
  const held: string[] = [];
  for (const src of policy.regionIds) {
    const before = from[src] ?? {};
    const after = to[src];
    if (after === undefined) continue;
    const share = (row: Record<string, number>, r: string) => ownValue(row, r) ?? 0;
    const gains = policy.regionIds.filter((r) => share(after, r) > share(before, r));
    const losses = policy.regionIds.filter((r) => share(after, r) < share(before, r));
    let why: string | null = null;
    for (const g of gains) {
      for (const l of losses) {
        const verdict = judge.accepts(g, l);
        if (!verdict.ok) {
          why = verdict.why;
          break;
        }
      }
      if (why) break;
    }
    if (why && Object.keys(before).length > 0) {
      out[src] = { ...(fallback[src] ?? before) };
      held.push(`shifting would not help: the traffic from ${src} stays where it is served now (${why})`);
    } else out[src] = after;
  }
  return { matrix: out, held };
}
