import { ingestAlarms } from '../../shared/http/alarm-intake';
import { MethodNotAllowedError, NotFoundError } from '../../shared/http/errors';
import type { EventBridgeDelivery } from '../../shared/http/event-deliveries';
import { toEventBridgeDelivery } from '../../shared/http/event-trigger-parser';
import type { HttpRequest } from '../../shared/http/http-message';
import type { Runtime } from '../../shared/runtime/types';
import { ValidationError } from '../../shared/core/errors';
import { parseJsonLimited } from '../../shared/core/json-depth';
import { parseAckDelivery } from '../../shared/signals/ack-eventbridge';

/**
 * The Kubernetes Events of one delivery turned into signals. Apart from handler.ts because the
 * parser builds zod schemas: the entry loads this with the first event, not at `require`.
 */
export async function receiveAckDelivery(delivery: EventBridgeDelivery, runtime: Runtime) {
  const { alarms, ignored } = parseAckDelivery(delivery.payload);
  const intake = await ingestAlarms(runtime, alarms, 'ack');
  return ignored.length ? { ...intake, ignored } : intake;
}

/**
 * An EventBridge HTTP(S) target's push: the body is the whole CloudEvent (`Body` ORIGINAL), or a
 * batch of them, whatever content type the push declares. It is checked as the trigger's delivery
 * is (CloudEvents only: the parser needs the envelope's `subject` for the cluster), then handled
 * the same way.
 */
export async function receiveAckRequest(req: HttpRequest, runtime: Runtime) {
  if (req.method !== 'POST') throw new MethodNotAllowedError(req.method, req.path, ['POST']);
  if (
    req.path
      .replace(/\/+$/, '')
      .split('/')
      .filter((s) => s !== '')[0] !== 'ack'
  )
    throw new NotFoundError(`no route ${req.method} ${req.path} (ACK events are POSTed to /ack)`);
  if (req.rawBody.trim() === '') throw new ValidationError(['body: required (a CloudEvent or an array of CloudEvents)']);
  // Parsed here, whatever the content type says (EventBridge's for an HTTPS target is unverified), with the nesting bounded as every JSON entry is.
  const delivery = toEventBridgeDelivery(parseJsonLimited(req.rawBody, 'body'));
  if (!delivery.cloudEvents) throw new ValidationError(["body: must be CloudEvents (the target's Body must be the whole event, ORIGINAL)"]);
  return receiveAckDelivery(delivery, runtime);
}
