import middy from '@middy/core';
import { eventTargetTokenAuth, redactAlarmPath } from '../../shared/http/auth';
import { DEFAULT_DELIVERY_LIMIT, fcEventBridge, type EventBridgeDelivery } from '../../shared/http/fc-event-triggers';
import { fcHttpEvent, jsonReply, type HttpReply, type HttpRequest } from '../../shared/http/fc-http-event';
import { eventErrors, httpErrors } from '../../shared/http/http-errors';
import { byEventShape, injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import type { FcContext, Runtime, RuntimeFactory } from '../../shared/http/runtime-types';

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
    .handler(async (event: unknown, context: FcContext) => (await loadReceive()).receiveAckDelivery(event as EventBridgeDelivery, runtimeOf(context)));
}

/** ACK events an EventBridge rule in another region pushed to the HTTP trigger. */
export function makeHttpHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, HttpReply | undefined, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'cluster-events', trigger: 'http', logPath: redactAlarmPath }))
    .use(httpErrors())
    .use(injectRuntime(getRuntime))
    .use(fcHttpEvent({ maxBodyBytes: DEFAULT_DELIVERY_LIMIT }))
    .use(eventTargetTokenAuth())
    .handler(async (event: unknown, context: FcContext) => jsonReply(200, await (await loadReceive()).receiveAckRequest(event as HttpRequest, runtimeOf(context))));
}

/** fc3 triggers cannot name their own entry point, so the one handler routes by event shape. */
export function makeHandler(getRuntime: RuntimeFactory) {
  return byEventShape({ http: makeHttpHandler(getRuntime), other: makeEventHandler(getRuntime), undecodable: 'other' });
}

/** The parser (zod schemas) and the detection rules are loaded with the first event, not at `require`. */
let receive: Promise<typeof import('./receive')> | null = null;
const loadReceive = () => (receive ??= import('./receive'));

async function defaultRuntime(context: FcContext): Promise<Runtime> {
  const runtime = await import('../../shared/runtime/index');
  return runtime.defaultRuntime(context);
}

export const handler = makeHandler(defaultRuntime);
