import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { jsonTextDepthExceeds, jsonValueDepthExceeds } from '../core/json-depth';
import { jsonExcerpt } from '../core/limits';
import { setOwn } from '../core/own';
import { formatPath } from '../core/issues';
import { canonicalPairs, fieldError, validationErrorFrom, type RawAlarm } from './raw-alarm';

/**
 * The fields of a CMS threshold alarm, shared by the HTTP callback (form-urlencoded strings)
 * and the EventBridge event (the same fields, possibly as JSON numbers and objects).
 */

/**
 * Every field CloudMonitor documents for a threshold-alarm callback ("Use the alert callback
 * feature", en and zh). Nothing else is read: fields seen only in other channels (regionId,
 * regionName, lastTime, rawMetricName, productGroupName, groupId, transId, unit) are ignored, so no
 * decision can rest on something the callback does not promise. There is no region among them.
 */
export const CMS_CALLBACK_FIELDS = [
  'alertName',
  'alertState',
  'curValue',
  'dimensions',
  'expression',
  'instanceName',
  'metricName',
  'metricProject',
  'namespace',
  'preTriggerLevel',
  'ruleId',
  'signature',
  'timestamp',
  'triggerLevel',
  'userId',
] as const;

const scalarText = z.union([z.string(), z.number(), z.boolean()], fieldError('must be text')).transform((v) => String(v).trim());
const optionalText = scalarText.optional().transform((v) => (v === '' ? undefined : v));

const STATES: Record<string, RawAlarm['state']> = {
  ALERT: 'firing',
  // Older CMS documentation spells the firing state ALARM.
  ALARM: 'firing',
  OK: 'resolved',
  INSUFFICIENT_DATA: 'insufficient',
};

/** Below 1e11 a value can only be seconds (1e11 ms is 1973); 1e14 ms is year 5138, so larger is not an epoch. */
const SECONDS_BELOW = 1e11;
const EPOCH_MS_BELOW = 1e14;

/** Epoch seconds or milliseconds (told apart by magnitude), or an ISO 8601 time; null when it is none of these. */
export function epochMs(value: string | number): number | null {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (/^\d+(\.\d+)?$/.test(value.trim())) n = Number(value.trim());
  else if (/^\d{4}-\d{2}-\d{2}T/.test(value.trim())) n = Date.parse(value.trim());
  else return null;
  if (!Number.isFinite(n) || n <= 0 || n >= EPOCH_MS_BELOW) return null;
  return Math.round(n < SECONDS_BELOW ? n * 1000 : n);
}

/**
 * `{userId=12, instanceId=i-1, region=cn-shenzhen}` as CMS writes dimensions (Java's
 * Map.toString). A value may itself hold a comma, so a pair only ends at a comma that starts
 * another `key=`.
 */
export function parseJavaMap(text: string): Record<string, string> | null {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return null;
  const inner = t.slice(1, -1).trim();
  if (inner === '') return {};
  const out: Record<string, string> = {};
  for (const pair of inner.split(/,\s*(?=[^,=\s][^,=]*=)/)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return null;
    setOwn(out, pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return out;
}

function stringMap(obj: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || v === undefined) continue;
    setOwn(out, k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return out;
}

/** Dimensions are a flat map; a little nesting is kept as JSON text, deeper is refused (it only ever comes from bad input). */
const DIMENSIONS_DEPTH = 8;

/** Dimensions in every form seen: Java-map text, JSON object text, a JSON array of objects (old docs), or already objects. */
export function parseDimensions(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return {};
  if (jsonValueDepthExceeds(value, DIMENSIONS_DEPTH)) return null;
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) return null;
    return Object.assign({}, ...value.map((v) => stringMap(v as Record<string, unknown>)));
  }
  if (typeof value === 'object') return stringMap(value as Record<string, unknown>);
  if (typeof value !== 'string') return null;
  const t = value.trim();
  if (t === '') return {};
  if (t.startsWith('[') || t.startsWith('{')) {
    if (jsonTextDepthExceeds(t, DIMENSIONS_DEPTH)) return null;
    try {
      const parsed: unknown = JSON.parse(t);
      if (typeof parsed === 'object' && parsed !== null) return parseDimensions(parsed);
    } catch {
      // Not JSON: the Java-map form below.
    }
  }
  return parseJavaMap(t);
}

const cmsFieldsSchema = z.object(
  {
    alertName: scalarText.pipe(z.string().min(1, 'required')),
    alertState: scalarText.transform((v, ctx) => {
      const state = STATES[v.toUpperCase()];
      if (!state) {
        ctx.addIssue({ code: 'custom', message: `must be ALERT, OK or INSUFFICIENT_DATA (got ${JSON.stringify(v)})` });
        return z.NEVER;
      }
      return state;
    }),
    timestamp: z
      .union([z.string(), z.number()], fieldError('must be epoch seconds or milliseconds'))
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === '') return undefined;
        const ms = epochMs(v);
        if (ms === null) {
          ctx.addIssue({ code: 'custom', message: `must be epoch seconds or milliseconds (got ${JSON.stringify(v)})` });
          return z.NEVER;
        }
        return ms;
      }),
    dimensions: z
      .unknown()
      .optional()
      .transform((v, ctx) => {
        const dims = parseDimensions(v);
        if (dims === null) {
          ctx.addIssue({
            code: 'custom',
            message: `must be a map like {userId=1, instanceId=i-1} or a JSON object (got ${jsonExcerpt(v, 120)})`,
          });
          return z.NEVER;
        }
        return dims;
      }),
    triggerLevel: optionalText,
    preTriggerLevel: optionalText,
    metricName: optionalText,
    metricProject: optionalText,
    ruleId: optionalText,
    instanceName: optionalText,
    curValue: optionalText,
    expression: optionalText,
  },
  fieldError('must be an object with the CMS alarm fields'),
);

/** The level the alarm is at; an OK notification may carry `OK` itself, then the level it left is the useful one. */
function levelOf(trigger?: string, previous?: string): string | undefined {
  const usable = (l?: string) => (l && l.toUpperCase() !== 'OK' ? l : undefined);
  return usable(trigger) ?? usable(previous);
}

const DESCRIPTIVE_LABELS = ['metricProject', 'ruleId', 'instanceName'] as const;

/**
 * One CMS alarm from its fields. `fallbackAt` stands in for a missing `timestamp` (an event
 * envelope's time); without either, the timestamp is required. The alarm carries no region:
 * detection rules place it by the callback URL, the rule, or an instance map.
 */
export function cmsRawAlarm(fields: unknown, prefix: PropertyKey[] = [], fallbackAt?: number): RawAlarm {
  const parsed = cmsFieldsSchema.safeParse(fields);
  if (!parsed.success) throw validationErrorFrom(parsed.error, prefix);
  const f = parsed.data;
  const at = f.timestamp ?? fallbackAt;
  if (at === undefined) throw new ValidationError([`${formatPath([...prefix, 'timestamp'])}: required`]);

  const dimensions = f.dimensions;
  const labels: Record<string, string> = {};
  for (const k of DESCRIPTIVE_LABELS) if (f[k] !== undefined) labels[k] = f[k];
  const level = levelOf(f.triggerLevel, f.preTriggerLevel);
  const message = describe(f.expression, f.curValue);

  return {
    source: 'cms',
    name: f.alertName,
    state: f.alertState,
    ...(level !== undefined && { level }),
    ...(f.metricName !== undefined && { metric: f.metricName }),
    dimensions,
    labels,
    // The rule plus the monitored object: the ALERT and the OK of one alarm share both.
    instance: `${f.ruleId ?? f.alertName}|${canonicalPairs(dimensions)}`,
    at,
    ...(message !== undefined && { message }),
    ...(f.curValue !== undefined && { curValue: f.curValue }),
  };
}

function describe(expression?: string, curValue?: string): string | undefined {
  const parts: string[] = [];
  if (expression !== undefined) parts.push(expression);
  if (curValue !== undefined) parts.push(`current value ${curValue}`);
  return parts.length ? parts.join('; ') : undefined;
}
