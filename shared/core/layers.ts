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

/**
 * Which layers reach one routing scope. `service`: the scoped service whose host it is (its own
 * schedules and overrides apply); `global`: whether the mesh-wide elective layers (schedules and
 * matrix overrides without a service) apply, which they do everywhere without scopes, at the
 * entry hosts only with `scopes.shiftAt: entry`. A drain override without a service always applies.
 */
export interface LayerScope {
  service?: string;
  global: boolean;
}

const MESH_WIDE: LayerScope = { global: true };

function reaches(scope: LayerScope, service: string | undefined): boolean {
  return service === undefined ? scope.global : service === scope.service;
}

export function activeSchedule(
  policy: Policy,
  now: number,
  scope: LayerScope = MESH_WIDE,
): { name: string; until: number; index: number } | null {
  // A schedule naming the scope's service is the more specific one: it wins over a mesh-wide one.
  for (const own of [true, false]) {
    for (const [index, s] of policy.schedules.entries()) {
      if ((s.service !== undefined) !== own || !reaches(scope, s.service)) continue;
      const until = windowOpenUntil({ cron: s.cron, timezone: s.timezone, duration: s.duration }, now);
      if (until !== null) return { name: s.name, until, index };
    }
  }
  return null;
}

/** What the layers below the override say: the active schedule, else the normal matrix. */
export function lowerLayer(policy: Policy, now: number, scope: LayerScope): IntendedMatrix {
  const s = activeSchedule(policy, now, scope);
  if (s) {
    const sched = policy.schedules[s.index];
    const raw = sched?.matrix ?? roundMatrix(drainRegions(policy, policy.normal, sched?.drain ?? []), policy.regionIds);
    // A schedule may list only the rows it changes; the others keep their normal row.
    const full: TrafficMatrix = { ...policy.normal, ...raw };
    return { layer: 'schedule', matrix: compactMatrix(full, policy.regionIds), source: s.name, until: s.until, force: false };
  }
  return { layer: 'normal', matrix: policy.normal, force: false };
}

export function intendedMatrix(policy: Policy, state: MeshState, now: number, scope: LayerScope = MESH_WIDE): IntendedMatrix {
  const lower = lowerLayer(policy, now, scope);
  const o = state.override;
  // A mesh-wide drain reaches every scope (draining a region is not a shift of users); a pinned
  // matrix is elective, and one naming a service reaches that service's host only.
  const applies = o !== null && (o.service === undefined ? scope.global || o.drain !== undefined : o.service === scope.service);
  if (o && applies && o.expiresAt > now) {
    // A drain override takes regions out of whatever the layer below says: draining one region
    // during a scheduled shift must not silently cancel the rest of the schedule.
    const matrix = o.matrix ?? roundMatrix(drainRegions(policy, lower.matrix, o.drain ?? []), policy.regionIds);
    return { layer: 'override', matrix: compactMatrix(matrix, policy.regionIds), source: o.id, until: o.expiresAt, force: o.force };
  }
  return lower;
}
