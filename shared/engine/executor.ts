import { matrixEquals } from '../core/matrix';
import type { Policy } from '../core/policy';
import type { MeshState, Plan, Step } from '../core/types';
import { deploymentKey } from '../core/capacity';
import type { ClusterScaler } from '../ports/cluster-scaler';
import type { Clock } from '../ports/clock';
import type { MeshControl } from '../ports/mesh-control';
import type { Notifier } from '../ports/notifier';
import type { PlanRecord, StateStore, StepOutcome } from '../ports/state-store';
import { RetriesExhausted, withRetry } from './retry';

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
 */

export interface ExecutorDeps {
  mesh: string;
  policy: Policy;
  store: StateStore;
  meshControl: MeshControl;
  scaler: ClusterScaler;
  notifier: Notifier;
  clock: Clock;
  owner: string;
  /** How long one invocation may spend on a plan (the function's time budget). */
  budgetMs: number;
  log: (line: Record<string, unknown>) => void;
}

export type RunMode = 'immediate' | 'all';

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

export async function runPlan(deps: ExecutorDeps, planId: string, mode: RunMode): Promise<RunResult> {
  const { store, clock, owner, mesh } = deps;
  const start = clock.now();
  const deadline = start + deps.budgetMs;
  let record = await store.getPlan(mesh, planId);
  if (!record || record.status !== 'pending') return { record, executed: 0, needsHandoff: false };
  const leaseUntil = deadline + 30_000;
  if (!(await store.acquireLease(mesh, planId, owner, leaseUntil, start))) return { record, executed: 0, needsHandoff: false };
  const plan = record.plan;
  const outcomes: StepOutcome[] = [...record.outcomes];
  let executed = 0;
  let needsHandoff = false;
  try {
    for (let i = 0; i < plan.steps.length; i++) {
      const step = plan.steps[i] as Step;
      const prior = outcomes[i];
      if (prior && (prior.status === 'done' || prior.status === 'skipped' || prior.status === 'failed')) continue;
      const now = clock.now();
      const remainingDue = (from: number) => plan.steps.slice(from).reduce((due, s) => (s.kind === 'scale' && s.notBefore !== undefined ? Math.max(due, s.notBefore) : due), now);
      if (step.kind === 'scale' && step.notBefore !== undefined && step.notBefore > now) {
        await store.recordStep(mesh, planId, owner, i, { status: 'pending', at: now, attempts: prior?.attempts ?? 0 }, { status: 'pending', dueAt: step.notBefore });
        break;
      }
      if (mode === 'immediate' && step.kind === 'scale' && step.waitReady) {
        needsHandoff = true;
        break;
      }
      const { state } = await store.load(mesh);
      const superseded = supersededBy(step, plan, state);
      if (superseded) {
        outcomes[i] = { status: 'skipped', at: now, attempts: prior?.attempts ?? 0, error: superseded };
        const last = i === plan.steps.length - 1;
        await store.recordStep(mesh, planId, owner, i, outcomes[i] as StepOutcome, { status: last ? 'done' : 'pending', dueAt: last ? now : remainingDue(i + 1) });
        deps.log({ msg: 'step skipped', plan: planId, step: i, kind: step.kind, why: superseded });
        continue;
      }
      try {
        const { attempts } = await withRetry(() => runStep(deps, step, deadline), { clock, deadline });
        outcomes[i] = { status: 'done', at: clock.now(), attempts: (prior?.attempts ?? 0) + attempts };
        executed++;
        const last = i === plan.steps.length - 1;
        await store.recordStep(mesh, planId, owner, i, outcomes[i] as StepOutcome, { status: last ? 'done' : 'pending', dueAt: last ? clock.now() : remainingDue(i + 1) });
      } catch (err) {
        const attempts = (prior?.attempts ?? 0) + (err instanceof RetriesExhausted ? err.attempts : 1);
        const message = (err as Error).message;
        if (err instanceof RetriesExhausted) {
          // Still failing at the end of the budget: leave it pending for the next tick, and say so.
          outcomes[i] = { status: 'pending', at: clock.now(), attempts, error: message };
          await store.recordStep(mesh, planId, owner, i, outcomes[i] as StepOutcome, { status: 'pending', dueAt: clock.now() });
          await alert(deps, 'warning', `plan ${planId} step ${i + 1} (${step.kind}) still failing after ${attempts} attempts; the next tick retries: ${message}`, planId);
        } else {
          outcomes[i] = { status: 'failed', at: clock.now(), attempts, error: message };
          await store.recordStep(mesh, planId, owner, i, outcomes[i] as StepOutcome, { status: 'failed', dueAt: clock.now() });
          await alert(deps, 'critical', `plan ${planId} step ${i + 1} (${step.kind}) failed and will not be retried: ${message}`, planId);
        }
        break;
      }
    }
  } finally {
    await store.releaseLease(mesh, planId, owner);
  }
  record = await store.getPlan(mesh, planId);
  return { record, executed, needsHandoff };
}

async function runStep(deps: ExecutorDeps, step: Step, deadline: number): Promise<void> {
  switch (step.kind) {
    case 'mesh':
      await deps.meshControl.apply(step.config);
      return;
    case 'scale': {
      const ref = { cluster: step.cluster, namespace: step.namespace, name: step.deployment };
      await deps.scaler.scale(ref, step.to);
      if (step.waitReady) {
        const ready = await deps.scaler.waitReady(ref, step.to, Math.min(deadline, deps.clock.now() + deps.policy.scaling.readyTimeout));
        if (!ready) deps.log({ msg: 'replicas not ready by the deadline; shifting anyway', deployment: ref, to: step.to });
      }
      return;
    }
    case 'notify':
      await deps.notifier.notify({ level: step.level, title: `regionshift ${deps.mesh}`, text: step.message, mesh: deps.mesh, at: deps.clock.now() }).catch((err: unknown) => {
        deps.log({ msg: 'notification failed', error: (err as Error).message });
      });
  }
}

export async function alert(deps: Pick<ExecutorDeps, 'store' | 'notifier' | 'clock' | 'mesh' | 'log'>, level: 'warning' | 'critical', text: string, planId?: string): Promise<void> {
  const at = deps.clock.now();
  deps.log({ msg: 'alert', level, text });
  await deps.store.appendEvents([{ mesh: deps.mesh, at, kind: 'alert', actor: 'regionshift', ...(planId ? { planId } : {}), summary: text, detail: { level } }]);
  await deps.notifier.notify({ level, title: `regionshift ${deps.mesh}`, text, mesh: deps.mesh, at }).catch(() => undefined);
}
