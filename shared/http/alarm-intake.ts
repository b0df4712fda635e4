import type { Signal } from '../core/types';
import type { RawAlarm } from '../signals/raw-alarm';
import { toSignals } from '../signals/detection';
import type { Runtime } from './runtime-types';

/** What a signal-receiving function answers: how many signals the alarms became, and which rules matched. */
export interface IntakeResult {
  accepted: true;
  alarms: number;
  signals: number;
  matched: string[];
  note?: string;
}

/**
 * Raw alarms → detection rules → engine. Alarms no rule turns into a signal are audited, not
 * refused: an unmatched alarm is a policy question for the operator, and refusing it would make
 * CMS retry a delivery that can never succeed.
 */
export async function ingestAlarms(runtime: Runtime, raws: RawAlarm[], actor: string): Promise<IntakeResult> {
  const signals: Signal[] = [];
  const matched = new Set<string>();
  const notes: string[] = [];
  for (const raw of raws) {
    const result = toSignals(raw, runtime.policy);
    result.matched.forEach((name) => matched.add(name));
    if (result.note) notes.push(result.note);
    if (result.signals.length === 0) {
      await runtime.engine.recordUnmatched(raw.source, `${raw.source} alarm ${raw.name} (${raw.state}) produced no signal`, { alarm: raw, note: result.note ?? null, matched: result.matched });
    }
    signals.push(...result.signals);
  }
  if (signals.length > 0) await runtime.engine.ingest(signals, actor);
  return { accepted: true, alarms: raws.length, signals: signals.length, matched: [...matched], ...(notes.length ? { note: notes.join('; ') } : {}) };
}
