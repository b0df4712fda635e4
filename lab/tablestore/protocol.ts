import protos from 'tablestore/lib/protocol/tablestore_compiled_proto.js';
import { decodeVariant, type CellValue } from './plain-buffer';

/**
 * Request and response messages of the Tablestore API (protobuf, from the SDK's own compiled
 * schema) as the twin reads and writes them. Absent optional fields decode to their defaults
 * (0, empty bytes, null): empty bytes mean "not given".
 */
function message(pkg: 'main' | 'filter', name: string): { encode(m: object): { finish(): Uint8Array }; decode(d: Uint8Array): object } {
  const type = protos[pkg].proto[name];
  if (!type) throw new Error(`no protobuf message ${pkg}.proto.${name}`);
  return type;
}

export interface ConditionMessage {
  rowExistence: number;
  columnCondition: Uint8Array;
}
export interface ReturnContentMessage {
  returnType: number;
}
export interface CreateTableRequest {
  tableMeta: { tableName: string; primaryKey: Array<{ name: string; type: number; option: number }> };
  tableOptions: { timeToLive: number; maxVersions: number } | null;
}
export interface TableNameRequest {
  tableName: string;
}
export interface GetRowRequest {
  tableName: string;
  primaryKey: Uint8Array;
  columnsToGet: string[];
  maxVersions: number;
  filter: Uint8Array;
}
export interface PutRowRequest {
  tableName: string;
  row: Uint8Array;
  condition: ConditionMessage;
  returnContent: ReturnContentMessage | null;
}
export interface UpdateRowRequest {
  tableName: string;
  rowChange: Uint8Array;
  condition: ConditionMessage;
  returnContent: ReturnContentMessage | null;
}
export interface DeleteRowRequest {
  tableName: string;
  primaryKey: Uint8Array;
  condition: ConditionMessage;
  returnContent: ReturnContentMessage | null;
}
export interface GetRangeRequest {
  tableName: string;
  direction: number;
  columnsToGet: string[];
  maxVersions: number;
  limit: number;
  inclusiveStartPrimaryKey: Uint8Array;
  exclusiveEndPrimaryKey: Uint8Array;
  filter: Uint8Array;
}
export interface BatchWriteRowRequest {
  tables: Array<{
    tableName: string;
    rows: Array<{ type: number; rowChange: Uint8Array; condition: ConditionMessage; returnContent: ReturnContentMessage | null }>;
  }>;
}

export const decodeRequest = {
  CreateTable: (b: Uint8Array) => message('main', 'CreateTableRequest').decode(b) as CreateTableRequest,
  ListTable: (b: Uint8Array) => message('main', 'ListTableRequest').decode(b),
  DescribeTable: (b: Uint8Array) => message('main', 'DescribeTableRequest').decode(b) as TableNameRequest,
  DeleteTable: (b: Uint8Array) => message('main', 'DeleteTableRequest').decode(b) as TableNameRequest,
  GetRow: (b: Uint8Array) => message('main', 'GetRowRequest').decode(b) as GetRowRequest,
  PutRow: (b: Uint8Array) => message('main', 'PutRowRequest').decode(b) as PutRowRequest,
  UpdateRow: (b: Uint8Array) => message('main', 'UpdateRowRequest').decode(b) as UpdateRowRequest,
  DeleteRow: (b: Uint8Array) => message('main', 'DeleteRowRequest').decode(b) as DeleteRowRequest,
  GetRange: (b: Uint8Array) => message('main', 'GetRangeRequest').decode(b) as GetRangeRequest,
  BatchWriteRow: (b: Uint8Array) => message('main', 'BatchWriteRowRequest').decode(b) as BatchWriteRowRequest,
};
export type Operation = keyof typeof decodeRequest;
export const OPERATIONS = Object.keys(decodeRequest) as Operation[];

export function encodeResponse(name: string, body: object): Buffer {
  return Buffer.from(message('main', name).encode(body).finish());
}

export function encodeError(code: string, text: string): Buffer {
  return encodeResponse('Error', { code, message: text });
}

export const present = (bytes: Uint8Array | null | undefined): bytes is Uint8Array => !!bytes && bytes.length > 0;
export const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

// ---- column conditions / filters ---------------------------------------------------------------

export type ColumnFilter =
  | { kind: 'single'; comparator: number; column: string; value: CellValue; filterIfMissing: boolean; latestVersionOnly: boolean }
  | { kind: 'composite'; combinator: number; subs: ColumnFilter[] };

interface FilterMessage {
  type: number;
  filter: Uint8Array;
}
const FILTER_TYPE = { SINGLE: 1, COMPOSITE: 2, PAGINATION: 3 } as const;

function fromFilterMessage(f: FilterMessage): ColumnFilter {
  if (f.type === FILTER_TYPE.SINGLE) {
    const s = message('filter', 'SingleColumnValueFilter').decode(f.filter) as {
      comparator: number;
      columnName: string;
      columnValue: Uint8Array;
      filterIfMissing: boolean;
      latestVersionOnly: boolean;
    };
    return {
      kind: 'single',
      comparator: s.comparator,
      column: s.columnName,
      value: decodeVariant(toBuffer(s.columnValue)),
      filterIfMissing: s.filterIfMissing,
      latestVersionOnly: s.latestVersionOnly,
    };
  }
  if (f.type === FILTER_TYPE.COMPOSITE) {
    const c = message('filter', 'CompositeColumnValueFilter').decode(f.filter) as { combinator: number; subFilters: FilterMessage[] };
    return { kind: 'composite', combinator: c.combinator, subs: c.subFilters.map(fromFilterMessage) };
  }
  throw new UnsupportedFilterError(`filter type ${f.type} is not supported by the twin`);
}

export class UnsupportedFilterError extends Error {}

export function decodeFilter(bytes: Uint8Array): ColumnFilter {
  return fromFilterMessage(message('filter', 'Filter').decode(bytes) as FilterMessage);
}
