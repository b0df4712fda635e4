import type { z } from 'zod';
import { ValidationError } from '../core/errors';
import { formatIssues } from '../core/issues';
import { decodeJsonPayload } from '../signals/raw-alarm';

/**
 * What every FC entry needs from an event, without zod: decoding and the shape test run before
 * anything is validated, and `parseWith` only calls the schema it is given. The zod shapes of the
 * envelopes are in envelope-schemas.ts, so an entry that does not validate events at cold start
 * (control: its HTTP envelope is checked on the first request) does not evaluate zod at `require`.
 */

/**
 * The event as FC passes it: a Buffer holding JSON. Local callers and tests may pass text or an
 * object already parsed. Anything that is not JSON is bad input, reported against `what`.
 */
export function decodeFcEvent(event: unknown, what = '(event)'): unknown {
  if (event === undefined || event === null) throw new ValidationError([`${what}: empty`]);
  return decodeJsonPayload(event, what);
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix: PropertyKey[] = []): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(formatIssues(result.error.issues, prefix));
  return result.data;
}

/** True when the decoded event is an HTTP trigger envelope rather than an EventBridge or timer delivery. */
export function isHttpEnvelope(decoded: unknown): boolean {
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) return false;
  const rc = (decoded as { requestContext?: { http?: unknown } }).requestContext;
  return (
    typeof (decoded as { rawPath?: unknown }).rawPath === 'string' && typeof rc === 'object' && rc !== null && typeof rc.http === 'object'
  );
}
