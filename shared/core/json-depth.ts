import { ValidationError } from './errors';

/**
 * JSON nesting limits. No alarm or command the product reads nests deeper than a handful of
 * levels, but a few thousand levels make the recursive JSON.stringify (and zod, and anything
 * that walks the value) throw RangeError — a 500, or on EventBridge a rethrow that FC retries
 * forever. So nesting is bounded where input enters, before anything walks it.
 */
const MAX_JSON_DEPTH = 64;

/** The deepest nesting of `{`/`[` in JSON text, stopping as soon as it passes `max` (strings are skipped). */
export function jsonTextDepthExceeds(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}

/** Whether an already-parsed value nests objects/arrays deeper than `max` (iterative: safe on any depth). */
export function jsonValueDepthExceeds(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
    }
  }
  return false;
}

const tooDeep = (what: string, max: number) => new ValidationError([`${what}: JSON nested deeper than ${max} levels`]);

/** JSON.parse with the nesting bounded; bad JSON and deep JSON are both a ValidationError naming `what`. */
export function parseJsonLimited(text: string, what: string, max = MAX_JSON_DEPTH): unknown {
  if (jsonTextDepthExceeds(text, max)) throw tooDeep(what, max);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ValidationError([`${what}: not valid JSON (${(err as Error).message.slice(0, 200)})`]);
  }
}

/** Throws the same ValidationError for a value that arrived already parsed. */
export function assertJsonDepth(value: unknown, what: string, max = MAX_JSON_DEPTH): void {
  if (jsonValueDepthExceeds(value, max)) throw tooDeep(what, max);
}
