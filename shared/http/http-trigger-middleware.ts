import type { MiddlewareObj, Request } from '@middy/core';
import type { z } from 'zod';
import { ValidationError } from '../core/errors';
import { lazy } from '../core/lazy';
import { parseWith } from './envelope-decode';
import type { HttpLimits, HttpReply, HttpRequest } from './http-message';
import type { FcContext } from '../runtime/types';

type HttpMiddyRequest = Request<unknown, HttpReply | undefined, Error, FcContext>;

/**
 * The envelope's zod schema (and with it zod itself, most of what an entry would evaluate at
 * cold start) is loaded with the first request, not when FC requires the entry; in the bundle
 * it sits in the file loaded on first use.
 */
const loadHttpRequest = lazy(() => import('./http-trigger-parser'));

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
