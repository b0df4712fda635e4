import { decide } from '../core/decide';
import { boundedDetail, boundedText } from '../core/limits';
import { RegionshiftError, StateConflictError, SupersededError } from '../core/errors';
import type { Policy } from '../core/policy';
import { configEquals, matrixFromConfig, renderMeshConfig } from '../core/render';
import { matrixEquals } from '../core/matrix';
import type { ControlCommand, Decision, EntryRead, EntryRoute, HealthStatus, Input, MeshConfig, MeshState, Signal, TrafficMatrix } from '../core/types';
import type { ClusterScaler } from '../ports/cluster-scaler';
import type { Clock } from '../ports/clock';
import type { MeshControl } from '../ports/mesh-control';
import type { Notifier } from '../ports/notifier';
import type { AuditEvent, PlanRecord, StateStore, StoredEvent } from '../ports/state-store';
import type { DecisionOutcome, EngineApi, StatusView } from './api';
import { alert, recordMeshConfirmed, runPlan, scopeConfigs, supersededCheck, type ExecutorDeps } from './executor';
import { isRetryable, unlessSuperseded, withRetry } from './retry';
import { appendAudit, auditBacklog, flushAudit, type AuditDeps } from './audit';
import { statusView } from './status';
import { readReadiness, regionsGaining } from './observe';
import { availabilitySignals, availabilityTargets, type AvailabilityReading } from '../signals/deployment-availability';

/**
 * The imperative shell: load → decide → compare-and-set commit (state and plan together) →
 * execute → record. A commit that loses the race re-reads and re-decides, so two instances
 * never both apply one transition and no signal is lost:
 *
 *   A: load v7 ─ decide ─ commit(v7) ✓ → v8 ─ execute
 *   B: load v7 ─ decide ─ commit(v7) ✗ conflict ─ load v8 ─ decide (duplicate: no change) ─ done
 */

/**
 * How long an alarm's decision may run its steps before it is answered (from the decision's start;
 * CMS waits 5 s for a callback and retries 3 times). Long enough for the scale PATCHes, one
 * DescribeServiceMeshDetail and UpdateMeshFeature; the rest of the wait goes to the executor.
 */
export const ALARM_ANSWER_MS = 600;

/** Per-signal audit lines one decision writes; the rest of a large delivery is summarized in one line. */
const AUDIT_SIGNALS_MAX = 20;
/** An unmatched alarm is kept as an excerpt of this many characters. */
const UNMATCHED_DETAIL_MAX = 4 * 1024;

export interface EngineDeps {
  policy: Policy;
  store: StateStore;
  mesh: MeshControl;
  scaler: ClusterScaler;
  notifier: Notifier;
  clock: Clock;
  /** Identifies this instance in leases and logs. */
  owner: string;
  /** Time budget of one invocation for executing steps (FC function timeout minus margin). */
  budgetMs?: number;
  /**
   * When this invocation must be done waiting (epoch ms): every wait ends by then, whatever its
   * own limit; what does not fit is left pending for the executor or the next tick.
   */
  deadline?: number;
  /**
   * Policy `scopes.entryFrom`: reads the routes of the VirtualServices bound to the gateways. Read
   * on ticks only, so an alarm's decision (and a region DOWN draining every scope) never waits on it.
   */
  entryRoutes?: (gateways: readonly string[]) => Promise<EntryRoute[]>;
  /** Hand a plan whose steps wait (scale-up readiness) to the executor function. */
  handoff?: (planId: string) => Promise<void>;
  /**
   * Whether an input that asks to be answered first (an alarm) runs its steps only until
   * ALARM_ANSWER_MS and hands the rest to the executor (default true when `handoff` is set).
   * False: the steps run in the request until the budget, as before (the benchmark's baseline).
   */
  answerFirst?: boolean;
  log?: (line: Record<string, unknown>) => void;
  maxCommitAttempts?: number;
  /** Jitter source for backoff (default Math.random); tests pass a seeded one. */
  random?: () => number;
}

export class Engine implements EngineApi {
  private readonly deps: Required<Omit<EngineDeps, 'handoff' | 'random' | 'deadline' | 'entryRoutes' | 'answerFirst'>> & Pick<EngineDeps, 'handoff' | 'deadline' | 'entryRoutes' | 'answerFirst'> & { random: () => number };
  private readonly exec: ExecutorDeps;

  constructor(deps: EngineDeps) {
    this.deps = { budgetMs: 20_000, log: () => undefined, maxCommitAttempts: 20, random: Math.random, ...deps };
    const d = this.deps;
    this.exec = { mesh: d.policy.name, policy: d.policy, store: d.store, meshControl: d.mesh, scaler: d.scaler, notifier: d.notifier, clock: d.clock, owner: d.owner, budgetMs: d.budgetMs, ...(d.deadline !== undefined ? { deadline: d.deadline } : {}), log: d.log, random: d.random };
  }

  get mesh(): string {
    return this.deps.policy.name;
  }

  /** Decide and commit one input, re-deciding on a lost compare-and-set. */
  async decideAndCommit(input: Input, actor: string, opts: { dryRun?: boolean } = {}): Promise<{ decision: Decision; committed: boolean }> {
    const { store, clock } = this.deps;
    for (let attempt = 1; attempt <= this.deps.maxCommitAttempts; attempt++) {
      const { state, version } = await store.load(this.mesh);
      const now = clock.now();
      const decision = await this.decideObserved(state, input, now);
      if (opts.dryRun) return { decision, committed: false };
      const changed = JSON.stringify(decision.state) !== JSON.stringify(state);
      if (!changed && decision.plan.steps.length === 0) {
        // Alarms ignored for their time change nothing, but the operator must see that they came.
        if (decision.ignored?.length) await appendAudit(this.audit(), this.timeEvents(decision, actor, now));
        return { decision, committed: false };
      }
      try {
        await store.commit(this.mesh, version, decision.state, decision.plan.steps.length ? decision.plan : null, this.auditEvents(input, actor, decision, now));
        this.deps.log({ msg: 'committed', plan: decision.plan.id, trigger: decision.plan.trigger, steps: decision.plan.steps.length, refused: decision.plan.refused.map((r) => r.rule), version: version + 1 });
        return { decision, committed: true };
      } catch (err) {
        if (!(err instanceof StateConflictError)) throw err;
        // Lost the race: back off a little (jittered) so a storm of instances spreads out.
        await clock.sleep(Math.floor(this.deps.random() * Math.min(200, 5 * 2 ** attempt)));
      }
    }
    throw new StateConflictError(`could not commit after ${this.deps.maxCommitAttempts} attempts (heavy contention)`);
  }

  /**
   * Decide; when the decision moves traffic toward a region, read that region's readiness and
   * decide again with it (the target guard refuses a region with no ready pods).
   */
  private async decideObserved(state: MeshState | null, input: Input, now: number): Promise<Decision> {
    const { policy, scaler } = this.deps;
    const first = decide(policy, state, input, now);
    const gaining = regionsGaining(first.plan, state?.applied?.matrix);
    if (gaining.length === 0) return first;
    return decide(policy, state, input, now, await readReadiness(policy, scaler, gaining));
  }

  /** Audit lines for signals ignored for their time and signals lapsed by the per-region cap, bounded per decision. */
  private timeEvents(d: Decision, actor: string, now: number): AuditEvent[] {
    const base = { mesh: this.mesh, at: now, actor, kind: 'signal' as const };
    const ignored = d.ignored ?? [];
    const events: AuditEvent[] = ignored.slice(0, AUDIT_SIGNALS_MAX).map((i) => ({ ...base, summary: `${i.reason}: ${i.message}`, detail: i }));
    if (ignored.length > AUDIT_SIGNALS_MAX) {
      const rest = ignored.slice(AUDIT_SIGNALS_MAX);
      events.push({ ...base, summary: `${rest.length} more signals ignored for their time`, detail: boundedDetail({ ignored: rest.map((i) => ({ key: i.key, reason: i.reason, at: i.at })) }) });
    }
    const lapsed = d.lapsed ?? [];
    if (lapsed.length) events.push({ ...base, summary: `${lapsed.length} signals lapsed: over detection.maxSignalsPerRegion (${this.deps.policy.detection.maxSignalsPerRegion})`, detail: boundedDetail({ lapsed }) });
    return events;
  }

  private auditEvents(input: Input, actor: string, d: Decision, now: number): AuditEvent[] {
    const base = { mesh: this.mesh, at: now, actor };
    const events: AuditEvent[] = [];
    const signalEvent = (s: Signal): AuditEvent => ({ ...base, kind: 'signal', summary: `${s.key} ${s.status} (${s.region} ${s.severity})`, detail: boundedDetail(s) });
    if (input.kind === 'signal') events.push(signalEvent(input.signal));
    if (input.kind === 'signals') {
      // One line per signal up to a bound, then one line for the rest: a 3,000-alert webhook must not write 3,000 rows.
      const skip = new Set((d.ignored ?? []).map((i) => i.key));
      const acted = input.signals.filter((s) => !skip.has(s.key));
      events.push(...acted.slice(0, AUDIT_SIGNALS_MAX).map(signalEvent));
      const rest = acted.slice(AUDIT_SIGNALS_MAX);
      if (rest.length) events.push({ ...base, kind: 'signal', summary: `${rest.length} more signals in this delivery`, detail: boundedDetail({ keys: rest.map((s) => `${s.key} ${s.status}`) }) });
      events.push(...this.timeEvents(d, actor, now));
    } else if (d.ignored?.length || d.lapsed?.length) events.push(...this.timeEvents(d, actor, now));
    if (input.kind === 'command') events.push({ ...base, kind: 'command', summary: `${input.command.kind}`, detail: input.command });
    const significant = d.plan.steps.length > 0 || d.plan.refused.length > 0 || input.kind !== 'tick';
    if (significant) events.push({ ...base, kind: 'decision', planId: d.plan.id, summary: d.explain[0] ?? d.plan.trigger, detail: { reasons: d.plan.reasons, refused: d.plan.refused, steps: d.plan.steps, explain: d.explain, ...timelineDetail(d) } });
    return events;
  }

  private async act(input: Input, actor: string, dryRun = false, answerFirst = false): Promise<DecisionOutcome> {
    const startedAt = this.deps.clock.now();
    const { decision, committed } = await this.decideAndCommit(input, actor, { dryRun });
    const outcome: DecisionOutcome = { plan: decision.plan, explain: decision.explain, committed, executed: 0, handedOff: false, ...(decision.ignored?.length ? { ignored: decision.ignored } : {}) };
    if (!committed || decision.plan.steps.length === 0) return this.withAuditWarning(outcome);
    // An input answered first (an alarm: CMS gives a callback 5 s, and the mesh step alone polls
    // ASM for up to 24 s) runs its steps only until ALARM_ANSWER_MS: the scale PATCHes and
    // UpdateMeshFeature go out from here as before, so the drain is not a hop later; the wait for
    // the mesh to report them is the executor's (FC async invoke, by plan id), after the answer.
    //
    //   alarm:    decide ─ commit ─ scale ─ Describe ─ UpdateMeshFeature ─ poll ┆ answer-by ─ hand off ─ 200
    //   executor:                                                    lease ─ poll … running, same config ─ done
    const answerBy = answerFirst && this.deps.handoff && this.deps.answerFirst !== false ? startedAt + ALARM_ANSWER_MS : undefined;
    const exec = answerBy === undefined ? this.exec : { ...this.exec, deadline: Math.min(this.exec.deadline ?? Infinity, answerBy) };
    let run;
    try {
      run = await runPlan(exec, decision.plan.id, this.deps.handoff ? 'immediate' : 'all');
    } catch (err) {
      // The decision is committed and its plan journalled: the next tick resumes what did not run.
      // Failing the request now would only make the sender retry a decision already taken.
      if (!(err instanceof RegionshiftError)) throw err;
      this.deps.log({ msg: 'plan run stopped by the state store; the next tick resumes it', plan: decision.plan.id, error: err.message });
      outcome.warning = `decision committed; running plan ${decision.plan.id} stopped (${err.message}); the next tick resumes it`;
      return this.withAuditWarning(outcome);
    }
    outcome.executed = run.executed;
    // Answered first: whatever is still due (an urgent scale-up left for later too) goes on now.
    const due = answerBy !== undefined && run.record?.status === 'pending' && run.record.dueAt <= this.deps.clock.now();
    if ((run.needsHandoff || due) && this.deps.handoff) {
      try {
        await this.deps.handoff(decision.plan.id);
        outcome.handedOff = true;
      } catch (err) {
        // The plan is committed and its lease free: the next tick runs it. Failing the request
        // now would only make the alarm source retry a decision that is already taken.
        await alert(this.exec, 'warning', `plan ${decision.plan.id} could not be handed to the executor (${(err as Error).message}); the next tick runs it`, decision.plan.id);
      }
    }
    return this.withAuditWarning(outcome);
  }

  private audit(deadline?: number): AuditDeps {
    const d = deadline ?? this.deps.deadline;
    return { store: this.deps.store, clock: this.deps.clock, log: this.deps.log, ...(d !== undefined ? { deadline: d } : {}) };
  }

  /** A committed outcome whose audit lines wait in the queue says so (the answer stays a success). */
  private withAuditWarning(outcome: DecisionOutcome): DecisionOutcome {
    const queued = auditBacklog(this.deps.store);
    if (queued === 0) return outcome;
    const lag = `the audit log lags: ${queued} lines queued (the state store refused them); they are written at the next tick`;
    return { ...outcome, warning: outcome.warning ? `${outcome.warning}; ${lag}` : lag };
  }

  /**
   * All signals of one delivery are one decision: one load, one decide, one compare-and-set
   * commit. Deciding them one by one cost a load and a commit each, and a 3,000-alert webhook
   * held the process for minutes.
   */
  async ingest(signals: Signal[], actor: string, opts: { answerFirst?: boolean } = {}): Promise<DecisionOutcome[]> {
    if (signals.length === 0) return [];
    return [await this.act({ kind: 'signals', signals }, actor, false, opts.answerFirst ?? false)];
  }

  async command(command: ControlCommand, opts: { dryRun: boolean }): Promise<DecisionOutcome> {
    return this.act({ kind: 'command', command }, command.actor, opts.dryRun);
  }

  /**
   * One tick shares one budget between its own decision, the plans it resumes and the drift
   * check, so a slow mesh cannot push the invocation past the function's timeout; whatever is
   * left over waits for the next tick.
   */
  async tick(): Promise<{ decision: DecisionOutcome; resumed: string[]; drift: string | null; availability: DecisionOutcome[] }> {
    const deadline = Math.min(this.deps.clock.now() + this.deps.budgetMs, this.deps.deadline ?? Infinity);
    // Audit lines an earlier invocation of this process could not write go first.
    await flushAudit(this.audit(deadline));
    const availability = await this.observeAvailability();
    const entry = await this.readEntry();
    const decision = await this.act({ kind: 'tick', ...(entry ? { entry } : {}) }, 'scheduler');
    const resumed = await this.resumeDue(deadline);
    const drift = this.deps.clock.now() < deadline ? await this.checkDrift(deadline) : null;
    return { decision, resumed, drift, availability };
  }

  /**
   * Deployment availability (policy detection.deploymentAvailability): read every policy
   * deployment through the cluster access the scaler already has, in parallel, and ingest the
   * signals that change something, stamped with this tick's clock. A read that fails is logged
   * and left alone: a firing signal it would have refreshed lapses at its TTL.
   */
  private async observeAvailability(): Promise<DecisionOutcome[]> {
    const { policy, scaler, clock, store } = this.deps;
    if (!policy.detection.deploymentAvailability) return [];
    const readings: AvailabilityReading[] = await Promise.all(
      availabilityTargets(policy).map(async (target) => {
        try {
          const status = await scaler.get({ cluster: target.cluster, namespace: target.namespace, name: target.name });
          return { target, available: status.availableReplicas };
        } catch (err) {
          return { target, error: (err as Error).message };
        }
      }),
    );
    const { state } = await store.load(this.mesh);
    const { signals, skipped } = availabilitySignals(policy, state, readings, clock.now());
    if (skipped.length) this.deps.log({ msg: 'deployment availability: not graded', skipped });
    return signals.length ? this.ingest(signals, 'scheduler') : [];
  }

  /**
   * Policy `scopes.entryFrom`: the gateways' VirtualServices as read now, or why they could not be
   * read; the decision keeps the last derived set on a failure. Undefined without `entryFrom`.
   */
  private async readEntry(): Promise<EntryRead | undefined> {
    const gateways = this.deps.policy.scopes?.entryFrom?.gateways;
    if (!gateways) return undefined;
    if (!this.deps.entryRoutes) return { ok: false, error: 'this runtime has no access to the mesh\'s Kubernetes API' };
    try {
      return { ok: true, routes: await this.deps.entryRoutes(gateways) };
    } catch (err) {
      this.deps.log({ msg: 'entry services: could not read the gateways\' VirtualServices', error: (err as Error).message });
      return { ok: false, error: boundedText((err as Error).message, 300) };
    }
  }

  /** Plans whose next step is due and whose lease is free or lapsed (a crashed instance's). */
  private async resumeDue(deadline: number): Promise<string[]> {
    const now = this.deps.clock.now();
    const resumed: string[] = [];
    for (const rec of await this.deps.store.listOpenPlans(this.mesh)) {
      if (rec.dueAt > now || (rec.leaseOwner !== null && rec.leaseUntil > now)) continue;
      const left = deadline - this.deps.clock.now();
      if (left <= 0) break;
      const run = await runPlan({ ...this.exec, budgetMs: left }, rec.plan.id, 'all');
      if (run.executed > 0 || run.record?.status !== 'pending') resumed.push(rec.plan.id);
    }
    return resumed;
  }

  /** Compare the live mesh config with what was applied; act per policy.drift. */
  private async checkDrift(deadline: number): Promise<string | null> {
    const { store, policy, mesh: meshControl } = this.deps;
    const { state } = await store.load(this.mesh);
    if (!state?.applied) return null;
    const open = await store.listOpenPlans(this.mesh);
    // A plan still applying its mesh step is not drift.
    if (open.some((p) => p.plan.steps.some((s, i) => s.kind === 'mesh' && p.outcomes[i]?.status !== 'done' && p.outcomes[i]?.status !== 'skipped'))) return null;
    const expected = renderMeshConfig(state.applied.matrix, policy);
    let live;
    try {
      live = await meshControl.read();
    } catch (err) {
      this.deps.log({ msg: 'drift check could not read the mesh', error: (err as Error).message });
      return null;
    }
    // Read back as decided: the mesh has it (also how a state row older than meshConfirmed, or a
    // crash between the mesh step and its record, comes to show it confirmed).
    const appliedScopes = state.applied.scopes;
    const expectedScopes = policy.scopes ? scopeConfigs(appliedScopes) : undefined;
    const confirm = () => recordMeshConfirmed(this.exec, { matrix: state.applied!.matrix, config: expected, ...(appliedScopes ? { scopes: appliedScopes } : {}), planId: null, decidedAt: state.applied!.at });
    // Per-host rules are compared only when the policy scopes services and the adapter reports them.
    const scopesDrift = expectedScopes && live.scopes ? scopesDifference(live.scopes, expectedScopes) : null;
    const defaultLive = live.enabled && configEquals(live.config, expected);
    if (defaultLive && !scopesDrift) {
      if (!state.meshConfirmed || (policy.scopes && state.meshConfirmed.decidedAt !== state.applied.at) || !matrixEquals(state.meshConfirmed.matrix, state.applied.matrix)) await confirm();
      return null;
    }
    const what = defaultLive
      ? `live per-host rules differ from applied: ${scopesDrift}`
      : `live mesh config ${live.enabled ? JSON.stringify(live.config?.localityLbSetting ?? null) : '(locality LB disabled)'} differs from applied ${JSON.stringify(expected.localityLbSetting)}${scopesDrift ? `; per-host rules: ${scopesDrift}` : ''}`;
    await appendAudit(this.audit(deadline), [{ mesh: this.mesh, at: this.deps.clock.now(), kind: 'drift', actor: 'scheduler', summary: what, detail: { live, expected, action: policy.drift } }]);
    if (policy.drift === 'reapply') {
      // A newer decision committed while the repair waits on the mesh (or backs off) makes the
      // repair moot, as for a plan's mesh step: the adapter stops at its next poll instead of
      // polling to updateTimeout, and nothing re-sends the older config over the newer one.
      const repairing = state.applied;
      const superseded = supersededCheck({ store, mesh: this.mesh, log: this.deps.log }, { drift: 'reapply' }, (latest) => Engine.driftRepairSupersededBy(repairing, latest));
      const { attempt } = unlessSuperseded(() => meshControl.apply(expected, { deadline, superseded, ...(expectedScopes ? { scopes: expectedScopes } : {}) }), superseded);
      // Same fault handling as a plan's mesh step; a tick that throws would skip the rest of its work.
      try {
        await withRetry(attempt, { clock: this.deps.clock, deadline, random: this.deps.random });
      } catch (err) {
        if (err instanceof SupersededError) {
          // Not a failure: the newer plan's own mesh step carries the mesh on (and confirms it).
          this.deps.log({ msg: 'drift re-apply superseded', why: err.reason, repairing: repairing.at });
          return 'reapply superseded';
        }
        await alert(this.exec, isRetryable(err) ? 'warning' : 'critical', `drift: ${what}; re-apply failed, the next tick tries again: ${(err as Error).message}`);
        return 'reapply failed';
      }
      await confirm();
      await alert(this.exec, 'warning', `drift: ${what}; re-applied`);
      return 'reapplied';
    }
    // Adopting takes the mesh-wide default as an override; per-host rules edited by hand are not
    // adopted (there is no per-host override to hold them), only reported.
    if (policy.drift === 'adopt' && !defaultLive && live.enabled && live.config) return this.adopt(live.config, what);
    await alert(this.exec, 'warning', `drift: ${what}; left as is (drift: ${policy.drift})`);
    return 'alerted';
  }

  /**
   * Whether the applied config a drift repair re-sends is still the one wanted: null while it is,
   * else why not. A decision committed since sets a newer `applied` (every mesh step's plan does,
   * adopt too), and a newer confirmation means the mesh already carries a later decision. A state
   * read that fails answers "still wanted": the repair carries on, bounded by its deadline.
   */
  /** A drift repair is moot once a newer decision is recorded or confirmed on the mesh. */
  private static driftRepairSupersededBy(repairing: NonNullable<MeshState['applied']>, state: MeshState | null): string | null {
    if (!state) return null;
    if (!state.applied || state.applied.at !== repairing.at || !matrixEquals(state.applied.matrix, repairing.matrix)) return 'a newer plan was decided';
    if (state.meshConfirmed && state.meshConfirmed.decidedAt > repairing.at) return 'a newer plan was confirmed on the mesh';
    return null;
  }

  /**
   * Take the live config as the applied matrix. The core still decides on top of it: when the
   * layers or health want another matrix (a hand edit that routes to a DOWN region), the
   * decision plans the way back, and that plan runs now rather than at the next tick.
   */
  private async adopt(config: MeshConfig, what: string): Promise<string> {
    const { policy, store } = this.deps;
    let matrix;
    try {
      matrix = matrixFromConfig(config, policy.regionIds);
    } catch (err) {
      await alert(this.exec, 'warning', `drift: ${what}; cannot adopt it: ${(err as Error).message}`);
      return 'alerted';
    }
    const outcome = await this.act({ kind: 'adopt', matrix, actor: 'drift' }, 'drift');
    const { state } = await store.load(this.mesh);
    if (state?.applied && matrixEquals(state.applied.matrix, matrix)) {
      await alert(this.exec, 'warning', `drift: ${what}; adopted`);
      return 'adopted';
    }
    await alert(this.exec, 'warning', `drift: ${what}; adopted, but overruled by the decision (${outcome.explain.slice(1).join('; ')}): plan ${outcome.plan.id} moves it back`, outcome.plan.id);
    return 'adopt overruled';
  }

  async execute(planId: string): Promise<PlanRecord | null> {
    return (await runPlan(this.exec, planId, 'all')).record;
  }

  async status(): Promise<StatusView> {
    const { state, version } = await this.deps.store.load(this.mesh);
    const open = await this.deps.store.listOpenPlans(this.mesh);
    const last = await this.deps.store.listEvents(this.mesh, { limit: 20 });
    return statusView(this.deps.policy, state, version, open, last, this.deps.clock.now());
  }

  history(opts: { limit: number; before?: number }): Promise<StoredEvent[]> {
    return this.deps.store.listEvents(this.mesh, opts);
  }

  async recordUnmatched(source: string, summary: string, detail: unknown): Promise<void> {
    // The alarm may be megabytes: the audit keeps an excerpt, so history and status stay cheap to read.
    await appendAudit(this.audit(), [{ mesh: this.mesh, at: this.deps.clock.now(), kind: 'raw', actor: source, summary: `unmatched: ${boundedText(summary, 500)}`, detail: boundedDetail(detail, UNMATCHED_DETAIL_MAX) }]);
  }
}

/**
 * What the incident timeline (shared/engine/timeline.ts) reads from a decision besides its steps:
 * the matrices before and after, and each region's health status after it. A few hundred bytes.
 */
function timelineDetail(d: Decision): { before: TrafficMatrix | null; after: TrafficMatrix | null; health: Record<string, HealthStatus> } {
  return {
    before: d.plan.before?.matrix ?? null,
    after: d.plan.after?.matrix ?? null,
    health: Object.fromEntries(Object.entries(d.state.health).map(([region, h]) => [region, h.status])),
  };
}

/** Which owned per-host rules differ between the mesh and what was applied, or null when none does. */
export function scopesDifference(live: Record<string, MeshConfig>, expected: Record<string, MeshConfig>): string | null {
  const hosts = [...new Set([...Object.keys(live), ...Object.keys(expected)])].sort();
  const differ = hosts.filter((h) => !configEquals(live[h] ?? null, expected[h] ?? null));
  if (differ.length === 0) return null;
  return differ.map((h) => `${h} ${h in live ? (h in expected ? 'changed' : 'not applied by us') : 'missing'}`).join(', ');
}
