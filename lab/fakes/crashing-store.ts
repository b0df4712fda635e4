import type { MeshState, Plan } from '../../shared/core/types';
import type {
  AuditEvent,
  PlanRecord,
  PlanStatus,
  StateStore,
  StepOutcome,
  StoredEvent,
  VersionedState,
} from '../../shared/ports/state-store';

/** Thrown by a CrashingStateStore: the process "died"; nothing after it reaches the store. */
export class ProcessDied extends Error {
  constructor(after: string) {
    super(`process died after ${after}`);
    this.name = 'ProcessDied';
  }
}

export type StoreCall =
  | { op: 'recordStep'; planId: string; owner: string; index: number; outcome: StepOutcome }
  | { op: 'commit'; expectedVersion: number; plan: Plan | null }
  | { op: 'acquireLease'; planId: string; owner: string };

/**
 * Wraps a real store and kills the "process" right after a chosen write: that write is
 * durable, then it and every later call throw ProcessDied — so, like a real crash, no
 * `finally` gets to release a lease or record anything more.
 */
export class CrashingStateStore implements StateStore {
  private dead: string | null = null;

  constructor(
    private readonly inner: StateStore,
    private readonly crashAfter: (call: StoreCall) => boolean,
  ) {}

  get crashed(): boolean {
    return this.dead !== null;
  }

  private alive(): void {
    if (this.dead !== null) throw new ProcessDied(this.dead);
  }

  private after(call: StoreCall): void {
    if (this.crashAfter(call)) {
      this.dead = call.op;
      throw new ProcessDied(call.op);
    }
  }

  async load(mesh: string): Promise<VersionedState> {
    this.alive();
    return this.inner.load(mesh);
  }

  async commit(mesh: string, expectedVersion: number, state: MeshState, plan: Plan | null, events: AuditEvent[]): Promise<number> {
    this.alive();
    const v = await this.inner.commit(mesh, expectedVersion, state, plan, events);
    this.after({ op: 'commit', expectedVersion, plan });
    return v;
  }

  async appendEvents(events: AuditEvent[]): Promise<void> {
    this.alive();
    return this.inner.appendEvents(events);
  }

  async listEvents(mesh: string, opts: { limit: number; before?: number }): Promise<StoredEvent[]> {
    this.alive();
    return this.inner.listEvents(mesh, opts);
  }

  async getPlan(mesh: string, planId: string): Promise<PlanRecord | null> {
    this.alive();
    return this.inner.getPlan(mesh, planId);
  }

  async listOpenPlans(mesh: string): Promise<PlanRecord[]> {
    this.alive();
    return this.inner.listOpenPlans(mesh);
  }

  async acquireLease(mesh: string, planId: string, owner: string, until: number, now: number): Promise<boolean> {
    this.alive();
    const ok = await this.inner.acquireLease(mesh, planId, owner, until, now);
    this.after({ op: 'acquireLease', planId, owner });
    return ok;
  }

  async releaseLease(mesh: string, planId: string, owner: string): Promise<void> {
    this.alive();
    return this.inner.releaseLease(mesh, planId, owner);
  }

  async recordStep(
    mesh: string,
    planId: string,
    owner: string,
    index: number,
    outcome: StepOutcome,
    plan: { status: PlanStatus; dueAt: number },
  ): Promise<void> {
    this.alive();
    await this.inner.recordStep(mesh, planId, owner, index, outcome, plan);
    this.after({ op: 'recordStep', planId, owner, index, outcome });
  }

  async rememberKey(key: string, expiresAt: number, now: number): Promise<boolean> {
    this.alive();
    return this.inner.rememberKey(key, expiresAt, now);
  }

  /** Closing is the test's cleanup, not the dead process's: it reaches the real store. */
  async close(): Promise<void> {
    return this.inner.close();
  }
}
