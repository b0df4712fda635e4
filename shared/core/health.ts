import type { Policy } from './policy';
import type { HealthStatus, MeshState, RegionHealth, Signal } from './types';

/**
 * Region health: HEALTHY → DEGRADED → DOWN, and back through RECOVERING(step k) → HEALTHY.
 * Worse at once when the active signals meet the rule; better only after every signal of the
 * region has been clear for the hold, then one recovery step per stepHold.
 *
 *   signals:   ##### firing #####|........ clear ........|......|......|
 *   status:    DOWN ------------- DOWN (hold) ---------- R25 -- R50 -- HEALTHY
 *                               ^clearSince       ^clearSince+hold
 */

export interface HealthTransition {
  region: string;
  from: HealthStatus;
  to: HealthStatus;
  step?: number;
  causes: string[];
  why: string;
}

export function initialHealth(policy: Policy): Record<string, RegionHealth> {
  return Object.fromEntries(
    policy.regionIds.map((r) => [
      r,
      { status: 'HEALTHY', since: 0, clearSince: null, hold: policy.recovery.holdFor, causes: [] } satisfies RegionHealth,
    ]),
  );
}

/** Drill signals are synthetic (`drillSignal`): one stands for a whole quorum, or a drill could never make a region DOWN under quorum > 1. */
function isDrill(s: Signal): boolean {
  return s.source === 'drill' && s.key.startsWith('drill|');
}

/**
 * What the region's active signals call for: DOWN needs `quorum` distinct sources or rules (a
 * drill alone suffices); DEGRADED one degraded signal. `why` names the rule that decided.
 */
export function signalVerdict(policy: Policy, signals: Signal[]): { verdict: 'DOWN' | 'DEGRADED' | null; causes: string[]; why: string } {
  const down = signals.filter((s) => s.severity === 'down');
  const voters = new Set(down.map((s) => `${s.source}/${s.rule ?? ''}`));
  const quorum = policy.detection.quorum;
  if (down.some(isDrill)) return { verdict: 'DOWN', causes: down.map((s) => s.key).sort(), why: 'drill: synthetic down signal' };
  if (voters.size >= quorum)
    return {
      verdict: 'DOWN',
      causes: down.map((s) => s.key).sort(),
      why: `down signals meet quorum (${voters.size}/${quorum} distinct sources/rules)`,
    };
  const degraded = signals.filter((s) => s.severity === 'degraded');
  if (degraded.length > 0) {
    return {
      verdict: 'DEGRADED',
      causes: degraded.map((s) => s.key).sort(),
      why: degraded.some(isDrill) ? 'drill: synthetic degraded signal' : 'degraded signals active',
    };
  }
  return { verdict: null, causes: [], why: '' };
}

function relapseHold(policy: Policy, hold: number): number {
  return Math.min(hold * 2, policy.recovery.maxHold);
}

/**
 * Advance every region's health to `now` given the active signals; mutates `state.health`,
 * returns the transitions. `clearedAt[region]` is when the region's last signal lapsed (its
 * TTL ran out, or its drill ended) if that happened before `now`: the hold counts from there,
 * not from whichever input happened to notice it.
 */
export function updateHealth(
  policy: Policy,
  state: MeshState,
  active: Signal[],
  now: number,
  clearedAt: Record<string, number> = {},
): HealthTransition[] {
  const transitions: HealthTransition[] = [];
  for (const region of policy.regionIds) {
    const t = advanceHealth(
      policy,
      state.health[region] as RegionHealth,
      region,
      active.filter((s) => s.region === region),
      now,
      clearedAt[region],
    );
    if (t) transitions.push(...t);
  }
  return transitions;
}

/**
 * Advance one health record (a region's, or a (region, service)'s: the same state machine) to
 * `now` given its active signals; mutates `h`, returns its transitions labelled `label`.
 * `clearedAt` is when its last signal lapsed, if that happened before `now`.
 */
export function advanceHealth(
  policy: Policy,
  h: RegionHealth,
  label: string,
  active: Signal[],
  now: number,
  clearedAt?: number,
): HealthTransition[] {
  const transitions: HealthTransition[] = [];
  const { steps, stepHold, holdFor, maxHold } = policy.recovery;
  const region = label;
  const { verdict, causes, why: verdictWhy } = signalVerdict(policy, active);
  const move = (to: HealthStatus, why: string, patch: Partial<RegionHealth> = {}) => {
    transitions.push({
      region,
      from: h.status,
      to,
      causes: to === 'HEALTHY' || to === 'RECOVERING' ? h.causes : causes,
      why,
      ...(patch.step !== undefined ? { step: patch.step } : {}),
    });
    const keepCauses = to === 'HEALTHY' ? [] : to === 'RECOVERING' ? h.causes : causes;
    // Absent, not undefined: the state is stored as JSON and compared after a round trip.
    delete h.step;
    delete h.from;
    Object.assign(h, { status: to, since: now, causes: keepCauses }, patch);
  };

  switch (h.status) {
    case 'HEALTHY':
      if (verdict) move(verdict, verdictWhy, { clearSince: null });
      else if (h.hold > holdFor && now - h.since >= maxHold) h.hold = holdFor; // calm for maxHold: forget past flapping
      break;
    case 'DEGRADED':
    case 'DOWN':
      if (verdict === 'DOWN' && h.status === 'DEGRADED') move('DOWN', verdictWhy, { clearSince: null });
      else if (verdict) {
        h.clearSince = null;
        h.causes = causes; // the signals active now (transitions keep the ones that caused them)
      } else {
        h.clearSince ??= Math.min(clearedAt ?? now, now);
        if (now - h.clearSince >= h.hold)
          move('RECOVERING', `all signals clear for ${Math.round(h.hold / 1000)}s`, { step: 0, from: h.status, clearSince: h.clearSince });
      }
      break;
    case 'RECOVERING': {
      if (verdict) {
        const back = verdict === 'DOWN' ? 'DOWN' : (h.from ?? 'DEGRADED');
        const hold = relapseHold(policy, h.hold);
        move(back, `relapse during recovery; next hold ${Math.round(hold / 1000)}s`, { clearSince: null, hold });
      } else if (now - h.since >= stepHold) {
        const next = (h.step ?? 0) + 1;
        if (next >= steps.length) move('HEALTHY', 'recovery complete', { clearSince: null });
        else {
          const from = h.from;
          move('RECOVERING', `recovery step ${next + 1}/${steps.length}`, {
            step: next,
            ...(from ? { from } : {}),
            clearSince: h.clearSince,
          });
        }
      }
      break;
    }
  }
  return transitions;
}

/** The share (0..1) of its intended traffic a region keeps in its current health. */
export function retainedShare(policy: Policy, h: RegionHealth): number {
  switch (h.status) {
    case 'HEALTHY':
      return 1;
    case 'DEGRADED':
      return policy.response.degradedShare / 100;
    case 'DOWN':
      return 0;
    case 'RECOVERING': {
      // A region recovering from DEGRADED never gets less than it had while degraded.
      const step = (policy.recovery.steps[h.step ?? 0] ?? 100) / 100;
      return h.from === 'DEGRADED' ? Math.max(step, policy.response.degradedShare / 100) : step;
    }
  }
}
