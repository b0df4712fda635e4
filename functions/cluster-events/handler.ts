import middy from '@middy/core';
import { eventTargetTokenAuth, redactAlarmPath } from '../../shared/http/auth';
import { fcEventBridge } from '../../shared/http/event-trigger-middleware';
import { DEFAULT_DELIVERY_LIMIT, type EventBridgeDelivery } from '../../shared/http/event-deliveries';
import { fcHttpEvent } from '../../shared/http/http-trigger-middleware';
import { jsonReply, type HttpReply, type HttpRequest } from '../../shared/http/http-message';
import { eventErrors, httpErrors } from '../../shared/http/http-errors';
import { byEventShape, injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import { lazy } from '../../shared/core/lazy';
import { processRuntime } from '../../shared/runtime/process';
import type { FcContext, RuntimeFactory } from '../../shared/runtime/types';

/**
 * ACK cluster events (kube-eventer's Kubernetes Events: NodeNotReady, FailedCreate, Unhealthy,
 * BackOff, ...) from EventBridge, source `acs.cs`. The CloudEvent envelope is validated by
 * `fcEventBridge`; the Kubernetes Event inside by the parser. Events of types the parser does
 * not handle are answered as ignored, so EventBridge does not retry them.
 *
 * Two ways in: the EventBridge trigger (the default bus of the function's own region), and the
 * HTTP trigger at `/ack`, where the rule of every other cluster region pushes the same CloudEvents
 * (an HTTPS event target; see infra/eventbridge/ack-forwarding.ts), authenticated by the token.
 */
export function makeEventHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, unknown, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'cluster-events', trigger: 'event' }))
    .use(eventErrors())
    .use(injectRuntime(getRuntime))
    .use(fcEventBridge())
    .handler(async (event: unknown, context: FcContext) =>
      (await loadReceive()).receiveAckDelivery(event as EventBridgeDelivery, runtimeOf(context)),
    );
}

/** ACK events an EventBridge rule in another region pushed to the HTTP trigger. */
export function makeHttpHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, HttpReply | undefined, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'cluster-events', trigger: 'http', logPath: redactAlarmPath }))
    .use(httpErrors())
    .use(injectRuntime(getRuntime))
    .use(fcHttpEvent({ maxBodyBytes: DEFAULT_DELIVERY_LIMIT }))
    .use(eventTargetTokenAuth())
    .handler(async (event: unknown, context: FcContext) =>
      jsonReply(200, await (await loadReceive()).receiveAckRequest(event as HttpRequest, runtimeOf(context))),
    );
}

/** fc3 triggers cannot name their own entry point, so the one handler routes by event shape. */
export function makeHandler(getRuntime: RuntimeFactory) {
  return byEventShape({ http: makeHttpHandler(getRuntime), other: makeEventHandler(getRuntime), undecodable: 'other' });
}

/** The parser (zod schemas) and the detection rules are loaded with the first event, not at `require`. */
const loadReceive = lazy(() => import('./receive'));

export const handler = makeHandler(processRuntime);
