import middy from '@middy/core';
import { fcJsonEvent } from '../../shared/http/event-trigger-middleware';
import { eventErrors } from '../../shared/http/http-errors';
import { injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import { lazy } from '../../shared/core/lazy';
import { telemetryRuntime } from '../../shared/runtime/telemetry';
import type { FcContext, RuntimeFactory } from '../../shared/runtime/types';
import type { SlsTriggerEvent } from './schema';

/**
 * The telemetry source: the SLS trigger invokes this function every `triggerInterval` seconds per
 * shard with new data, with the shard's cursor range. It reads the data plane's access logs in
 * that range, adds them to the mesh's sliding windows (a row in the state store), runs the
 * detector and hands its signals to the engine like any alarm's (docs/architecture.md). A thrown
 * error makes the trigger retry the range; a range already counted is not counted twice.
 */
const loadWork = lazy(() =>
  Promise.all([import('./schema'), import('./receive')]).then(([schema, receive]) => ({ ...schema, ...receive })),
);

export function makeHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, unknown, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'telemetry', trigger: 'event' }))
    .use(eventErrors())
    .use(injectRuntime(getRuntime))
    .use(fcJsonEvent(async () => (await loadWork()).slsTriggerEvent))
    .handler(async (event: unknown, context: FcContext) => (await loadWork()).receiveLogs(event as SlsTriggerEvent, runtimeOf(context)));
}

export const handler = makeHandler(telemetryRuntime);
