import type { CellValue, OutputRow, PkColumn, PkValue, RowChange } from './plain-buffer';
import type { ColumnFilter } from './protocol';

/**
 * The twin's tables, in memory, with Tablestore's row semantics: rows ordered by primary key,
 * cells versioned by timestamp (maxVersions kept, TTL expiring cells), row existence
 * expectations and column conditions checked before every write.
 */
export class OtsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const conditionCheckFailed = (): OtsError => new OtsError(403, 'OTSConditionCheckFail', 'Condition check failed.');
const invalid = (message: string): OtsError => new OtsError(400, 'OTSParameterInvalid', message);

export interface TableMeta {
  name: string;
  /** type: 1 INTEGER, 2 STRING, 3 BINARY (the protobuf enum). */
  primaryKey: Array<{ name: string; type: number }>;
  timeToLive: number;
  maxVersions: number;
  createdAt: number;
}

export const ROW_EXISTENCE = { IGNORE: 0, EXPECT_EXIST: 1, EXPECT_NOT_EXIST: 2 } as const;
export interface WriteCondition {
  rowExistence: number;
  column: ColumnFilter | null;
}

interface StoredCell {
  value: CellValue;
  timestamp: number;
}
interface StoredRow {
  primaryKey: PkColumn[];
  cells: Map<string, StoredCell[]>;
}
interface Table {
  meta: TableMeta;
  rows: Map<string, StoredRow>;
}

export interface ReadOptions {
  columnsToGet: string[];
  maxVersions: number;
  filter: ColumnFilter | null;
}

const PK_TYPE: Record<string, number> = { integer: 1, string: 2, blob: 3 };
const PK_TYPE_NAME: Record<number, string> = { 1: 'INTEGER', 2: 'STRING', 3: 'BINARY' };

export class TwinTables {
  private readonly tables = new Map<string, Table>();

  constructor(private readonly now: () => number = Date.now) {}

  createTable(meta: Omit<TableMeta, 'createdAt'>): void {
    if (this.tables.has(meta.name)) throw new OtsError(409, 'OTSObjectAlreadyExist', 'Requested table already exists.');
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,254}$/.test(meta.name)) throw invalid(`Invalid table name: '${meta.name}'.`);
    if (meta.primaryKey.length < 1 || meta.primaryKey.length > 4)
      throw invalid('The number of primary key columns must be in range: [1, 4].');
    if (meta.timeToLive !== -1 && meta.timeToLive < 86_400) throw invalid('TimeToLive must be -1 or at least 86400 seconds.');
    this.tables.set(meta.name, { meta: { ...meta, createdAt: this.now() }, rows: new Map() });
  }

  deleteTable(name: string): void {
    this.table(name);
    this.tables.delete(name);
  }

  listTables(): string[] {
    return [...this.tables.keys()];
  }

  describe(name: string): TableMeta {
    return this.table(name).meta;
  }

  getRow(tableName: string, primaryKey: PkColumn[], opts: ReadOptions): OutputRow | null {
    const table = this.table(tableName);
    checkPrimaryKey(table.meta, primaryKey, false);
    const row = this.liveRow(table, primaryKey);
    if (!row || (opts.filter && !matches(opts.filter, row.cells))) return null;
    return project(row, opts);
  }

  /** PUT replaces the row, UPDATE changes cells (creating the row), DELETE removes it; each only if its condition holds. */
  write(tableName: string, kind: 'put' | 'update' | 'delete', change: RowChange, condition: WriteCondition): void {
    const table = this.table(tableName);
    checkPrimaryKey(table.meta, change.primaryKey, false);
    const key = rowKey(change.primaryKey);
    const existing = this.liveRow(table, change.primaryKey);
    if (condition.rowExistence === ROW_EXISTENCE.EXPECT_EXIST && !existing) throw conditionCheckFailed();
    if (condition.rowExistence === ROW_EXISTENCE.EXPECT_NOT_EXIST && existing) throw conditionCheckFailed();
    if (condition.column && !matches(condition.column, existing?.cells ?? new Map())) throw conditionCheckFailed();

    if (kind === 'delete') {
      table.rows.delete(key);
      return;
    }
    const now = this.now();
    const row: StoredRow =
      kind === 'put' || !existing
        ? { primaryKey: change.primaryKey, cells: new Map() }
        : { primaryKey: existing.primaryKey, cells: new Map([...existing.cells].map(([n, v]) => [n, [...v]])) };
    for (const cell of change.cells) {
      if (kind === 'put' && cell.op !== 'put') throw invalid(`PutRow cannot ${cell.op} column ${cell.name}.`);
      const versions = row.cells.get(cell.name) ?? [];
      switch (cell.op) {
        case 'put':
          setVersion(versions, { value: cell.value!, timestamp: cell.timestamp ?? now });
          break;
        case 'increment': {
          const current = versions[0]?.value;
          if (cell.value?.type !== 'integer' || (current && current.type !== 'integer'))
            throw invalid(`Increment needs integer values (column ${cell.name}).`);
          setVersion(versions, { value: { type: 'integer', value: (current?.value ?? 0n) + cell.value.value }, timestamp: now });
          break;
        }
        case 'delete_one_version':
          if (cell.timestamp === undefined) throw invalid(`Deleting one version of ${cell.name} needs its timestamp.`);
          versions.splice(0, versions.length, ...versions.filter((v) => v.timestamp !== cell.timestamp));
          break;
        case 'delete_all_versions':
          versions.length = 0;
          break;
      }
      if (versions.length === 0) row.cells.delete(cell.name);
      else row.cells.set(cell.name, versions.slice(0, table.meta.maxVersions));
    }
    table.rows.set(key, row);
  }

  /**
   * Scans [start, end) forward or (end, start] backward. Stops after `limit` matching rows or
   * `maxScan` scanned rows, and then names the next row to scan (as Tablestore's
   * next_start_primary_key): a page can hold fewer rows than asked and still not be the last.
   */
  getRange(
    tableName: string,
    opts: ReadOptions & {
      forward: boolean;
      start: PkColumn[];
      end: PkColumn[];
      limit: number;
      maxScan: number;
    },
  ): { rows: OutputRow[]; next: PkColumn[] | null } {
    const table = this.table(tableName);
    checkPrimaryKey(table.meta, opts.start, true);
    checkPrimaryKey(table.meta, opts.end, true);
    const order = comparePrimaryKeys(opts.start, opts.end);
    if (opts.forward ? order >= 0 : order <= 0) {
      throw invalid(`Begin key must ${opts.forward ? 'less' : 'more'} than end key in ${opts.forward ? 'FORWARD' : 'BACKWARD'}.`);
    }
    const inRange = (pk: PkColumn[]): boolean =>
      opts.forward
        ? comparePrimaryKeys(pk, opts.start) >= 0 && comparePrimaryKeys(pk, opts.end) < 0
        : comparePrimaryKeys(pk, opts.start) <= 0 && comparePrimaryKeys(pk, opts.end) > 0;
    const candidates = [...table.rows.values()]
      .filter((r) => inRange(r.primaryKey))
      .sort((a, b) => (opts.forward ? 1 : -1) * comparePrimaryKeys(a.primaryKey, b.primaryKey));
    const rows: OutputRow[] = [];
    let scanned = 0;
    for (const candidate of candidates) {
      if (rows.length >= opts.limit || scanned >= opts.maxScan) return { rows, next: candidate.primaryKey };
      scanned++;
      const row = this.liveRow(table, candidate.primaryKey);
      if (row && (!opts.filter || matches(opts.filter, row.cells))) rows.push(project(row, opts));
    }
    return { rows, next: null };
  }

  private table(name: string): Table {
    const table = this.tables.get(name);
    if (!table) throw new OtsError(404, 'OTSObjectNotExist', 'Requested table does not exist.');
    return table;
  }

  /** The row with its expired cells dropped; undefined when absent or when TTL took every cell. */
  private liveRow(table: Table, primaryKey: PkColumn[]): StoredRow | undefined {
    const key = rowKey(primaryKey);
    const row = table.rows.get(key);
    if (!row || table.meta.timeToLive <= 0) return row;
    const horizon = this.now() - table.meta.timeToLive * 1000;
    for (const [name, versions] of row.cells) {
      const live = versions.filter((v) => v.timestamp >= horizon);
      if (live.length === 0) row.cells.delete(name);
      else row.cells.set(name, live);
    }
    if (row.cells.size > 0) return row;
    table.rows.delete(key);
    return undefined;
  }
}

function setVersion(versions: StoredCell[], cell: StoredCell): void {
  const same = versions.findIndex((v) => v.timestamp === cell.timestamp);
  if (same >= 0) versions.splice(same, 1);
  versions.push(cell);
  versions.sort((a, b) => b.timestamp - a.timestamp);
}

function project(row: StoredRow, opts: ReadOptions): OutputRow {
  const maxVersions = opts.maxVersions > 0 ? opts.maxVersions : 1;
  const names = [...row.cells.keys()].filter((n) => opts.columnsToGet.length === 0 || opts.columnsToGet.includes(n)).sort();
  return {
    primaryKey: row.primaryKey,
    cells: names.flatMap((name) =>
      row.cells
        .get(name)!
        .slice(0, maxVersions)
        .map((v) => ({ name, value: v.value, timestamp: v.timestamp })),
    ),
  };
}

function checkPrimaryKey(meta: TableMeta, pk: PkColumn[], allowInfinity: boolean): void {
  if (pk.length !== meta.primaryKey.length) throw invalid(`Validate PK size fail. Input: ${pk.length}, Meta: ${meta.primaryKey.length}.`);
  pk.forEach((column, i) => {
    const schema = meta.primaryKey[i]!;
    if (column.name !== schema.name) throw invalid(`Validate PK name fail. Input: ${column.name}, Meta: ${schema.name}.`);
    const type = column.value.type;
    if (type === 'inf_min' || type === 'inf_max') {
      if (!allowInfinity) throw invalid(`INF_MIN and INF_MAX are only allowed in range keys (column ${column.name}).`);
      return;
    }
    if (type === 'auto_increment') throw invalid('Auto-increment primary keys are not supported by the twin.');
    if (PK_TYPE[type] !== schema.type) {
      throw invalid(`Validate PK type fail. Input: ${type.toUpperCase()}, Meta: ${PK_TYPE_NAME[schema.type] ?? schema.type}.`);
    }
  });
}

function rowKey(pk: PkColumn[]): string {
  return JSON.stringify(
    pk.map((c) => {
      const v = c.value;
      return v.type === 'integer'
        ? `i${v.value}`
        : v.type === 'string'
          ? `s${v.value}`
          : v.type === 'blob'
            ? `b${v.value.toString('hex')}`
            : v.type;
    }),
  );
}

const RANK: Record<PkValue['type'], number> = { inf_min: 0, integer: 1, string: 1, blob: 1, auto_increment: 1, inf_max: 2 };

function comparePkValues(a: PkValue, b: PkValue): number {
  if (RANK[a.type] !== RANK[b.type]) return RANK[a.type] - RANK[b.type];
  return compareCells(a as CellValue, b as CellValue) ?? 0;
}

export function comparePrimaryKeys(a: PkColumn[], b: PkColumn[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = comparePkValues(a[i]!.value, b[i]!.value);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** null when the types differ: Tablestore compares values of one type only (strings and blobs bytewise). */
function compareCells(a: CellValue, b: CellValue): number | null {
  if (a.type !== b.type) return null;
  switch (a.type) {
    case 'integer': {
      const y = (b as typeof a).value;
      return a.value < y ? -1 : a.value > y ? 1 : 0;
    }
    case 'double': {
      const y = (b as typeof a).value;
      return a.value < y ? -1 : a.value > y ? 1 : 0;
    }
    case 'boolean':
      return Number(a.value) - Number((b as typeof a).value);
    case 'string':
      return Buffer.compare(Buffer.from(a.value, 'utf8'), Buffer.from((b as typeof a).value, 'utf8'));
    case 'blob':
      return Buffer.compare(a.value, (b as typeof a).value);
  }
}

const COMPARATOR: Record<number, (c: number | null) => boolean> = {
  1: (c) => c === 0,
  2: (c) => c !== 0,
  3: (c) => c !== null && c > 0,
  4: (c) => c !== null && c >= 0,
  5: (c) => c !== null && c < 0,
  6: (c) => c !== null && c <= 0,
};

/** A column condition on a row's cells (an absent row has none): a missing column passes unless `filterIfMissing`. */
export function matches(filter: ColumnFilter, cells: Map<string, StoredCell[]>): boolean {
  if (filter.kind === 'composite') {
    if (filter.combinator === 1) {
      if (filter.subs.length !== 1) throw invalid('The NOT operator takes exactly one sub-condition.');
      return !matches(filter.subs[0]!, cells);
    }
    if (filter.subs.length < 1) throw invalid('A composite condition needs sub-conditions.');
    if (filter.combinator === 2) return filter.subs.every((s) => matches(s, cells));
    if (filter.combinator === 3) return filter.subs.some((s) => matches(s, cells));
    throw invalid(`Unknown logical operator ${filter.combinator}.`);
  }
  const test = COMPARATOR[filter.comparator];
  if (!test) throw invalid(`Unknown comparator ${filter.comparator}.`);
  const versions = cells.get(filter.column) ?? [];
  if (versions.length === 0) return !filter.filterIfMissing;
  const candidates = filter.latestVersionOnly ? versions.slice(0, 1) : versions;
  return candidates.some((v) => test(compareCells(v.value, filter.value)));
}
