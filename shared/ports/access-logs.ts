/**
 * Reading one SLS shard's entries between two cursors (the range an SLS trigger hands the
 * telemetry function). The adapter is `shared/adapters/access-logs-sls.ts`.
 */

export interface LogPair {
  key: string;
  value: string;
}

/** One log as SLS keeps it: its contents, and the tags of the group it came in. */
export interface RawLog {
  /** The log's own time (epoch seconds), as SLS stamps it. */
  time: number;
  contents: LogPair[];
  tags: LogPair[];
}

export interface ShardRange {
  project: string;
  logstore: string;
  shardId: number;
  beginCursor: string;
  endCursor: string;
}

export interface ShardRead {
  logs: RawLog[];
  /** Pages read (PullLogs calls). */
  pages: number;
  /** True when `maxLogs` stopped the read before the end cursor. */
  truncated: boolean;
}

export interface AccessLogReader {
  /** The logs of `[beginCursor, endCursor)`, page by page, at most `maxLogs` of them. */
  readRange(range: ShardRange, opts: { maxLogs: number; pageSize?: number; deadline?: number }): Promise<ShardRead>;
}

/** An SLS endpoint (the trigger event's `source.endpoint`) → a reader for it. */
export type AccessLogReaderFactory = (endpoint: string) => AccessLogReader;
