import { RegionshiftError, StateConflictError, SupersededError } from '../core/errors';
import { matrixEquals } from '../core/matrix';
import type { Policy } from '../core/policy';
import type { MeshState, Plan, Step } from '../core/types';
import { deploymentKey } from '../core/capacity';
import type { ClusterScaler } from '../ports/cluster-scaler';
import type { MeshControl } from '../ports/mesh-control';
import type { PlanRecord, PlanStatus, StepOutcome } from '../ports/state-store';
import { planMatrix, planOneLine } from '../core/notice';
import { RetriesExhausted, unlessSuperseded, withRetry } from './retry';
import { appendAudit, type AuditDeps } from './audit';
import { alert, recordMeshConfirmed, scopeConfigs, supersededCheck, type MeshContext } from './confirm';
import { stepTarget } from './history-text';

/**
 * Runs the steps of a committed plan. A plan is a journal: each step's outcome is recorded as
 * it finishes, under a lease, so a crash resumes where it stopped (steps are idempotent: scale
 * *to* N, apply *this* config).
 *
 *   instance A: lease(t0..t0+L) ─ scale ✓ ─ ✗ crash
 *   tick (t > t0+L):            lease taken ─ scale ✓ (skipped: done) ─ mesh ✓ ─ done
 *
 * Before a step runs it is checked against the latest state: a newer plan may have superseded
 * it (another mesh matrix applied since, a delayed scale-down cancelled), and then it is skipped.
 * The same check runs before each retry of a step, and while a mesh step waits for the mesh
 * (the adapter asks it each poll): a plan replaced mid-wait ends skipped, not timed out.
 *
 *   A: mesh ─ Update(A) ─ poll … poll ─ superseded? yes ─ skipped (no alert, no retry)
 *   B:            commit(applied = B) ─ mesh ─ Update(B) ─ poll … done
 */

export interface ExecutorDeps extends MeshContext {
  policy: Policy;
  meshControl: MeshControl;
  scaler: ClusterScaler;
  owner: string;
  /** How long one invocation may spend on a plan (the function's time budget). */
  budgetMs: number;
  /** When the invocation must be done waiting (epoch ms), whatever budgetMs says. */
  deadline?: number;
  /** Jitter source for retry backoff (default Math.random); tests pass a seeded one. */
  random?: () => number;
}

export type RunMode = 'immediate' | 'all';

/**
 * A wait cut short by the invocation's deadline rather than by its own limit (replicas not
 * ready yet, readyTimeout not over): the step stays pending for a run with time left.
 */
export class OutOfTimeError extends RegionshiftError {
  constructor(message: string) {
    super('EXEC.OUT_OF_TIME', message, { retryable: false });
  }
}

export interface RunResult {
  record: PlanRecord | null;
  executed: number;
  /** The plan stopped at a step that waits for readiness (immediate mode): hand it to the executor. */
  needsHandoff: boolean;
}

function supersededBy(step: Step, plan: Plan, state: MeshState | null): string | null {
  if (!state) return null;
  if (step.kind === 'mesh') {
    return state.applied && !matrixEquals(state.applied.matrix, step.matrix) ? 'a newer plan applied another matrix' : null;
  }
  if (step.kind === 'scale') {
    const entry = state.scale[deploymentKey(step.cluster, step.namespace, step.deployment)];
    if (step.notBefore !== undefined) {
      const pending = entry?.pendingDown;
      const stillWanted = (pending?.planId === plan.id && pending.to === step.to) || (!pending && entry?.replicas === step.to);
      return stillWanted ? null : 'the delayed scale-down was cancelled or replaced';
    }
    return entry && entry.replicas !== step.to ? `a newer plan wants ${entry.replicas} replicas` : null;
  }
  return null;
}

// A notice that could not be sent is failed but settled: alerted once, it holds up no other step and fails no plan.
const unsent = (s: Step | undefined, o: StepOutcome | undefined) => s?.kind === 'notify' && o?.status === 'failed';
const settled = (o: StepOutcome | undefined, s?: Step) => o?.status === 'done' || o?.status === 'skipped' || unsent(s, o);
const delayedUntil = (s: Step) => (s.kind === 'scale' && s.notBefore !== undefined ? s.notBefore : undefined);

/**
 * The plan's status and when a tick should look at it next. Due now while any step that is
 * not a delayed one is unfinished: a journal whose mesh step is still to run must not wait for
 * the scale-down queued behind it (a crash between the scale-up and the mesh step would
 * otherwise leave the drain undone until scaleDownDelay had passed).
 */
export function planProgress(plan: Plan, outcomes: readonly StepOutcome[], now: number): { status: PlanStatus; dueAt: number } {
  if (outcomes.some((o, i) => o.status === 'failed' && !unsent(plan.steps[i], o))) return { status: 'failed', dueAt: now };
  let dueAt = Infinity;
  plan.steps.forEach((s, i) => {
    if (!settled(outcomes[i], s)) dueAt = Math.min(dueAt, Math.max(now, delayedUntil(s) ?? now));
  });
  return dueAt === Infinity ? { status: 'done', dueAt: now } : { status: 'pending', dueAt };
}

/**
 * A scale-up of an urgent plan (a region DOWN drain: decide builds its scale-ups without a wait
 * for readiness, before the mesh step). It never holds the drain back: before the mesh step it
 * gets one try, and a failure leaves it pending (retried after the mesh step within the budget,
 * then by the next tick, and alerted) instead of stopping the plan before its mesh change.
 *
 *   before: scale ✗ (throttled for the 20 s budget, or refused) ─ stop ─ mesh never runs
 *   now:    scale ✗ one try ─ mesh ✓ ─ scale retried (backoff, budget) ─ ✗ pending, alert ─ tick: scale ✓
 */
export function isUrgentScaleUp(plan: Plan, index: number): boolean {
  const step = plan.steps[index];
  if (step?.kind !== 'scale' || step.waitReady || step.notBefore !== undefined) return false;
  return plan.steps.slice(index + 1).some((s) => s.kind === 'mesh');
}

/** Attempts at an urgent scale-up refused for good (not retryable; one a run) before it is recorded failed. */
export const URGENT_SCALE_MAX_ATTEMPTS = 5;

/** How a step's run ended for the loop: carry on with the next step, or stop the plan here. */
type StepEnd = 'next' | 'stop';

export async function runPlan(deps: ExecutorDeps, planId: string, mode: RunMode): Promise<RunResult> {
  const { store, clock, owner, meshName } = deps;
  const start = clock.now();
  const deadline = Math.min(start + deps.budgetMs, deps.deadline ?? Infinity);
  let record = await store.getPlan(meshName, planId);
  if (!record || record.status !== 'pending') return { record, executed: 0, needsHandoff: false };
  const leaseUntil = deadline + 30_000;
  if (!(await store.acquireLease(meshName, planId, owner, leaseUntil, start))) return { record, executed: 0, needsHandoff: false };
  // Read the journal again under the lease: the copy read before it may be stale.
  //
  //   B: getPlan (pending) ───────────────────────────── lease ✓ ─ (stale copy would replay)
  //   A:        lease ─ scale ✓ ─ mesh ✓ ─ done ─ release
  record = await store.getPlan(meshName, planId);
  if (!record || record.status !== 'pending') {
    await store.releaseLease(meshName, planId, owner);
    return { record, executed: 0, needsHandoff: false };
  }
  const plan = record.plan;
  const outcomes: StepOutcome[] = plan.steps.map((_, i) => record?.outcomes[i] ?? { status: 'pending', at: plan.at, attempts: 0 });
  let journaledDue = record.dueAt;
  const audit: AuditDeps = { store, clock, log: deps.log, deadline };
  /** Steps whose outcome the journal does not have yet (its write failed): written with the next one. */
  const unjournaled = new Set<number>();
  let journalTail: Promise<void> = Promise.resolve();
  const writeJournal = async (i: number) => {
    const progress = planProgress(plan, outcomes, clock.now());
    const outcome = outcomes[i] as StepOutcome;
    for (const j of [...unjournaled, i]) {
      // A busy store is retried; one that still refuses leaves the outcome standing (in memory,
      // and rewritten with the next step): a resumed run repeats the step, which is idempotent.
      // A lost lease (StateConflictError) is no store failure: another run owns the plan now.
      const { error } = await bookkeeping(deps, deadline, () =>
        store.recordStep(meshName, planId, owner, j, outcomes[j] as StepOutcome, progress),
      );
      if (error instanceof StateConflictError) throw error;
      if (error) {
        unjournaled.add(j);
        deps.log({
          msg: 'journal write failed; the outcome stands',
          plan: planId,
          step: j,
          status: (outcomes[j] as StepOutcome).status,
          error: error.message,
        });
      } else unjournaled.delete(j);
    }
    journaledDue = progress.dueAt;
    // A step that ended goes to the audit log too, so the timeline and the postmortem report show
    // its outcome and timing from the log alone (the journal row is overwritten as it runs).
    if (outcome.status === 'done' || outcome.status === 'failed' || outcome.status === 'skipped') {
      const step = plan.steps[i] as Step;
      await appendAudit(audit, [
        {
          mesh: meshName,
          at: outcome.at,
          kind: 'step',
          actor: owner,
          planId,
          summary: `step ${i + 1}/${plan.steps.length} (${stepTarget(step, meshName)}) ${outcome.status}`,
          detail: {
            index: i,
            kind: step.kind,
            status: outcome.status,
            attempts: outcome.attempts,
            ...(outcome.error !== undefined && { error: outcome.error }),
          },
        },
      ]);
    }
  };
  // Steps of one plan may run at once (an urgent drain's scale-ups and mesh step): one journal
  // write at a time, so the plan's status and dueAt are those of the latest outcome.
  const journal = (i: number): Promise<void> => {
    const next = journalTail.then(() => writeJournal(i));
    journalTail = next.catch(() => undefined);
    return next;
  };
  let executed = 0;
  let needsHandoff = false;
  let waiting: number | null = null;
  let stopped = false;

  /** Urgent scale-ups that failed retryably on their one try before the mesh step; retried after it. */
  const deferred: number[] = [];
  const runOne = async (i: number): Promise<StepEnd> => {
    const step = plan.steps[i] as Step;
    const prior = outcomes[i] as StepOutcome;
    const now = clock.now();
    const urgentScale = isUrgentScaleUp(plan, i);
    // Before its plan's mesh step has run, an urgent scale-up gets one try: a retry's backoff
    // (up to the whole budget while throttled) would hold the drain back.
    const oneTry = urgentScale && plan.steps.some((s, j) => j > i && s.kind === 'mesh' && !settled(outcomes[j]));
    const { state } = await store.load(meshName);
    const superseded = supersededBy(step, plan, state);
    if (superseded) {
      outcomes[i] = { status: 'skipped', at: now, attempts: prior.attempts, error: superseded };
      await journal(i);
      deps.log({ msg: 'step skipped', plan: planId, step: i, kind: step.kind, why: superseded });
      return 'next';
    }
    const stillWanted = supersededCheck(deps, { plan: plan.id, kind: step.kind }, (latest) => supersededBy(step, plan, latest));
    const { attempt, made } = unlessSuperseded(() => runStep(deps, step, deadline, plan, stillWanted), stillWanted);
    // The step's own outcome, decided before any bookkeeping: a journal or audit write that fails
    // afterwards never turns a step that ran into a failed one.
    let ran: { attempts: number } | { err: unknown };
    try {
      ran = {
        attempts: (
          await withRetry(attempt, { clock, deadline: oneTry ? clock.now() : deadline, ...(deps.random ? { random: deps.random } : {}) })
        ).attempts,
      };
    } catch (err) {
      ran = { err };
    }
    if ('attempts' in ran) {
      outcomes[i] = { status: 'done', at: clock.now(), attempts: prior.attempts + ran.attempts };
      executed++;
      await journal(i);
      if (step.kind === 'mesh')
        await recordMeshConfirmed(deps, {
          matrix: step.matrix,
          config: step.config,
          ...(step.scopes ? { scopes: step.scopes } : {}),
          planId,
          decidedAt: plan.at,
        });
      return 'next';
    }
    const err = ran.err;
    const attempts = prior.attempts + (err instanceof RetriesExhausted ? err.attempts : made());
    const message = (err as Error).message;
    if (err instanceof SupersededError) {
      // Not a failure: the newer plan's own step carries the mesh on. Skipped as if it had
      // been superseded before it ran; the plan's later steps are checked as usual.
      outcomes[i] = { status: 'skipped', at: clock.now(), attempts, error: err.reason };
      await journal(i);
      deps.log({ msg: 'step skipped', plan: planId, step: i, kind: step.kind, why: err.reason, while: 'running' });
      return 'next';
    }
    if (oneTry && err instanceof RetriesExhausted) {
      outcomes[i] = { status: 'pending', at: clock.now(), attempts, error: message };
      await journal(i);
      deferred.push(i);
      deps.log({ msg: 'urgent scale-up deferred past the mesh step', plan: planId, step: i, error: message });
      return 'next';
    }
    if (urgentScale && (err instanceof RetriesExhausted || attempts < URGENT_SCALE_MAX_ATTEMPTS)) {
      // The drain goes ahead without it (the mesh step runs next); the next tick asks again.
      outcomes[i] = { status: 'pending', at: clock.now(), attempts, error: message };
      await journal(i);
      const level = err instanceof RetriesExhausted ? 'warning' : 'critical';
      await alert(
        deps,
        level,
        `plan ${planId} step ${i + 1} (scale ${step.kind === 'scale' ? `${step.cluster}/${step.namespace}/${step.deployment} to ${step.to}` : ''}) failed; the drain went ahead without it and the next tick retries it: ${message}`,
        planId,
      );
      return 'next';
    }
    if (err instanceof OutOfTimeError || (err instanceof RetriesExhausted && mode === 'immediate')) {
      // This invocation ran out of time, the step did not fail: leave it pending and hand it
      // on (immediate mode: to the executor; otherwise the next tick resumes it).
      outcomes[i] = { status: 'pending', at: clock.now(), attempts, error: message };
      await journal(i);
      deps.log({ msg: 'step left pending: out of time', plan: planId, step: i, kind: step.kind, error: message });
      needsHandoff = mode === 'immediate';
    } else if (err instanceof RetriesExhausted) {
      // Still failing at the end of the budget: leave it pending for the next tick, and say so.
      outcomes[i] = { status: 'pending', at: clock.now(), attempts, error: message };
      await journal(i);
      await alert(
        deps,
        'warning',
        `plan ${planId} step ${i + 1} (${step.kind}) still failing after ${attempts} attempts; the next tick retries: ${message}`,
        planId,
      );
    } else {
      outcomes[i] = { status: 'failed', at: clock.now(), attempts, error: message };
      await journal(i);
      await alert(deps, 'critical', `plan ${planId} step ${i + 1} (${step.kind}) failed and will not be retried: ${message}`, planId);
      if (step.kind === 'notify') return 'next';
    }
    return 'stop';
  };

  try {
    for (let i = 0; i < plan.steps.length; i++) {
      const step = plan.steps[i] as Step;
      const prior = outcomes[i] as StepOutcome;
      if (prior.status !== 'pending' && prior.status !== 'running') continue;
      const now = clock.now();
      // A delayed scale-down that is not due yet holds up nothing after it (notifications).
      if ((delayedUntil(step) ?? now) > now) {
        waiting ??= i;
        continue;
      }
      if (mode === 'immediate' && step.kind === 'scale' && step.waitReady) {
        needsHandoff = true;
        stopped = true;
        break;
      }
      if (step.kind === 'scale' && step.waitReady) await startScaleUps(deps, plan.steps, i);
      if ((await runOne(i)) === 'stop') {
        stopped = true;
        break;
      }
    }
    // The urgent scale-ups that failed on their one try before the mesh step: now that the drain
    // is out, they get the rest of the budget (backoff and retries) before the next tick does.
    if (!stopped) for (const j of deferred) await runOne(j);
    // Only delayed steps left: make sure the journal says when they fall due.
    if (!stopped && waiting !== null && (journaledDue !== planProgress(plan, outcomes, clock.now()).dueAt || unjournaled.size > 0))
      await journal(waiting);
  } finally {
    await store.releaseLease(meshName, planId, owner);
  }
  record = await store.getPlan(meshName, planId);
  return { record, executed, needsHandoff };
}

/**
 * A journal write, retried while the store answers retryable (busy) within the deadline. A
 * store's failure comes back as `error`; anything that is no store failure is thrown.
 */
async function bookkeeping(
  deps: Pick<ExecutorDeps, 'clock' | 'random'>,
  deadline: number,
  write: () => Promise<void>,
): Promise<{ error: RegionshiftError | null }> {
  try {
    await withRetry(write, { clock: deps.clock, deadline, baseMs: 50, capMs: 400, ...(deps.random ? { random: deps.random } : {}) });
    return { error: null };
  } catch (err) {
    if (err instanceof RetriesExhausted) return { error: err };
    if (err instanceof RegionshiftError) return { error: err };
    throw err;
  }
}

/**
 * Scale-ups that wait for readiness come in a run before the mesh step: ask for all of them at
 * once, so their pods start together and the waits overlap instead of adding up. Each step still
 * runs (and is journalled) on its own afterwards; scaling to the same count again is a no-op.
 */
async function startScaleUps(deps: ExecutorDeps, steps: Step[], from: number): Promise<void> {
  const run: Array<Extract<Step, { kind: 'scale' }>> = [];
  for (let j = from; j < steps.length; j++) {
    const s = steps[j] as Step;
    if (s.kind !== 'scale' || !s.waitReady) break;
    run.push(s);
  }
  if (run.length < 2) return;
  await Promise.allSettled(run.map((s) => deps.scaler.scale({ cluster: s.cluster, namespace: s.namespace, name: s.deployment }, s.to)));
}

async function runStep(
  deps: ExecutorDeps,
  step: Step,
  deadline: number,
  plan: Plan,
  superseded: () => Promise<string | null>,
): Promise<void> {
  switch (step.kind) {
    case 'mesh':
      // Per-host rules only when the policy scopes services: without scopes the adapters are
      // asked exactly what they were asked before (and leave any per-host rules alone).
      await deps.meshControl.apply(step.config, {
        deadline,
        superseded,
        ...(deps.policy.scopes ? { scopes: scopeConfigs(step.scopes) } : {}),
      });
      return;
    case 'scale': {
      const ref = { cluster: step.cluster, namespace: step.namespace, name: step.deployment };
      await deps.scaler.scale(ref, step.to);
      if (step.waitReady) {
        const readyBy = deps.clock.now() + deps.policy.scaling.readyTimeout;
        const ready = await deps.scaler.waitReady(ref, step.to, Math.min(deadline, readyBy));
        if (!ready && deadline < readyBy) {
          throw new OutOfTimeError(
            `${ref.cluster}/${ref.namespace}/${ref.name}: not ${step.to} ready replicas yet and this invocation is out of time; a later run waits on`,
          );
        }
        if (!ready) deps.log({ msg: 'replicas not ready within scaling.readyTimeout; shifting anyway', deployment: ref, to: step.to });
      }
      return;
    }
    case 'notify': {
      // The on-call reads the why and the resulting matrix in the message itself, not only the transition.
      const m = planMatrix(plan);
      const about = {
        explanation: planOneLine(plan),
        planId: plan.id,
        decidedAt: plan.at,
        ...(m ? { matrix: m.matrix, matrixChanged: m.changed } : {}),
      };
      // A notifier's failure is the step's (journalled failed, alerted once): the notifiers answer non-retryable errors.
      await deps.notifier.notify({
        level: step.level,
        title: `regionshift ${deps.meshName}`,
        text: step.message,
        mesh: deps.meshName,
        at: deps.clock.now(),
        ...about,
      });
    }
  }
}
