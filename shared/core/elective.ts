import type { ScaleNeed } from './capacity';
import { maxRowDelta, stepToward } from './matrix';
import type { Policy } from './policy';
import type { Refusal, TrafficMatrix } from './types';
import { windowOpenUntil } from './windows';

export function openFreezeWindow(policy: Policy, now: number): boolean {
  return policy.safety.freezeWindows.some((w) => windowOpenUntil(w, now) !== null);
}

export function shortText(short: ScaleNeed[], replicas = ' replicas'): string {
  return short.map((n) => `${n.deployment} in ${n.region} needs ${n.unclamped}${replicas}, max ${n.max}`).join('; ');
}

/** An elective move of one routing (the default, or one scoped host) from `base` toward `target`. */
export interface ElectiveMove {
  base: TrafficMatrix;
  target: TrafficMatrix;
  /** When this routing last changed, and last took an elective step (cooldown, stepInterval). */
  lastChangeAt: number | null;
  lastElectiveAt: number | null;
  maxStep: number;
  /** Deployments that would be pushed past their max by the whole move or by this step. */
  shortfall: (step: TrafficMatrix) => ScaleNeed[];
  /** How refusals name it: a message prefix, and the words after "last" in the cooldown and stepInterval messages. */
  prefix: string;
  change: string;
  electiveStep: string;
}

/**
 * The safety limits on an elective move: a freeze window, the cooldown, the step interval and the
 * capacity hold it at `base`; otherwise it goes at most `maxStep` points toward the target.
 */
export function limitElective(policy: Policy, now: number, m: ElectiveMove): { next: TrafficMatrix; held: boolean; refused: Refusal[] } {
  const hold = (rule: string, message: string) => ({ next: m.base, held: true, refused: [{ rule, message: `${m.prefix}${message}` }] });
  const { cooldown, stepInterval, maxStepPercent } = policy.safety;
  const delta = maxRowDelta(m.base, m.target, policy.regionIds);
  const step = delta > m.maxStep ? stepToward(m.base, m.target, m.maxStep, policy.regionIds) : m.target;
  if (openFreezeWindow(policy, now)) return hold('safety.freezeWindows', 'inside a freeze window: no elective shift');
  if (m.lastChangeAt !== null && now - m.lastChangeAt < cooldown)
    return hold(
      'safety.cooldown',
      `last ${m.change} ${Math.round((now - m.lastChangeAt) / 1000)}s ago; cooldown ${Math.round(cooldown / 1000)}s`,
    );
  if (m.lastElectiveAt !== null && now - m.lastElectiveAt < stepInterval)
    return hold(
      'safety.stepInterval',
      `last ${m.electiveStep} ${Math.round((now - m.lastElectiveAt) / 1000)}s ago; stepInterval ${Math.round(stepInterval / 1000)}s`,
    );
  // Capacity is judged on the whole shift, not only this step: half a shift that can never finish is worse than none.
  const short = m.shortfall(step);
  if (short.length) return hold('capacity', shortText(short));
  if (step !== m.target)
    return {
      next: step,
      held: false,
      refused: [
        {
          rule: 'safety.maxStepPercent',
          message: `${m.prefix}shift of ${delta} points limited to ${maxStepPercent} this step; the rest follows after stepInterval`,
        },
      ],
    };
  return { next: m.target, held: false, refused: [] };
}
