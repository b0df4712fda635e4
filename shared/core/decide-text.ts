import type { HealthTransition } from './health';
import type { Plan, Signal, TrafficMatrix } from './types';

/** How a decision writes times, matrices, health transitions and triggers into its reasons and explain lines. */

export const iso = (t: number) => new Date(t).toISOString();

export function matrixText(m: TrafficMatrix): string {
  return Object.entries(m)
    .map(
      ([src, row]) =>
        `${src}→{${Object.entries(row)
          .map(([d, w]) => `${d}:${w}`)
          .join(', ')}}`,
    )
    .join(' ');
}

/** A cause as explain shows it: the signal key, with its source and detection rule while it is known. */
function causeText(key: string, signals: ReadonlyMap<string, Signal>): string {
  const s = signals.get(key);
  return s ? `${key} (${s.source}${s.rule ? `, rule ${s.rule}` : ''})` : key;
}

const CAUSES_NAMED = 10;

export function transitionText(t: HealthTransition, signals: ReadonlyMap<string, Signal>): string {
  const step = t.to === 'RECOVERING' && t.step !== undefined ? `(step ${t.step + 1})` : '';
  // A region may hold hundreds of causes; the text (and the notification) names the first few.
  const named = t.causes.slice(0, CAUSES_NAMED).map((k) => causeText(k, signals));
  if (t.causes.length > CAUSES_NAMED) named.push(`+${t.causes.length - CAUSES_NAMED} more`);
  return `${t.region} ${t.from} → ${t.to}${step}: ${t.why}${t.causes.length ? ` [${named.join(', ')}]` : ''}`;
}

export function batchTrigger(signals: Signal[]): string {
  if (signals.length === 1) return `signal ${signals[0]?.key} ${signals[0]?.status}`;
  const firing = signals.filter((s) => s.status === 'firing').length;
  const sources = [...new Set(signals.map((s) => s.source))].sort().join(', ');
  return `${signals.length} signals (${firing} firing, ${signals.length - firing} resolved) from ${sources || 'nowhere'}`;
}

export function explainPlan(plan: Plan): string[] {
  const lines = [`${iso(plan.at)} ${plan.trigger}`, ...plan.reasons.map((r) => `  ${r}`)];
  for (const r of plan.refused) lines.push(`  refused ${r.rule}: ${r.message}`);
  for (const s of plan.steps) {
    if (s.kind === 'mesh') {
      lines.push(`  mesh → ${s.config.mode}: ${matrixText(s.matrix)}`);
      for (const [host, r] of Object.entries(s.scopes ?? {})) lines.push(`  mesh ${host} → ${r.config.mode}: ${matrixText(r.matrix)}`);
    } else if (s.kind === 'scale')
      lines.push(
        `  scale ${s.cluster}/${s.namespace}/${s.deployment} ${s.from} → ${s.to}${s.waitReady ? ' (wait ready)' : ''}${s.notBefore !== undefined ? ` not before ${iso(s.notBefore)}` : ''}`,
      );
    else lines.push(`  notify ${s.level}: ${s.message}`);
  }
  if (plan.steps.length === 0 && plan.refused.length === 0) lines.push('  no change');
  return lines;
}
