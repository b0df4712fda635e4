import type { z } from 'zod';
import { ValidationError } from '../core/errors';
import { assertJsonDepth, parseJsonLimited } from '../core/json-depth';
import { formatIssues } from '../core/issues';

/**
 * One alarm notification as every parser normalizes it, whatever system sent it. Detection
 * rules (`toSignals`) match on these fields only, so a rule reads the same for CMS, Alertmanager
 * and ACK events.
 */
export interface RawAlarm {
  source: 'cms' | 'alertmanager' | 'ack' | 'lab';
  /** CMS alertName, Alertmanager alertname, or the ACK condition's firing reason. */
  name: string;
  state: 'firing' | 'resolved' | 'insufficient';
  /** Trigger level as the sender spells it: CRITICAL/WARN/INFO, a severity label, Warning/Normal. */
  level?: string;
  metric?: string;
  dimensions: Record<string, string>;
  labels: Record<string, string>;
  /** A region the payload itself names (ACK event subject, Alertmanager `region` label); CMS payloads have none. */
  regionId?: string;
  /** The region the callback URL names (`?region=`), checked against the policy on receipt. */
  urlRegion?: string;
  /**
   * How a CMS alarm arrived when not as a callback: `eventbridge` for a CloudMonitor alert event,
   * whose payload shape is unverified (detection caps its severity, `detection.cmsEventBridge`).
   */
  via?: 'eventbridge';
  clusterId?: string;
  /** Stable identity of the alarm instance: the same for its firing and its resolve. */
  instance: string;
  /** Epoch milliseconds. */
  at: number;
  message?: string;
  /**
   * How often the reported condition happened: a Kubernetes Event's `count` between its first
   * and last time (epoch ms). Detection rules with a `window` count on it.
   */
  occurrences?: { count: number; first: number; last: number };
  /** CMS `curValue`: the value the rule's expression was evaluated on, as sent (text). */
  curValue?: string;
  /** Alertmanager annotations (documented in the webhook payload); empty for other sources. */
  annotations?: Record<string, string>;
}

/** A zod error option: `required` when the field is absent, `what` when present but of the wrong type. */
export function fieldError(what: string) {
  return { error: (iss: { input?: unknown }) => (iss.input === undefined ? 'required' : what) };
}

/** Zod problems as `path: message`, under a prefix such as `[1].data` for one event of a batch. */
export function validationErrorFrom(error: z.ZodError, prefix: PropertyKey[] = []): ValidationError {
  return new ValidationError(formatIssues(error.issues, prefix));
}

/**
 * A JSON payload as a trigger may hand it over: already parsed, or as text/bytes (FC passes
 * the event as a Buffer). Text that is not JSON, or nests deeper than MAX_JSON_DEPTH, is bad
 * input, never a crash.
 */
export function decodeJsonPayload(input: unknown, what = '(body)'): unknown {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (input instanceof Uint8Array) text = Buffer.from(input).toString('utf8');
  else {
    // Already parsed (a local caller): bound its nesting all the same, before any parser walks it.
    assertJsonDepth(input, what);
    return input;
  }
  if (text.trim() === '') throw new ValidationError([`${what}: empty`]);
  return parseJsonLimited(text, what);
}

/** `k=v` pairs sorted by key: an identity that does not depend on the order the sender used. */
export function canonicalPairs(map: Record<string, string>): string {
  return Object.keys(map)
    .sort()
    .map((k) => `${k}=${map[k]}`)
    .join(',');
}
