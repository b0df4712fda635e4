import type { MiddlewareObj, Request } from '@middy/core';
import type { z } from 'zod';
import { ValidationError } from '../core/errors';
import { parseWith } from './fc-envelopes';
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

/**
 * Request bodies a function accepts by default; functions that take larger ones (alarm
 * webhooks) say so. Checked before anything parses the body.
 */
export const DEFAULT_BODY_LIMIT = 256 * 1024;

export interface HttpLimits {
  /** Largest request body in bytes (after base64 decoding); beyond it, 413. */
  maxBodyBytes?: number;
}

/**
 * The envelope's zod schema (and with it zod itself, most of what an entry would evaluate at
 * cold start) is loaded with the first request, not when FC requires the entry; in the bundle
 * it sits in the file loaded on first use.
 */
let httpRequestModule: Promise<typeof import('./fc-http-request')> | null = null;
const loadHttpRequest = () => (httpRequestModule ??= import('./fc-http-request'));

export function fcHttpEvent(limits: HttpLimits = {}): MiddlewareObj<unknown, HttpReply | undefined, Error, FcContext> {
  async function fcHttpEventBefore(request: HttpMiddyRequest): Promise<void> {
    request.event = (await loadHttpRequest()).toHttpRequest(request.event, limits);
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
