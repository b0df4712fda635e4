import middy from '@middy/core';
import { alarmTokenAuth, redactAlarmPath } from '../../shared/http/auth';
import { fcEventBridge } from '../../shared/http/event-trigger-middleware';
import { type EventBridgeDelivery } from '../../shared/http/event-deliveries';
import { fcHttpEvent } from '../../shared/http/http-trigger-middleware';
import { jsonReply, type HttpReply, type HttpRequest } from '../../shared/http/http-message';
import { eventErrors, httpErrors } from '../../shared/http/http-errors';
import { byEventShape, injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import { lazy } from '../../shared/core/lazy';
import { processRuntime } from '../../shared/runtime/process';
import type { FcContext, RuntimeFactory } from '../../shared/runtime/types';

/**
 * Alarm bodies: an Alertmanager group of MAX_ALARMS_PER_DELIVERY alerts with ordinary labels
 * fits (about 600 bytes an alert); anything larger is refused before it is parsed.
 */
export const ALARM_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * What turns alarms into signals (the Alertmanager, CMS and EventBridge parsers and their zod
 * schemas, the detection rules) is loaded with the first alarm rather than when FC loads the
 * entry: the cold `require` evaluates no zod.
 */
const loadReceive = lazy(() => import('./receive'));

/** Alarm webhooks (HTTP trigger): CMS callbacks and Alertmanager, authenticated by the URL token. */
export function makeHttpHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, HttpReply | undefined, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'alarm', trigger: 'http', logPath: redactAlarmPath }))
    .use(httpErrors())
    .use(injectRuntime(getRuntime))
    .use(fcHttpEvent({ maxBodyBytes: ALARM_BODY_LIMIT }))
    .use(alarmTokenAuth())
    .handler(async (event: unknown, context: FcContext) =>
      jsonReply(200, await (await loadReceive()).receiveAlarmRequest(event as HttpRequest, runtimeOf(context))),
    );
}

/** CMS alarm events from the EventBridge trigger; failures other than bad input are rethrown for FC to retry. */
export function makeEventHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, unknown, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'alarm', trigger: 'event' }))
    .use(eventErrors())
    .use(injectRuntime(getRuntime))
    .use(fcEventBridge({ maxBytes: ALARM_BODY_LIMIT }))
    .handler(async (event: unknown, context: FcContext) =>
      (await loadReceive()).receiveAlarmEvents(event as EventBridgeDelivery, runtimeOf(context)),
    );
}

/** fc3 triggers cannot name their own entry point, so the one handler routes by event shape. */
export function makeHandler(getRuntime: RuntimeFactory) {
  return byEventShape({ http: makeHttpHandler(getRuntime), other: makeEventHandler(getRuntime) });
}

export const handler = makeHandler(processRuntime);
