import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { formatPath } from '../core/issues';
import { decodeJsonPayload, fieldError, validationErrorFrom } from './raw-alarm';

/** The EventBridge CloudEvents envelope: the attributes the parsers read. */
interface CloudEventEnvelope {
  specversion: string;
  id?: string;
  source?: string;
  type?: string;
  subject?: string;
  time?: string;
  aliyunregionid?: string;
  aliyunaccountid?: string;
}

/**
 * One delivered event: its envelope (null when the trigger is set to RawData, which delivers
 * only `data`), its payload, and the path of that payload in the delivery for error messages.
 */
export interface DeliveredEvent {
  envelope: CloudEventEnvelope | null;
  data: unknown;
  /** Where the event sits in the delivery (`[]`, or `[i]` in a batch) and where its payload sits. */
  eventPath: PropertyKey[];
  dataPath: PropertyKey[];
}

const optionalText = z.string('must be a string').optional();

const envelopeSchema = z.object({
  specversion: z.string(fieldError('must be a string')),
  id: optionalText,
  source: optionalText,
  type: optionalText,
  subject: optionalText,
  time: optionalText,
  datacontenttype: optionalText,
  aliyunregionid: optionalText,
  aliyunaccountid: optionalText,
  data: z.unknown().optional(),
});

/**
 * Every event of an EventBridge delivery: one CloudEvent, an array of them (trigger batching),
 * or RawData payloads (one or an array). Text or bytes are decoded as JSON first. An item with
 * `specversion` is an envelope; anything else is taken as a RawData payload.
 */
export function unwrapCloudEvents(input: unknown): DeliveredEvent[] {
  const decoded = decodeJsonPayload(input, '(event)');
  if (Array.isArray(decoded)) {
    if (decoded.length === 0) throw new ValidationError(['(event): an empty batch holds no event']);
    return decoded.map((item, i) => unwrapOne(item, [i]));
  }
  return [unwrapOne(decoded, [])];
}

function unwrapOne(item: unknown, at: PropertyKey[]): DeliveredEvent {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new ValidationError([`${formatPath(at) || '(event)'}: must be a CloudEvent or an event payload object`]);
  }
  if (!('specversion' in item)) return { envelope: null, data: item, eventPath: at, dataPath: at };

  const parsed = envelopeSchema.safeParse(item);
  if (!parsed.success) throw validationErrorFrom(parsed.error, at);
  const { data, datacontenttype: _contentType, ...envelope } = parsed.data;
  const dataPath = [...at, 'data'];
  if (data === undefined || data === null) throw new ValidationError([`${formatPath(dataPath)}: required`]);
  // `data` may arrive as JSON text when the producer set a JSON content type but serialized it itself.
  const payload = typeof data === 'string' ? decodeJsonPayload(data, formatPath(dataPath)) : data;
  return { envelope, data: payload, eventPath: at, dataPath };
}

/** The envelope's `time` in epoch ms, if it has a valid one. */
export function envelopeTime(envelope: CloudEventEnvelope | null): number | undefined {
  if (!envelope?.time) return undefined;
  const ms = Date.parse(envelope.time);
  return Number.isFinite(ms) ? ms : undefined;
}
