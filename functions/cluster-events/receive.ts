import { ingestAlarms } from '../../shared/http/alarm-intake';
import type { EventBridgeDelivery } from '../../shared/http/event-deliveries';
import type { Runtime } from '../../shared/runtime/types';
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
