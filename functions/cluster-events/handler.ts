import middy from '@middy/core';
import { fcEventBridge } from '../../shared/http/event-trigger-middleware';
import { type EventBridgeDelivery } from '../../shared/http/event-deliveries';
import { eventErrors } from '../../shared/http/http-errors';
import { injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import { lazy } from '../../shared/core/lazy';
import { processRuntime } from '../../shared/runtime/process';
import type { FcContext, RuntimeFactory } from '../../shared/runtime/types';

/**
 * ACK cluster events (kube-eventer's Kubernetes Events: NodeNotReady, FailedCreate, Unhealthy,
 * BackOff, ...) from EventBridge, source `acs.cs`. The CloudEvent envelope is validated by
 * `fcEventBridge`; the Kubernetes Event inside by the parser. Events of types the parser does
 * not handle are answered as ignored, so EventBridge does not retry them.
 */
export function makeHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, unknown, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'cluster-events', trigger: 'event' }))
    .use(eventErrors())
    .use(injectRuntime(getRuntime))
    .use(fcEventBridge())
    .handler(async (event: unknown, context: FcContext) => (await loadReceive()).receiveAckDelivery(event as EventBridgeDelivery, runtimeOf(context)));
}

/** The parser (zod schemas) and the detection rules are loaded with the first event, not at `require`. */
const loadReceive = lazy(() => import('./receive'));

export const handler = makeHandler(processRuntime);
