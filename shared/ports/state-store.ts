import type { MeshState, Plan } from '../core/types';

/** The versioned state row of one mesh. `version` is 0 when the row does not exist yet. */
export interface VersionedState {
  state: MeshState | null;
  version: number;
}

export type EventKind = 'signal' | 'command' | 'decision' | 'step' | 'alert' | 'drift' | 'raw';

/** One line of the append-only audit log. */
export interface AuditEvent {
  mesh: string;
  at: number;
  kind: EventKind;
  actor: string;
  /** Plan id this event belongs to, if any. */
  planId?: string;
  summary: string;
  detail: unknown;
}

export interface StoredEvent extends AuditEvent {
  /** Monotonic per mesh; used for paging (`before`). */
  seq: number;
}

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StepOutcome {
  status: StepStatus;
  at: number;
  attempts: number;
  error?: string;
}

export type PlanStatus = 'pending' | 'done' | 'failed';

/** A committed plan is a journal: its steps' outcomes are recorded as they run. */
export interface PlanRecord {
  mesh: string;
  plan: Plan;
  status: PlanStatus;
  outcomes: StepOutcome[];
  /** Who holds the execution lease, and until when (epoch ms). */
  leaseOwner: string | null;
  leaseUntil: number;
  /** Earliest time a remaining step may run (a delayed step's notBefore), for the tick to find. */
  dueAt: number;
}

export interface StateStore {
  load(mesh: string): Promise<VersionedState>;
  /**
   * Compare-and-set: write `state` (and, in the same transaction, `plan` as a pending journal
   * entry when it has steps, and `events`) only if the row is still at `expectedVersion`.
   * Returns the new version. Throws `StateConflictError` when another writer got there first.
   */
  commit(mesh: string, expectedVersion: number, state: MeshState, plan: Plan | null, events: AuditEvent[]): Promise<number>;
  appendEvents(events: AuditEvent[]): Promise<void>;
  /** Newest first. `before` pages by seq. */
  listEvents(mesh: string, opts: { limit: number; before?: number }): Promise<StoredEvent[]>;

  getPlan(mesh: string, planId: string): Promise<PlanRecord | null>;
  /** Plans not yet done or failed, oldest first. */
  listOpenPlans(mesh: string): Promise<PlanRecord[]>;
  /** Take (or renew) the execution lease when it is free, expired or already ours. */
  acquireLease(mesh: string, planId: string, owner: string, until: number, now: number): Promise<boolean>;
  releaseLease(mesh: string, planId: string, owner: string): Promise<void>;
  /** Record a step outcome, and the plan's status and dueAt; only by the lease holder. */
  recordStep(
    mesh: string,
    planId: string,
    owner: string,
    index: number,
    outcome: StepOutcome,
    plan: { status: PlanStatus; dueAt: number },
  ): Promise<void>;

  /** Remember an idempotency key (request id, delivery id) until `expiresAt`. False when it was already there and unexpired. */
  rememberKey(key: string, expiresAt: number, now: number): Promise<boolean>;
  close(): Promise<void>;
}
