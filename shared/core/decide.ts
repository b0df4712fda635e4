import { planScaling, scaleNeeds, settleScaleDowns } from './capacity';
import { abortDrill, applyCommand, drillAbortReason, drillSignal } from './commands';
import { initialHealth, updateHealth, type HealthTransition } from './health';
import { intendedMatrix } from './layers';
import { matrixEquals, maxRowDelta, roundMatrix, servingRegions, stepToward } from './matrix';
import type { Policy } from './policy';
import { renderMeshConfig } from './render';
import { applyHealthResponse } from './response';
import type { Decision, Input, MeshState, Plan, Refusal, Signal, Step, TrafficMatrix } from './types';
import { windowOpenUntil } from './windows';

/**
 * The decision core: `(policy, state, input, now) → (state, plan)`. Pure and deterministic —
 * no clock, no randomness, no I/O — so the same inputs give byte-identical plans.
 */

export function initialState(policy: Policy): MeshState {
  return { signals: {}, health: initialHealth(policy), override: null, drill: null, paused: null, applied: null, lastChangeAt: null, lastElectiveAt: null, scale: {}, seq: 0 };
}

const iso = (t: number) => new Date(t).toISOString();

function matrixText(m: TrafficMatrix): string {
  return Object.entries(m)
    .map(([src, row]) => `${src}→{${Object.entries(row).map(([d, w]) => `${d}:${w}`).join(', ')}}`)
    .join(' ');
}

function transitionText(t: HealthTransition): string {
  const step = t.to === 'RECOVERING' && t.step !== undefined ? `(step ${t.step + 1})` : '';
  return `${t.region} ${t.from} → ${t.to}${step}: ${t.why}${t.causes.length ? ` [${t.causes.join(', ')}]` : ''}`;
}

function applyInput(policy: Policy, state: MeshState, input: Input, now: number, nextId: string, out: { trigger: string; notes: string[]; refused: Refusal[]; manual: boolean }): void {
  switch (input.kind) {
    case 'signal': {
      const s = input.signal;
      out.trigger = `signal ${s.key} ${s.status}`;
      const abort = drillAbortReason(policy, state, s);
      if (abort) {
        out.notes.push(...abortDrill(policy, state, abort));
        out.manual = true; // reverting an aborted drill is not an elective shift: no step limits
      }
      if (s.status === 'firing') {
        const known = state.signals[s.key];
        // A repeat of an active alarm changes nothing; past half its TTL it keeps the alarm alive.
        if (known && known.severity === s.severity && known.region === s.region && now - known.at < known.ttl / 2) {
          out.notes.push(`signal ${s.key} already active (duplicate)`);
        } else {
          state.signals[s.key] = { ...s, at: now };
          out.notes.push(`signal ${s.key}: ${s.region} ${s.severity} from ${s.source}${known ? ' (refreshed)' : ''}`);
        }
      } else if (state.signals[s.key]) {
        delete state.signals[s.key];
        out.notes.push(`signal ${s.key} resolved`);
      } else out.notes.push(`resolve for ${s.key}, which is not active: nothing to do`);
      return;
    }
    case 'tick':
      out.trigger = 'tick';
      return;
    case 'adopt':
      out.trigger = `adopt by ${input.actor}`;
      out.manual = true;
      state.applied = { matrix: input.matrix, at: now };
      out.notes.push(`adopted the live mesh config as applied: ${matrixText(input.matrix)}`);
      return;
    case 'command': {
      const c = input.command;
      out.trigger = `command ${c.kind} by ${c.actor}`;
      out.manual = c.kind === 'override' || c.kind === 'clearOverride' || c.kind === 'resume';
      const effect = applyCommand(policy, state, c, now, nextId);
      out.notes.push(...effect.notes);
      out.refused.push(...effect.refused);
    }
  }
}

function expire(policy: Policy, state: MeshState, now: number, notes: string[]): void {
  for (const [key, s] of Object.entries(state.signals)) {
    if (s.at + s.ttl <= now) {
      delete state.signals[key];
      notes.push(`signal ${key} expired after its TTL (${Math.round(s.ttl / 1000)}s) without a resolve`);
    }
  }
  if (state.override && state.override.expiresAt <= now) {
    notes.push(`override ${state.override.id} expired`);
    state.override = null;
  }
  if (state.drill && state.drill.endsAt <= now) {
    notes.push(`drill ${state.drill.id} ended; ${state.drill.region} recovers through the normal path`);
    state.drill = null;
  }
  settleScaleDowns(state, now);
  void policy;
}

function openFreezeWindow(policy: Policy, now: number): boolean {
  return policy.safety.freezeWindows.some((w) => windowOpenUntil(w, now) !== null);
}

export function decide(policy: Policy, prev: MeshState | null, input: Input, now: number): Decision {
  const state: MeshState = structuredClone(prev ?? initialState(policy));
  for (const r of policy.regionIds) state.health[r] ??= initialHealth(policy)[r] as MeshState['health'][string];
  const seq = state.seq + 1;
  const planId = `${policy.name}-${String(seq).padStart(6, '0')}`;
  const ctx = { trigger: '', notes: [] as string[], refused: [] as Refusal[], manual: false };
  applyInput(policy, state, input, now, String(seq), ctx);
  expire(policy, state, now, ctx.notes);

  const active: Signal[] = Object.values(state.signals);
  const drill = drillSignal(state);
  if (drill) active.push(drill);
  const transitions = updateHealth(policy, state, active, now);
  const reasons = [...ctx.notes, ...transitions.map(transitionText)];
  const refused = ctx.refused;
  const notify: Step[] = transitions.map((t) => ({
    kind: 'notify',
    level: t.to === 'DOWN' ? 'critical' : t.to === 'DEGRADED' ? 'warning' : 'info',
    message: transitionText(t),
  }));

  const intended = intendedMatrix(policy, state, now);
  reasons.push(`layer ${intended.layer}${intended.source ? ` (${intended.source}${intended.until ? ` until ${iso(intended.until)}` : ''})` : ''}`);
  const response = intended.force ? { shares: intended.matrix, drained: [], notDrained: [] } : applyHealthResponse(policy, intended.matrix, state.health);
  for (const n of response.notDrained) {
    refused.push({ rule: n.rule, message: n.message });
    notify.push({ kind: 'notify', level: 'critical', message: `refused ${n.rule}: ${n.message}` });
  }
  let target = roundMatrix(response.shares, policy.regionIds);
  const current = state.applied?.matrix ?? null;
  if (servingRegions(target, policy.regionIds).length < policy.safety.minServingRegions) {
    const keep = current ?? policy.normal;
    refused.push({ rule: 'safety.minServingRegions', message: `the response would leave fewer than ${policy.safety.minServingRegions} regions serving; keeping the last good matrix` });
    notify.push({ kind: 'notify', level: 'critical', message: 'all regions look down: monitoring may be broken; keeping the last good matrix' });
    target = keep;
  }

  const steps: Step[] = [];
  let applied: TrafficMatrix | null = null;
  if (current === null || !matrixEquals(current, target)) {
    const downDrain = current !== null && policy.regionIds.some((r) => state.health[r]?.status === 'DOWN' && policy.regionIds.some((s) => (target[s]?.[r] ?? 0) < (current[s]?.[r] ?? 0)));
    const urgent = current === null || downDrain;
    const elective = !urgent && !ctx.manual;
    let next = target;
    const hold = (rule: string, message: string) => {
      refused.push({ rule, message });
      next = current as TrafficMatrix;
    };
    if (state.paused && !ctx.manual) hold('paused', `automation paused by ${state.paused.actor}; not applying ${matrixText(target)}`);
    else if (elective && current) {
      const last = state.lastChangeAt;
      const lastElective = state.lastElectiveAt;
      if (openFreezeWindow(policy, now)) hold('safety.freezeWindows', 'inside a freeze window: no elective shift');
      else if (last !== null && now - last < policy.safety.cooldown) hold('safety.cooldown', `last mesh change ${Math.round((now - last) / 1000)}s ago; cooldown ${Math.round(policy.safety.cooldown / 1000)}s`);
      else if (lastElective !== null && now - lastElective < policy.safety.stepInterval) hold('safety.stepInterval', `last elective step ${Math.round((now - lastElective) / 1000)}s ago; stepInterval ${Math.round(policy.safety.stepInterval / 1000)}s`);
      else {
        const delta = maxRowDelta(current, target, policy.regionIds);
        if (delta > policy.safety.maxStepPercent) {
          next = stepToward(current, target, policy.safety.maxStepPercent, policy.regionIds);
          refused.push({ rule: 'safety.maxStepPercent', message: `shift of ${delta} points limited to ${policy.safety.maxStepPercent} this step; the rest follows after stepInterval` });
        }
        const short = scaleNeeds(policy, state, next).filter((n) => n.unclamped > n.max);
        if (short.length) hold('capacity', short.map((n) => `${n.deployment} in ${n.region} needs ${n.unclamped} replicas, max ${n.max}`).join('; '));
      }
    }
    if (current === null || !matrixEquals(current, next)) applied = next;
    if (applied) {
      const scale = planScaling(policy, state, applied, { now, planId, waitReady: !urgent });
      if (urgent && scale.short.length) {
        notify.push({ kind: 'notify', level: 'critical', message: `capacity short while draining: ${scale.short.map((n) => `${n.deployment} in ${n.region} needs ${n.unclamped}, max ${n.max}`).join('; ')}` });
      }
      steps.push(...scale.before, { kind: 'mesh', config: renderMeshConfig(applied, policy), matrix: applied }, ...scale.after);
      state.applied = { matrix: applied, at: now };
      state.lastChangeAt = now;
      if (elective) state.lastElectiveAt = now;
    }
  }
  steps.push(...notify);
  if (steps.length) state.seq = seq;

  const plan: Plan = {
    id: planId,
    at: now,
    trigger: ctx.trigger,
    reasons,
    before: current ? { matrix: current, config: renderMeshConfig(current, policy) } : null,
    after: applied ? { matrix: applied, config: renderMeshConfig(applied, policy) } : null,
    steps,
    refused,
  };
  return { state, plan, explain: explainPlan(plan) };
}

export function explainPlan(plan: Plan): string[] {
  const lines = [`${iso(plan.at)} ${plan.trigger}`, ...plan.reasons.map((r) => `  ${r}`)];
  for (const r of plan.refused) lines.push(`  refused ${r.rule}: ${r.message}`);
  for (const s of plan.steps) {
    if (s.kind === 'mesh') lines.push(`  mesh → ${s.config.mode}: ${matrixText(s.matrix)}`);
    else if (s.kind === 'scale') lines.push(`  scale ${s.cluster}/${s.namespace}/${s.deployment} ${s.from} → ${s.to}${s.waitReady ? ' (wait ready)' : ''}${s.notBefore !== undefined ? ` not before ${iso(s.notBefore)}` : ''}`);
    else lines.push(`  notify ${s.level}: ${s.message}`);
  }
  if (plan.steps.length === 0 && plan.refused.length === 0) lines.push('  no change');
  return lines;
}
