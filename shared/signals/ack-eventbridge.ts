import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { formatPath } from '../core/policy';
import { envelopeTime, unwrapCloudEvents, type DeliveredEvent } from './cloudevent';
import { fieldError, validationErrorFrom, type RawAlarm } from './raw-alarm';

/**
 * ACK cluster events through EventBridge (`source: acs.cs`, `type: cs:k8s:<Kind>RelatedEvent`):
 * `data` is a core/v1 Event, and the cluster comes from the envelope's `subject`.
 */

const timestamp = z.string('must be an RFC 3339 time').nullish();

const k8sEventSchema = z.object(
  {
    involvedObject: z.object(
      {
        kind: z.string(fieldError('must be a string')).min(1, 'required'),
        name: z.string(fieldError('must be a string')).min(1, 'required'),
        namespace: z.string('must be a string').optional(),
      },
      fieldError('must be an object'),
    ),
    reason: z.string(fieldError('must be a string')).min(1, 'required'),
    message: z.string('must be a string').optional(),
    type: z.enum(['Normal', 'Warning'], fieldError('must be Normal or Warning')).optional(),
    source: z.object({ component: z.string().optional(), host: z.string().optional() }).optional(),
    lastTimestamp: timestamp,
    eventTime: timestamp,
    firstTimestamp: timestamp,
    metadata: z.object({ creationTimestamp: timestamp }).optional(),
  },
  fieldError('must be a Kubernetes core/v1 Event object'),
);

type K8sEvent = z.output<typeof k8sEventSchema>;

/**
 * A condition a firing event opens and a later Normal event closes. Both map to one alarm
 * name and one instance key, so a detection rule written for the failure also receives its
 * clear.
 */
interface ConditionFamily {
  family: string;
  name: string;
  fires(e: K8sEvent): boolean;
  clears(e: K8sEvent): boolean;
}

const FAMILIES: ConditionFamily[] = [
  {
    family: 'Ready',
    name: 'NodeNotReady',
    fires: (e) => e.reason === 'NodeNotReady',
    clears: (e) => e.reason === 'NodeReady',
  },
  {
    // Deployment availability surfaces as the Available condition's reason, or only in its message.
    family: 'Available',
    name: 'MinimumReplicasUnavailable',
    fires: (e) => e.reason === 'MinimumReplicasUnavailable' || /does not have minimum availability/i.test(e.message ?? ''),
    clears: (e) => e.reason === 'MinimumReplicasAvailable' || /\bhas minimum availability/i.test(e.message ?? ''),
  },
  {
    family: 'FailedCreate',
    name: 'FailedCreate',
    fires: (e) => e.reason === 'FailedCreate',
    clears: (e) => e.reason === 'SuccessfulCreate',
  },
];

interface Classified {
  state: 'firing' | 'resolved';
  family: string;
  name: string;
}

/** Firing, resolving, or (null) an informational Normal event that clears nothing we track. */
function classify(e: K8sEvent): Classified | null {
  for (const f of FAMILIES) {
    // An event that reads as both opening and closing a condition is taken as the failure: a missed clear only waits for the TTL.
    if (f.fires(e)) return { state: 'firing', family: f.family, name: f.name };
    if (f.clears(e)) return { state: 'resolved', family: f.family, name: f.name };
  }
  if (e.type === 'Warning') return { state: 'firing', family: e.reason, name: e.reason };
  return null;
}

const SUBJECT_RE = /^acs:cs:([^:]*):([^:]*):([^/:]+)(\/.*)?$/;

/**
 * Every alarm in an ACK EventBridge delivery. Normal events that clear nothing tracked are
 * informational and yield no alarm, so a delivery may yield fewer alarms than events.
 */
export function parseAckEventBridge(event: unknown): RawAlarm[] {
  return unwrapCloudEvents(event).flatMap((delivered) => {
    const alarm = ackRawAlarm(delivered);
    return alarm ? [alarm] : [];
  });
}

function ackRawAlarm({ envelope, data, eventPath, dataPath }: DeliveredEvent): RawAlarm | null {
  const at = (field: string) => formatPath([...eventPath, field]);
  if (!envelope) {
    throw new ValidationError([`${at('subject')}: required (the cluster id is only in the CloudEvents envelope; do not deliver ACK events as RawData)`]);
  }
  if (envelope.source !== undefined && envelope.source !== 'acs.cs') {
    throw new ValidationError([`${at('source')}: must be acs.cs for ACK cluster events (got ${JSON.stringify(envelope.source)})`]);
  }
  const subject = SUBJECT_RE.exec(envelope.subject ?? '');
  if (!subject) {
    throw new ValidationError([
      `${at('subject')}: must look like acs:cs:{region}:{account}:{clusterId}/... (got ${JSON.stringify(envelope.subject ?? null)})`,
    ]);
  }
  const clusterId = subject[3] as string;
  const regionId = subject[1] || envelope.aliyunregionid;
  if (!regionId) throw new ValidationError([`${at('subject')}: names no region, and the envelope has no aliyunregionid`]);

  const parsed = k8sEventSchema.safeParse(data);
  if (!parsed.success) throw validationErrorFrom(parsed.error, dataPath);
  const e = parsed.data;
  const when = eventTime(e, dataPath) ?? envelopeTime(envelope);
  if (when === undefined) throw new ValidationError([`${formatPath([...dataPath, 'lastTimestamp'])}: required (or eventTime, firstTimestamp, or the envelope's time)`]);

  const c = classify(e);
  if (!c) return null;
  const { kind, name, namespace } = e.involvedObject;
  const node = kind === 'Node' ? name : e.source?.host;
  const labels: Record<string, string> = {
    ...(namespace && { namespace }),
    kind,
    name,
    ...(node && { node }),
    reason: e.reason,
  };
  const object = namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
  return {
    source: 'ack',
    name: c.name,
    state: c.state,
    // The node controller records NodeNotReady as a Normal event; a failure is a warning to us whatever its type.
    level: c.state === 'firing' ? 'Warning' : (e.type ?? 'Normal'),
    dimensions: {},
    labels,
    regionId,
    clusterId,
    instance: `${clusterId}/${object}/${c.family}`,
    at: when,
    ...(e.message !== undefined && { message: e.message }),
  };
}

/** When the event last happened: lastTimestamp (core/v1 events) or eventTime (events.k8s.io-style), then the older fields. */
function eventTime(e: K8sEvent, dataPath: PropertyKey[]): number | undefined {
  const candidates: Array<[string, string | null | undefined]> = [
    ['lastTimestamp', e.lastTimestamp],
    ['eventTime', e.eventTime],
    ['firstTimestamp', e.firstTimestamp],
    ['metadata.creationTimestamp', e.metadata?.creationTimestamp],
  ];
  for (const [field, value] of candidates) {
    if (!value) continue;
    const ms = Date.parse(value);
    if (!Number.isFinite(ms)) throw new ValidationError([`${formatPath([...dataPath, ...field.split('.')])}: must be an RFC 3339 time (got ${JSON.stringify(value)})`]);
    return ms;
  }
  return undefined;
}
