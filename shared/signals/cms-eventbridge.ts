import { cmsRawAlarm } from './cms-fields';
import { envelopeTime, unwrapCloudEvents } from './cloudevent';
import type { RawAlarm } from './raw-alarm';

/**
 * CMS alarms delivered through EventBridge. Their `source`/`type` names are not documented
 * reliably, so any envelope is accepted and the payload decides: it carries the callback's
 * fields, possibly as JSON numbers and objects rather than strings.
 */
export function parseCmsEventBridge(event: unknown): RawAlarm[] {
  // Marked: no public sample of this payload exists, so detection keeps it off the failover path.
  return unwrapCloudEvents(event).map(({ envelope, data, dataPath }) => ({
    ...cmsRawAlarm(data, dataPath, envelopeTime(envelope)),
    via: 'eventbridge' as const,
  }));
}
