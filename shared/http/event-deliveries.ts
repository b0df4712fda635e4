/**
 * What the event-trigger middlewares (event-trigger-middleware.ts) put on `request.event`, as the
 * parser they load on the first event (event-trigger-parser.ts) builds it. No zod here.
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
