import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj, Request } from '@middy/core';
import { ValidationError } from '../core/errors';
import { ForbiddenError, ReplayError, UnauthorizedError } from './errors';
import type { HttpReply, HttpRequest } from './http-message';
import { runtimeOf } from './inject-runtime';
import type { FcContext } from '../runtime/types';

export const TIMESTAMP_HEADER = 'x-regionshift-timestamp';
export const SIGNATURE_HEADER = 'x-regionshift-signature';
export const REQUEST_ID_HEADER = 'x-regionshift-request-id';
/** A signed request is accepted this far either side of the server's clock. */
export const SIGNATURE_WINDOW_SECONDS = 300;
/** Request ids are remembered for the whole span in which their timestamp could still pass. */
export const REQUEST_ID_MEMORY_MS = 2 * SIGNATURE_WINDOW_SECONDS * 1000;
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Compares secrets in constant time. Both sides are hashed first so the buffers always have equal
 * length: comparing raw buffers of different lengths would throw, and an early length check leaks it.
 */
export function secretEquals(given: string, expected: string): boolean {
  if (expected === '') return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** A query as the signer or the verifier holds it: one value per key, or every value of a key given more than once. */
export type QueryValues = Record<string, string | readonly string[]>;

/** Every value of every key, in URL order: what `canonicalTarget` needs to see a repeated key. */
export function queryValuesOf(search: URLSearchParams): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of search) (out[k] ??= []).push(v);
  return out;
}

/**
 * Path plus the query sorted by key, so client and server agree whatever order the URL used.
 * The one canonicalisation both `signRequest` and `controlAuth` use. A key given more than once is
 * refused: which of its values counts is not something a signer and a verifier can be trusted to
 * agree on (a `URLSearchParams` read keeps the last, a first-value read the first), so the text
 * signed could differ from the request acted on. Throws a ValidationError naming the key (400).
 */
export function canonicalTarget(path: string, query: QueryValues = {}): string {
  const keys = Object.keys(query).sort();
  const repeated = keys.filter((k) => typeof query[k] !== 'string' && (query[k] as readonly string[]).length > 1);
  if (repeated.length)
    throw new ValidationError(repeated.map((k) => `query.${k}: given more than once (each query parameter may appear once)`));
  if (keys.length === 0) return path;
  const one = (v: string | readonly string[] | undefined) => (typeof v === 'string' ? v : (v?.[0] ?? ''));
  return `${path}?${keys.map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(one(query[k]))}`).join('&')}`;
}

/**
 * The signed text. The request id is signed too: if it were not, anyone who saw a request could
 * replay it under a fresh id within the window, and the replay check would stop nothing.
 */
export function stringToSign(p: { timestamp: number; method: string; target: string; requestId: string; body: string }): string {
  return `${p.timestamp}\n${p.method.toUpperCase()}\n${p.target}\n${p.requestId}\n${p.body}`;
}

export interface SignRequestInput {
  secret: string;
  method: string;
  /** The path as the function sees it (`/v1/overrides`), with the query string if any. */
  path: string;
  body?: string;
  /** Unix seconds; now when omitted. */
  timestamp?: number;
  /** Unique per request; a random UUID when omitted. */
  requestId?: string;
}

export interface SignedRequest {
  headers: Record<typeof TIMESTAMP_HEADER | typeof SIGNATURE_HEADER | typeof REQUEST_ID_HEADER, string>;
  stringToSign: string;
}

export function signRequest(input: SignRequestInput): SignedRequest {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  const requestId = input.requestId ?? randomUUID();
  const url = new URL(input.path, 'http://sign.invalid');
  // Throws on a repeated query key, as the verifier refuses one: better here than a 400 later.
  const target = canonicalTarget(url.pathname, queryValuesOf(url.searchParams));
  const text = stringToSign({ timestamp, method: input.method, target, requestId, body: input.body ?? '' });
  const signature = createHmac('sha256', input.secret).update(text, 'utf8').digest('hex');
  return {
    headers: { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signature, [REQUEST_ID_HEADER]: requestId },
    stringToSign: text,
  };
}

/**
 * The alarm callback's token: `?token=` when given and non-empty, else the last path segment
 * (`/cms/<token>`). A path segment is percent-decoded here, before the token is checked, so a
 * malformed escape (`/cms/%E0%A4%A`) must be refused as a bad credential (401), never thrown as
 * a URIError (500) by an unauthenticated caller.
 */
export function alarmTokenOf(req: HttpRequest): string {
  if (req.query.token !== undefined && req.query.token !== '') return req.query.token;
  const segments = req.path.split('/').filter((s) => s !== '');
  const last = segments[segments.length - 1] ?? '';
  try {
    return decodeURIComponent(last);
  } catch {
    throw new UnauthorizedError('token: the last path segment is not valid percent-encoding');
  }
}

/** Path segments that name a route, never a secret: the only ones a log line shows. */
const ALARM_PATH_WORDS = new Set(['alarm', 'alarms', 'cms', 'alertmanager', 'prometheus', 'webhook', 'callback', 'ack', 'events']);

/**
 * The alarm path fit for logs: every segment that is not a route word is masked, so a token is
 * never logged wherever the caller put it (`/cms/<token>`, `/<token>/cms`, `/cms/<token>?token=`),
 * right or wrong: a wrong token is often a near-miss of the right one. The query is never logged.
 */
export function redactAlarmPath(req: HttpRequest): string {
  return req.path
    .split('/')
    .map((segment) => (segment === '' || ALARM_PATH_WORDS.has(segment.toLowerCase()) ? segment : '{token}'))
    .join('/');
}

/** Typed on `unknown` like the FC event it stands in for: `fcHttpEvent` must have run before these. */
type HttpMiddyRequest = Request<unknown, HttpReply | undefined, Error, FcContext>;
type HttpMiddleware = MiddlewareObj<unknown, HttpReply | undefined, Error, FcContext>;

export function alarmTokenAuth(): HttpMiddleware {
  function alarmTokenAuthBefore(request: HttpMiddyRequest): void {
    const { secrets } = runtimeOf(request.context);
    const token = alarmTokenOf(request.event as HttpRequest);
    if (token === '') throw new UnauthorizedError('token: missing (put it in the callback URL as ?token=… or as the last path segment)');
    if (!secretEquals(token, secrets.alarmToken)) throw new UnauthorizedError('token: does not match');
  }
  return { before: alarmTokenAuthBefore };
}

/**
 * The header an EventBridge HTTP/HTTPS event target sends its configured Token in ("Route events
 * to HTTP endpoints": the Token is passed as an HTTP header with the key x-eventbridge-signature-token).
 */
export const EVENTBRIDGE_TOKEN_HEADER = 'x-eventbridge-signature-token';

/**
 * Events an EventBridge rule of another region pushes to a function's HTTP trigger (ACK events
 * from every cluster region): the intake token, in the target's Token header or, as in the CMS
 * callback URLs, in the target URL (`?token=` or the last path segment). A header given but wrong
 * is refused even when the URL holds the right one: two credentials that disagree are a mistake.
 */
export function eventTargetTokenAuth(): HttpMiddleware {
  function eventTargetTokenAuthBefore(request: HttpMiddyRequest): void {
    const { secrets } = runtimeOf(request.context);
    const req = request.event as HttpRequest;
    const header = req.headers[EVENTBRIDGE_TOKEN_HEADER];
    if (header !== undefined && header !== '') {
      if (!secretEquals(header, secrets.alarmToken)) throw new UnauthorizedError(`${EVENTBRIDGE_TOKEN_HEADER}: does not match`);
      return;
    }
    const token = alarmTokenOf(req);
    if (token === '')
      throw new UnauthorizedError(
        `token: missing (put it in the event target's URL as ?token=… or in its Token, sent as ${EVENTBRIDGE_TOKEN_HEADER})`,
      );
    if (!secretEquals(token, secrets.alarmToken)) throw new UnauthorizedError('token: does not match');
  }
  return { before: eventTargetTokenAuthBefore };
}

export interface ControlAuthOptions {
  /** Paths served without credentials (the dashboard page, which holds no data). */
  publicPaths?: string[];
}

const READ_METHODS = new Set(['GET', 'HEAD']);

function bearerOf(req: HttpRequest): string | null {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1]?.trim() ?? null;
}

/**
 * Control API authentication. Reads take the HMAC signature or the read token; writes only the
 * signature. The request id is remembered only once the signature holds, so an unsigned flood
 * cannot burn ids or fill the store.
 */
export function controlAuth(opts: ControlAuthOptions = {}): HttpMiddleware {
  const publicPaths = new Set(opts.publicPaths ?? []);

  async function controlAuthBefore(request: HttpMiddyRequest): Promise<void> {
    const req = request.event as HttpRequest;
    if (READ_METHODS.has(req.method) && publicPaths.has(req.path)) return;
    const { secrets, store, clock } = runtimeOf(request.context);
    const bearer = bearerOf(req);
    if (bearer !== null && req.headers[SIGNATURE_HEADER] === undefined) {
      if (!secrets.readToken || !secretEquals(bearer, secrets.readToken))
        throw new UnauthorizedError('authorization: bearer token does not match');
      if (!READ_METHODS.has(req.method))
        throw new ForbiddenError(`the read token cannot ${req.method}; sign the request (${SIGNATURE_HEADER})`);
      return;
    }
    const now = clock.now();
    const timestampText = req.headers[TIMESTAMP_HEADER];
    const signature = req.headers[SIGNATURE_HEADER];
    const requestId = req.headers[REQUEST_ID_HEADER];
    if (timestampText === undefined) throw new UnauthorizedError(`${TIMESTAMP_HEADER}: missing`);
    if (signature === undefined) throw new UnauthorizedError(`${SIGNATURE_HEADER}: missing`);
    if (requestId === undefined) throw new UnauthorizedError(`${REQUEST_ID_HEADER}: missing`);
    if (!/^\d{1,12}$/.test(timestampText)) throw new UnauthorizedError(`${TIMESTAMP_HEADER}: must be unix seconds`);
    if (!REQUEST_ID_RE.test(requestId))
      throw new UnauthorizedError(`${REQUEST_ID_HEADER}: must be 8-128 characters of A-Z a-z 0-9 . _ : -`);
    const timestamp = Number(timestampText);
    const skew = Math.abs(now / 1000 - timestamp);
    if (skew > SIGNATURE_WINDOW_SECONDS) {
      throw new UnauthorizedError(
        `${TIMESTAMP_HEADER}: ${Math.round(skew)} s away from the server clock (allowed ±${SIGNATURE_WINDOW_SECONDS} s)`,
      );
    }
    if (!/^[0-9a-fA-F]{64}$/.test(signature)) throw new UnauthorizedError(`${SIGNATURE_HEADER}: must be 64 hex digits (HMAC-SHA256)`);
    const text = stringToSign({
      timestamp,
      method: req.method,
      target: canonicalTarget(req.path, req.queryValues ?? req.query),
      requestId,
      body: req.rawBody,
    });
    const expected = createHmac('sha256', secrets.controlSecret).update(text, 'utf8').digest();
    if (secrets.controlSecret === '' || !timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      throw new UnauthorizedError(`${SIGNATURE_HEADER}: does not match`);
    }
    if (!(await store.rememberKey(`req:${requestId}`, now + REQUEST_ID_MEMORY_MS, now))) throw new ReplayError(requestId);
  }
  return { before: controlAuthBefore };
}
