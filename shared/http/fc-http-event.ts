import type { MiddlewareObj, Request } from '@middy/core';
import type { z } from 'zod';
import { ValidationError } from '../core/errors';
import { parseJsonLimited } from '../core/json-depth';
import { PayloadTooLargeError } from './errors';
import { decodeFcEvent, fcHttpEnvelopeSchema, parseWith } from './fc-envelopes';
import type { FcContext } from './runtime-types';

/** An HTTP trigger request as the handlers see it: header names lowercased, body decoded. */
export interface HttpRequest {
  method: string;
  path: string;
  /** One value per key: the first, when the trigger gave a key several (see `queryValues`). */
  query: Record<string, string>;
  /**
   * Every value of every query key as the trigger gave them. FC 3.0 joins a repeated key into one
   * string ("a,b"); an envelope may also carry an array, which the signature check refuses.
   */
  queryValues?: Record<string, string[]>;
  headers: Record<string, string>;
  /** The body as text; base64-decoded when FC flagged it. */
  rawBody: string;
  /**
   * The parsed body when its content type says JSON. A body without a content type is never read
   * as JSON: guessing from the text would let a caller skip the declared contract, and the same
   * bytes would mean different things to different handlers.
   */
  json?: unknown;
  /**
   * Why a JSON-typed body did not parse. Not thrown here: authentication runs after this
   * middleware, and an unauthenticated caller must get 401, not a critique of its body.
   */
  bodyProblem?: string;
  sourceIp?: string;
}

/** What an HTTP-triggered FC 3.0 function returns. */
export interface HttpReply {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

export type HttpMiddyRequest = Request<unknown, HttpReply | undefined, Error, FcContext>;

export function jsonReply(statusCode: number, value: unknown, headers: Record<string, string> = {}): HttpReply {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value), isBase64Encoded: false };
}

export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mime === 'application/json' || mime.endsWith('+json');
}

function firstValue(v: string | string[]): string {
  return Array.isArray(v) ? (v[0] ?? '') : v;
}

function parseJsonBody(rawBody: string, contentType: string | undefined): { json?: unknown; bodyProblem?: string } {
  if (!isJsonContentType(contentType) || rawBody.trim() === '') return {};
  try {
    return { json: parseJsonLimited(rawBody, 'body') };
  } catch (err) {
    return { bodyProblem: (err as ValidationError).problems?.[0] ?? 'body: not valid JSON' };
  }
}

/**
 * Request bodies a function accepts by default; functions that take larger ones (alarm
 * webhooks) say so. Checked before anything parses the body.
 */
export const DEFAULT_BODY_LIMIT = 256 * 1024;

export interface HttpLimits {
  /** Largest request body in bytes (after base64 decoding); beyond it, 413. */
  maxBodyBytes?: number;
}

const kib = (n: number) => (n >= 1024 * 1024 ? `${Math.round((n / 1024 / 1024) * 10) / 10} MiB` : `${Math.round(n / 1024)} KiB`);

function eventBytes(event: unknown): number | null {
  if (typeof event === 'string') return Buffer.byteLength(event);
  if (event instanceof Uint8Array) return event.byteLength;
  return null;
}

/** Turns the FC 3.0 HTTP trigger envelope (a Buffer of JSON) into an `HttpRequest` on `request.event`. */
export function toHttpRequest(event: unknown, limits: HttpLimits = {}): HttpRequest {
  const max = limits.maxBodyBytes ?? DEFAULT_BODY_LIMIT;
  // The envelope holds the body, maybe base64 (4/3 larger), plus headers: refuse a far larger one before parsing it.
  const envelopeBytes = eventBytes(event);
  if (envelopeBytes !== null && envelopeBytes > Math.ceil(max * 4 / 3) + 64 * 1024) {
    throw new PayloadTooLargeError(`request body too large: at most ${kib(max)} (${max} bytes) for this function`);
  }
  const envelope = parseWith(fcHttpEnvelopeSchema, decodeFcEvent(event), ['(event)']);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(envelope.headers)) {
    const joined = Array.isArray(value) ? value.join(', ') : value;
    headers[name.toLowerCase()] = joined;
  }
  const query: Record<string, string> = {};
  const queryValues: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(envelope.queryParameters ?? {})) {
    query[name] = firstValue(value);
    queryValues[name] = Array.isArray(value) ? value : [value];
  }
  const body = envelope.body ?? '';
  const rawBody = envelope.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  const bodyBytes = Buffer.byteLength(rawBody);
  if (bodyBytes > max) throw new PayloadTooLargeError(`request body of ${bodyBytes} bytes too large: at most ${kib(max)} (${max} bytes) for this function`);
  const request: HttpRequest = {
    method: envelope.requestContext.http.method.toUpperCase(),
    path: envelope.rawPath,
    query,
    queryValues,
    headers,
    rawBody,
    sourceIp: envelope.requestContext.http.sourceIp,
  };
  return { ...request, ...parseJsonBody(rawBody, headers['content-type']) };
}

export function fcHttpEvent(limits: HttpLimits = {}): MiddlewareObj<unknown, HttpReply | undefined, Error, FcContext> {
  function fcHttpEventBefore(request: HttpMiddyRequest): void {
    request.event = toHttpRequest(request.event, limits);
  }
  function fcHttpEventAfter(request: HttpMiddyRequest): void {
    const reply = request.response;
    if (!reply) return;
    request.response = { ...reply, headers: reply.headers ?? {}, isBase64Encoded: reply.isBase64Encoded ?? false };
  }
  return { before: fcHttpEventBefore, after: fcHttpEventAfter };
}

/** The request's JSON body through a schema; problems name `body.<field>` (400). `optional`: an empty body is `{}`. */
export function jsonBodyOf<S extends z.ZodType>(schema: S, req: HttpRequest, optional = false): z.output<S> {
  if (req.bodyProblem) throw new ValidationError([req.bodyProblem]);
  if (req.json === undefined) {
    if (req.rawBody.trim() === '' && optional) return parseWith(schema, {}, ['body']);
    if (req.rawBody.trim() === '') throw new ValidationError(['body: required (a JSON object)']);
    const given = req.headers['content-type']?.trim();
    throw new ValidationError([`header content-type: must be application/json for a JSON body, got ${given ? given : 'none'}`]);
  }
  return parseWith(schema, req.json, ['body']);
}
