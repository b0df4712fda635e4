import { initialHealth } from './health';
import type { Policy } from './policy';
import { decideAcrossPolicyChange } from './policy-projection';
import { sameJson } from './json-equal';
import { renderMeshConfig } from './render';
import { decideScopes, ensureServiceHealth, signalScope, withDerivedEntry } from './scopes';
import { targetJudge } from './target-guard';
import { explainPlan } from './decide-text';
import { expireLapsed, takeInput } from './decide-input';
import { assessHealth } from './decide-health';
import { chooseTarget } from './decide-target';
import { limitMove, meshStep, recordDecision } from './decide-move';
import type { Decision, Input, MeshState, Observations, Plan } from './types';

export { explainPlan };

/**
 * The decision core: `(policy, state, input, now) → (state, plan)`. Pure and deterministic —
 * no clock, no randomness, no I/O — so the same inputs give byte-identical plans.
 *
 * A decision is a sequence of phases, each its own function with its own tests
 * (test/unit/core/decide-phases.test.ts). They work on `draft`, this decision's copy of the
 * state (the caller's is never written), and hand each other values:
 *
 *   begin → takeInput → expireLapsed → assessHealth → chooseTarget → limitMove
 *         → decideScopes → meshStep → recordDecision → plan
 */

/**
 * A deep copy of plain data (objects, arrays, primitives), which is all a state is (it is stored as
 * JSON). Same result as structuredClone for such data, about ten times faster: structuredClone
 * serialises and was most of a 20-region decision's time and garbage.
 */
function clonePlain<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => clonePlain(v)) as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = clonePlain((value as Record<string, unknown>)[key]);
    // A key spelled __proto__ (keys can come from alarm payloads) stays an own key, as structuredClone keeps it.
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out as T;
}

export function initialState(policy: Policy): MeshState {
  return {
    signals: {},
    health: initialHealth(policy),
    override: null,
    drill: null,
    paused: null,
    applied: null,
    lastChangeAt: null,
    lastElectiveAt: null,
    scale: {},
    seq: 0,
    meshConfirmed: null,
    lastRefusals: null,
  };
}

/** Phase 0: the decision's draft and its ids. */
export interface Begun {
  draft: MeshState;
  /** Whether the draft differs from the state as it was before the input (regions added by the policy excluded). */
  changed: () => boolean;
  seq: number;
  planId: string;
}

/**
 * Phase 0. A copy of the state (or the initial one) with health for regions and services the
 * policy added since, the next sequence number and the plan id it gives.
 */
export function begin(policy: Policy, prev: MeshState | null): Begun {
  const original = prev ?? initialState(policy);
  const draft: MeshState = clonePlain(original);
  let grown = false;
  for (const r of policy.regionIds) {
    if (draft.health[r] != null) continue;
    draft.health[r] = initialHealth(policy)[r] as MeshState['health'][string];
    grown = true;
  }
  if (policy.scopes) ensureServiceHealth(policy, draft);
  // "Did anything change" compares against the state as it was before the input. That is
  // `original` itself (never changed: decide works on a copy) unless a region or service was
  // added to the copy just above; only then is a snapshot serialised up front.
  const untouched = grown || policy.scopes ? JSON.stringify(draft) : null;
  const changed = () => (untouched === null ? !sameJson(draft, original) : JSON.stringify(draft) !== untouched);
  const seq = draft.seq + 1;
  return { draft, changed, seq, planId: `${policy.name}-${String(seq).padStart(6, '0')}` };
}

/**
 * `observed`: what the engine read just before deciding a move (ready pods per region), for the
 * target guard; the same observations give the same decision.
 */
export function decide(given: Policy, prev: MeshState | null, input: Input, now: number, observed?: Observations): Decision {
  // State from another policy version is projected onto this one first (policy-projection.ts).
  const acrossPolicyChange = decideAcrossPolicyChange(given, prev, input, now, (p, s, i, n) => decide(p, s, i, n, observed), explainPlan);
  if (acrossPolicyChange) return acrossPolicyChange;
  const { draft, changed, seq, planId } = begin(given, prev);
  const before = new Map(Object.entries(draft.signals));
  const taken = takeInput(given, draft, input, now, String(seq));
  // scopes.entryFrom: the entry services derived from the gateways' VirtualServices, as if named.
  const policy = withDerivedEntry(given, draft);
  const expired = expireLapsed(policy, draft, now, taken.resolvedIn);
  const health = assessHealth(policy, draft, now, expired.clearedAt, before);
  const alert = health.transitions.length > 0;
  const chosen = chooseTarget(policy, draft, now, health.active, observed, alert);
  const move = limitMove(policy, draft, now, {
    current: chosen.current,
    target: chosen.target,
    drainBase: chosen.drainBase,
    manual: taken.manual,
    drillAborted: taken.drillAborted,
  });
  const prevScopes = draft.applied?.scopes;
  // Scoped hosts: decided after the default, each with its own rate limits; a change in any of
  // them is a mesh step too (one step carries the default and every scope).
  const judgeFor = (h: MeshState['health'], service: string) =>
    targetJudge(
      policy,
      h,
      health.active.filter((s) => s.service === undefined || signalScope(policy, s) === undefined || s.service === service),
      observed,
    );
  const scoped = policy.scopes
    ? decideScopes(
        policy,
        draft,
        now,
        { manual: taken.manual, drillAborted: taken.drillAborted, alert, judgeFor },
        chosen.current,
        move.applied ?? chosen.current,
      )
    : null;
  const mesh = meshStep(policy, draft, now, planId, chosen.current, move, scoped);

  const more = taken.signalNotesOver > 0 ? [`… and ${taken.signalNotesOver} more signal notes`] : [];
  const reasons = [...taken.notes, ...expired.notes, ...more, ...health.texts, ...chosen.reasons, ...(scoped?.notes ?? [])];
  const refused = [...taken.refused, ...chosen.refused, ...move.refused, ...(scoped?.refused ?? [])];
  const steps = [...mesh.steps, ...health.notify, ...chosen.notify, ...(scoped?.notify ?? []), ...mesh.notify];
  recordDecision(draft, { seq, changed, steps: steps.length, refused, commandRefused: taken.commandRefused, now, trigger: taken.trigger });

  const current = chosen.current;
  const plan: Plan = {
    id: planId,
    at: now,
    trigger: taken.trigger,
    reasons,
    before: current ? { matrix: current, config: renderMeshConfig(current, policy), ...(prevScopes ? { scopes: prevScopes } : {}) } : null,
    after:
      mesh.matrix && mesh.config && draft.applied
        ? { matrix: mesh.matrix, config: mesh.config, ...(draft.applied.scopes ? { scopes: draft.applied.scopes } : {}) }
        : null,
    steps,
    refused,
  };
  return {
    state: draft,
    plan,
    explain: explainPlan(plan),
    ...(taken.ignored.length ? { ignored: taken.ignored } : {}),
    ...(expired.lapsed.length ? { lapsed: expired.lapsed } : {}),
  };
}
