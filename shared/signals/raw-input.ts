import { parseAckEventBridge } from './ack-eventbridge';
import { parseAlertmanager } from './alertmanager';
import { parseCmsEventBridge } from './cms-eventbridge';
import { parseCmsCallback } from './cms-webhook';
import type { RawAlarm } from './raw-alarm';

/** The raw payload kinds the product receives, by the trigger that delivers them. */
export type RawPayloadKind = 'cms-callback' | 'cms-eventbridge' | 'ack-eventbridge' | 'alertmanager';
export const rawPayloadKinds: readonly RawPayloadKind[] = ['cms-callback', 'cms-eventbridge', 'ack-eventbridge', 'alertmanager'];

/** The kinds that arrive on the alarm function's HTTP trigger, whose URL can name a region. */
export const urlPayloadKinds: readonly RawPayloadKind[] = ['cms-callback', 'alertmanager'];

/**
 * Parse a raw payload of a known kind (text as received) into raw alarms. `urlRegion` is the
 * region the callback URL named, as the alarm function sets it after checking it.
 */
export function parseRawPayload(kind: RawPayloadKind, text: string, urlRegion?: string): RawAlarm[] {
  const raws = parseByKind(kind, text);
  return urlRegion === undefined ? raws : raws.map((raw) => ({ ...raw, urlRegion }));
}

function parseByKind(kind: RawPayloadKind, text: string): RawAlarm[] {
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
