import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeRow, encodeRows, PlainBufferError, type OutputRow, type PkColumn } from './plain-buffer';
import {
  decodeFilter,
  decodeRequest,
  encodeError,
  encodeResponse,
  OPERATIONS,
  present,
  toBuffer,
  UnsupportedFilterError,
  type ConditionMessage,
  type Operation,
  type ReturnContentMessage,
} from './protocol';
import { OtsError, TwinTables, type WriteCondition } from './store';
import { holdIdleConnections } from '../keep-alive';

/**
 * A Tablestore twin on 127.0.0.1: the wire protocol the `tablestore` SDK speaks (protobuf
 * bodies, PlainBuffer rows, `x-ots-*` headers, HMAC-SHA1 request signature) over in-memory
 * tables. Errors come back as Tablestore sends them: an HTTP status and a protobuf `Error`
 * {code, message} body. Messages follow the service's wording where known; the codes for a
 * wrong instance name and a bad content MD5 are unverified guesses (OTSAuthFailed, OTSParameterInvalid).
 */
export interface TablestoreTwinOptions {
  accessKeyId: string;
  accessKeySecret: string;
  instance: string;
  /** When set, requests must carry it as `x-ots-ststoken` (an STS session). */
  securityToken?: string;
  port?: number;
  /** Rows GetRange scans per call before it returns next_start_primary_key (the service stops at 5000 or 4 MB). */
  maxRowsPerRange?: number;
  /** The clock of the stored data (cell timestamps, TTL). Request dates are checked against the wall clock the SDK signs with. */
  now?: () => number;
}

export interface TwinFault {
  operation: Operation;
  table?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
  status: number;
  code: string;
  message?: string;
}

export interface TwinRequest {
  operation: Operation;
  tables: string[];
}

export interface TablestoreTwin {
  endpoint: string;
  instance: string;
  stop(): Promise<void>;
  /** Fail the next matching requests with a Tablestore error (throttling, 5xx…). */
  injectFault(fault: TwinFault): void;
  /** Runs before each authenticated request is applied; a returned promise holds the request (to open a race window). */
  intercept(hook: ((request: TwinRequest) => void | Promise<void>) | null): void;
  /** Requests served per operation, faults and errors included. */
  requestCounts(): Record<string, number>;
  /** Accept only these keys from now on, as when an STS session expires and a new one is issued. */
  setCredentials(credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }): void;
}

const MAX_CLOCK_SKEW_MS = 15 * 60_000;
const BATCH_ROW_LIMIT = 200;
const RANGE_ROW_LIMIT = 5000;
const WRITE_KIND = { 1: 'put', 2: 'update', 3: 'delete' } as const;

export async function startTablestoreTwin(options: TablestoreTwinOptions): Promise<TablestoreTwin> {
  const opts = { ...options };
  const now = opts.now ?? Date.now;
  const tables = new TwinTables(now);
  const faults: Array<TwinFault & { left: number }> = [];
  const counts: Record<string, number> = {};
  let hook: ((request: TwinRequest) => void | Promise<void>) | null = null;
  const maxScan = opts.maxRowsPerRange ?? RANGE_ROW_LIMIT;

  function reply(res: ServerResponse, status: number, body: Buffer): void {
    res.writeHead(status, {
      'content-type': 'application/x-protobuf',
      'content-length': body.length,
      'x-ots-requestid': randomUUID().replace(/-/g, ''),
      'x-ots-date': new Date().toISOString(),
      'x-ots-contenttype': 'protocol buffer',
      'x-ots-contentmd5': createHash('md5').update(body).digest('base64'),
    });
    res.end(body);
  }

  function authenticate(req: IncomingMessage, path: string, body: Buffer): void {
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(',') : v;
    };
    for (const name of [
      'x-ots-date',
      'x-ots-apiversion',
      'x-ots-accesskeyid',
      'x-ots-contentmd5',
      'x-ots-signature',
      'x-ots-instancename',
    ]) {
      if (!header(name)) throw new OtsError(403, 'OTSAuthFailed', `Missing header: '${name}'.`);
    }
    if (header('x-ots-accesskeyid') !== opts.accessKeyId)
      throw new OtsError(403, 'OTSAuthFailed', 'The AccessKeyID is disabled or does not exist.');
    const signed = Object.keys(req.headers)
      .filter((n) => n.startsWith('x-ots-') && n !== 'x-ots-signature')
      .sort();
    const stringToSign = `${path}\n${req.method ?? ''}\n\n${signed.map((n) => `${n}:${header(n) ?? ''}`).join('\n')}\n`;
    const expected = createHmac('sha1', opts.accessKeySecret).update(stringToSign).digest();
    const sent = Buffer.from(header('x-ots-signature') ?? '', 'base64');
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected))
      throw new OtsError(403, 'OTSAuthFailed', 'Signature mismatch.');
    if (opts.securityToken !== undefined && header('x-ots-ststoken') !== opts.securityToken) {
      throw new OtsError(403, 'OTSAuthFailed', 'The security token is invalid or expired.');
    }
    const date = Date.parse(header('x-ots-date') ?? '');
    if (!Number.isFinite(date) || Math.abs(date - Date.now()) > MAX_CLOCK_SKEW_MS) {
      throw new OtsError(403, 'OTSAuthFailed', `Mismatch between system time and x-ots-date: ${header('x-ots-date')}.`);
    }
    if (header('x-ots-instancename') !== opts.instance) {
      throw new OtsError(403, 'OTSAuthFailed', `The instance '${header('x-ots-instancename')}' does not exist in this endpoint.`);
    }
    if (createHash('md5').update(body).digest('base64') !== header('x-ots-contentmd5')) {
      throw new OtsError(400, 'OTSParameterInvalid', 'Content MD5 mismatch.');
    }
  }

  const condition = (c: ConditionMessage | null): WriteCondition => ({
    rowExistence: c?.rowExistence ?? 0,
    column: c && present(c.columnCondition) ? decodeFilter(c.columnCondition) : null,
  });
  const returnedRow = (rc: ReturnContentMessage | null, pk: PkColumn[]): Buffer =>
    rc && rc.returnType === 1 ? encodeRows([{ primaryKey: pk, cells: [] }]) : Buffer.alloc(0);
  const consumed = (read: number, write: number): object => ({ capacityUnit: { read, write } });
  const one = (row: OutputRow | null): Buffer => encodeRows(row ? [row] : []);

  function tablesOf(operation: Operation, body: Buffer): string[] {
    if (operation === 'ListTable') return [];
    if (operation === 'BatchWriteRow') return decodeRequest.BatchWriteRow(body).tables.map((t) => t.tableName);
    if (operation === 'CreateTable') return [decodeRequest.CreateTable(body).tableMeta.tableName];
    return [(decodeRequest[operation](body) as { tableName: string }).tableName];
  }

  function apply(operation: Operation, body: Buffer): Buffer {
    switch (operation) {
      case 'CreateTable': {
        const r = decodeRequest.CreateTable(body);
        tables.createTable({
          name: r.tableMeta.tableName,
          primaryKey: r.tableMeta.primaryKey.map((pk) => ({ name: pk.name, type: pk.type })),
          timeToLive: r.tableOptions?.timeToLive ?? -1,
          maxVersions: r.tableOptions?.maxVersions || 1,
        });
        return encodeResponse('CreateTableResponse', {});
      }
      case 'ListTable':
        return encodeResponse('ListTableResponse', { tableNames: tables.listTables() });
      case 'DescribeTable': {
        const meta = tables.describe(decodeRequest.DescribeTable(body).tableName);
        return encodeResponse('DescribeTableResponse', {
          tableMeta: { tableName: meta.name, primaryKey: meta.primaryKey },
          reservedThroughputDetails: { capacityUnit: { read: 0, write: 0 }, lastIncreaseTime: Math.floor(meta.createdAt / 1000) },
          tableOptions: {
            timeToLive: meta.timeToLive,
            maxVersions: meta.maxVersions,
            deviationCellVersionInSec: 86_400,
            allowUpdate: true,
          },
          tableStatus: 1,
        });
      }
      case 'DeleteTable':
        tables.deleteTable(decodeRequest.DeleteTable(body).tableName);
        return encodeResponse('DeleteTableResponse', {});
      case 'GetRow': {
        const r = decodeRequest.GetRow(body);
        const row = tables.getRow(r.tableName, decodeRow(toBuffer(r.primaryKey)).primaryKey, {
          columnsToGet: r.columnsToGet,
          maxVersions: r.maxVersions,
          filter: present(r.filter) ? decodeFilter(r.filter) : null,
        });
        return encodeResponse('GetRowResponse', { consumed: consumed(1, 0), row: one(row) });
      }
      case 'PutRow': {
        const r = decodeRequest.PutRow(body);
        const change = decodeRow(toBuffer(r.row));
        tables.write(r.tableName, 'put', change, condition(r.condition));
        return encodeResponse('PutRowResponse', { consumed: consumed(0, 1), row: returnedRow(r.returnContent, change.primaryKey) });
      }
      case 'UpdateRow': {
        const r = decodeRequest.UpdateRow(body);
        const change = decodeRow(toBuffer(r.rowChange));
        tables.write(r.tableName, 'update', change, condition(r.condition));
        return encodeResponse('UpdateRowResponse', { consumed: consumed(0, 1), row: returnedRow(r.returnContent, change.primaryKey) });
      }
      case 'DeleteRow': {
        const r = decodeRequest.DeleteRow(body);
        const change = decodeRow(toBuffer(r.primaryKey));
        tables.write(r.tableName, 'delete', change, condition(r.condition));
        return encodeResponse('DeleteRowResponse', { consumed: consumed(0, 1), row: returnedRow(r.returnContent, change.primaryKey) });
      }
      case 'GetRange': {
        const r = decodeRequest.GetRange(body);
        const limit = r.limit > 0 ? r.limit : RANGE_ROW_LIMIT;
        if (limit > RANGE_ROW_LIMIT) throw new OtsError(400, 'OTSParameterInvalid', `The limit must be at most ${RANGE_ROW_LIMIT}.`);
        const { rows, next } = tables.getRange(r.tableName, {
          forward: r.direction === 0,
          start: decodeRow(toBuffer(r.inclusiveStartPrimaryKey)).primaryKey,
          end: decodeRow(toBuffer(r.exclusiveEndPrimaryKey)).primaryKey,
          limit,
          maxScan,
          columnsToGet: r.columnsToGet,
          maxVersions: r.maxVersions,
          filter: present(r.filter) ? decodeFilter(r.filter) : null,
        });
        return encodeResponse('GetRangeResponse', {
          consumed: consumed(Math.max(1, rows.length), 0),
          rows: encodeRows(rows),
          ...(next ? { nextStartPrimaryKey: encodeRows([{ primaryKey: next, cells: [] }]) } : {}),
        });
      }
      case 'BatchWriteRow':
        return batchWrite(body);
    }
  }

  /** Each row succeeds or fails on its own (the batch is not atomic); the request itself fails only when malformed. */
  function batchWrite(body: Buffer): Buffer {
    const r = decodeRequest.BatchWriteRow(body);
    const total = r.tables.reduce((n, t) => n + t.rows.length, 0);
    if (total === 0 || total > BATCH_ROW_LIMIT)
      throw new OtsError(400, 'OTSParameterInvalid', `Rows count exceeds the upper limit: ${BATCH_ROW_LIMIT}.`);
    const decoded = r.tables.map((t) => ({ table: t, rows: t.rows.map((row) => ({ row, change: decodeRow(toBuffer(row.rowChange)) })) }));
    for (const { table, rows } of decoded) {
      tables.describe(table.tableName);
      const keys = rows.map(({ change }) =>
        JSON.stringify(change.primaryKey, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
      );
      if (new Set(keys).size !== keys.length)
        throw new OtsError(400, 'OTSParameterInvalid', 'The input parameter is invalid: duplicated rows in one batch.');
    }
    return encodeResponse('BatchWriteRowResponse', {
      tables: decoded.map(({ table, rows }) => ({
        tableName: table.tableName,
        rows: rows.map(({ row, change }) => {
          const kind = WRITE_KIND[row.type as 1 | 2 | 3];
          try {
            if (!kind) throw new OtsError(400, 'OTSParameterInvalid', `Unknown operation type ${row.type}.`);
            tables.write(table.tableName, kind, change, condition(row.condition));
            return { isOk: true, consumed: consumed(0, 1), row: returnedRow(row.returnContent, change.primaryKey) };
          } catch (err) {
            if (!(err instanceof OtsError)) throw err;
            return { isOk: false, error: { code: err.code, message: err.message } };
          }
        }),
      })),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const operation = path.slice(1) as Operation;
    counts[operation] = (counts[operation] ?? 0) + 1;
    try {
      if (req.method !== 'POST') throw new OtsError(405, 'OTSMethodNotAllowed', `Method ${req.method} is not allowed.`);
      if (!OPERATIONS.includes(operation)) throw new OtsError(400, 'OTSUnsupportOperation', `Unsupported operation: '${operation}'.`);
      authenticate(req, path, body);
      const touched = tablesOf(operation, body);
      const fault = faults.find((f) => f.left > 0 && f.operation === operation && (f.table === undefined || touched.includes(f.table)));
      if (fault) {
        fault.left--;
        throw new OtsError(fault.status, fault.code, fault.message ?? fault.code);
      }
      if (hook) await hook({ operation, tables: touched });
      reply(res, 200, apply(operation, body));
    } catch (err) {
      if (err instanceof OtsError) return reply(res, err.status, encodeError(err.code, err.message));
      if (err instanceof PlainBufferError || err instanceof UnsupportedFilterError || (err as Error).name === 'ProtocolError') {
        return reply(res, 400, encodeError('OTSParameterInvalid', (err as Error).message));
      }
      reply(res, 500, encodeError('OTSInternalServerError', `Internal server error: ${(err as Error).message}`));
    }
  }

  const server = holdIdleConnections(
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void handle(req, res, Buffer.concat(chunks)));
    }),
  );
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    instance: opts.instance,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
    injectFault: (fault) => {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    intercept: (h) => {
      hook = h;
    },
    setCredentials(credentials) {
      opts.accessKeyId = credentials.accessKeyId;
      opts.accessKeySecret = credentials.accessKeySecret;
      if (credentials.securityToken === undefined) delete opts.securityToken;
      else opts.securityToken = credentials.securityToken;
    },
    requestCounts: () => ({ ...counts }),
  };
}
