import { boundedText } from './limits';
import type { Plan, TrafficMatrix } from './types';

/**
 * What a notification says about the plan it comes from: the decision in one line and the
 * matrix it leaves in force. Pure, so the executor and tests format it the same way.
 */

/** Longest one-line explanation a notification carries (DingTalk's markdown body is small). */
export const NOTICE_EXPLANATION_MAX = 600;

/** The trigger and the reasons of a plan, on one line: `alarm cms-5xx: cn-hangzhou HEALTHY → DOWN (...); layer normal`. */
export function planOneLine(plan: Pick<Plan, 'trigger' | 'reasons' | 'refused'>): string {
  const parts = [...plan.reasons, ...plan.refused.map((r) => `refused ${r.rule}: ${r.message}`)];
  const line = parts.length ? `${plan.trigger}: ${parts.join('; ')}` : plan.trigger;
  return boundedText(line.replace(/\s+/g, ' ').trim(), NOTICE_EXPLANATION_MAX);
}

/** The matrix a plan leaves in force, and whether the plan changes it. */
export function planMatrix(plan: Pick<Plan, 'before' | 'after'>): { matrix: TrafficMatrix; changed: boolean } | null {
  if (plan.after) return { matrix: plan.after.matrix, changed: true };
  if (plan.before) return { matrix: plan.before.matrix, changed: false };
  return null;
}

/** One line per source region: `cn-hangzhou → cn-hangzhou 90%, cn-shanghai 10%` (sources and destinations in name order). */
export function matrixLines(m: TrafficMatrix): string[] {
  return Object.keys(m)
    .sort()
    .map((src) => {
      const row = m[src] ?? {};
      const cells = Object.keys(row)
        .sort()
        .map((dst) => `${dst} ${row[dst]}%`);
      return `${src} → ${cells.length ? cells.join(', ') : 'nowhere'}`;
    });
}
