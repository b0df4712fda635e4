import type { MiddlewareObj, Request } from '@middy/core';
import { InvariantError, StateConflictError, ValidationError } from '../core/errors';
import { boundedText } from '../core/limits';
import { HttpError, PayloadTooLargeError } from './errors';
import { jsonReply, type HttpReply } from './http-message';
import type { FcContext } from '../runtime/types';

/** An error answer names at most this many problems, each cut to PROBLEM_MAX characters: bad input is echoed as an excerpt, never whole. */
export const PROBLEMS_MAX = 20;
export const PROBLEM_MAX = 300;
const MESSAGE_MAX = 2000;

export function boundedProblems(all: string[]): { problems: string[] } {
  const problems = all.slice(0, PROBLEMS_MAX).map((p) => boundedText(p, PROBLEM_MAX));
  if (all.length > PROBLEMS_MAX) problems.push(`… and ${all.length - PROBLEMS_MAX} more problems`);
  return { problems };
}

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
    const { problems } = boundedProblems(error.problems);
    return jsonReply(400, {
      error: { code: error.code, message: boundedText(problems.join('; '), MESSAGE_MAX), problems, ...id },
    } satisfies ErrorBody);
  }
  if (error instanceof HttpError) {
    return jsonReply(error.status, { error: { code: error.code, message: error.message, ...id } } satisfies ErrorBody, error.headers);
  }
  if (error instanceof StateConflictError) {
    // The engine already re-read and re-decided a few times; the storm will pass, so say when to retry.
    return jsonReply(
      503,
      {
        error: { code: 'STATE.BUSY', message: 'the mesh state kept changing under concurrent updates; retry shortly', ...id },
      } satisfies ErrorBody,
      { 'retry-after': '1' },
    );
  }
  if (error instanceof InvariantError) {
    // Our inconsistency, not the caller's input: a 5xx the sender may retry (the next decision or a fix may mend it).
    return jsonReply(500, {
      error: { code: error.code, message: 'internal error: an invariant of the decision failed; retry, and report it if it lasts', ...id },
    } satisfies ErrorBody);
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
    if (request.response !== undefined) return;
    const e = request.error;
    // Too large is as final as malformed: a retry delivers the same bytes.
    if (e instanceof PayloadTooLargeError) {
      request.response = { accepted: false, error: { code: e.code, message: e.message, problems: [e.message] } } satisfies RejectedDelivery;
      return;
    }
    if (!(e instanceof ValidationError)) return;
    const { problems } = boundedProblems(e.problems);
    request.response = {
      accepted: false,
      error: { code: e.code, message: boundedText(problems.join('; '), MESSAGE_MAX), problems },
    } satisfies RejectedDelivery;
  }
  return { onError: eventErrorsOnError };
}
