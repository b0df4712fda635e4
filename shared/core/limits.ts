/**
 * Bounds on what the decision state holds, whatever the alarms say. The state is one row (one
 * Tablestore string column, documented limit 2 MB), read and written whole on every decision,
 * so its size is both a hard limit and the cost of every alarm.
 *
 *   state bytes ≈ regions × detection.maxSignalsPerRegion × ~0.9 KB (longest keys, names and
 *   services, each key also a cause) + small: measured 181 KB for 2 regions × 100 signals; the
 *   policy check caps regions × maxSignalsPerRegion at MAX_ACTIVE_SIGNALS (≈ 0.9 MB worst case)
 */

/** Active signals over all regions a policy may allow (regions × maxSignalsPerRegion). */
export const MAX_ACTIVE_SIGNALS = 1000;
/** A signal key longer than this is shortened to a prefix and a hash of the whole key. */
const SIGNAL_KEY_MAX = 160;
/** Free text a signal carries (alarm name, service): cut, since it only serves explain text. */
const SIGNAL_TEXT_MAX = 120;
/** Explain lines one decision keeps about individual signals; the rest are counted. */
export const SIGNAL_NOTES_MAX = 20;

/** FNV-1a, 32-bit, as 8 hex digits: a pure, stable digest (the core may not use node:crypto). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** `text` itself when short enough, else a prefix plus `~` and the hash of the whole (still unique per input, stable). */
export function boundedKey(text: string, max = SIGNAL_KEY_MAX): string {
  if (text.length <= max) return text;
  // Two hashes (of the text and of its reverse) make 64 bits: collisions among the few hundred active keys are negligible.
  const digest = fnv1a(text) + fnv1a([...text].reverse().join(''));
  return `${text.slice(0, max - digest.length - 1)}~${digest}`;
}

/** Free text cut to `max` characters, marked with an ellipsis when cut. */
export function boundedText(text: string, max = SIGNAL_TEXT_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Audit detail kept per event; larger details are stored as an excerpt (audit rows are read back in pages). */
const AUDIT_DETAIL_MAX = 16 * 1024;

/**
 * JSON of `value`, cut to `max` characters. Never throws: a value too deep for JSON.stringify
 * (a RangeError) or with a cycle is described instead, since this runs on bad input.
 */
export function jsonExcerpt(value: unknown, max = 200): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = '(not serializable: nested too deep or cyclic)';
  }
  return boundedText(text, max);
}

/** `detail` itself when its JSON fits `max` characters, else `{truncated, length, excerpt}`. */
export function boundedDetail(detail: unknown, max = AUDIT_DETAIL_MAX): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(detail);
  } catch {
    return { truncated: true, excerpt: jsonExcerpt(detail, 200) };
  }
  if (json === undefined || json.length <= max) return detail;
  // The excerpt is JSON text inside JSON: its quotes get escaped again, so cut until it fits.
  let excerpt = json.slice(0, max - 100);
  while (JSON.stringify(excerpt).length > max - 100) excerpt = excerpt.slice(0, Math.floor(excerpt.length * 0.75));
  return { truncated: true, length: json.length, excerpt };
}
