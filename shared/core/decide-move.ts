import { capacityShortfalls, planScaling } from './capacity';
import { matrixText } from './decide-text';
import { limitElective, shortText } from './elective';
import { matrixEquals } from './matrix';
import type { Policy } from './policy';
import { renderMeshConfig } from './render';
import { deploymentRouting, scopedRouting, type ScopeDecision } from './scopes';
import type { LastRefusals, MeshConfig, MeshState, Refusal, Step, TrafficMatrix } from './types';

/** How far the default routing moves in this decision. */
export interface MoveLimited {
  /** The matrix to apply, or null when the default does not change. */
  applied: TrafficMatrix | null;
  /** The move drains DOWN regions (or is the first one): never held back, scaled without waiting. */
  urgent: boolean;
  /** The move includes an elective step (it starts the stepInterval). */
  elective: boolean;
  refused: Refusal[];
}

export interface MoveAsked {
  current: TrafficMatrix | null;
  target: TrafficMatrix;
  /** From the target phase: the current matrix with DOWN regions drained. */
  drainBase: TrafficMatrix | null;
  /** An operator's change carried out in this decision: not paused, not rate-limited. */
  manual: boolean;
  drillAborted: boolean;
}

/**
 * Phase 5. Reads `state` only. Split the move: draining DOWN regions out of the current matrix is
 * never held back; whatever else changes (a degraded share, a schedule, a recovery step) is
 * elective and goes through the pause and the rate limits (freeze windows, cooldown,
 * stepInterval, capacity, maxStepPercent) — it must not ride along with an urgent drain.
 */
export function limitMove(policy: Policy, state: MeshState, now: number, m: MoveAsked): MoveLimited {
  const { current, target, drainBase } = m;
  if (current !== null && matrixEquals(current, target)) return { applied: null, urgent: false, elective: false, refused: [] };
  const refused: Refusal[] = [];
  const downDrain = current !== null && drainBase !== null && !matrixEquals(drainBase, current);
  const urgent = current === null || downDrain;
  const base = drainBase ?? target;
  const elective = current !== null && !m.manual && !m.drillAborted && !matrixEquals(base, target);
  let next: TrafficMatrix | null = target;
  let electiveStep = elective;
  if (state.paused && !m.manual) {
    refused.push({ rule: 'paused', message: `automation paused by ${state.paused.actor}; not applying ${matrixText(target)}` });
    next = current;
    electiveStep = false;
  } else if (elective) {
    // With entry shifts the default's only elective move is the way back after a region DOWN,
    // and the entry hosts step the users back: the default is not stepped a second time.
    const maxStep = policy.scopes?.shiftAt === 'entry' ? 100 : policy.safety.maxStepPercent;
    const limited = limitElective(policy, now, {
      base,
      target,
      lastChangeAt: state.lastChangeAt,
      lastElectiveAt: state.lastElectiveAt,
      maxStep,
      shortfall: (step) => capacityShortfalls(policy, state, base, [target, step]),
      prefix: '',
      change: 'mesh change',
      electiveStep: 'elective step',
    });
    refused.push(...limited.refused);
    next = limited.next;
    if (limited.held) electiveStep = false;
  }
  const applied = next !== null && (current === null || !matrixEquals(current, next)) ? next : null;
  return { applied, urgent, elective: electiveStep, refused };
}

/** The mesh step of a decision, with the scale steps around it. */
export interface MeshStepped {
  /** The default matrix the mesh step carries, or null when the mesh does not change. */
  matrix: TrafficMatrix | null;
  /** Rendered (and validated) once: the mesh step and the plan's `after` carry the same config. */
  config: MeshConfig | null;
  /** Scale-ups before the mesh step, the mesh step, scale-downs after it. */
  steps: Step[];
  notify: Step[];
}

/**
 * Phase 7. When the default or any scoped host changes: plan the scaling for the new routing,
 * render the mesh config, and record it in `draft` as applied (with the change and elective
 * times when the default itself moved). One mesh step carries the default and every scope.
 */
export function meshStep(
  policy: Policy,
  draft: MeshState,
  now: number,
  planId: string,
  current: TrafficMatrix | null,
  move: MoveLimited,
  scoped: ScopeDecision | null,
): MeshStepped {
  const matrix = move.applied ?? (scoped?.changed ? current : null);
  if (!matrix) return { matrix: null, config: null, steps: [], notify: [] };
  const notify: Step[] = [];
  const urgent = move.urgent || (scoped?.urgent ?? false);
  const scopes = scoped ? scopedRouting(policy, matrix, scoped.next) : undefined;
  const routing = policy.scopes ? { matrixFor: deploymentRouting(policy, matrix, scopes) } : {};
  const scale = planScaling(policy, draft, matrix, { now, planId, waitReady: !urgent }, routing);
  if (urgent && scale.short.length)
    notify.push({ kind: 'notify', level: 'critical', message: `capacity short while draining: ${shortText(scale.short, '')}` });
  const config = renderMeshConfig(matrix, policy);
  draft.applied = { matrix, at: now, ...(scopes ? { scopes } : {}) };
  if (move.applied) {
    draft.lastChangeAt = now;
    if (move.elective) draft.lastElectiveAt = now;
  }
  return {
    matrix,
    config,
    steps: [...scale.before, { kind: 'mesh', config, matrix, ...(scopes ? { scopes } : {}) }, ...scale.after],
    notify,
  };
}

/**
 * Phase 8. The decision's bookkeeping in `draft`: the sequence number (ids of plans, overrides and
 * drills come from it: taken whenever anything changed, so an override that moved no traffic does
 * not hand its id to the next one) and the kept refusals. Decides nothing: the plan is already whole.
 */
export function recordDecision(
  draft: MeshState,
  r: { seq: number; changed: () => boolean; steps: number; refused: Refusal[]; commandRefused: boolean; now: number; trigger: string },
): void {
  if (r.steps > 0 || r.changed()) draft.seq = r.seq;
  // After seq: keeping a refusal is a record of the decision, not a change that takes an id. A
  // command refused outright changed nothing and is answered to its caller, so it is not kept.
  if (r.commandRefused) return;
  const kept = keptRefusals(draft.lastRefusals, r.refused, r.now, r.trigger);
  // Written only when it changes (a row from before the field existed stays untouched while nothing is refused).
  if (kept !== (draft.lastRefusals ?? null)) draft.lastRefusals = kept;
}

/**
 * The latest decision's refusals as the state keeps them. The same rules refused again keep the
 * entry (and its time) as it is, so a refusal that lasts does not rewrite the state on every tick.
 */
export function keptRefusals(prev: LastRefusals | null | undefined, refused: Refusal[], at: number, trigger: string): LastRefusals | null {
  if (refused.length === 0) return null;
  const rules = (rs: Refusal[]) => JSON.stringify(rs.map((r) => r.rule).sort());
  if (prev && rules(prev.refused) === rules(refused)) return prev;
  return { at, trigger, refused: structuredClone(refused) };
}
