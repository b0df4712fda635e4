import TableStore from 'tablestore';
import type { Plan } from '../core/types';
import { UpstreamError } from '../core/errors';
import type { EventKind, PlanRecord, PlanStatus, StepOutcome, StoredEvent } from '../ports/state-store';

/** Row ↔ domain translation for the Tablestore state store, and the SDK's errors → domain errors. */

export const long = (n: number): TableStore.Int64LE => TableStore.Long.fromNumber(n);

type CellValue = TableStore.AttributeColumn['columnValue'];

export function columns(row: TableStore.Row): Map<string, CellValue> {
  const map = new Map<string, CellValue>();
  for (const cell of row.attributes ?? []) map.set(cell.columnName, cell.columnValue);
  return map;
}

export function num(value: CellValue | undefined, fallback = 0): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value !== null && 'toNumber' in value) return value.toNumber();
  throw new TypeError(`expected an integer cell, got ${typeof value}`);
}

export function str(value: CellValue | undefined, fallback = ''): string {
  if (value === undefined) return fallback;
  if (typeof value === 'string') return value;
  throw new TypeError(`expected a string cell, got ${typeof value}`);
}

export function pkValue(row: TableStore.Row, name: string): TableStore.PrimaryKeyColumn['value'] | undefined {
  return row.primaryKey?.find((c) => c.name === name)?.value;
}

/** What the state row says about the commit that produced it: enough to tell its plan and events from orphans. */
export interface StateHead {
  version: number;
  stateJson: string | null;
  commitToken: string;
  /** plan_key of that commit's plan row, '' when it journaled none. */
  planKey: string;
  /** seq of that commit's event rows. */
  eventSeqs: number[];
}

export function parseHead(row: TableStore.Row): StateHead {
  if (!row.primaryKey) return { version: 0, stateJson: null, commitToken: '', planKey: '', eventSeqs: [] };
  const c = columns(row);
  return {
    version: num(c.get('version')),
    stateJson: str(c.get('state')),
    commitToken: str(c.get('commit_token')),
    planKey: str(c.get('plan_key')),
    eventSeqs: JSON.parse(str(c.get('event_seqs'), '[]')) as number[],
  };
}

/** Rows written by a commit carry the version it aimed at and its token; `confirmed` once the next commit vouched for them. */
export interface CommitMark {
  version: number;
  token: string;
  confirmed: boolean;
}

export function commitMark(c: Map<string, CellValue>): CommitMark | null {
  const token = str(c.get('commit_token'));
  if (token === '') return null;
  return { version: num(c.get('commit_version')), token, confirmed: c.get('confirmed') === true };
}

export function commitColumns(version: number, token: string): TableStore.AttributeColumnsInput {
  return [{ commit_version: long(version) }, { commit_token: token }, { confirmed: false }];
}

/** A row is part of history when nothing marks it, when it was confirmed, or when it is the head commit's own. */
export function isVisible(mark: CommitMark | null, head: StateHead): boolean {
  return mark === null || mark.confirmed || (mark.version === head.version && mark.token === head.commitToken);
}

/** A row whose commit lost its CAS: its version is taken by another token, so it can never become visible. */
export function isOrphan(mark: CommitMark | null, head: StateHead): boolean {
  if (mark === null || mark.confirmed) return false;
  return mark.version < head.version || (mark.version === head.version && mark.token !== head.commitToken);
}

export interface PlanRow {
  planKey: string;
  mark: CommitMark | null;
  record: PlanRecord;
}

export function stepColumn(index: number): string {
  return `step_${index}`;
}

export function planColumns(plan: Plan): TableStore.AttributeColumnsInput {
  const cells: TableStore.AttributeColumnsInput = [
    { plan_id: plan.id },
    { plan: JSON.stringify(plan) },
    { status: 'pending' },
    { step_count: long(plan.steps.length) },
    { lease_owner: '' },
    { lease_until: long(0) },
    { due_at: long(plan.at) },
    { created_at: long(plan.at) },
  ];
  const pending: StepOutcome = { status: 'pending', at: plan.at, attempts: 0 };
  plan.steps.forEach((_, i) => cells.push({ [stepColumn(i)]: JSON.stringify(pending) }));
  return cells;
}

/** null for a row that lost its `plan` cell (a partial row left by TTL, or a bare update on a vanished row). */
export function parsePlanRow(mesh: string, row: TableStore.Row): PlanRow | null {
  const c = columns(row);
  const planJson = c.get('plan');
  if (typeof planJson !== 'string') return null;
  const plan = JSON.parse(planJson) as Plan;
  const stepCount = num(c.get('step_count'), plan.steps.length);
  const outcomes: StepOutcome[] = [];
  for (let i = 0; i < stepCount; i++) {
    const cell = c.get(stepColumn(i));
    outcomes.push(typeof cell === 'string' ? (JSON.parse(cell) as StepOutcome) : { status: 'pending', at: plan.at, attempts: 0 });
  }
  const owner = str(c.get('lease_owner'));
  return {
    planKey: String(pkValue(row, 'plan_key')),
    mark: commitMark(c),
    record: {
      mesh,
      plan,
      status: str(c.get('status'), 'pending') as PlanStatus,
      outcomes,
      leaseOwner: owner === '' ? null : owner,
      leaseUntil: num(c.get('lease_until')),
      dueAt: num(c.get('due_at'), plan.at),
    },
  };
}

export function parseEventRow(mesh: string, row: TableStore.Row): { event: StoredEvent; mark: CommitMark | null } | null {
  const c = columns(row);
  const kind = c.get('kind');
  if (typeof kind !== 'string') return null;
  const event: StoredEvent = {
    seq: num(pkValue(row, 'seq') as CellValue),
    mesh,
    at: num(c.get('at')),
    kind: kind as EventKind,
    actor: str(c.get('actor')),
    summary: str(c.get('summary')),
    detail: JSON.parse(str(c.get('detail'), 'null')) as unknown,
  };
  const planId = str(c.get('plan_id'));
  if (planId !== '') event.planId = planId;
  return { event, mark: commitMark(c) };
}

// ---- errors ------------------------------------------------------------------------------------

/**
 * The SDK cannot parse Tablestore's protobuf error body (it tries an XML parser it does not
 * ship), so a failed request arrives as `err.code` = the HTTP status and `err.message` = the raw
 * body, which contains the OTS error code. Per-row errors of BatchWriteRow do carry the code.
 */
interface SdkError {
  code?: unknown;
  message?: unknown;
}

export function otsCode(err: unknown): string | null {
  const e = err as SdkError;
  if (typeof e.code === 'string' && e.code.startsWith('OTS')) return e.code;
  const match = /OTS[A-Za-z]+/.exec(String(e.message ?? ''));
  return match ? match[0] : null;
}

export function isConditionFailure(err: unknown): boolean {
  return otsCode(err) === 'OTSConditionCheckFail';
}

/** Throttling, capacity and server-side trouble: worth a retry. Everything else (auth, bad request, missing table) is not. */
const RETRYABLE_OTS_CODES = new Set([
  'OTSServerBusy',
  'OTSNotEnoughCapacityUnit',
  'OTSOperationThrottled',
  'OTSPartitionUnavailable',
  'OTSTableNotReady',
  'OTSRowOperationConflict',
  'OTSTimeout',
  'OTSServerUnavailable',
  'OTSInternalServerError',
  'OTSQuotaExhausted',
]);
const RETRYABLE_TRANSPORT = new Set(['NetworkingError', 'TimeoutError', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE']);

export function isRetryable(err: unknown): boolean {
  const e = err as SdkError;
  const code = otsCode(err);
  if (code !== null) return RETRYABLE_OTS_CODES.has(code);
  if (typeof e.code === 'number') return e.code >= 500;
  return typeof e.code === 'string' && RETRYABLE_TRANSPORT.has(e.code);
}

function printable(text: string): string {
  let out = '';
  for (const ch of text) out += ch.charCodeAt(0) < 32 || ch.charCodeAt(0) === 127 ? ' ' : ch;
  return out.replace(/ {2,}/g, ' ').trim();
}

export function upstream(operation: string, err: unknown): UpstreamError {
  const e = err as SdkError;
  const detail = printable(String(e.message ?? err));
  return new UpstreamError('STATE.TABLESTORE', `tablestore ${operation} failed (${String(e.code ?? 'error')}): ${detail}`, {
    retryable: isRetryable(err),
    cause: err,
  });
}
