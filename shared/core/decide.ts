import { capacityShortfalls, planScaling, settleScaleDowns } from './capacity';
import { applyCommand, drillSignal } from './commands';
import { initialHealth, updateHealth, type HealthTransition } from './health';
import { intendedMatrix } from './layers';
import { matrixEquals, roundMatrix, servingRegions } from './matrix';
import type { Policy } from './policy';
import { renderMeshConfig } from './render';
import { applyHealthResponse, drainRegions, healthyRegions } from './response';
import { SIGNAL_NOTES_MAX } from './limits';
import { limitElective, shortText } from './elective';
import { decideAcrossPolicyChange } from './policy-projection';
import { sameJson } from './json-equal';
import { decideScopes, defaultView, deploymentRouting, ensureServiceHealth, healthKey, recordEntryRead, scopedRouting, scopeTarget, signalScope, updateServiceHealth, withDerivedEntry } from './scopes';
import { applySignal, capSignals, pruneTombstones, type SignalEffect } from './signal-lifecycle';
import { guardMoves, targetJudge } from './target-guard';
import type { Decision, Input, LastRefusals, MeshConfig, MeshState, Observations, Plan, Refusal, Signal, Step, TrafficMatrix } from './types';

/**
 * The decision core: `(policy, state, input, now) → (state, plan)`. Pure and deterministic —
 * no clock, no randomness, no I/O — so the same inputs give byte-identical plans.
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
  return { signals: {}, health: initialHealth(policy), override: null, drill: null, paused: null, applied: null, lastChangeAt: null, lastElectiveAt: null, scale: {}, seq: 0, meshConfirmed: null, lastRefusals: null };
}

/**
 * The latest decision's refusals as the state keeps them. The same rules refused again keep the
 * entry (and its time) as it is, so a refusal that lasts does not rewrite the state on every tick.
 */
function keptRefusals(prev: LastRefusals | null | undefined, refused: Refusal[], at: number, trigger: string): LastRefusals | null {
  if (refused.length === 0) return null;
  const rules = (rs: Refusal[]) => JSON.stringify(rs.map((r) => r.rule).sort());
  if (prev && rules(prev.refused) === rules(refused)) return prev;
  return { at, trigger, refused: structuredClone(refused) };
}

const iso = (t: number) => new Date(t).toISOString();

function matrixText(m: TrafficMatrix): string {
  return Object.entries(m)
    .map(([src, row]) => `${src}→{${Object.entries(row).map(([d, w]) => `${d}:${w}`).join(', ')}}`)
    .join(' ');
}

/** A cause as explain shows it: the signal key, with its source and detection rule while it is known. */
function causeText(key: string, signals: ReadonlyMap<string, Signal>): string {
  const s = signals.get(key);
  return s ? `${key} (${s.source}${s.rule ? `, rule ${s.rule}` : ''})` : key;
}

const CAUSES_NAMED = 10;

function transitionText(t: HealthTransition, signals: ReadonlyMap<string, Signal>): string {
  const step = t.to === 'RECOVERING' && t.step !== undefined ? `(step ${t.step + 1})` : '';
  // A region may hold hundreds of causes; the text (and the notification) names the first few.
  const named = t.causes.slice(0, CAUSES_NAMED).map((k) => causeText(k, signals));
  if (t.causes.length > CAUSES_NAMED) named.push(`+${t.causes.length - CAUSES_NAMED} more`);
  return `${t.region} ${t.from} → ${t.to}${step}: ${t.why}${t.causes.length ? ` [${named.join(', ')}]` : ''}`;
}

interface InputEffect extends SignalEffect {
  trigger: string;
  refused: Refusal[];
  /** An operator's change (override, clear, resume, adopt): applied as asked, not rate-limited. */
  manual: boolean;
}

function batchTrigger(signals: Signal[]): string {
  if (signals.length === 1) return `signal ${signals[0]?.key} ${signals[0]?.status}`;
  const firing = signals.filter((s) => s.status === 'firing').length;
  const sources = [...new Set(signals.map((s) => s.source))].sort().join(', ');
  return `${signals.length} signals (${firing} firing, ${signals.length - firing} resolved) from ${sources || 'nowhere'}`;
}

function applyInput(policy: Policy, state: MeshState, input: Input, now: number, nextId: string, out: InputEffect): void {
  switch (input.kind) {
    case 'signal':
      out.trigger = `signal ${input.signal.key} ${input.signal.status}`;
      applySignal(policy, state, input.signal, now, out);
      return;
    case 'signals':
      out.trigger = batchTrigger(input.signals);
      for (const s of input.signals) applySignal(policy, state, s, now, out);
      return;
    case 'tick': {
      out.trigger = 'tick';
      const note = input.entry ? recordEntryRead(policy, state, input.entry, now) : null;
      if (note) out.notes.push(note);
      return;
    }
    case 'adopt':
      out.trigger = `adopt by ${input.actor}`;
      out.manual = true;
      state.applied = { matrix: input.matrix, at: now };
      // The matrix was read back from the mesh: it is what the mesh has.
      state.meshConfirmed = { matrix: input.matrix, config: renderMeshConfig(input.matrix, policy), planId: null, at: now, decidedAt: now };
      // Adopting means keeping it: the hand-made matrix becomes a manual override with the default
      // expiry, so the layers stop planning it away (the health response still applies on top).
      state.override = { id: `ovr-${nextId}`, matrix: input.matrix, force: false, reason: 'adopted from the live mesh config (drift: adopt)', actor: input.actor, createdAt: now, expiresAt: now + policy.overrides.defaultTtl };
      out.notes.push(`adopted the live mesh config as applied and as override ovr-${nextId} until ${iso(now + policy.overrides.defaultTtl)}: ${matrixText(input.matrix)}`);
      return;
    case 'command': {
      const c = input.command;
      out.trigger = `command ${c.kind} by ${c.actor}`;
      const effect = applyCommand(policy, state, c, now, nextId);
      // Only a command that was carried out is an operator's change: a refused one (a wrong id)
      // must not lift the pause or the rate limits for whatever else this decision would do.
      out.manual = (c.kind === 'override' || c.kind === 'clearOverride' || c.kind === 'resume') && effect.refused.length === 0;
      out.notes.push(...effect.notes);
      out.refused.push(...effect.refused);
      if (c.kind === 'abortDrill' && effect.refused.length === 0) out.drillAborted = true;
    }
  }
}

/**
 * Drop what has lapsed by `now`: signals past their TTL, an expired override, a finished drill,
 * delayed scale-downs that are due. Returns, per region, when its lapsed signals ended.
 */
function expire(policy: Policy, state: MeshState, now: number, notes: string[]): Record<string, number> {
  const clearedAt: Record<string, number> = {};
  const lapsed = (region: string, at: number) => {
    clearedAt[region] = Math.max(clearedAt[region] ?? at, at);
  };
  for (const [key, s] of Object.entries(state.signals)) {
    const until = (s.seenAt ?? s.at) + s.ttl;
    if (until <= now) {
      delete state.signals[key];
      lapsed(healthKey(policy, s), until);
      notes.push(`signal ${key} expired after its TTL (${Math.round(s.ttl / 1000)}s) without a resolve`);
    }
  }
  if (state.override && state.override.expiresAt <= now) {
    notes.push(`override ${state.override.id} expired`);
    state.override = null;
  }
  if (state.drill && state.drill.endsAt <= now) {
    notes.push(`drill ${state.drill.id} ended; ${state.drill.region} recovers through the normal path`);
    lapsed(healthKey(policy, state.drill), state.drill.endsAt);
    state.drill = null;
  }
  settleScaleDowns(state, now);
  return clearedAt;
}

/**
 * `observed`: what the engine read just before deciding a move (ready pods per region), for the
 * target guard; the same observations give the same decision.
 */
export function decide(given: Policy, prev: MeshState | null, input: Input, now: number, observed?: Observations): Decision {
  // State from another policy version is projected onto this one first (policy-projection.ts).
  const acrossPolicyChange = decideAcrossPolicyChange(given, prev, input, now, (p, s, i, n) => decide(p, s, i, n, observed), explainPlan);
  if (acrossPolicyChange) return acrossPolicyChange;
  let policy = given;
  const original = prev ?? initialState(policy);
  const state: MeshState = clonePlain(original);
  let grown = false;
  for (const r of policy.regionIds) {
    if (state.health[r] != null) continue;
    state.health[r] = initialHealth(policy)[r] as MeshState['health'][string];
    grown = true;
  }
  if (policy.scopes) ensureServiceHealth(policy, state);
  // "Did anything change" compares against the state as it was before the input. That is
  // `original` itself (never changed: decide works on a copy) unless a region or service was
  // added to the copy just above; only then is a snapshot serialised up front.
  const untouched = grown || policy.scopes ? JSON.stringify(state) : null;
  const changed = () => (untouched === null ? !sameJson(state, original) : JSON.stringify(state) !== untouched);
  const seq = state.seq + 1;
  const planId = `${policy.name}-${String(seq).padStart(6, '0')}`;
  const ctx: InputEffect = { trigger: '', notes: [], refused: [], manual: false, drillAborted: false, resolvedIn: [], signalNotes: 0, ignored: [], lapsed: [] };
  const gone = new Map(Object.entries(state.signals));
  applyInput(policy, state, input, now, String(seq), ctx);
  // scopes.entryFrom: the entry services derived from the gateways' VirtualServices, as if named.
  policy = withDerivedEntry(policy, state);
  const commandRefused = ctx.refused.length > 0;
  const clearedAt = expire(policy, state, now, ctx.notes);
  capSignals(policy, state, ctx);
  pruneTombstones(policy, state, now);
  if (ctx.signalNotes > SIGNAL_NOTES_MAX) ctx.notes.push(`… and ${ctx.signalNotes - SIGNAL_NOTES_MAX} more signal notes`);
  for (const r of ctx.resolvedIn) clearedAt[r] = now;

  const active: Signal[] = Object.values(state.signals);
  const drill = drillSignal(state);
  if (drill) active.push(drill);
  // A signal naming a scoped service moves that (region, service) only; the others the region.
  const transitions = updateHealth(policy, state, policy.scopes ? active.filter((s) => signalScope(policy, s) === undefined) : active, now, clearedAt);
  if (policy.scopes) transitions.push(...updateServiceHealth(policy, state, active, now, clearedAt));
  rememberMeasured(policy, state, active);
  const known = new Map([...gone, ...active.map((s) => [s.key, s] as const)]);
  const texts = transitions.map((t) => transitionText(t, known));
  const reasons = [...ctx.notes, ...texts];
  const refused = ctx.refused;
  const notify: Step[] = transitions.map((t, i) => ({
    kind: 'notify',
    level: t.to === 'DOWN' ? 'critical' : t.to === 'DEGRADED' ? 'warning' : 'info',
    message: texts[i] as string,
  }));

  // With scopes the default is decided from its own view (shiftAt: entry keeps elective shifts off it).
  const view = policy.scopes ? defaultView(policy, state) : null;
  const intended = view ? scopeTarget(policy, state, view, now, null).intended : intendedMatrix(policy, state, now);
  const health = view ? view.health : state.health;
  reasons.push(`layer ${intended.layer}${intended.source ? ` (${intended.source}${intended.until ? ` until ${iso(intended.until)}` : ''})` : ''}`);
  // Do no harm: every move goes only toward a region measurably better (and ready) than the one it leaves.
  const judge = targetJudge(policy, health, active, observed);
  const response = intended.force ? { shares: intended.matrix, drained: [], notDrained: [] } : applyHealthResponse(policy, intended.matrix, health, judge);
  for (const n of response.notDrained) {
    // Recorded on every plan while it lasts; alerted when health changes, not on every tick.
    refused.push({ rule: n.rule, message: n.message });
    if (transitions.length) notify.push({ kind: 'notify', level: 'critical', message: `refused ${n.rule}: ${n.message}` });
  }
  let target = roundMatrix(response.shares, policy.regionIds);
  const current = state.applied?.matrix ?? null;
  const prevScopes = state.applied?.scopes;
  // Draining DOWN regions out of the current matrix, computed once: the guard's fallback and the urgent base below.
  const drainBase = current && response.drained.length ? roundMatrix(drainRegions(policy, current, response.drained, healthyRegions(policy, health), judge), policy.regionIds) : current;
  if (current && intended.force) {
    if (!matrixEquals(current, target)) reasons.push(`override ${intended.source ?? ''} is forced: the target guard does not apply (break-glass)`);
  } else if (current) {
    // The net under every layer: a schedule, an override, a recovery step or a drain that would
    // send a row's traffic somewhere not measurably better keeps that row where it is.
    const guarded = guardMoves(policy, judge, current, target, guardMoves(policy, judge, current, drainBase ?? current).matrix);
    if (guarded.held.length) {
      target = guarded.matrix;
      for (const message of guarded.held) refused.push({ rule: 'safety.doNoHarm', message });
      if (transitions.length) notify.push({ kind: 'notify', level: 'critical', message: guarded.held.join('; ') });
    }
  }
  if (servingRegions(target, policy.regionIds).length < policy.safety.minServingRegions) {
    const keep = current ?? policy.normal;
    refused.push({ rule: 'safety.minServingRegions', message: `the response would leave fewer than ${policy.safety.minServingRegions} regions serving; keeping the last good matrix` });
    notify.push({ kind: 'notify', level: 'critical', message: 'all regions look down: monitoring may be broken; keeping the last good matrix' });
    target = keep;
  }

  const steps: Step[] = [];
  let applied: TrafficMatrix | null = null;
  let urgentDefault = false;
  let electiveDefault = false;
  if (current === null || !matrixEquals(current, target)) {
    // Split the move: draining DOWN regions out of the current matrix is never held back;
    // whatever else changes (a degraded share, a schedule, a recovery step) is elective and
    // goes through the rate limits — it must not ride along with an urgent drain.
    const downDrain = current !== null && drainBase !== null && !matrixEquals(drainBase, current);
    const urgent = current === null || downDrain;
    const base = drainBase ?? target;
    const elective = current !== null && !ctx.manual && !ctx.drillAborted && !matrixEquals(base, target);
    let next: TrafficMatrix | null = target;
    let electiveStep = elective;
    if (state.paused && !ctx.manual) {
      refused.push({ rule: 'paused', message: `automation paused by ${state.paused.actor}; not applying ${matrixText(target)}` });
      next = current;
      electiveStep = false;
    } else if (elective) {
      // With entry shifts the default's only elective move is the way back after a region DOWN,
      // and the entry hosts step the users back: the default is not stepped a second time.
      const maxStep = policy.scopes?.shiftAt === 'entry' ? 100 : policy.safety.maxStepPercent;
      const limited = limitElective(policy, now, {
        base, target, lastChangeAt: state.lastChangeAt, lastElectiveAt: state.lastElectiveAt, maxStep,
        shortfall: (step) => capacityShortfalls(policy, state, base, [target, step]),
        prefix: '', change: 'mesh change', electiveStep: 'elective step',
      });
      refused.push(...limited.refused);
      next = limited.next;
      if (limited.held) electiveStep = false;
    }
    if (next !== null && (current === null || !matrixEquals(current, next))) applied = next;
    urgentDefault = urgent;
    electiveDefault = electiveStep;
  }
  // Scoped hosts: decided after the default, each with its own rate limits; a change in any of
  // them is a mesh step too (one step carries the default and every scope).
  const scoped = policy.scopes ? decideScopes(policy, state, now, { manual: ctx.manual, drillAborted: ctx.drillAborted, alert: transitions.length > 0, judgeFor: (h, service) => targetJudge(policy, h, active.filter((s) => s.service === undefined || signalScope(policy, s) === undefined || s.service === service), observed) }, current, applied ?? current) : null;
  if (scoped) {
    reasons.push(...scoped.notes);
    refused.push(...scoped.refused);
    notify.push(...scoped.notify);
  }
  const meshMatrix = applied ?? (scoped?.changed ? current : null);
  // Rendered (and validated) once: the mesh step and the plan's `after` carry the same config.
  let meshConfig: MeshConfig | null = null;
  if (meshMatrix) {
    const urgent = urgentDefault || (scoped?.urgent ?? false);
    const scopes = scoped ? scopedRouting(policy, meshMatrix, scoped.next) : undefined;
    const routing = policy.scopes ? { matrixFor: deploymentRouting(policy, meshMatrix, scopes) } : {};
    const scale = planScaling(policy, state, meshMatrix, { now, planId, waitReady: !urgent }, routing);
    if (urgent && scale.short.length) notify.push({ kind: 'notify', level: 'critical', message: `capacity short while draining: ${shortText(scale.short, '')}` });
    meshConfig = renderMeshConfig(meshMatrix, policy);
    steps.push(...scale.before, { kind: 'mesh', config: meshConfig, matrix: meshMatrix, ...(scopes ? { scopes } : {}) }, ...scale.after);
    state.applied = { matrix: meshMatrix, at: now, ...(scopes ? { scopes } : {}) };
    if (applied) {
      state.lastChangeAt = now;
      if (electiveDefault) state.lastElectiveAt = now;
    }
  }
  steps.push(...notify);
  // Ids (plans, overrides, drills) come from seq: take it whenever anything changed, so that an
  // override that moved no traffic does not hand its id to the next one.
  if (steps.length || changed()) state.seq = seq;
  // After seq: keeping a refusal is a record of the decision, not a change that takes an id. A
  // command refused outright changed nothing and is answered to its caller, so it is not kept.
  if (!commandRefused) {
    const kept = keptRefusals(state.lastRefusals, refused, now, ctx.trigger);
    // Written only when it changes (a row from before the field existed stays untouched while nothing is refused).
    if (kept !== (state.lastRefusals ?? null)) state.lastRefusals = kept;
  }

  const plan: Plan = {
    id: planId,
    at: now,
    trigger: ctx.trigger,
    reasons,
    before: current ? { matrix: current, config: renderMeshConfig(current, policy), ...(prevScopes ? { scopes: prevScopes } : {}) } : null,
    after: meshMatrix && state.applied ? { matrix: meshMatrix, config: meshConfig ?? renderMeshConfig(meshMatrix, policy), ...(state.applied.scopes ? { scopes: state.applied.scopes } : {}) } : null,
    steps,
    refused,
  };
  return { state, plan, explain: explainPlan(plan), ...(ctx.ignored.length ? { ignored: ctx.ignored } : {}), ...(ctx.lapsed.length ? { lapsed: ctx.lapsed } : {}) };
}

/**
 * A sick region remembers how sick its signals measured it (`RegionHealth.measured`) until it
 * recovers: an alarm that clears while its region is drained (too little traffic left to breach)
 * must not make that region look healthier than one still failing less.
 */
function rememberMeasured(policy: Policy, state: MeshState, active: readonly Signal[]): void {
  for (const region of policy.regionIds) {
    const h = state.health[region];
    if (!h) continue;
    if (h.status !== 'DOWN' && h.status !== 'DEGRADED') {
      if (h.measured !== undefined) delete h.measured;
      continue;
    }
    let worst: number | null = null;
    for (const s of active) if (s.region === region && s.measure?.kind === 'errorShare') worst = Math.max(worst ?? 0, s.measure.value);
    if (worst !== null && h.measured !== worst) h.measured = worst;
  }
}

export function explainPlan(plan: Plan): string[] {
  const lines = [`${iso(plan.at)} ${plan.trigger}`, ...plan.reasons.map((r) => `  ${r}`)];
  for (const r of plan.refused) lines.push(`  refused ${r.rule}: ${r.message}`);
  for (const s of plan.steps) {
    if (s.kind === 'mesh') {
      lines.push(`  mesh → ${s.config.mode}: ${matrixText(s.matrix)}`);
      for (const [host, r] of Object.entries(s.scopes ?? {})) lines.push(`  mesh ${host} → ${r.config.mode}: ${matrixText(r.matrix)}`);
    }
    else if (s.kind === 'scale') lines.push(`  scale ${s.cluster}/${s.namespace}/${s.deployment} ${s.from} → ${s.to}${s.waitReady ? ' (wait ready)' : ''}${s.notBefore !== undefined ? ` not before ${iso(s.notBefore)}` : ''}`);
    else lines.push(`  notify ${s.level}: ${s.message}`);
  }
  if (plan.steps.length === 0 && plan.refused.length === 0) lines.push('  no change');
  return lines;
}
