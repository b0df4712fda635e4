import { createHash, randomUUID } from 'node:crypto';
import type { Fc3Trigger } from './s-yaml';

/**
 * Function Compute's Simple Log Service trigger, as the local FC host runs it. Sources
 * (docs/cloud-contracts.md, "SLS trigger"):
 *
 * - FC "Simple Log Service triggers": each trigger is an SLS ETL job that polls every shard of the
 *   Logstore every `triggerInterval` seconds; when a shard has new data it invokes the function
 *   with the shard's range `<shard_id, begin_cursor, end_cursor>` (the data written during the
 *   interval); a shard with no new data is not triggered; shards are triggered independently.
 *   Without `sourceConfig.startTime` consumption starts from the latest data.
 * - SLS "Create a custom function" (the event): `{parameter, source: {endpoint, projectName,
 *   logstoreName, shardId, beginCursor, endCursor}, jobName, taskId, cursorTime}`; `parameter` is
 *   the trigger's `functionParameter`; `cursorTime` the Unix time of the last log received.
 * - devsapp/fc3 `docs/zh/yaml/triggers.md` (the s.yaml keys) and FC 3.0's `LogTriggerConfig`,
 *   `JobConfig` (`triggerInterval` 3–600 s, `maxRetryTime` 0–100), `SourceConfig`, `JobLogConfig`;
 *   the source project is the trigger's `sourceArn`, `acs:log:<region>:<account>:project/<name>`.
 *
 * What the lab does not model: the catch-up mode (a shard more than 10 s behind is triggered about
 * every 2 s until it catches up): here a late shard's next range simply covers everything since
 * its last one; and the job's own log (`logConfig`) is not written.
 */

export interface SlsTriggerSource {
  /** The endpoint the event names for a project (the lab: that project's loopback address). */
  endpoint(project: string): string;
  shardCount(project: string, logstore: string): number;
  /** The shard's current end cursor (GetCursor `from=end`). */
  endCursor(project: string, logstore: string, shard: number): string;
  /** Unix seconds at which the last group before `cursor` was received; null when none. */
  cursorTime(project: string, logstore: string, shard: number, cursor: string): number | null;
}

export type LogTrigger = Extract<Fc3Trigger, { triggerType: 'log' }>;

export interface SlsTriggerEvent {
  parameter: Record<string, unknown>;
  source: { endpoint: string; projectName: string; logstoreName: string; shardId: number; beginCursor: string; endCursor: string };
  jobName: string;
  taskId: string;
  cursorTime: number;
}

/** FC's default when `jobConfig.triggerInterval` is not set (the console's default, 60 s). */
export const DEFAULT_TRIGGER_INTERVAL_S = 60;
export const DEFAULT_MAX_RETRY = 3;

export function projectOfSourceArn(arn: string): string | null {
  return /^acs:log:[^:]*:[^:]*:project\/([^/]+)$/.exec(arn)?.[1] ?? null;
}

export interface SlsTriggerJob {
  /** One poll of every shard (what each interval does); resolves when the invocations it started have settled. */
  poll(): Promise<void>;
  /** The next begin cursor per shard. */
  readonly positions: ReadonlyMap<number, string>;
  readonly intervalMs: number;
}

/**
 * One trigger's ETL job: every interval, each shard whose end cursor moved past its position is
 * invoked with the range; the position advances once the invocation succeeds, or after
 * `maxRetryTime` retries fail (the range is then skipped, as a job that gives up moves on). A
 * shard whose previous invocation is still running is not invoked again until it settles; its
 * next range then covers everything since.
 */
export function slsTriggerJob(opts: {
  functionName: string;
  trigger: LogTrigger;
  source: SlsTriggerSource;
  invoke: (event: SlsTriggerEvent) => Promise<unknown>;
  /** False while Function Compute is unreachable: a poll then invokes nothing and every position stays. */
  available?: () => boolean;
  log?: (line: Record<string, unknown>) => void;
}): SlsTriggerJob {
  const { trigger, source } = opts;
  const project = projectOfSourceArn(trigger.sourceArn);
  if (!project)
    throw new Error(
      `${opts.functionName}/${trigger.triggerName}: sourceArn is not acs:log:<region>:<account>:project/<name>: ${trigger.sourceArn}`,
    );
  const logstore = trigger.triggerConfig.sourceConfig.logstore;
  const intervalMs = (trigger.triggerConfig.jobConfig.triggerInterval ?? DEFAULT_TRIGGER_INTERVAL_S) * 1000;
  const maxRetry = trigger.triggerConfig.jobConfig.maxRetryTime ?? DEFAULT_MAX_RETRY;
  const jobName = createHash('sha1').update(`${opts.functionName}/${trigger.triggerName}/${project}/${logstore}`).digest('hex');
  const parameter = trigger.triggerConfig.functionParameter ?? {};
  const positions = new Map<number, string>();
  const busy = new Set<number>();
  // "Consumption starts from the latest data": each shard's position is its end at start.
  for (let s = 0; s < source.shardCount(project, logstore); s++) positions.set(s, source.endCursor(project, logstore, s));

  async function runShard(shard: number, begin: string, end: string): Promise<void> {
    busy.add(shard);
    try {
      const event: SlsTriggerEvent = {
        parameter,
        source: {
          endpoint: source.endpoint(project!),
          projectName: project!,
          logstoreName: logstore,
          shardId: shard,
          beginCursor: begin,
          endCursor: end,
        },
        jobName,
        taskId: randomUUID(),
        cursorTime: source.cursorTime(project!, logstore, shard, end) ?? 0,
      };
      for (let attempt = 0; ; attempt++) {
        try {
          await opts.invoke(event);
          break;
        } catch (err) {
          if (attempt >= maxRetry) {
            opts.log?.({
              host: 'fc',
              function: opts.functionName,
              trigger: trigger.triggerName,
              level: 'error',
              message: `SLS trigger gave up on shard ${shard} after ${attempt + 1} attempts: ${err instanceof Error ? err.message : String(err)}`,
            });
            break;
          }
        }
      }
      positions.set(shard, end);
    } finally {
      busy.delete(shard);
    }
  }

  return {
    positions,
    intervalMs,
    async poll() {
      if (opts.available && !opts.available()) return;
      const started: Array<Promise<void>> = [];
      for (let s = 0; s < source.shardCount(project, logstore); s++) {
        if (busy.has(s)) continue;
        const end = source.endCursor(project, logstore, s);
        const begin = positions.get(s) ?? end;
        if (begin === end) continue;
        started.push(runShard(s, begin, end));
      }
      await Promise.all(started);
    },
  };
}
