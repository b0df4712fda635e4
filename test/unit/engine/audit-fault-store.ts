import { UpstreamError } from '../../../shared/core/errors';
import type { MeshState, Plan } from '../../../shared/core/types';
import type {
  AuditEvent,
  PlanRecord,
  PlanStatus,
  StateStore,
  StepOutcome,
  StoredEvent,
  VersionedState,
} from '../../../shared/ports/state-store';

/**
 * A real store whose audit appends fail on demand, as SQLite answers when the disk is full
 * (`SQLITE_FULL`, translated by the adapter into a non-retryable STATE.SQLITE) or a busy table
 * (`SQLITE_BUSY`, retryable); journal writes likewise. Everything else reaches the real store, commits included.
 */
export class AuditFaultStore implements StateStore {
  /** appendEvents calls refused so far. */
  refused = 0;
  private failing: { busy: boolean; left: number } | null = null;
  /** Journal writes (recordStep) still to refuse, as a full disk does. */
  private journalFailures = 0;
  /** recordStep calls refused so far. */
  refusedJournal = 0;

  constructor(private readonly inner: StateStore) {}

  /** The next `count` appends fail (Infinity: until `heal`). */
  failAppends(count: number, kind: 'disk-full' | 'busy' = 'disk-full'): void {
    this.failing = { busy: kind === 'busy', left: count };
  }

  /** The next `count` journal writes (recordStep) fail as on a full disk. */
  failJournal(count: number): void {
    this.journalFailures = count;
  }

  heal(): void {
    this.failing = null;
    this.journalFailures = 0;
  }

  async appendEvents(events: AuditEvent[]): Promise<void> {
    if (this.failing && this.failing.left > 0) {
      this.failing.left--;
      this.refused++;
      throw this.failing.busy
        ? new UpstreamError('STATE.SQLITE', 'appendEvents: database is locked', { retryable: true })
        : new UpstreamError('STATE.SQLITE', 'appendEvents: database or disk is full', { retryable: false });
    }
    return this.inner.appendEvents(events);
  }

  load(mesh: string): Promise<VersionedState> {
    return this.inner.load(mesh);
  }
  commit(mesh: string, expectedVersion: number, state: MeshState, plan: Plan | null, events: AuditEvent[]): Promise<number> {
    return this.inner.commit(mesh, expectedVersion, state, plan, events);
  }
  listEvents(mesh: string, opts: { limit: number; before?: number }): Promise<StoredEvent[]> {
    return this.inner.listEvents(mesh, opts);
  }
  getPlan(mesh: string, planId: string): Promise<PlanRecord | null> {
    return this.inner.getPlan(mesh, planId);
  }
  listOpenPlans(mesh: string): Promise<PlanRecord[]> {
    return this.inner.listOpenPlans(mesh);
  }
  acquireLease(mesh: string, planId: string, owner: string, until: number, now: number): Promise<boolean> {
    return this.inner.acquireLease(mesh, planId, owner, until, now);
  }
  releaseLease(mesh: string, planId: string, owner: string): Promise<void> {
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
    if (this.journalFailures > 0) {
      this.journalFailures--;
      this.refusedJournal++;
      throw new UpstreamError('STATE.SQLITE', 'recordStep: database or disk is full', { retryable: false });
    }
    return this.inner.recordStep(mesh, planId, owner, index, outcome, plan);
  }
  rememberKey(key: string, expiresAt: number, now: number): Promise<boolean> {
    return this.inner.rememberKey(key, expiresAt, now);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
