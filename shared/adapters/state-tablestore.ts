import { randomBytes, randomInt } from 'node:crypto';
import TableStore from 'tablestore';
import type { MeshState, Plan } from '../core/types';
import { RegionshiftError, StateConflictError, ValidationError } from '../core/errors';
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';
import type { AuditEvent, PlanRecord, PlanStatus, StateStore, StepOutcome, StoredEvent, VersionedState } from '../ports/state-store';
import { requireOwnEvents } from './state-commit-rules';
import { stateTableNames, type StateTableNames } from './state-tablestore-schema';
import {
  commitColumns,
  isConditionFailure,
  isOrphan,
  isVisible,
  long,
  parseEventRow,
  parseHead,
  parsePlanRow,
  planColumns,
  pkValue,
  stepColumn,
  upstream,
  type PlanRow,
  type StateHead,
} from './state-tablestore-rows';

/**
 * StateStore on Tablestore. Tablestore has no transaction across tables (local transactions
 * are per partition of one table), so a commit writes its plan row and event rows first and
 * the state row's conditional update last. The state row is the only arbiter: plan and event
 * rows are part of history only if the commit that wrote them won its CAS.
 *
 *   writer A (read v5, token a)           writer B (read v5, token b)
 *   GetRow state → v5, head token t5      GetRow state → v5
 *   Batch: confirm t5's rows,             Batch: confirm t5's rows,
 *          put plan p-6#a, events (v6,a)         put plan p-6#b, events (v6,b)
 *   UpdateRow state if version=5 ✓ → v6   UpdateRow state if version=5 ✗ → StateConflictError
 *                                         (p-6#b and its events stay behind, unconfirmed, v6, token b)
 *
 * Readers read the state row first (version V, token T) and show a marked row only when it is
 * `confirmed`, or is the head commit's own (version V and token T). Before its CAS, every
 * commit confirms the rows of the commit it read (the state row lists them), so when the state
 * is at V every winning row of an older version is already confirmed; a loser's rows never
 * are. Plan rows are keyed `${planId}#${token}` because racing writers derive the same plan id
 * from the same state: a loser must never overwrite the winner's journal. Losers' plan rows are
 * deleted when `listOpenPlans` sees them; losers' event rows expire with the table's TTL.
 *
 * A crash after the batch and before the CAS leaves only orphans; a crash after the CAS leaves
 * a committed, unconfirmed head whose rows are visible by the token rule.
 */
export interface TablestoreStateStoreOptions {
  endpoint: string;
  instance: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  tablePrefix?: string;
  clock?: Clock;
  /** SDK retries (reads only, on 5xx/network errors). The SDK keeps this in a process-wide setting. */
  maxRetries?: number;
  /** Socket idle timeout per request. */
  timeoutMs?: number;
}

const { EXPECT_EXIST, EXPECT_NOT_EXIST } = TableStore.RowExistenceExpectation;
const { EQUAL, LESS_EQUAL } = TableStore.ComparatorType;
/** BatchWriteRow accepts at most 200 rows; GetRange at most 5000. */
const BATCH_LIMIT = 200;
const RANGE_LIMIT = 5000;
const SEQ_COLLISION_RETRIES = 3;

interface PendingWrite {
  table: string;
  item: TableStore.BatchWriteRowItem;
  /** A confirmation whose row is gone (TTL) has nothing left to vouch for: its failed condition is fine. */
  confirmation: boolean;
  /** For an event row whose time-ordered seq collided with another writer's: the same row under a fresh seq. */
  reseq?: () => TableStore.BatchWriteRowItem;
}

interface EventSlot {
  event: AuditEvent;
  seq: number;
}

function credentialsKeyOf(c: { accessKeyId: string; accessKeySecret: string; securityToken?: string }): string {
  return `${c.accessKeyId}\n${c.accessKeySecret}\n${c.securityToken ?? ''}`;
}

export class TablestoreStateStore implements StateStore {
  readonly tables: StateTableNames;
  private client: TableStore.Client;
  private readonly clientOptions: Omit<TableStore.ClientOptions, 'accessKeyId' | 'secretAccessKey' | 'stsToken'>;
  private credentialsKey: string;
  private readonly clock: Clock;
  private lastSeq = 0;
  /** planId → its visible plan row; a visible row stays visible, so the lookup is done once. */
  private readonly planKeys = new Map<string, { planKey: string; steps: number }>();

  constructor(opts: TablestoreStateStoreOptions) {
    this.tables = stateTableNames(opts.tablePrefix);
    this.clock = opts.clock ?? systemClock;
    this.clientOptions = {
      endpoint: opts.endpoint,
      instancename: opts.instance,
      maxRetries: opts.maxRetries ?? 3,
      httpOptions: { timeout: opts.timeoutMs ?? 5_000 },
    };
    this.credentialsKey = credentialsKeyOf(opts);
    this.client = this.newClient(opts);
  }

  /**
   * Sign from now on with these keys. On FC they are the role's STS credentials, which expire
   * while a warm container lives on: a new SDK client (the store's own caches stay) when they changed.
   */
  useCredentials(credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }): void {
    const key = credentialsKeyOf(credentials);
    if (key === this.credentialsKey) return;
    this.client = this.newClient(credentials);
    this.credentialsKey = key;
  }

  private newClient(c: { accessKeyId: string; accessKeySecret: string; securityToken?: string }): TableStore.Client {
    return new TableStore.Client({
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.accessKeySecret,
      ...(c.securityToken ? { stsToken: c.securityToken } : {}),
      ...this.clientOptions,
    });
  }

  async load(mesh: string): Promise<VersionedState> {
    const head = await this.readHead(mesh);
    return { state: head.stateJson === null ? null : (JSON.parse(head.stateJson) as MeshState), version: head.version };
  }

  async commit(mesh: string, expectedVersion: number, state: MeshState, plan: Plan | null, events: AuditEvent[]): Promise<number> {
    requireOwnEvents(mesh, events);
    const head = await this.readHead(mesh);
    if (head.version !== expectedVersion) {
      throw new StateConflictError(`state of mesh ${mesh} is at version ${head.version}, not ${expectedVersion}`);
    }
    const version = expectedVersion + 1;
    const token = randomBytes(8).toString('hex');
    const writes: PendingWrite[] = [];
    if (head.planKey !== '') writes.push(this.confirmation(this.tables.plans, [{ mesh }, { plan_key: head.planKey }]));
    for (const seq of head.eventSeqs) writes.push(this.confirmation(this.tables.events, [{ mesh }, { seq: long(seq) }]));

    const journaled = plan !== null && plan.steps.length > 0 ? plan : null;
    const planKey = journaled ? `${journaled.id}#${token}` : '';
    if (journaled) {
      writes.push({
        table: this.tables.plans,
        confirmation: false,
        item: {
          type: 'PUT',
          condition: new TableStore.Condition(EXPECT_NOT_EXIST, null),
          primaryKey: [{ mesh }, { plan_key: planKey }],
          attributeColumns: [...planColumns(journaled), ...commitColumns(version, token)],
        },
      });
    }
    const slots = events.map((event) => ({ event, seq: this.nextSeq() }));
    writes.push(...slots.map((slot) => this.eventWrite(slot, commitColumns(version, token))));
    await this.writeRows(writes);

    const cells: TableStore.AttributeColumnsInput = [
      { version: long(version) },
      { state: JSON.stringify(state) },
      { commit_token: token },
      { plan_key: planKey },
      { event_seqs: JSON.stringify(slots.map((s) => s.seq)) },
      { committed_at: long(this.clock.now()) },
    ];
    try {
      if (expectedVersion === 0) {
        await this.client.putRow({
          tableName: this.tables.state,
          primaryKey: [{ mesh }],
          attributeColumns: cells,
          condition: new TableStore.Condition(EXPECT_NOT_EXIST, null),
        });
      } else {
        await this.client.updateRow({
          tableName: this.tables.state,
          primaryKey: [{ mesh }],
          updateOfAttributeColumns: [{ PUT: cells }],
          condition: new TableStore.Condition(
            EXPECT_EXIST,
            new TableStore.SingleColumnCondition('version', long(expectedVersion), EQUAL, false),
          ),
        });
      }
    } catch (err) {
      if (isConditionFailure(err))
        throw new StateConflictError(`state of mesh ${mesh} moved past version ${expectedVersion}`, { cause: err });
      throw upstream('commit', err);
    }
    if (journaled) this.planKeys.set(cacheKey(mesh, journaled.id), { planKey, steps: journaled.steps.length });
    return version;
  }

  async appendEvents(events: AuditEvent[]): Promise<void> {
    await this.writeRows(events.map((event) => this.eventWrite({ event, seq: this.nextSeq() }, [])));
  }

  async listEvents(mesh: string, opts: { limit: number; before?: number }): Promise<StoredEvent[]> {
    if (opts.limit <= 0) return [];
    const head = await this.readHead(mesh);
    const out: StoredEvent[] = [];
    let start: TableStore.PrimaryKeyValue = opts.before === undefined ? TableStore.INF_MAX : long(opts.before - 1);
    while (out.length < opts.limit) {
      const page = await this.range('listEvents', {
        tableName: this.tables.events,
        direction: 'BACKWARD',
        inclusiveStartPrimaryKey: [{ mesh }, { seq: start }],
        exclusiveEndPrimaryKey: [{ mesh }, { seq: TableStore.INF_MIN }],
        limit: Math.min(RANGE_LIMIT, opts.limit - out.length),
      });
      for (const row of page.rows) {
        const parsed = parseEventRow(mesh, row);
        if (parsed && isVisible(parsed.mark, head) && out.length < opts.limit) out.push(parsed.event);
      }
      const next = page.nextStartPrimaryKey?.find((c) => c.name === 'seq')?.value;
      if (next === undefined) break;
      start = next;
    }
    return out;
  }

  async getPlan(mesh: string, planId: string): Promise<PlanRecord | null> {
    return (await this.findPlan(mesh, planId))?.record ?? null;
  }

  async listOpenPlans(mesh: string): Promise<PlanRecord[]> {
    const head = await this.readHead(mesh);
    const rows = await this.scanPlans(
      mesh,
      TableStore.INF_MIN,
      TableStore.INF_MAX,
      new TableStore.SingleColumnCondition('status', 'pending', EQUAL, false),
    );
    const orphans = rows.filter((r) => isOrphan(r.mark, head));
    // Best effort: an orphan is invisible either way; deleting it only keeps later scans short.
    await Promise.allSettled(
      orphans.map((r) =>
        this.client.deleteRow({
          tableName: this.tables.plans,
          primaryKey: [{ mesh }, { plan_key: r.planKey }],
          condition: new TableStore.Condition(EXPECT_EXIST, new TableStore.SingleColumnCondition('confirmed', false, EQUAL, false)),
        }),
      ),
    );
    return rows
      .filter((r) => isVisible(r.mark, head))
      .sort((a, b) => a.record.plan.at - b.record.plan.at || (a.mark?.version ?? 0) - (b.mark?.version ?? 0))
      .map((r) => r.record);
  }

  async acquireLease(mesh: string, planId: string, owner: string, until: number, now: number): Promise<boolean> {
    requireOwner(owner);
    const target = await this.planKeyOf(mesh, planId);
    if (!target) return false;
    const freeOrOurs = new TableStore.CompositeCondition(TableStore.LogicalOperator.OR);
    freeOrOurs.addSubCondition(new TableStore.SingleColumnCondition('lease_until', long(now), LESS_EQUAL, false));
    freeOrOurs.addSubCondition(new TableStore.SingleColumnCondition('lease_owner', owner, EQUAL, false));
    return this.conditionalPlanUpdate(
      'acquireLease',
      mesh,
      target.planKey,
      [{ lease_owner: owner }, { lease_until: long(until) }],
      freeOrOurs,
    );
  }

  async releaseLease(mesh: string, planId: string, owner: string): Promise<void> {
    requireOwner(owner);
    const target = await this.planKeyOf(mesh, planId);
    if (!target) return;
    await this.conditionalPlanUpdate(
      'releaseLease',
      mesh,
      target.planKey,
      [{ lease_owner: '' }, { lease_until: long(0) }],
      new TableStore.SingleColumnCondition('lease_owner', owner, EQUAL, false),
    );
  }

  async recordStep(
    mesh: string,
    planId: string,
    owner: string,
    index: number,
    outcome: StepOutcome,
    plan: { status: PlanStatus; dueAt: number },
  ): Promise<void> {
    requireOwner(owner);
    const target = await this.planKeyOf(mesh, planId);
    if (!target) throw new RegionshiftError('STATE.PLAN_NOT_FOUND', `plan ${planId} of mesh ${mesh} does not exist`);
    if (!Number.isInteger(index) || index < 0 || index >= target.steps) {
      throw new ValidationError([`step index ${index} is outside plan ${planId} (${target.steps} steps)`]);
    }
    // Each outcome is a column of its own: steps recording at once never overwrite each other.
    const recorded = await this.conditionalPlanUpdate(
      'recordStep',
      mesh,
      target.planKey,
      [{ [stepColumn(index)]: JSON.stringify(outcome) }, { status: plan.status }, { due_at: long(plan.dueAt) }],
      new TableStore.SingleColumnCondition('lease_owner', owner, EQUAL, false),
    );
    if (!recorded) throw new StateConflictError(`plan ${planId}: the lease is not held by ${owner}`);
  }

  async rememberKey(key: string, expiresAt: number, now: number): Promise<boolean> {
    const put = async (condition: TableStore.Condition): Promise<boolean> => {
      try {
        await this.client.putRow({
          tableName: this.tables.keys,
          primaryKey: [{ key }],
          attributeColumns: [{ expires_at: long(expiresAt) }],
          condition,
        });
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw upstream('rememberKey', err);
      }
    };
    // The table's TTL removes keys lazily, so an expired key may still be there: take it over only if its time is up.
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await put(new TableStore.Condition(EXPECT_NOT_EXIST, null))) return true;
      if (
        await put(new TableStore.Condition(EXPECT_EXIST, new TableStore.SingleColumnCondition('expires_at', long(now), LESS_EQUAL, false)))
      )
        return true;
      const { row } = await this.call('rememberKey', () => this.client.getRow({ tableName: this.tables.keys, primaryKey: [{ key }] }));
      if (row.primaryKey) return false;
    }
    return false;
  }

  async close(): Promise<void> {
    this.planKeys.clear();
  }

  // ---- internals ---------------------------------------------------------------------------------

  private async readHead(mesh: string): Promise<StateHead> {
    const { row } = await this.call('load', () => this.client.getRow({ tableName: this.tables.state, primaryKey: [{ mesh }] }));
    return parseHead(row);
  }

  private async findPlan(mesh: string, planId: string): Promise<PlanRow | null> {
    const head = await this.readHead(mesh);
    const rows = (await this.scanPlans(mesh, `${planId}#`, `${planId}$`))
      .filter((r) => r.record.plan.id === planId && isVisible(r.mark, head))
      .sort((a, b) => (b.mark?.version ?? 0) - (a.mark?.version ?? 0));
    const found = rows[0] ?? null;
    if (found) this.planKeys.set(cacheKey(mesh, planId), { planKey: found.planKey, steps: found.record.outcomes.length });
    return found;
  }

  private async planKeyOf(mesh: string, planId: string): Promise<{ planKey: string; steps: number } | null> {
    const cached = this.planKeys.get(cacheKey(mesh, planId));
    if (cached) return cached;
    await this.findPlan(mesh, planId);
    return this.planKeys.get(cacheKey(mesh, planId)) ?? null;
  }

  private async scanPlans(
    mesh: string,
    from: TableStore.PrimaryKeyValue,
    to: TableStore.PrimaryKeyValue,
    filter?: TableStore.ColumnCondition,
  ): Promise<PlanRow[]> {
    const out: PlanRow[] = [];
    for (let start = from; ;) {
      const page = await this.range('plans', {
        tableName: this.tables.plans,
        direction: 'FORWARD',
        limit: RANGE_LIMIT,
        inclusiveStartPrimaryKey: [{ mesh }, { plan_key: start }],
        exclusiveEndPrimaryKey: [{ mesh }, { plan_key: to }],
        ...(filter ? { columnFilter: filter } : {}),
      });
      for (const row of page.rows) {
        const parsed = parsePlanRow(mesh, row);
        if (parsed) out.push(parsed);
      }
      const next = page.nextStartPrimaryKey ? pkValue({ primaryKey: page.nextStartPrimaryKey }, 'plan_key') : undefined;
      if (next === undefined) return out;
      start = next;
    }
  }

  /** UpdateRow on a plan row under `condition`; false when the condition (or the row) is not there. */
  private async conditionalPlanUpdate(
    operation: string,
    mesh: string,
    planKey: string,
    cells: TableStore.AttributeColumnsInput,
    condition: TableStore.ColumnCondition,
  ): Promise<boolean> {
    try {
      await this.client.updateRow({
        tableName: this.tables.plans,
        primaryKey: [{ mesh }, { plan_key: planKey }],
        updateOfAttributeColumns: [{ PUT: cells }],
        condition: new TableStore.Condition(EXPECT_EXIST, condition),
      });
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw upstream(operation, err);
    }
  }

  private confirmation(table: string, primaryKey: TableStore.PrimaryKeyInput): PendingWrite {
    return {
      table,
      confirmation: true,
      item: {
        type: 'UPDATE',
        condition: new TableStore.Condition(EXPECT_EXIST, null),
        primaryKey,
        attributeColumns: [{ PUT: [{ confirmed: true }] }],
      },
    };
  }

  private eventWrite(slot: EventSlot, mark: TableStore.AttributeColumnsInput): PendingWrite {
    const { event } = slot;
    const item = (): TableStore.BatchWriteRowItem => ({
      type: 'PUT',
      condition: new TableStore.Condition(EXPECT_NOT_EXIST, null),
      primaryKey: [{ mesh: event.mesh }, { seq: long(slot.seq) }],
      attributeColumns: [
        { at: long(event.at) },
        { kind: event.kind },
        { actor: event.actor },
        { plan_id: event.planId ?? '' },
        { summary: event.summary },
        { detail: JSON.stringify(event.detail ?? null) },
        ...mark,
      ],
    });
    return {
      table: this.tables.events,
      confirmation: false,
      item: item(),
      reseq: () => {
        slot.seq = this.nextSeq();
        return item();
      },
    };
  }

  /** BatchWriteRow in chunks; every row must land (or be a harmless confirmation of a vanished row) before the caller goes on. */
  private async writeRows(writes: PendingWrite[]): Promise<void> {
    let pending = writes;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const again: PendingWrite[] = [];
      for (let i = 0; i < pending.length; i += BATCH_LIMIT) {
        const byTable = new Map<string, PendingWrite[]>();
        for (const w of pending.slice(i, i + BATCH_LIMIT)) byTable.set(w.table, [...(byTable.get(w.table) ?? []), w]);
        // Each row result names its table (tableName) and comes in request order within that table:
        // match by table and index there, not by position in the flat list.
        const { tables: results } = await this.call('BatchWriteRow', () =>
          this.client.batchWriteRow({
            tables: [...byTable].map(([tableName, rows]) => ({ tableName, rows: rows.map((w) => w.item) })),
          }),
        );
        const sent = [...byTable.values()].reduce((n, rows) => n + rows.length, 0);
        if (results.length !== sent) throw upstream('BatchWriteRow', new Error(`${results.length} results for ${sent} rows`));
        const seen = new Map<string, number>();
        results.forEach((result) => {
          const index = seen.get(result.tableName) ?? 0;
          seen.set(result.tableName, index + 1);
          const w = byTable.get(result.tableName)?.[index];
          if (!w) throw upstream('BatchWriteRow', new Error(`a row result for table ${result.tableName} #${index} matches no row sent`));
          if (result.isOk) return;
          if (result.errorCode === 'OTSConditionCheckFail') {
            if (w.confirmation) return;
            if (w.reseq && attempt < SEQ_COLLISION_RETRIES) {
              again.push({ ...w, item: w.reseq() });
              return;
            }
          }
          throw upstream('BatchWriteRow', {
            code: result.errorCode,
            message: `${result.errorCode ?? ''}: ${result.errorMessage ?? ''} (${w.table})`,
          });
        });
      }
      pending = again;
    }
  }

  private range(operation: string, params: Parameters<TableStore.Client['getRange']>[0]): ReturnType<TableStore.Client['getRange']> {
    return this.call(operation, () => this.client.getRange(params));
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw upstream(operation, err);
    }
  }

  /** Time-ordered and unique within this process; across processes a collision is caught by EXPECT_NOT_EXIST and re-drawn. */
  private nextSeq(): number {
    this.lastSeq = Math.max(this.clock.now() * 1000 + randomInt(1000), this.lastSeq + 1);
    return this.lastSeq;
  }
}

function cacheKey(mesh: string, planId: string): string {
  return `${mesh}\n${planId}`;
}

/** '' is how a free lease is stored, so it cannot name a holder. */
function requireOwner(owner: string): void {
  if (owner === '') throw new ValidationError(['lease owner must not be empty']);
}
