/**
 * EventBridge event patterns, as the local FC host applies an EventBridge trigger's
 * `eventRuleFilterPattern` before it invokes the function (EventBridge documentation, "Event
 * patterns"): the keys of a pattern object must all match (AND); a nested object descends into
 * the event's field of that name; a leaf is an array of conditions of which any may match (OR);
 * when the event's value is an array, any element may match.
 *
 * Operators emulated: an exact value, `prefix`, `suffix`, `anything-but` (a value, a list of
 * values, or `{prefix}` / `{suffix}`) and `exists`. Any other operator (`numeric`, `cidr`, …) is
 * refused when the pattern is loaded, so the lab never silently matches differently from the cloud.
 */

export class EventPatternError extends Error {
  readonly code = 'EVENT_PATTERN_INVALID';
  constructor(readonly problems: string[]) {
    super(`invalid event pattern: ${problems.join('; ')}`);
    this.name = 'EventPatternError';
  }
}

type Scalar = string | number | boolean | null;

type Condition =
  | { op: 'equals'; value: Scalar }
  | { op: 'prefix'; value: string }
  | { op: 'suffix'; value: string }
  | { op: 'exists'; value: boolean }
  | { op: 'anything-but'; values: Scalar[] }
  | { op: 'anything-but-prefix'; value: string }
  | { op: 'anything-but-suffix'; value: string };

export interface EventPattern {
  fields: Record<string, EventPattern | Condition[]>;
}

const isScalar = (v: unknown): v is Scalar => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function condition(raw: unknown, at: string, problems: string[]): Condition | null {
  if (isScalar(raw)) return { op: 'equals', value: raw };
  if (!isPlainObject(raw) || Object.keys(raw).length !== 1) {
    problems.push(`${at}: a condition is a value or an object with one operator`);
    return null;
  }
  const [op, arg] = Object.entries(raw)[0] as [string, unknown];
  if ((op === 'prefix' || op === 'suffix') && typeof arg === 'string') return { op, value: arg };
  if (op === 'exists' && typeof arg === 'boolean') return { op, value: arg };
  if (op === 'anything-but') {
    if (isScalar(arg)) return { op, values: [arg] };
    if (Array.isArray(arg) && arg.length > 0 && arg.every(isScalar)) return { op, values: arg };
    if (isPlainObject(arg) && Object.keys(arg).length === 1) {
      if (typeof arg.prefix === 'string') return { op: 'anything-but-prefix', value: arg.prefix };
      if (typeof arg.suffix === 'string') return { op: 'anything-but-suffix', value: arg.suffix };
    }
    problems.push(`${at}.anything-but: must be a value, a non-empty list of values, {prefix} or {suffix}`);
    return null;
  }
  problems.push(`${at}.${op}: operator not emulated by the local host (prefix, suffix, anything-but, exists and exact values are)`);
  return null;
}

function compile(raw: Record<string, unknown>, path: string, problems: string[]): EventPattern {
  const fields: EventPattern['fields'] = {};
  if (Object.keys(raw).length === 0) problems.push(`${path || '(pattern)'}: empty object`);
  for (const [key, value] of Object.entries(raw)) {
    const at = path ? `${path}.${key}` : key;
    if (isPlainObject(value)) fields[key] = compile(value, at, problems);
    else if (Array.isArray(value) && value.length > 0) {
      fields[key] = value.map((c, i) => condition(c, `${at}[${i}]`, problems)).filter((c): c is Condition => c !== null);
    } else problems.push(`${at}: must be a non-empty array of conditions or a nested pattern object`);
  }
  return { fields };
}

/** Parses an `eventRuleFilterPattern` (a JSON object in a string); problems name the pattern path. */
export function parseEventPattern(text: string): EventPattern {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new EventPatternError([`not JSON (${(err as Error).message})`]);
  }
  if (!isPlainObject(raw)) throw new EventPatternError(['(pattern): must be a JSON object']);
  const problems: string[] = [];
  const pattern = compile(raw, '', problems);
  if (problems.length) throw new EventPatternError(problems);
  return pattern;
}

function matchesScalar(c: Condition, v: unknown): boolean {
  switch (c.op) {
    case 'equals':
      return v === c.value;
    case 'prefix':
      return typeof v === 'string' && v.startsWith(c.value);
    case 'suffix':
      return typeof v === 'string' && v.endsWith(c.value);
    case 'anything-but':
      return isScalar(v) && !c.values.includes(v);
    case 'anything-but-prefix':
      return typeof v === 'string' && !v.startsWith(c.value);
    case 'anything-but-suffix':
      return typeof v === 'string' && !v.endsWith(c.value);
    case 'exists':
      return c.value;
  }
}

function matchesLeaf(conditions: Condition[], present: boolean, value: unknown): boolean {
  return conditions.some((c) => {
    if (c.op === 'exists') return c.value === present;
    // Every other operator needs the field: a missing field matches no value, not even anything-but.
    if (!present) return false;
    return Array.isArray(value) ? value.some((v) => matchesScalar(c, v)) : matchesScalar(c, value);
  });
}

/** True when the event (a CloudEvent as EventBridge publishes it) matches the pattern. */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isPlainObject(event)) return false;
  return Object.entries(pattern.fields).every(([key, sub]) => {
    const present = Object.prototype.hasOwnProperty.call(event, key);
    const value = present ? event[key] : undefined;
    if (Array.isArray(sub)) return matchesLeaf(sub, present, value);
    return present && matchesEventPattern(sub, value);
  });
}
