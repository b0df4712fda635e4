import type { z } from 'zod';
import type { MiddlewareObj, Request } from '@middy/core';
import { lazy } from '../core/lazy';
import type { FcContext } from '../runtime/types';

/**
 * The event-trigger middlewares. Zod-free at load: the envelope checks (event-trigger-parser.ts, with
 * the zod schemas of envelope-schemas.ts) are loaded on the first event, so an entry built on
 * these evaluates no zod at `require`; in the bundle they sit in the file loaded on first use.
 */

type FcEventRequest = Request<unknown, unknown, Error, FcContext>;

const loadParse = lazy(() => import('./event-trigger-parser'));

export function fcEventBridge(opts: { maxBytes?: number } = {}): MiddlewareObj<unknown, unknown, Error, FcContext> {
  async function fcEventBridgeBefore(request: FcEventRequest): Promise<void> {
    request.event = (await loadParse()).toEventBridgeDelivery(request.event, opts.maxBytes);
  }
  return { before: fcEventBridgeBefore };
}

export function fcTimer(): MiddlewareObj<unknown, unknown, Error, FcContext> {
  async function fcTimerBefore(request: FcEventRequest): Promise<void> {
    request.event = (await loadParse()).toTimerFiring(request.event);
  }
  return { before: fcTimerBefore };
}

/**
 * An async invocation's payload (a Buffer of JSON), validated against the function's schema.
 * The schema is given as a loader so the function's entry need not build it (nor evaluate zod)
 * at `require`: it is asked for on the first event.
 */
export function fcJsonEvent(loadSchema: () => Promise<z.ZodType>): MiddlewareObj<unknown, unknown, Error, FcContext> {
  async function fcJsonEventBefore(request: FcEventRequest): Promise<void> {
    const [parse, schema] = await Promise.all([loadParse(), loadSchema()]);
    request.event = parse.toJsonEvent(schema, request.event);
  }
  return { before: fcJsonEventBefore };
}
