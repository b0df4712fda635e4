import { ValidationError } from '../../shared/core/errors';
import type { Policy } from '../../shared/core/policy';
import { ingestAlarms, type IntakeResult } from '../../shared/http/alarm-intake';
import { MethodNotAllowedError } from '../../shared/http/errors';
import { isJsonContentType, type HttpRequest } from '../../shared/http/http-message';
import type { Runtime } from '../../shared/runtime/types';
import { parseAlertmanager } from '../../shared/signals/alertmanager';
import { parseCmsCallback } from '../../shared/signals/cms-webhook';
import { parseCmsEventBridge } from '../../shared/signals/cms-eventbridge';
import type { EventBridgeDelivery } from '../../shared/http/event-deliveries';
import type { RawAlarm } from '../../shared/signals/raw-alarm';
import { looksLikeAlertmanager } from './schema';

/**
 * The region the callback URL names (`?region=cn-hangzhou`): CMS callbacks carry no region, so
 * the operator gives each region's alarms their own URL. The token covers the whole URL, so only a
 * holder of the token can name a region; a region the policy does not declare is refused (400),
 * since CMS would otherwise deliver every alarm of that URL into nothing.
 */
export function urlRegionOf(req: HttpRequest, policy: Pick<Policy, 'regionIds'>): string | undefined {
  const region = req.query.region;
  if (region === undefined) return undefined;
  if (region === '')
    throw new ValidationError(['region: empty (name a region of the policy, e.g. ?region=' + (policy.regionIds[0] ?? 'cn-hangzhou') + ')']);
  if (!policy.regionIds.includes(region)) {
    throw new ValidationError([`region: unknown region ${JSON.stringify(region)} (declared: ${policy.regionIds.join(', ')})`]);
  }
  return region;
}

function placed(raws: RawAlarm[], urlRegion: string | undefined): RawAlarm[] {
  return urlRegion === undefined ? raws : raws.map((raw) => ({ ...raw, urlRegion }));
}

/**
 * An alarm webhook: Alertmanager when the body is JSON with `alerts`, else a CMS callback (form
 * fields, or the same fields as JSON). CMS waits 5 s for the answer (then retries, 3 times), so
 * this only parses and hands the signals to the engine as an input answered first: the decision
 * commits, its plan's steps run for at most ALARM_ANSWER_MS (600 ms: the scale PATCHes and
 * UpdateMeshFeature go out), whatever still waits (ASM's rollout, readiness) is handed to the
 * executor by plan id, and the answer goes back. Lab figures: docs/benchmarks/alarm-latency.md.
 */
export async function receiveAlarmRequest(req: HttpRequest, runtime: Runtime): Promise<IntakeResult> {
  if (req.method !== 'POST') throw new MethodNotAllowedError(req.method, req.path, ['POST']);
  const urlRegion = urlRegionOf(req, runtime.policy);
  const contentType = req.headers['content-type'];
  if (isJsonContentType(contentType) && looksLikeAlertmanager(req.json)) {
    return ingestAlarms(runtime, placed(parseAlertmanager(req.json), urlRegion), 'alertmanager');
  }
  return ingestAlarms(runtime, placed([parseCmsCallback(req.rawBody, contentType)], urlRegion), 'cms');
}

/** CMS alarm events delivered by EventBridge (one event or a batch). */
export async function receiveAlarmEvents(delivery: EventBridgeDelivery, runtime: Runtime): Promise<IntakeResult> {
  return ingestAlarms(runtime, parseCmsEventBridge(delivery.payload), 'cms-eventbridge');
}
