import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../shared/ports/clock';
import { verifySlsSignature, SlsAuthError, type SlsCredentials } from './sls-signature';
import { chooseCompression, compress, encodeLogGroupList, logGroupListJson, type WireLog, type WireLogGroup } from './wire';

/**
 * A Simple Log Service twin on 127.0.0.1: projects (one per ACK cluster in the lab, as each
 * cluster's logs land in its own project), logstores with shards, log groups written by the data
 * plane, and the two read calls the telemetry function and the FC host's SLS trigger use:
 *
 *   GetCursor  GET /logstores/{logstore}/shards/{shard}?type=cursor&from=begin|end|<unix s>  → {"cursor"}
 *   PullLogs   GET /logstores/{logstore}/shards/{shard}?type=log&cursor=&count=&end_cursor=
 *              → the log groups from `cursor` (at most `count`, 1..1000, never past `end_cursor`),
 *                headers `x-log-cursor` (the next cursor), `x-log-count` (groups returned),
 *                `x-log-bodyrawsize`, `x-log-compresstype`, `x-log-requestid`
 *
 * Requests are signed as SLS documents (sls-signature.ts); errors come back as SLS sends them, an
 * HTTP status with `{"errorCode", "errorMessage"}`.
 *
 * **Where the project is.** SLS names the project in the Host (`<project>.<endpoint>`), never in
 * the path. On loopback a name like `<project>.127.0.0.1` does not resolve, so each project has its
 * own listener: its endpoint (`http://127.0.0.1:<port>`) stands for `<project>.<region>.log.aliyuncs.com`.
 * A client whose endpoint is that address reaches the project with no `project` in the SDK call's
 * host map (for `@alicloud/sls20201230` 5.9.0's `pullLogs`, which puts none there anyway).
 *
 * Cursors are opaque to clients: base64 of a decimal sequence number per shard (the shape of the
 * reference's examples). Retention is bounded: groups older than `retentionMs` (by the lab clock)
 * or beyond `maxGroupsPerShard` are dropped, and a cursor before the oldest kept group is refused.
 */

export interface SlsTwinOptions {
  clock: Clock;
  credentials: SlsCredentials;
  /** project → its logstores (each with `shards` shards, default 2). */
  projects: Record<string, { region: string; logstores: Record<string, { shards?: number }> }>;
  /** Groups older than this are dropped (default 15 minutes). */
  retentionMs?: number;
  /** At most this many groups per shard (default 20,000). */
  maxGroupsPerShard?: number;
}

interface StoredGroup extends WireLogGroup {
  seq: number;
  receivedAt: number;
}

class Shard {
  readonly groups: StoredGroup[] = [];
  /** Sequence number of the first group ever written: cursors start at a per-shard base. */
  constructor(public nextSeq: number) {}
  get beginSeq(): number {
    return this.groups[0]?.seq ?? this.nextSeq;
  }
}

export class SlsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export const PULL_LOGS_MAX_COUNT = 1000;

export function encodeCursor(seq: number): string {
  return Buffer.from(String(seq), 'utf8').toString('base64');
}

export function decodeCursor(cursor: string): number | null {
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  return /^\d{1,16}$/.test(text) && encodeCursor(Number(text)) === cursor ? Number(text) : null;
}

export interface PullResult {
  groups: StoredGroup[];
  nextCursor: string;
}

export interface SlsCall {
  at: number;
  project: string;
  action: 'GetCursor' | 'PullLogs' | 'unknown';
  status: number;
  code?: string;
}

export class SlsTwin {
  readonly calls: SlsCall[] = [];
  private readonly stores = new Map<string, Map<string, Shard[]>>();
  private readonly servers = new Map<string, { server: Server; endpoint: string }>();
  private readonly listeners = new Set<(project: string, logstore: string, shard: number) => void>();
  private readonly retentionMs: number;
  private readonly maxGroups: number;

  constructor(private readonly opts: SlsTwinOptions) {
    this.retentionMs = opts.retentionMs ?? 15 * 60_000;
    this.maxGroups = opts.maxGroupsPerShard ?? 20_000;
    // Each shard's sequence starts at a base of its own (the creation time in ms × 1000), so a
    // cursor of one shard or one lab is not a valid position in another by accident.
    const base = Math.floor(opts.clock.now()) * 1000;
    for (const [project, p] of Object.entries(opts.projects)) {
      const logstores = new Map<string, Shard[]>();
      for (const [name, ls] of Object.entries(p.logstores)) {
        logstores.set(
          name,
          Array.from({ length: ls.shards ?? 2 }, (_, i) => new Shard(base + i * 1_000_000_000)),
        );
      }
      this.stores.set(project, logstores);
    }
  }

  projectNames(): string[] {
    return [...this.stores.keys()];
  }

  regionOf(project: string): string | undefined {
    return this.opts.projects[project]?.region;
  }

  logstores(project: string): string[] {
    return [...(this.stores.get(project)?.keys() ?? [])];
  }

  shardCount(project: string, logstore: string): number {
    return this.stores.get(project)?.get(logstore)?.length ?? 0;
  }

  /** The project's endpoint once `start()` has run (`http://127.0.0.1:<port>`). */
  endpoint(project: string): string {
    const s = this.servers.get(project);
    if (!s) throw new Error(`SLS twin: no endpoint for project ${project} (unknown project, or the twin is not started)`);
    return s.endpoint;
  }

  /** Called after every write with the shard written to (the FC host's SLS trigger listens). */
  onWrite(listener: (project: string, logstore: string, shard: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private shard(project: string, logstore: string, shardId: number): Shard {
    const stores = this.stores.get(project);
    if (!stores) throw new SlsError('ProjectNotExist', `Project ${project} does not exist`, 404);
    const shards = stores.get(logstore);
    if (!shards) throw new SlsError('LogStoreNotExist', `logstore ${logstore} does not exist`, 404);
    const shard = Number.isInteger(shardId) ? shards[shardId] : undefined;
    if (!shard) throw new SlsError('ShardNotExist', `shard ${shardId} does not exist`, 404);
    return shard;
  }

  /** Append one log group to a shard (what Logtail's PutLogs would do). */
  write(
    project: string,
    logstore: string,
    shardId: number,
    group: { topic?: string; source?: string; tags?: ReadonlyArray<readonly [string, string]>; logs: readonly WireLog[] },
  ): void {
    const shard = this.shard(project, logstore, shardId);
    const now = this.opts.clock.now();
    shard.groups.push({
      seq: shard.nextSeq++,
      receivedAt: now,
      topic: group.topic ?? '',
      source: group.source ?? '',
      tags: group.tags ?? [],
      logs: group.logs,
    });
    this.expire(shard, now);
    for (const l of this.listeners) l(project, logstore, shardId);
  }

  private expire(shard: Shard, now: number): void {
    let drop = 0;
    while (
      drop < shard.groups.length &&
      (now - (shard.groups[drop] as StoredGroup).receivedAt > this.retentionMs || shard.groups.length - drop > this.maxGroups)
    )
      drop++;
    if (drop > 0) shard.groups.splice(0, drop);
  }

  /** GetCursor: `begin`, `end`, or the first group received at or after a Unix time in seconds. */
  cursor(project: string, logstore: string, shardId: number, from: string): string {
    const shard = this.shard(project, logstore, shardId);
    this.expire(shard, this.opts.clock.now());
    if (from === 'begin') return encodeCursor(shard.beginSeq);
    if (from === 'end') return encodeCursor(shard.nextSeq);
    if (!/^\d+$/.test(from)) throw new SlsError('ParameterInvalid', `from must be begin, end or a Unix time in seconds: ${from}`, 400);
    const atMs = Number(from) * 1000;
    const first = shard.groups.find((g) => g.receivedAt >= atMs);
    return encodeCursor(first ? first.seq : shard.nextSeq);
  }

  /** The shard's end cursor (GetCursor `from=end`), for the FC host's SLS trigger. */
  endCursor(project: string, logstore: string, shardId: number): string {
    return this.cursor(project, logstore, shardId, 'end');
  }

  /** Unix seconds at which the last group before `cursor` was received; null when none is kept. */
  cursorTime(project: string, logstore: string, shardId: number, cursor: string): number | null {
    const shard = this.shard(project, logstore, shardId);
    const seq = decodeCursor(cursor);
    if (seq === null) return null;
    const g = shard.groups[seq - 1 - shard.beginSeq];
    return g ? Math.floor(g.receivedAt / 1000) : null;
  }

  pull(project: string, logstore: string, shardId: number, cursor: string, count: number, endCursor?: string): PullResult {
    const shard = this.shard(project, logstore, shardId);
    this.expire(shard, this.opts.clock.now());
    if (!Number.isInteger(count) || count < 1 || count > PULL_LOGS_MAX_COUNT)
      throw new SlsError('ParameterInvalid', `count must be an integer in [1, ${PULL_LOGS_MAX_COUNT}]: ${count}`, 400);
    const from = decodeCursor(cursor);
    if (from === null || from > shard.nextSeq) throw new SlsError('InvalidCursor', `cursor ${cursor} is not a position of this shard`, 400);
    if (from < shard.beginSeq) throw new SlsError('InvalidCursor', `cursor ${cursor} is before the oldest log group kept (retention)`, 400);
    let until = shard.nextSeq;
    if (endCursor !== undefined) {
      const end = decodeCursor(endCursor);
      if (end === null || end > shard.nextSeq)
        throw new SlsError('InvalidCursor', `end_cursor ${endCursor} is not a position of this shard`, 400);
      until = Math.min(until, Math.max(end, from));
    }
    until = Math.min(until, from + count);
    const start = from - shard.beginSeq;
    const groups = shard.groups.slice(start, start + (until - from));
    return { groups, nextCursor: encodeCursor(until) };
  }

  async start(): Promise<void> {
    for (const project of this.stores.keys()) {
      const server = createServer((req, res) => {
        void this.serve(project, req).then((reply) => {
          res.writeHead(reply.status, {
            'x-log-requestid': randomUUID().replace(/-/g, '').toUpperCase(),
            'content-length': String(reply.body.length),
            ...reply.headers,
          });
          res.end(reply.body);
        });
      });
      server.keepAliveTimeout = 1000;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.servers.set(project, { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.servers.values()].map(
        ({ server }) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
    this.servers.clear();
  }

  private async serve(
    listenerProject: string,
    req: IncomingMessage,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://sls.invalid');
    // A Host of `<project>.<…>` names the project as in the cloud; on loopback it is the listener's.
    const hostProject = (req.headers.host ?? '').split('.')[0] ?? '';
    const project = this.stores.has(hostProject) && (req.headers.host ?? '').includes('.') ? hostProject : listenerProject;
    const type = url.searchParams.get('type');
    const action: SlsCall['action'] = type === 'cursor' ? 'GetCursor' : type === 'log' || type === 'logs' ? 'PullLogs' : 'unknown';
    const at = this.opts.clock.now();
    try {
      verifySlsSignature(req.method ?? 'GET', url.pathname, url.searchParams, req.headers, body, this.opts.credentials);
      const m = /^\/logstores\/([^/]+)\/shards\/([^/]+)$/.exec(url.pathname);
      if (req.method !== 'GET' || !m || action === 'unknown')
        throw new SlsError(
          'NotSupported',
          `the SLS twin serves GetCursor and PullLogs only: ${req.method} ${url.pathname}?type=${type ?? ''}`,
          404,
        );
      const logstore = decodeURIComponent(m[1] as string);
      const shardId = /^\d+$/.test(m[2] as string) ? Number(m[2]) : NaN;
      if (action === 'GetCursor') {
        const from = url.searchParams.get('from');
        if (!from) throw new SlsError('ParameterInvalid', 'from is required', 400);
        const cursor = this.cursor(project, logstore, shardId, from);
        this.calls.push({ at, project, action, status: 200 });
        return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ cursor })) };
      }
      const cursor = url.searchParams.get('cursor');
      if (!cursor) throw new SlsError('ParameterInvalid', 'cursor is required', 400);
      const countText = url.searchParams.get('count');
      if (!countText || !/^\d+$/.test(countText))
        throw new SlsError('ParameterInvalid', `count is required, an integer in [1, ${PULL_LOGS_MAX_COUNT}]`, 400);
      const end = url.searchParams.get('end_cursor') ?? undefined;
      const result = this.pull(project, logstore, shardId, cursor, Number(countText), end);
      const accept = (req.headers.accept ?? '').toLowerCase();
      const raw = accept.includes('application/x-protobuf')
        ? encodeLogGroupList(result.groups)
        : Buffer.from(logGroupListJson(result.groups), 'utf8');
      const headers: Record<string, string> = {
        'content-type': accept.includes('application/x-protobuf') ? 'application/x-protobuf' : 'application/json',
        'x-log-cursor': result.nextCursor,
        'x-log-count': String(result.groups.length),
        'x-log-bodyrawsize': String(raw.length),
      };
      const compression = chooseCompression(
        typeof req.headers['accept-encoding'] === 'string' ? req.headers['accept-encoding'] : undefined,
      );
      let out = raw;
      if (compression && raw.length > 0) {
        out = compress(raw, compression.type);
        headers['x-log-compresstype'] = compression.header;
      }
      this.calls.push({ at, project, action, status: 200 });
      return { status: 200, headers, body: out };
    } catch (e) {
      const err = e instanceof SlsError || e instanceof SlsAuthError ? e : new SlsError('InternalServerError', (e as Error).message, 500);
      this.calls.push({ at, project, action, status: err.status, code: err.code });
      return {
        status: err.status,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ errorCode: err.code, errorMessage: err.message })),
      };
    }
  }
}
