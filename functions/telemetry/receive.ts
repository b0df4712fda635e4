import { RegionshiftError, StateConflictError, ValidationError } from '../../shared/core/errors';
import type { Policy } from '../../shared/core/policy';
import type { TelemetryPolicy } from '../../shared/core/policy-schema';
import type { Signal } from '../../shared/core/types';
import type { Runtime } from '../../shared/runtime/types';
import { parseAccessLogEntry, type AccessLogEntry } from '../../shared/telemetry/access-log';
import { detect, type UnitVerdict } from '../../shared/telemetry/detector';
import { addEntries, claimRange, emptyRow, prune, type TelemetryRow } from '../../shared/telemetry/windows';
import type { SlsTriggerEvent } from './schema';

/** Logs read per invocation at most: a 3-s interval of a busy shard is far below; beyond it the rest is not counted (said in the answer). */
export const MAX_LOGS_PER_INVOCATION = 200_000;
/** Compare-and-set attempts on the window row before the invocation fails (and the trigger retries). */
const SAVE_ATTEMPTS = 6;

/** Which region's cluster logged into this project/Logstore (policy `telemetry.logstores`). */
export function regionOfLogstore(policy: Policy, project: string, logstore: string): { cluster: string; region: string } {
  const t = policy.telemetry;
  if (!t)
    throw new RegionshiftError('CONFIG.TELEMETRY', 'the policy has no telemetry section: nothing says which cluster a Logstore belongs to');
  const entry = t.logstores.find((l) => l.project === project && l.logstore === logstore);
  if (!entry) throw new ValidationError([`source.logstoreName: ${project}/${logstore} is not in the policy's telemetry.logstores`]);
  for (const [region, r] of Object.entries(policy.regions)) {
    if (r.clusters.some((c) => c.id === entry.cluster)) return { cluster: entry.cluster, region };
  }
  throw new RegionshiftError(
    'CONFIG.TELEMETRY',
    `telemetry.logstores names cluster ${entry.cluster}, which no region of the policy declares`,
  );
}

function readRow(text: string | null, t: TelemetryPolicy): TelemetryRow {
  if (text === null) return emptyRow(t.bucket);
  try {
    const row = JSON.parse(text) as TelemetryRow;
    // A policy that changed the bucket size starts the windows over (counts of another grain do not add up).
    if (row.v === 1 && row.bucketMs === t.bucket && Array.isArray(row.buckets))
      return { ...row, active: row.active ?? {}, shards: row.shards ?? {} };
  } catch {
    // an unreadable row is replaced: it holds only counts of the last window
  }
  return emptyRow(t.bucket);
}

export interface TelemetryResult {
  region: string;
  shard: string;
  logs: number;
  entries: number;
  /** Logs that are not access-log entries of a mesh service (with the first reason). */
  skipped: number;
  skippedWhy?: string;
  late: number;
  /** The range was counted before (a re-delivery): not counted again. */
  duplicate: boolean;
  truncated: boolean;
  tripped: Array<Pick<UnitVerdict, 'region' | 'service' | 'workload' | 'n' | 'share' | 'why'>>;
  signals: Array<Pick<Signal, 'key' | 'status'>>;
  ingested?: { committed: boolean; ignored: number };
}

export async function receiveLogs(event: SlsTriggerEvent, runtime: Runtime): Promise<TelemetryResult> {
  const t = runtime.policy.telemetry;
  if (!t) throw new RegionshiftError('CONFIG.TELEMETRY', 'the policy has no telemetry section');
  const { source } = event;
  // A Logstore the policy does not list is the event's problem (400), whatever this runtime has.
  const { region } = regionOfLogstore(runtime.policy, source.projectName, source.logstoreName);
  if (!runtime.telemetry) throw new RegionshiftError('CONFIG.TELEMETRY', 'this runtime has no telemetry window store');
  const shard = `${source.projectName}/${source.logstoreName}/${source.shardId}`;

  const read =
    source.beginCursor === source.endCursor
      ? { logs: [], pages: 0, truncated: false }
      : await runtime.telemetry.readerFor(source.endpoint).readRange(
          {
            project: source.projectName,
            logstore: source.logstoreName,
            shardId: source.shardId,
            beginCursor: source.beginCursor,
            endCursor: source.endCursor,
          },
          { maxLogs: MAX_LOGS_PER_INVOCATION },
        );
  const entries: AccessLogEntry[] = [];
  let skipped = 0;
  let skippedWhy: string | undefined;
  for (const log of read.logs) {
    const parsed = parseAccessLogEntry(log.contents, log.tags);
    if (parsed.ok) entries.push(parsed.entry);
    else {
      skipped++;
      skippedWhy ??= parsed.reason;
    }
  }

  const mesh = runtime.policy.name;
  for (let attempt = 1; ; attempt++) {
    const now = runtime.clock.now();
    const loaded = await runtime.telemetry.windows.loadWindows(mesh);
    const row = readRow(loaded.text, t);
    const fresh = claimRange(row, shard, source.endCursor);
    const added = fresh ? addEntries(row, region, entries, now, t.window) : { counted: 0, late: 0 };
    prune(row, now, t.window);
    const detection = detect(row, t, now);
    try {
      await runtime.telemetry.windows.saveWindows(mesh, loaded.version, JSON.stringify(row));
    } catch (err) {
      if (err instanceof StateConflictError && attempt < SAVE_ATTEMPTS) continue;
      throw err;
    }
    const result: TelemetryResult = {
      region,
      shard,
      logs: read.logs.length,
      entries: added.counted,
      skipped,
      ...(skippedWhy ? { skippedWhy } : {}),
      late: added.late,
      duplicate: !fresh,
      truncated: read.truncated,
      tripped: detection.verdicts
        .filter((v) => v.tripped)
        .map(({ region: r, service, workload, n, share, why }) => ({ region: r, service, workload, n, share, why })),
      signals: detection.signals.map(({ key, status }) => ({ key, status })),
    };
    if (detection.signals.length === 0) return result;
    // The same path as an alarm's signals: one decision for all of them.
    const [outcome] = await runtime.engine.ingest(detection.signals, 'telemetry', { answerFirst: true });
    return { ...result, ingested: { committed: outcome?.committed ?? false, ignored: outcome?.ignored?.length ?? 0 } };
  }
}
