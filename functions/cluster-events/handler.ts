import middy from '@middy/core';
import { ingestAlarms } from '../../shared/http/alarm-intake';
import { fcEventBridge, type EventBridgeDelivery } from '../../shared/http/fc-event-triggers';
import { eventErrors } from '../../shared/http/http-errors';
import { injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import type { FcContext, Runtime, RuntimeFactory } from '../../shared/http/runtime-types';
import { parseAckEventBridge } from '../../shared/signals/ack-eventbridge';

/**
 * ACK cluster events (Node NotReady, Pod/Deployment unavailable) from EventBridge, source `acs.cs`.
 * The CloudEvent envelope is validated by `fcEventBridge`; the Kubernetes Event inside by the parser.
 */
export function makeHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, unknown, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'cluster-events', trigger: 'event' }))
    .use(eventErrors())
    .use(injectRuntime(getRuntime))
    .use(fcEventBridge())
    .handler((event: unknown, context: FcContext) => ingestAlarms(runtimeOf(context), parseAckEventBridge((event as EventBridgeDelivery).payload), 'ack'));
}

async function defaultRuntime(context: FcContext): Promise<Runtime> {
  const runtime = await import('../../shared/runtime/index');
  return runtime.defaultRuntime(context);
}

export const handler = makeHandler(defaultRuntime);
