import { boundedText } from '../core/limits';
import type { Signal } from '../core/types';
import type { RawAlarm } from '../signals/raw-alarm';
import { toSignals } from '../signals/detection';
import { PayloadTooLargeError } from './errors';
import type { Runtime } from '../runtime/types';

/**
 * Alarms one delivery may carry (an Alertmanager group, an EventBridge batch). Well above what
 * a sender batches in practice; beyond it the delivery is refused whole (413) rather than
 * half-applied, so the sender's retry or split is the only outcome.
 */
export const MAX_ALARMS_PER_DELIVERY = 5000;
/** Unmatched alarms audited one by one per delivery; the rest share one line. */
const UNMATCHED_AUDITED = 10;
/** Notes and ignored-signal messages echoed in the answer. */
const NOTES_ECHOED = 10;

/** What a signal-receiving function answers: how many signals the alarms became, and which rules matched. */
export interface IntakeResult {
  accepted: true;
  alarms: number;
  signals: number;
  matched: string[];
  note?: string;
  /** Signals not acted on because of their time: stale, ahead of the clock, or a resolve older than its firing. */
  ignored?: number;
  ignoredWhy?: string[];
  /** The decision committed but its bookkeeping lagged (audit lines queued): still a success, said so. */
  warning?: string;
}

function firstOf(lines: string[], max: number): string[] {
  return lines.length > max ? [...lines.slice(0, max), `… and ${lines.length - max} more`] : lines;
}

/**
 * Raw alarms → detection rules → engine, all signals of the delivery in one decision. Alarms no
 * rule turns into a signal are audited, not refused: an unmatched alarm is a policy question
 * for the operator, and refusing it would make CMS retry a delivery that can never succeed.
 * Stale alarms are answered the same way (accepted, counted in `ignored`): a retry would not
 * make them any fresher.
 */
export async function ingestAlarms(runtime: Runtime, raws: RawAlarm[], actor: string): Promise<IntakeResult> {
  if (raws.length > MAX_ALARMS_PER_DELIVERY) {
    throw new PayloadTooLargeError(
      `the delivery holds ${raws.length} alarms; at most ${MAX_ALARMS_PER_DELIVERY} per request (split it: Alertmanager max_alerts, EventBridge batch size)`,
    );
  }
  const signals: Signal[] = [];
  const matched = new Set<string>();
  const notes: string[] = [];
  const unmatched: RawAlarm[] = [];
  for (const raw of raws) {
    const result = toSignals(raw, runtime.policy);
    result.matched.forEach((name) => matched.add(name));
    if (result.note) notes.push(result.note);
    if (result.signals.length === 0) {
      if (unmatched.length < UNMATCHED_AUDITED) {
        await runtime.engine.recordUnmatched(raw.source, `${raw.source} alarm ${boundedText(raw.name)} (${raw.state}) produced no signal`, {
          alarm: raw,
          note: result.note ?? null,
          matched: result.matched,
        });
      }
      unmatched.push(raw);
    }
    signals.push(...result.signals);
  }
  if (unmatched.length > UNMATCHED_AUDITED) {
    const rest = unmatched.slice(UNMATCHED_AUDITED);
    await runtime.engine.recordUnmatched(actor, `${rest.length} more alarms of this delivery produced no signal`, {
      names: [...new Set(rest.map((r) => boundedText(r.name)))].slice(0, 50),
    });
  }
  const [outcome] = signals.length > 0 ? await runtime.engine.ingest(signals, actor, { answerFirst: true }) : [];
  const ignored = outcome?.ignored ?? [];
  return {
    accepted: true,
    alarms: raws.length,
    signals: signals.length,
    matched: [...matched],
    ...(notes.length ? { note: boundedText(firstOf([...new Set(notes)], NOTES_ECHOED).join('; '), 4000) } : {}),
    ...(ignored.length
      ? {
          ignored: ignored.length,
          ignoredWhy: firstOf(
            ignored.map((i) => i.message),
            NOTES_ECHOED,
          ),
        }
      : {}),
    ...(outcome?.warning ? { warning: outcome.warning } : {}),
  };
}
