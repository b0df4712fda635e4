import { parseAckEventBridge } from './ack-eventbridge';
import { parseAlertmanager } from './alertmanager';
import { parseCmsEventBridge } from './cms-eventbridge';
import { parseCmsCallback } from './cms-webhook';
import type { RawAlarm } from './raw-alarm';

/** The raw payload kinds the product receives, by the trigger that delivers them. */
export type RawPayloadKind = 'cms-callback' | 'cms-eventbridge' | 'ack-eventbridge' | 'alertmanager';
export const rawPayloadKinds: readonly RawPayloadKind[] = ['cms-callback', 'cms-eventbridge', 'ack-eventbridge', 'alertmanager'];

/** Parse a raw payload of a known kind (text as received) into raw alarms. */
export function parseRawPayload(kind: RawPayloadKind, text: string): RawAlarm[] {
  switch (kind) {
    case 'cms-callback':
      return [parseCmsCallback(text)];
    case 'cms-eventbridge':
      return parseCmsEventBridge(text);
    case 'ack-eventbridge':
      return parseAckEventBridge(text);
    case 'alertmanager':
      return parseAlertmanager(text);
  }
}
