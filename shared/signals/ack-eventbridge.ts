import { z } from 'zod';
import { ValidationError } from '../core/errors';
import { formatPath } from '../core/issues';
import { envelopeTime, unwrapCloudEvents, type DeliveredEvent } from './cloudevent';
import { fieldError, validationErrorFrom, type RawAlarm } from './raw-alarm';

/**
 * ACK cluster events through EventBridge, as kube-eventer's EventBridge sink sends them:
 * `source: acs.cs`, `type: cs:k8s:<involvedObject.kind>RelatedEvent`, `data` a core/v1 Event (a
 * Go `json.Marshal` of it: no apiVersion/kind of its own), the cluster in the envelope's
 * `subject` (`acs:cs:{region}:{account}:{clusterId}/apis/...`). kube-eventer forwards every add
 * and every update of an Event, so a repeating Event arrives again with a higher `count`.
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
    /** Occurrences so far (core/v1 events recorded through the legacy recorder). */
    count: z.number('must be a number').int('must be an integer').min(0, 'must be >= 0').optional(),
    /** events.k8s.io-style events (the scheduler's) count repeats here instead. */
    series: z.object({ count: z.number().int().min(0).optional(), lastObservedTime: timestamp }).nullish(),
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

/*
 * Only pairs that both exist as Events: the node lifecycle controller records NodeNotReady
 * (Normal, on the Node; Warning, on each of its pods) and the kubelet NodeReady; the
 * ReplicaSet controller records FailedCreate (Warning) and SuccessfulCreate (Normal). A
 * Deployment's Available condition (MinimumReplicasUnavailable) is not an Event and never
 * arrives here: detection.deploymentAvailability reads it from the cluster instead.
 */
const FAMILIES: ConditionFamily[] = [
  {
    family: 'Ready',
    name: 'NodeNotReady',
    fires: (e) => e.reason === 'NodeNotReady',
    clears: (e) => e.reason === 'NodeReady',
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

/** The types kube-eventer's EventBridge sink gives a core/v1 Event: one per involved object's kind. */
const EVENT_TYPE_RE = /^cs:k8s:[A-Za-z0-9]+RelatedEvent$/;

/** An event of the delivery the parser does not handle, answered as ignored (never retried, never a signal). */
export interface IgnoredEvent {
  at: string;
  type: string | null;
  why: string;
}

export interface AckDelivery {
  alarms: RawAlarm[];
  ignored: IgnoredEvent[];
}

/**
 * Every alarm in an ACK EventBridge delivery. Normal events that clear nothing tracked are
 * informational and yield no alarm; events of types this parser does not understand (the
 * ARMS-collected `cs:k8s:k8s-event-via-arms`, kube-eventer's `cs:k8s:UnknownTypeEvent` for an
 * Event with no involved kind) are listed as ignored: a filter admitting them is a setup
 * question, and refusing them would only make EventBridge retry what can never succeed.
 */
export function parseAckDelivery(event: unknown): AckDelivery {
  const out: AckDelivery = { alarms: [], ignored: [] };
  for (const delivered of unwrapCloudEvents(event)) {
    const type = delivered.envelope?.type;
    if (delivered.envelope && type !== undefined && (!EVENT_TYPE_RE.test(type) || type === 'cs:k8s:UnknownTypeEvent')) {
      out.ignored.push({
        at: formatPath(delivered.eventPath) || '(event)',
        type,
        why: `type ${type} is not a Kubernetes Event forwarded by kube-eventer (cs:k8s:<Kind>RelatedEvent)`,
      });
      continue;
    }
    const alarm = ackRawAlarm(delivered);
    if (alarm) out.alarms.push(alarm);
  }
  return out;
}

/** The alarms of a delivery (ignored events dropped). */
export function parseAckEventBridge(event: unknown): RawAlarm[] {
  return parseAckDelivery(event).alarms;
}

/*
 * Pods of a Deployment are named {deployment}-{pod-template-hash}-{5 chars}, its ReplicaSets
 * {deployment}-{pod-template-hash}; both suffixes use the apimachinery rand alphabet
 * (bcdfghjklmnpqrstvwxz2456789). A name that does not fit keeps its own identity.
 */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const POD_OF_DEPLOYMENT = new RegExp(`^(.+)-${SAFE}{1,10}-${SAFE}{5}$`);
const REPLICASET_OF_DEPLOYMENT = new RegExp(`^(.+)-${SAFE}{1,10}$`);

function deploymentOf(kind: string, name: string): string | undefined {
  if (kind === 'Deployment') return name;
  if (kind === 'Pod') return POD_OF_DEPLOYMENT.exec(name)?.[1];
  if (kind === 'ReplicaSet') return REPLICASET_OF_DEPLOYMENT.exec(name)?.[1];
  return undefined;
}

function ackRawAlarm({ envelope, data, eventPath, dataPath }: DeliveredEvent): RawAlarm | null {
  const at = (field: string) => formatPath([...eventPath, field]);
  if (!envelope) {
    throw new ValidationError([
      `${at('subject')}: required (the cluster id is only in the CloudEvents envelope; do not deliver ACK events as RawData)`,
    ]);
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
  // kube-eventer writes its configured regionId into the subject (empty when unset); EventBridge
  // sets aliyunregionid. Detection checks either against the policy's region for the cluster.
  const regionId = subject[1] || envelope.aliyunregionid;
  if (!regionId) throw new ValidationError([`${at('subject')}: names no region, and the envelope has no aliyunregionid`]);

  const parsed = k8sEventSchema.safeParse(data);
  if (!parsed.success) throw validationErrorFrom(parsed.error, dataPath);
  const e = parsed.data;
  const when = eventTime(e, dataPath) ?? envelopeTime(envelope);
  if (when === undefined)
    throw new ValidationError([
      `${formatPath([...dataPath, 'lastTimestamp'])}: required (or eventTime, firstTimestamp, or the envelope's time)`,
    ]);

  const c = classify(e);
  if (!c) return null;
  const { kind, name, namespace } = e.involvedObject;
  const node = kind === 'Node' ? name : e.source?.host;
  const deployment = deploymentOf(kind, name);
  const labels: Record<string, string> = {
    ...(namespace && { namespace }),
    kind,
    name,
    ...(deployment && { deployment }),
    ...(node && { node }),
    reason: e.reason,
  };
  // One alarm instance per deployment (not per pod): a rule sees "reviews-v2 keeps crashing",
  // and a resolve of the family clears what any of its pods opened.
  const object =
    deployment && kind !== 'Deployment'
      ? `Deployment/${namespace ?? ''}/${deployment}`
      : namespace
        ? `${kind}/${namespace}/${name}`
        : `${kind}/${name}`;
  const first = firstTime(e) ?? when;
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
    occurrences: { count: Math.max(1, e.count ?? e.series?.count ?? 1), first: Math.min(first, when), last: when },
    ...(e.message !== undefined && { message: e.message }),
  };
}

/** When the event first happened, if it says so in a readable time (else the last time stands in). */
function firstTime(e: K8sEvent): number | undefined {
  const ms = Date.parse(e.firstTimestamp ?? e.eventTime ?? '');
  return Number.isFinite(ms) ? ms : undefined;
}

/** When the event last happened: lastTimestamp (core/v1 events) or eventTime (events.k8s.io-style), then the older fields. */
function eventTime(e: K8sEvent, dataPath: PropertyKey[]): number | undefined {
  const candidates: Array<[string, string | null | undefined]> = [
    ['lastTimestamp', e.lastTimestamp],
    ['series.lastObservedTime', e.series?.lastObservedTime],
    ['eventTime', e.eventTime],
    ['firstTimestamp', e.firstTimestamp],
    ['metadata.creationTimestamp', e.metadata?.creationTimestamp],
  ];
  for (const [field, value] of candidates) {
    if (!value) continue;
    const ms = Date.parse(value);
    if (!Number.isFinite(ms))
      throw new ValidationError([
        `${formatPath([...dataPath, ...field.split('.')])}: must be an RFC 3339 time (got ${JSON.stringify(value)})`,
      ]);
    return ms;
  }
  return undefined;
}
