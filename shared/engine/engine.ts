import { decide } from '../core/decide';
import { boundedDetail, boundedText } from '../core/limits';
import { RegionshiftError, StateConflictError } from '../core/errors';
import type { Policy } from '../core/policy';
import type { ControlCommand, Decision, EntryRead, EntryRoute, HealthStatus, Input, MeshState, Signal, TrafficMatrix } from '../core/types';
import type { ClusterScaler } from '../ports/cluster-scaler';
import type { Clock } from '../ports/clock';
import type { MeshControl } from '../ports/mesh-control';
import type { Notifier } from '../ports/notifier';
import type { AuditEvent, PlanRecord, StateStore, StoredEvent } from '../ports/state-store';
import type { DecisionOutcome, EngineApi, StatusView } from './api';
import { alert } from './confirm';
import { runPlan, type ExecutorDeps } from './executor';
import { appendAudit, auditBacklog, flushAudit, type AuditDeps } from './audit';
import { statusView } from './status';
import { readReadiness, regionsGaining } from './observe';
import { availabilitySignals, availabilityTargets, type AvailabilityReading } from '../core/availability';
import { checkDrift, type DriftOutcome } from './drift';

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
  /** The mesh's control plane (ASM or Istio), through its port. */
  meshControl: MeshControl;
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
  private readonly deps: Required<Omit<EngineDeps, 'handoff' | 'random' | 'deadline' | 'entryRoutes' | 'answerFirst'>> &
    Pick<EngineDeps, 'handoff' | 'deadline' | 'entryRoutes' | 'answerFirst'> & { random: () => number };
  private readonly exec: ExecutorDeps;

  constructor(deps: EngineDeps) {
    this.deps = { budgetMs: 20_000, log: () => undefined, maxCommitAttempts: 20, random: Math.random, ...deps };
    const d = this.deps;
    this.exec = {
      meshName: d.policy.name,
      policy: d.policy,
      store: d.store,
      meshControl: d.meshControl,
      scaler: d.scaler,
      notifier: d.notifier,
      clock: d.clock,
      owner: d.owner,
      budgetMs: d.budgetMs,
      ...(d.deadline !== undefined ? { deadline: d.deadline } : {}),
      log: d.log,
      random: d.random,
    };
  }

  /** The mesh's name: the policy's `name`, the key of its state row, plans and audit lines. */
  get meshName(): string {
    return this.deps.policy.name;
  }

  /** Decide and commit one input, re-deciding on a lost compare-and-set. */
  async decideAndCommit(input: Input, actor: string, opts: { dryRun?: boolean } = {}): Promise<{ decision: Decision; committed: boolean }> {
    const { store, clock } = this.deps;
    for (let attempt = 1; attempt <= this.deps.maxCommitAttempts; attempt++) {
      const { state, version } = await store.load(this.meshName);
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
        await store.commit(
          this.meshName,
          version,
          decision.state,
          decision.plan.steps.length ? decision.plan : null,
          this.auditEvents(input, actor, decision, now),
        );
        this.deps.log({
          msg: 'committed',
          plan: decision.plan.id,
          trigger: decision.plan.trigger,
          steps: decision.plan.steps.length,
          refused: decision.plan.refused.map((r) => r.rule),
          version: version + 1,
        });
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
    const base = { mesh: this.meshName, at: now, actor, kind: 'signal' as const };
    const ignored = d.ignored ?? [];
    const events: AuditEvent[] = ignored
      .slice(0, AUDIT_SIGNALS_MAX)
      .map((i) => ({ ...base, summary: `${i.reason}: ${i.message}`, detail: i }));
    if (ignored.length > AUDIT_SIGNALS_MAX) {
      const rest = ignored.slice(AUDIT_SIGNALS_MAX);
      events.push({
        ...base,
        summary: `${rest.length} more signals ignored for their time`,
        detail: boundedDetail({ ignored: rest.map((i) => ({ key: i.key, reason: i.reason, at: i.at })) }),
      });
    }
    const lapsed = d.lapsed ?? [];
    if (lapsed.length)
      events.push({
        ...base,
        summary: `${lapsed.length} signals lapsed: over detection.maxSignalsPerRegion (${this.deps.policy.detection.maxSignalsPerRegion})`,
        detail: boundedDetail({ lapsed }),
      });
    return events;
  }

  private auditEvents(input: Input, actor: string, d: Decision, now: number): AuditEvent[] {
    const base = { mesh: this.meshName, at: now, actor };
    const events: AuditEvent[] = [];
    const signalEvent = (s: Signal): AuditEvent => ({
      ...base,
      kind: 'signal',
      summary: `${s.key} ${s.status} (${s.region} ${s.severity})`,
      detail: boundedDetail(s),
    });
    if (input.kind === 'signal') events.push(signalEvent(input.signal));
    if (input.kind === 'signals') {
      // One line per signal up to a bound, then one line for the rest: a 3,000-alert webhook must not write 3,000 rows.
      const skip = new Set((d.ignored ?? []).map((i) => i.key));
      const acted = input.signals.filter((s) => !skip.has(s.key));
      events.push(...acted.slice(0, AUDIT_SIGNALS_MAX).map(signalEvent));
      const rest = acted.slice(AUDIT_SIGNALS_MAX);
      if (rest.length)
        events.push({
          ...base,
          kind: 'signal',
          summary: `${rest.length} more signals in this delivery`,
          detail: boundedDetail({ keys: rest.map((s) => `${s.key} ${s.status}`) }),
        });
      events.push(...this.timeEvents(d, actor, now));
    } else if (d.ignored?.length || d.lapsed?.length) events.push(...this.timeEvents(d, actor, now));
    if (input.kind === 'command') events.push({ ...base, kind: 'command', summary: `${input.command.kind}`, detail: input.command });
    const significant = d.plan.steps.length > 0 || d.plan.refused.length > 0 || input.kind !== 'tick';
    if (significant)
      events.push({
        ...base,
        kind: 'decision',
        planId: d.plan.id,
        summary: d.explain[0] ?? d.plan.trigger,
        detail: { reasons: d.plan.reasons, refused: d.plan.refused, steps: d.plan.steps, explain: d.explain, ...timelineDetail(d) },
      });
    return events;
  }

  private async act(input: Input, actor: string, dryRun = false, answerFirst = false): Promise<DecisionOutcome> {
    const startedAt = this.deps.clock.now();
    const { decision, committed } = await this.decideAndCommit(input, actor, { dryRun });
    const outcome: DecisionOutcome = {
      plan: decision.plan,
      explain: decision.explain,
      committed,
      executed: 0,
      handedOff: false,
      ...(decision.ignored?.length ? { ignored: decision.ignored } : {}),
    };
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
        await alert(
          this.exec,
          'warning',
          `plan ${decision.plan.id} could not be handed to the executor (${(err as Error).message}); the next tick runs it`,
          decision.plan.id,
        );
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
  async tick(): Promise<{ decision: DecisionOutcome; resumed: string[]; drift: DriftOutcome | null; availability: DecisionOutcome[] }> {
    const deadline = Math.min(this.deps.clock.now() + this.deps.budgetMs, this.deps.deadline ?? Infinity);
    // Audit lines an earlier invocation of this process could not write go first.
    await flushAudit(this.audit(deadline));
    const availability = await this.observeAvailability();
    const entry = await this.readEntry();
    const decision = await this.act({ kind: 'tick', ...(entry ? { entry } : {}) }, 'scheduler');
    const resumed = await this.resumeDue(deadline);
    const drift =
      this.deps.clock.now() < deadline
        ? await checkDrift(
            {
              exec: this.exec,
              audit: this.audit(deadline),
              adopt: (matrix) => this.act({ kind: 'adopt', matrix, actor: 'drift' }, 'drift'),
            },
            deadline,
          )
        : null;
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
    const { state } = await store.load(this.meshName);
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
    if (!this.deps.entryRoutes) return { ok: false, error: "this runtime has no access to the mesh's Kubernetes API" };
    try {
      return { ok: true, routes: await this.deps.entryRoutes(gateways) };
    } catch (err) {
      this.deps.log({ msg: "entry services: could not read the gateways' VirtualServices", error: (err as Error).message });
      return { ok: false, error: boundedText((err as Error).message, 300) };
    }
  }

  /** Plans whose next step is due and whose lease is free or lapsed (a crashed instance's). */
  private async resumeDue(deadline: number): Promise<string[]> {
    const now = this.deps.clock.now();
    const resumed: string[] = [];
    for (const rec of await this.deps.store.listOpenPlans(this.meshName)) {
      if (rec.dueAt > now || (rec.leaseOwner !== null && rec.leaseUntil > now)) continue;
      const left = deadline - this.deps.clock.now();
      if (left <= 0) break;
      const run = await runPlan({ ...this.exec, budgetMs: left }, rec.plan.id, 'all');
      if (run.executed > 0 || run.record?.status !== 'pending') resumed.push(rec.plan.id);
    }
    return resumed;
  }

  async execute(planId: string): Promise<PlanRecord | null> {
    return (await runPlan(this.exec, planId, 'all')).record;
  }

  async status(): Promise<StatusView> {
    const { state, version } = await this.deps.store.load(this.meshName);
    const open = await this.deps.store.listOpenPlans(this.meshName);
    const last = await this.deps.store.listEvents(this.meshName, { limit: 20 });
    return statusView(this.deps.policy, state, version, open, last, this.deps.clock.now());
  }

  history(opts: { limit: number; before?: number }): Promise<StoredEvent[]> {
    return this.deps.store.listEvents(this.meshName, opts);
  }

  async recordUnmatched(source: string, summary: string, detail: unknown): Promise<void> {
    // The alarm may be megabytes: the audit keeps an excerpt, so history and status stay cheap to read.
    await appendAudit(this.audit(), [
      {
        mesh: this.meshName,
        at: this.deps.clock.now(),
        kind: 'raw',
        actor: source,
        summary: `unmatched: ${boundedText(summary, 500)}`,
        detail: boundedDetail(detail, UNMATCHED_DETAIL_MAX),
      },
    ]);
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
