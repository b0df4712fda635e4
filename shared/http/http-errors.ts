import type { MiddlewareObj, Request } from '@middy/core';
import { StateConflictError, ValidationError } from '../core/errors';
import { HttpError } from './errors';
import { jsonReply, type HttpReply } from './fc-http-event';
import type { FcContext } from './runtime-types';

export interface ErrorBody {
  error: { code: string; message: string; problems?: string[]; requestId?: string };
}

/**
 * The reply for an error. Only 4xx messages are ours to show; a 5xx gets a generic sentence and the
 * request id to find the log line, never the message or the stack (they may name internals).
 */
export function errorReply(error: unknown, requestId: string | undefined): HttpReply {
  const id = requestId ? { requestId } : {};
  if (error instanceof ValidationError) {
    return jsonReply(400, { error: { code: error.code, message: error.message, problems: error.problems, ...id } } satisfies ErrorBody);
  }
  if (error instanceof HttpError) {
    return jsonReply(error.status, { error: { code: error.code, message: error.message, ...id } } satisfies ErrorBody, error.headers);
  }
  if (error instanceof StateConflictError) {
    // The engine already re-read and re-decided a few times; the storm will pass, so say when to retry.
    return jsonReply(503, { error: { code: 'STATE.BUSY', message: 'the mesh state kept changing under concurrent updates; retry shortly', ...id } } satisfies ErrorBody, { 'retry-after': '1' });
  }
  return jsonReply(500, { error: { code: 'INTERNAL', message: 'internal error', ...id } } satisfies ErrorBody);
}

/** HTTP functions turn every error into a reply; FC would otherwise answer 502 with the stack. */
export function httpErrors(): MiddlewareObj<unknown, HttpReply | undefined, Error, FcContext> {
  function httpErrorsOnError(request: Request<unknown, HttpReply | undefined, Error, FcContext>): void {
    if (request.response !== undefined) return;
    request.response = errorReply(request.error, request.context.requestId);
  }
  return { onError: httpErrorsOnError };
}

export interface RejectedDelivery {
  accepted: false;
  error: { code: string; message: string; problems: string[] };
}

/**
 * Event-driven functions: a malformed delivery is answered (not thrown), because FC and
 * EventBridge would retry it forever and it can never succeed. Every other error is left to
 * propagate so FC retries it.
 */
export function eventErrors(): MiddlewareObj<unknown, unknown, Error, FcContext> {
  function eventErrorsOnError(request: Request<unknown, unknown, Error, FcContext>): void {
    if (request.response !== undefined || !(request.error instanceof ValidationError)) return;
    const e = request.error;
    request.response = { accepted: false, error: { code: e.code, message: e.message, problems: e.problems } } satisfies RejectedDelivery;
  }
  return { onError: eventErrorsOnError };
}
