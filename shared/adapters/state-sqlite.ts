import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { MeshState, Plan } from '../core/types';
import { RegionshiftError, StateConflictError, UpstreamError, ValidationError } from '../core/errors';
import { systemClock, type Clock } from '../ports/clock';
import { requireOwnEvents } from './state-commit-rules';
import type {
  AuditEvent,
  EventKind,
  PlanRecord,
  PlanStatus,
  StateStore,
  StepOutcome,
  StoredEvent,
  VersionedState,
} from '../ports/state-store';

/**
 * The state store of one machine: one SQLite file in WAL mode, shared safely by several
 * processes (the lab's local function host runs each function in its own worker).
 *
 * Every write that must be atomic runs in a `BEGIN IMMEDIATE` transaction: it takes the file's
 * write lock before reading, so two processes cannot both read version N and both write N+1,
 * and a reader never waits (WAL readers see the last committed snapshot). A writer that finds
 * the lock taken waits up to `busyTimeoutMs` before SQLITE_BUSY.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS mesh_state (
  mesh TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  mesh TEXT NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  plan_id TEXT,
  summary TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_by_mesh ON audit_events (mesh, seq);
CREATE TABLE IF NOT EXISTS plans (
  ord INTEGER PRIMARY KEY AUTOINCREMENT,
  mesh TEXT NOT NULL,
  id TEXT NOT NULL,
  json TEXT NOT NULL,
  status TEXT NOT NULL,
  outcomes TEXT NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (mesh, id)
);
CREATE INDEX IF NOT EXISTS open_plans ON plans (mesh, status, created_at, ord);
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
`;

interface PlanRow {
  mesh: string;
  id: string;
  json: string;
  status: string;
  outcomes: string;
  lease_owner: string | null;
  lease_until: number;
  due_at: number;
}
interface EventRow {
  seq: number;
  mesh: string;
  at: number;
  kind: string;
  actor: string;
  plan_id: string | null;
  summary: string;
  detail: string;
}

/**
 * WAL checkpoints off the request path. SQLite's automatic checkpoint runs inside the commit that
 * takes the WAL past 1000 pages, and with `synchronous = NORMAL` a checkpoint is where the fsyncs
 * happen: one alarm writes ≈ 43 WAL pages, so about one post in 23 paid two fsyncs (tens of ms on
 * a busy disk), which was the alarm path's p90–p99. A worker thread with its own connection runs a
 * PASSIVE checkpoint (never blocks a writer or a reader) every CHECKPOINT_EVERY_MS; the store's
 * connection turns its automatic checkpoint off only once that worker is running, and back on if
 * the worker dies. Durability is unchanged in kind: a process crash loses nothing committed, an OS
 * crash can lose the commits not yet checkpointed, as before (now at most CHECKPOINT_EVERY_MS of them).
 */
export const CHECKPOINT_EVERY_MS = 250;
const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: 0 });
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next round takes it */ } };
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
parentPort.postMessage('ready');
`;
/** SQLite's default `wal_autocheckpoint`, restored when the checkpoint worker is gone. */
const AUTOCHECKPOINT_PAGES = 1000;

/** Expired idempotency keys are swept on every Nth `rememberKey`, so the table stays small without a timer. */
const KEY_SWEEP_EVERY = 256;

export class SqliteStateStore implements StateStore {
  private readonly db: Database.Database;
  private rememberCalls = 0;
  private checkpointer: Worker | null = null;
  private readonly clock: Clock;

  /**
   * `checkpoint: 'inline'` keeps SQLite's automatic checkpoint in the committing call (no worker).
   * `clock`: the time the sweep of expired idempotency keys goes by (the system clock by default).
   */
  constructor(file: string, opts: { busyTimeoutMs?: number; checkpoint?: 'background' | 'inline'; clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file, { timeout: opts.busyTimeoutMs ?? 10_000 });
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commit).
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    if (file !== ':memory:' && (opts.checkpoint ?? 'background') === 'background') this.startCheckpointer(file);
  }

  /** Whether WAL checkpoints currently run in the background worker (false: in the committing call). */
  get checkpointsInBackground(): boolean {
    return this.db.open && (this.db.pragma('wal_autocheckpoint', { simple: true }) as number) === 0;
  }

  private startCheckpointer(file: string): void {
    // The driver's own path: a worker run from code resolves bare names from the process's cwd.
    let driver = 'better-sqlite3';
    try {
      driver = createRequire(import.meta.url).resolve('better-sqlite3');
    } catch {
      // No module URL to resolve from (a bundle): the bare name, as the store itself was loaded.
    }
    let worker: Worker;
    try {
      worker = new Worker(CHECKPOINT_WORKER, { eval: true, workerData: { file, driver, everyMs: CHECKPOINT_EVERY_MS } });
    } catch {
      return; // no worker threads here: SQLite's automatic checkpoint stays on
    }
    this.checkpointer = worker;
    worker.on('message', () => {
      if (this.db.open && this.checkpointer === worker) this.db.pragma('wal_autocheckpoint = 0');
    });
    const gone = () => {
      if (this.checkpointer !== worker) return;
      this.checkpointer = null;
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    };
    worker.on('error', gone);
    worker.on('exit', gone);
    // It never keeps a process alive. Last: adding a 'message' listener refs the worker's port
    // again, so an unref() before it left every store never closed holding its process open.
    worker.unref();
  }

  async load(mesh: string): Promise<VersionedState> {
    return this.guard('load', () => {
      const row = this.db.prepare('SELECT version, json FROM mesh_state WHERE mesh = ?').get(mesh) as
        { version: number; json: string } | undefined;
      return row ? { state: JSON.parse(row.json) as MeshState, version: row.version } : { state: null, version: 0 };
    });
  }

  async commit(mesh: string, expectedVersion: number, state: MeshState, plan: Plan | null, events: AuditEvent[]): Promise<number> {
    requireOwnEvents(mesh, events);
    return this.guard('commit', () =>
      this.db
        .transaction(() => {
          const row = this.db.prepare('SELECT version FROM mesh_state WHERE mesh = ?').get(mesh) as { version: number } | undefined;
          const current = row?.version ?? 0;
          if (current !== expectedVersion) {
            throw new StateConflictError(`state of mesh ${mesh} is at version ${current}, not ${expectedVersion}`);
          }
          const version = expectedVersion + 1;
          this.db
            .prepare(
              'INSERT INTO mesh_state (mesh, version, json) VALUES (?, ?, ?) ON CONFLICT (mesh) DO UPDATE SET version = excluded.version, json = excluded.json',
            )
            .run(mesh, version, JSON.stringify(state));
          if (plan !== null && plan.steps.length > 0) this.insertPlan(mesh, plan);
          this.insertEvents(events);
          return version;
        })
        .immediate(),
    );
  }

  async appendEvents(events: AuditEvent[]): Promise<void> {
    this.guard('appendEvents', () => this.db.transaction(() => this.insertEvents(events)).immediate());
  }

  async listEvents(mesh: string, opts: { limit: number; before?: number }): Promise<StoredEvent[]> {
    return this.guard('listEvents', () => {
      const rows = this.db
        .prepare('SELECT * FROM audit_events WHERE mesh = ? AND seq < ? ORDER BY seq DESC LIMIT ?')
        .all(mesh, opts.before ?? Number.MAX_SAFE_INTEGER, opts.limit) as EventRow[];
      return rows.map(toStoredEvent);
    });
  }

  async getPlan(mesh: string, planId: string): Promise<PlanRecord | null> {
    return this.guard('getPlan', () => {
      const row = this.db.prepare('SELECT * FROM plans WHERE mesh = ? AND id = ?').get(mesh, planId) as PlanRow | undefined;
      return row ? toPlanRecord(row) : null;
    });
  }

  async listOpenPlans(mesh: string): Promise<PlanRecord[]> {
    return this.guard('listOpenPlans', () => {
      const rows = this.db
        .prepare("SELECT * FROM plans WHERE mesh = ? AND status = 'pending' ORDER BY created_at, ord")
        .all(mesh) as PlanRow[];
      return rows.map(toPlanRecord);
    });
  }

  async acquireLease(mesh: string, planId: string, owner: string, until: number, now: number): Promise<boolean> {
    return this.guard('acquireLease', () => {
      const result = this.db
        .prepare(
          `UPDATE plans SET lease_owner = ?, lease_until = ?
          WHERE mesh = ? AND id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?)`,
        )
        .run(owner, until, mesh, planId, owner, now);
      return result.changes === 1;
    });
  }

  async releaseLease(mesh: string, planId: string, owner: string): Promise<void> {
    this.guard('releaseLease', () => {
      this.db
        .prepare('UPDATE plans SET lease_owner = NULL, lease_until = 0 WHERE mesh = ? AND id = ? AND lease_owner = ?')
        .run(mesh, planId, owner);
    });
  }

  async recordStep(
    mesh: string,
    planId: string,
    owner: string,
    index: number,
    outcome: StepOutcome,
    plan: { status: PlanStatus; dueAt: number },
  ): Promise<void> {
    this.guard('recordStep', () =>
      this.db
        .transaction(() => {
          const row = this.db.prepare('SELECT json, lease_owner FROM plans WHERE mesh = ? AND id = ?').get(mesh, planId) as
            { json: string; lease_owner: string | null } | undefined;
          if (!row) throw new RegionshiftError('STATE.PLAN_NOT_FOUND', `plan ${planId} of mesh ${mesh} does not exist`);
          const steps = (JSON.parse(row.json) as Plan).steps.length;
          if (!Number.isInteger(index) || index < 0 || index >= steps) {
            throw new ValidationError([`step index ${index} is outside plan ${planId} (${steps} steps)`]);
          }
          if (row.lease_owner !== owner) {
            throw new StateConflictError(`plan ${planId}: the lease is held by ${row.lease_owner ?? 'nobody'}, not ${owner}`);
          }
          // json_set on one array element: parallel steps of one plan recording at once never overwrite each other.
          this.db
            .prepare(
              `UPDATE plans SET outcomes = json_set(outcomes, ?, json(?)), status = ?, due_at = ?
          WHERE mesh = ? AND id = ?`,
            )
            .run(`$[${index}]`, JSON.stringify(outcome), plan.status, plan.dueAt, mesh, planId);
        })
        .immediate(),
    );
  }

  async rememberKey(key: string, expiresAt: number, now: number): Promise<boolean> {
    return this.guard('rememberKey', () => {
      if (++this.rememberCalls % KEY_SWEEP_EVERY === 0) {
        // The sweep deletes every key, the control API's request ids among them: it goes by this
        // store's clock, never later than it. A caller's `now` can come from an event (a timer's
        // triggerTime); a forged one far ahead would otherwise wipe the replay memory.
        this.db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?').run(Math.min(now, this.clock.now()));
      }
      // One statement is atomic: a new key inserts, an expired one is taken over, a live one changes nothing.
      const result = this.db
        .prepare(
          `INSERT INTO idempotency_keys (key, expires_at) VALUES (?, ?)
           ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE idempotency_keys.expires_at <= ?`,
        )
        .run(key, expiresAt, now);
      return result.changes === 1;
    });
  }

  async close(): Promise<void> {
    const worker = this.checkpointer;
    this.checkpointer = null;
    if (worker) {
      // Its last checkpoint runs before the store's connection closes (which checkpoints too).
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      // Held by the caller's await from here on: an unref'd worker would let the process exit mid-close.
      worker.ref();
      worker.postMessage('close');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        exited,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 2000);
        }),
      ]);
      clearTimeout(timer);
      await worker.terminate();
    }
    if (this.db.open) this.db.close();
  }

  private insertPlan(mesh: string, plan: Plan): void {
    const outcomes: StepOutcome[] = plan.steps.map(() => ({ status: 'pending', at: plan.at, attempts: 0 }));
    this.db
      .prepare(
        `INSERT INTO plans (mesh, id, json, status, outcomes, lease_owner, lease_until, due_at, created_at)
       VALUES (?, ?, ?, 'pending', ?, NULL, 0, ?, ?)`,
      )
      .run(mesh, plan.id, JSON.stringify(plan), JSON.stringify(outcomes), plan.at, plan.at);
  }

  private insertEvents(events: AuditEvent[]): void {
    const insert = this.db.prepare(
      'INSERT INTO audit_events (mesh, at, kind, actor, plan_id, summary, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const e of events) {
      insert.run(e.mesh, e.at, e.kind, e.actor, e.planId ?? null, e.summary, JSON.stringify(e.detail ?? null));
    }
  }

  /** Domain errors pass through; SQLite's own become UpstreamError (a busy file is worth retrying). */
  private guard<T>(operation: string, run: () => T): T {
    try {
      return run();
    } catch (err) {
      if (err instanceof RegionshiftError) throw err;
      const code = (err as { code?: unknown }).code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new RegionshiftError('STATE.DUPLICATE', `${operation}: ${(err as Error).message}`, { cause: err });
      }
      const busy = typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
      throw new UpstreamError('STATE.SQLITE', `${operation}: ${(err as Error).message}`, { retryable: busy, cause: err });
    }
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  const event: StoredEvent = {
    seq: row.seq,
    mesh: row.mesh,
    at: row.at,
    kind: row.kind as EventKind,
    actor: row.actor,
    summary: row.summary,
    detail: JSON.parse(row.detail) as unknown,
  };
  if (row.plan_id !== null) event.planId = row.plan_id;
  return event;
}

function toPlanRecord(row: PlanRow): PlanRecord {
  return {
    mesh: row.mesh,
    plan: JSON.parse(row.json) as Plan,
    status: row.status as PlanStatus,
    outcomes: JSON.parse(row.outcomes) as StepOutcome[],
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    dueAt: row.due_at,
  };
}
