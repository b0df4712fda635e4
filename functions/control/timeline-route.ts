import { buildTimeline, type Timeline } from '../../shared/engine/timeline';
import type { Runtime } from '../../shared/runtime/types';
import type { StoredEvent } from '../../shared/ports/state-store';

/** Rows read per history page while looking back for the range's start. */
const PAGE = 500;
/**
 * At most this many audit rows are read for one answer: a range over a storm of alarms stops
 * there (the answer says `truncated.scan`) instead of reading the whole log into one invocation.
 */
export const TIMELINE_SCAN_MAX = 10_000;

/**
 * The events of [from, to], newest first from the log, plus those before `from` up to the
 * latest decision that fixes the matrix and the health in force at `from`.
 */
export async function readTimeline(
  rt: Pick<Runtime, 'engine' | 'policy'>,
  from: number,
  to: number,
  scanMax = TIMELINE_SCAN_MAX,
): Promise<Timeline> {
  const rows: StoredEvent[] = [];
  let before: number | undefined;
  let scanned = 0;
  let haveMatrix = false;
  let haveHealth = false;
  let done = false;
  while (!done && scanned < scanMax) {
    const limit = Math.min(PAGE, scanMax - scanned);
    const page = await rt.engine.history({ limit, ...(before !== undefined && { before }) });
    scanned += page.length;
    for (const e of page) {
      if (e.at > to) continue;
      rows.push(e);
      if (e.at >= from || e.kind !== 'decision') continue;
      const d = e.detail as { steps?: Array<{ kind?: string }>; health?: unknown; after?: unknown } | null;
      if (d?.health) haveHealth = true;
      if (d?.steps?.some((s) => s.kind === 'mesh') || d?.after) haveMatrix = true;
      if (haveHealth && haveMatrix) {
        done = true;
        break;
      }
    }
    const last = page[page.length - 1];
    if (!last || page.length < limit) done = true;
    else before = last.seq;
  }
  const reachedFrom = done || rows.some((e) => e.at < from);
  return buildTimeline(rows, { mesh: rt.policy.name, from, to, scanTruncated: !reachedFrom });
}
