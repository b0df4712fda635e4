import { compactMatrix, roundMatrix } from './matrix';
import type { Policy } from './policy';
import { drainRegions } from './response';
import type { MeshState, TrafficMatrix } from './types';
import { windowOpenUntil } from './windows';

/** Which layer says what the traffic should be, highest first: manual override > schedule > normal. */
export interface IntendedMatrix {
  layer: 'override' | 'schedule' | 'normal';
  matrix: TrafficMatrix;
  /** Override id or schedule name. */
  source?: string;
  until?: number;
  /** A forced override bypasses the health response (break-glass). */
  force: boolean;
}

export function activeSchedule(policy: Policy, now: number): { name: string; until: number; index: number } | null {
  for (const [index, s] of policy.schedules.entries()) {
    const until = windowOpenUntil({ cron: s.cron, timezone: s.timezone, duration: s.duration }, now);
    if (until !== null) return { name: s.name, until, index };
  }
  return null;
}

/** What the layers below the override say: the active schedule, else the normal matrix. */
function lowerLayer(policy: Policy, now: number): IntendedMatrix {
  const s = activeSchedule(policy, now);
  if (s) {
    const sched = policy.schedules[s.index];
    const raw = sched?.matrix ?? roundMatrix(drainRegions(policy, policy.normal, sched?.drain ?? []), policy.regionIds);
    // A schedule may list only the rows it changes; the others keep their normal row.
    const full: TrafficMatrix = { ...policy.normal, ...raw };
    return { layer: 'schedule', matrix: compactMatrix(full, policy.regionIds), source: s.name, until: s.until, force: false };
  }
  return { layer: 'normal', matrix: policy.normal, force: false };
}

export function intendedMatrix(policy: Policy, state: MeshState, now: number): IntendedMatrix {
  const lower = lowerLayer(policy, now);
  const o = state.override;
  if (o && o.expiresAt > now) {
    // A drain override takes regions out of whatever the layer below says: draining one region
    // during a scheduled shift must not silently cancel the rest of the schedule.
    const matrix = o.matrix ?? roundMatrix(drainRegions(policy, lower.matrix, o.drain ?? []), policy.regionIds);
    return { layer: 'override', matrix: compactMatrix(matrix, policy.regionIds), source: o.id, until: o.expiresAt, force: o.force };
  }
  return lower;
}
