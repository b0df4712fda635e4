import type { z } from 'zod';
import type { MiddlewareObj, Request } from '@middy/core';
import type { FcContext } from './runtime-types';

/**
 * The event-trigger middlewares. Zod-free at load: the envelope checks (fc-event-parse.ts, with
 * the zod schemas of fc-envelope-schemas.ts) are loaded on the first event, so an entry built on
 * these evaluates no zod at `require`; in the bundle they sit in the file loaded on first use.
 */

/**
 * An EventBridge delivery: one CloudEvent or a batch. With the `RawData` event schema only each
 * event's `data` arrives, so `cloudEvents` is false and `ids` is empty; the signal parsers read
 * `payload` as delivered either way.
 */
export interface EventBridgeDelivery {
  payload: unknown;
  count: number;
  cloudEvents: boolean;
  ids: string[];
}

/** EventBridge deliveries (one event or a batch) a function accepts by default, in bytes. */
export const DEFAULT_DELIVERY_LIMIT = 1024 * 1024;

/** A timer trigger firing; `at` is `triggerTime` in epoch milliseconds. */
export interface TimerFiring {
  triggerName: string;
  triggerTime: string;
  at: number;
  payload?: string;
}

type FcEventRequest = Request<unknown, unknown, Error, FcContext>;

let parseModule: Promise<typeof import('./fc-event-parse')> | null = null;
const loadParse = () => (parseModule ??= import('./fc-event-parse'));

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
