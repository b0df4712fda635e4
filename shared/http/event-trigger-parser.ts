import type { z } from 'zod';
import { ValidationError } from '../core/errors';
import { PayloadTooLargeError } from './errors';
import { cloudEventSchema, fcTimerEventSchema } from './envelope-schemas';
import { decodeFcEvent, parseWith } from './envelope-decode';
import { DEFAULT_DELIVERY_LIMIT, type EventBridgeDelivery, type TimerFiring } from './event-deliveries';

/**
 * The event envelopes (EventBridge CloudEvents, the timer firing, an async invocation's payload)
 * checked with their zod schemas. Apart from event-trigger-middleware.ts because zod is most of what an
 * entry would otherwise evaluate at cold start: the middlewares load this on the first event
 * (see `fcEventBridge`, `fcTimer`, `fcJsonEvent`), as `fcHttpEvent` loads http-trigger-parser.ts.
 */

export function toEventBridgeDelivery(event: unknown, maxBytes = DEFAULT_DELIVERY_LIMIT): EventBridgeDelivery {
  const bytes = typeof event === 'string' ? Buffer.byteLength(event) : event instanceof Uint8Array ? event.byteLength : null;
  if (bytes !== null && bytes > maxBytes)
    throw new PayloadTooLargeError(
      `delivery of ${bytes} bytes too large: at most ${maxBytes} bytes for this function (lower the trigger's batch size)`,
    );
  const payload = decodeFcEvent(event);
  const items = Array.isArray(payload) ? payload : [payload];
  if (items.length === 0) throw new ValidationError(['(event): empty batch']);
  const ids: string[] = [];
  let cloudEvents = true;
  items.forEach((item, i) => {
    const at = Array.isArray(payload) ? [i] : [];
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new ValidationError([`${at.length ? `[${i}]` : '(event)'}: must be an object`]);
    if (!('specversion' in item)) {
      cloudEvents = false;
      return;
    }
    ids.push(parseWith(cloudEventSchema, item, at).id);
  });
  return { payload, count: items.length, cloudEvents, ids: cloudEvents ? ids : [] };
}

export function toTimerFiring(event: unknown): TimerFiring {
  const e = parseWith(fcTimerEventSchema, decodeFcEvent(event));
  const at = Date.parse(e.triggerTime);
  if (Number.isNaN(at)) throw new ValidationError([`triggerTime: not an RFC 3339 time (got ${JSON.stringify(e.triggerTime)})`]);
  return { triggerName: e.triggerName, triggerTime: e.triggerTime, at, ...(e.payload !== undefined ? { payload: e.payload } : {}) };
}

/** An async invocation's payload (a Buffer of JSON) through the function's schema; problems name `(payload)`. */
export function toJsonEvent<S extends z.ZodType>(schema: S, event: unknown): z.output<S> {
  return parseWith(schema, decodeFcEvent(event, '(payload)'), ['(payload)']);
}
