import { iso } from './decide-text';
import { intendedMatrix } from './layers';
import { matrixEquals, roundMatrix, servingRegions } from './matrix';
import type { Policy } from './policy';
import { applyHealthResponse, drainRegions, healthyRegions } from './response';
import { defaultView, scopeTarget } from './scopes';
import { guardMoves, targetJudge } from './target-guard';
import type { MeshState, Observations, Refusal, Signal, Step, TrafficMatrix } from './types';

/** The matrix the default (mesh-wide) routing should have, and why. */
export interface TargetChosen {
  /** The matrix applied now (null before the first decision). */
  current: TrafficMatrix | null;
  target: TrafficMatrix;
  /**
   * The current matrix with the regions the response drains (DOWN) taken out, or `current` when
   * nothing is drained: the part of a move that is urgent (never rate-limited).
   */
  drainBase: TrafficMatrix | null;
  reasons: string[];
  refused: Refusal[];
  notify: Step[];
}

/**
 * Phase 4. Reads `state` only. The intended layer (override, drill, schedule, normal; with
 * scopes, the default's own view), the health response on top of it (drain DOWN regions, shed
 * DEGRADED shares), the target guard (every move goes only toward a region measurably better and
 * ready, unless a forced override breaks glass) and the safety floor (never fewer than
 * minServingRegions serving). `alert`: health changed in this decision, so refusals are notified.
 */
export function chooseTarget(
  policy: Policy,
  state: MeshState,
  now: number,
  active: readonly Signal[],
  observed: Observations | undefined,
  alert: boolean,
): TargetChosen {
  const reasons: string[] = [];
  const refused: Refusal[] = [];
  const notify: Step[] = [];
  // With scopes the default is decided from its own view (shiftAt: entry keeps elective shifts off it).
  const view = policy.scopes ? defaultView(policy, state) : null;
  const intended = view ? scopeTarget(policy, state, view, now, null).intended : intendedMatrix(policy, state, now);
  const health = view ? view.health : state.health;
  reasons.push(
    `layer ${intended.layer}${intended.source ? ` (${intended.source}${intended.until ? ` until ${iso(intended.until)}` : ''})` : ''}`,
  );
  // Do no harm: every move goes only toward a region measurably better (and ready) than the one it leaves.
  const judge = targetJudge(policy, health, active, observed);
  const response = intended.force
    ? { shares: intended.matrix, drained: [], notDrained: [] }
    : applyHealthResponse(policy, intended.matrix, health, judge);
  for (const n of response.notDrained) {
    // Recorded on every plan while it lasts; alerted when health changes, not on every tick.
    refused.push({ rule: n.rule, message: n.message });
    if (alert) notify.push({ kind: 'notify', level: 'critical', message: `refused ${n.rule}: ${n.message}` });
  }
  let target = roundMatrix(response.shares, policy.regionIds);
  const current = state.applied?.matrix ?? null;
  // Draining DOWN regions out of the current matrix, computed once: the guard's fallback and the urgent base.
  const drainBase =
    current && response.drained.length
      ? roundMatrix(drainRegions(policy, current, response.drained, healthyRegions(policy, health), judge), policy.regionIds)
      : current;
  if (current && intended.force) {
    if (!matrixEquals(current, target))
      reasons.push(`override ${intended.source ?? ''} is forced: the target guard does not apply (break-glass)`);
  } else if (current) {
    // The net under every layer: a schedule, an override, a recovery step or a drain that would
    // send a row's traffic somewhere not measurably better keeps that row where it is.
    const guarded = guardMoves(policy, judge, current, target, guardMoves(policy, judge, current, drainBase ?? current).matrix);
    if (guarded.held.length) {
      target = guarded.matrix;
      for (const message of guarded.held) refused.push({ rule: 'safety.doNoHarm', message });
      if (alert) notify.push({ kind: 'notify', level: 'critical', message: guarded.held.join('; ') });
    }
  }
  if (servingRegions(target, policy.regionIds).length < policy.safety.minServingRegions) {
    refused.push({
      rule: 'safety.minServingRegions',
      message: `the response would leave fewer than ${policy.safety.minServingRegions} regions serving; keeping the last good matrix`,
    });
    notify.push({
      kind: 'notify',
      level: 'critical',
      message: 'all regions look down: monitoring may be broken; keeping the last good matrix',
    });
    target = current ?? policy.normal;
  }
  return { current, target, drainBase, reasons, refused, notify };
}
