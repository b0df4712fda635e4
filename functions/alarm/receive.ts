import { ingestAlarms, type IntakeResult } from '../../shared/http/alarm-intake';
import { MethodNotAllowedError } from '../../shared/http/errors';
import { isJsonContentType, type HttpRequest } from '../../shared/http/fc-http-event';
import type { Runtime } from '../../shared/http/runtime-types';
import { parseAlertmanager } from '../../shared/signals/alertmanager';
import { parseCmsCallback } from '../../shared/signals/cms-webhook';
import { parseCmsEventBridge } from '../../shared/signals/cms-eventbridge';
import type { EventBridgeDelivery } from '../../shared/http/fc-event-triggers';
import { looksLikeAlertmanager } from './schema';

/**
 * An alarm webhook: Alertmanager when the body is JSON with `alerts`, else a CMS callback (form
 * fields, or the same fields as JSON). CMS gives up after 5 s, so this only parses and hands the
 * signals to the engine, which applies what is immediate and defers the rest to the executor.
 */
export async function receiveAlarmRequest(req: HttpRequest, runtime: Runtime): Promise<IntakeResult> {
  if (req.method !== 'POST') throw new MethodNotAllowedError(req.method, req.path, ['POST']);
  const contentType = req.headers['content-type'];
  if (isJsonContentType(contentType) && looksLikeAlertmanager(req.json)) {
    return ingestAlarms(runtime, parseAlertmanager(req.json), 'alertmanager');
  }
  return ingestAlarms(runtime, [parseCmsCallback(req.rawBody, contentType)], 'cms');
}

/** CMS alarm events delivered by EventBridge (one event or a batch). */
export async function receiveAlarmEvents(delivery: EventBridgeDelivery, runtime: Runtime): Promise<IntakeResult> {
  return ingestAlarms(runtime, parseCmsEventBridge(delivery.payload), 'cms-eventbridge');
}
