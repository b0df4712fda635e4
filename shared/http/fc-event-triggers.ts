import type { z } from 'zod';
import type { MiddlewareObj, Request } from '@middy/core';
import { ValidationError } from '../core/errors';
import { PayloadTooLargeError } from './errors';
import { cloudEventSchema, fcTimerEventSchema } from './fc-envelope-schemas';
import { decodeFcEvent, parseWith } from './fc-envelopes';
import type { FcContext } from './runtime-types';

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

export function toEventBridgeDelivery(event: unknown, maxBytes = DEFAULT_DELIVERY_LIMIT): EventBridgeDelivery {
  const bytes = typeof event === 'string' ? Buffer.byteLength(event) : event instanceof Uint8Array ? event.byteLength : null;
  if (bytes !== null && bytes > maxBytes) throw new PayloadTooLargeError(`delivery of ${bytes} bytes too large: at most ${maxBytes} bytes for this function (lower the trigger's batch size)`);
  const payload = decodeFcEvent(event);
  const items = Array.isArray(payload) ? payload : [payload];
  if (items.length === 0) throw new ValidationError(['(event): empty batch']);
  const ids: string[] = [];
  let cloudEvents = true;
  items.forEach((item, i) => {
    const at = Array.isArray(payload) ? [i] : [];
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new ValidationError([`${at.length ? `[${i}]` : '(event)'}: must be an object`]);
    if (!('specversion' in item)) {
      cloudEvents = false;
      return;
    }
    ids.push(parseWith(cloudEventSchema, item, at).id);
  });
  return { payload, count: items.length, cloudEvents, ids: cloudEvents ? ids : [] };
}

export function fcEventBridge(opts: { maxBytes?: number } = {}): MiddlewareObj<unknown, unknown, Error, FcContext> {
  function fcEventBridgeBefore(request: Request<unknown, unknown, Error, FcContext>): void {
    request.event = toEventBridgeDelivery(request.event, opts.maxBytes);
  }
  return { before: fcEventBridgeBefore };
}

/** A timer trigger firing; `at` is `triggerTime` in epoch milliseconds. */
export interface TimerFiring {
  triggerName: string;
  triggerTime: string;
  at: number;
  payload?: string;
}

export function toTimerFiring(event: unknown): TimerFiring {
  const e = parseWith(fcTimerEventSchema, decodeFcEvent(event));
  const at = Date.parse(e.triggerTime);
  if (Number.isNaN(at)) throw new ValidationError([`triggerTime: not an RFC 3339 time (got ${JSON.stringify(e.triggerTime)})`]);
  return { triggerName: e.triggerName, triggerTime: e.triggerTime, at, ...(e.payload !== undefined ? { payload: e.payload } : {}) };
}

export function fcTimer(): MiddlewareObj<unknown, unknown, Error, FcContext> {
  function fcTimerBefore(request: Request<unknown, unknown, Error, FcContext>): void {
    request.event = toTimerFiring(request.event);
  }
  return { before: fcTimerBefore };
}

/** An async invocation's payload (a Buffer of JSON), validated against the function's schema. */
export function fcJsonEvent<S extends z.ZodType>(schema: S): MiddlewareObj<unknown, unknown, Error, FcContext> {
  function fcJsonEventBefore(request: Request<unknown, unknown, Error, FcContext>): void {
    request.event = parseWith(schema, decodeFcEvent(request.event, '(payload)'), ['(payload)']);
  }
  return { before: fcJsonEventBefore };
}
