import { createHash } from 'node:crypto';
import { CMS_CALLBACK_FIELDS } from '../../shared/signals/cms-fields';

/**
 * What CloudMonitor and ACK actually send, built from the lab's alarm transitions: a CMS
 * threshold-alarm callback (form-urlencoded) and an ACK Kubernetes event as EventBridge delivers
 * it (a CloudEvent whose `data` is a core/v1 Event). The product's signal parsers are tested
 * against these, so field names and formats follow the real payloads, quirks included.
 */

export const CMS_METRIC_PROJECT = 'acs_service_mesh';

export type TriggerLevel = 'CRITICAL' | 'WARN' | 'INFO';

/** CMS sends dimensions as a Java `Map.toString()`: `{userId=1, instanceId=i-1}`. */
export function javaMapString(entries: Record<string, string>): string {
  return `{${Object.entries(entries)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}}`;
}

export interface CmsCallbackInput {
  ruleId: string;
  alertName: string;
  state: 'ALERT' | 'OK';
  level: TriggerLevel;
  /** The metric value that tripped or cleared the rule, as CMS prints it. */
  curValue: string;
  metricName: string;
  /** e.g. `$Average>20`. */
  expression: string;
  instanceName: string;
  /** Dimensions after userId, in order. */
  dimensions: Record<string, string>;
  userId: string;
  at: number;
}

/**
 * The form fields of one callback: exactly the fields CloudMonitor documents, in that order, and
 * no other. The callback has no region field, so the lab cannot confirm a region the cloud would
 * never send; the region travels in the callback URL (`cmsCallbackUrlFor`). On ALERT the previous
 * level is `OK`; on OK the trigger level stays the rule's level (receivers key on `alertState`).
 */
export function cmsCallbackForm(input: CmsCallbackInput): URLSearchParams {
  const timestamp = String(input.at);
  const fields: Array<[string, string]> = [
    ['alertName', input.alertName],
    ['alertState', input.state],
    ['curValue', input.curValue],
    ['dimensions', javaMapString({ userId: input.userId, ...input.dimensions })],
    ['expression', input.expression],
    ['instanceName', input.instanceName],
    ['metricName', input.metricName],
    ['metricProject', CMS_METRIC_PROJECT],
    ['namespace', CMS_METRIC_PROJECT],
    ['preTriggerLevel', input.state === 'ALERT' ? 'OK' : input.level],
    ['triggerLevel', input.level],
    ['ruleId', input.ruleId],
    ['timestamp', timestamp],
    ['userId', input.userId],
  ];
  // CMS's signature algorithm is not public and receivers cannot verify it; this one only has its shape.
  fields.push([
    'signature',
    createHash('md5')
      .update(fields.map(([k, v]) => `${k}=${v}`).join('&'))
      .digest('hex'),
  ]);
  const order = new Map<string, number>(CMS_CALLBACK_FIELDS.map((f, i) => [f, i]));
  fields.sort(([a], [b]) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  return new URLSearchParams(fields);
}

/**
 * One region's callback URL: the base URL (with its token) plus `region=<region>`, as an operator
 * sets it on that region's CMS alarm rules. CMS calls the URL as given, query included.
 */
export function cmsCallbackUrlFor(base: string, region: string): string {
  const url = new URL(base);
  url.searchParams.set('region', region);
  return url.toString();
}

/** A deterministic RFC 4122-shaped id, so replays of the same transition carry the same id. */
export function uuidFrom(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface AckPodEventInput {
  account: string;
  region: string;
  clusterId: string;
  namespace: string;
  deployment: string;
  reason: string;
  message: string;
  type: 'Warning' | 'Normal';
  at: number;
  /** How many times this event has been reported (Kubernetes' event `count`). */
  count: number;
  firstAt: number;
}

export interface AckCloudEvent {
  specversion: '1.0';
  id: string;
  source: 'acs.cs';
  type: string;
  subject: string;
  time: string;
  datacontenttype: string;
  aliyunaccountid: string;
  aliyunpublishtime: string;
  aliyuneventbusname: string;
  aliyunregionid: string;
  aliyunpublishaddr: string;
  data: Record<string, unknown>;
}

/** apimachinery's rand alphabet, which pod-template hashes and pod name suffixes use. */
const K8S_RAND = 'bcdfghjklmnpqrstvwxz2456789';

function k8sSuffix(seed: string, length: number): string {
  const h = createHash('sha1').update(seed).digest();
  return Array.from(h.subarray(0, length), (b) => K8S_RAND[b % K8S_RAND.length]).join('');
}

/**
 * A kubelet event about one pod of a Deployment, as kube-eventer's EventBridge sink delivers
 * it: type `cs:k8s:PodRelatedEvent`, subject `acs:cs:{region}:{account}:{cluster}/apis/v1/
 * namespaces/{ns}/pods/{pod}`, `data` the core/v1 Event as Go marshals it (no kind/apiVersion,
 * `eventTime` null for the legacy recorder), content type `application/json`.
 */
export function ackPodEvent(input: AckPodEventInput): AckCloudEvent {
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const pod = `${input.deployment}-${k8sSuffix(`${input.clusterId}|${input.namespace}|${input.deployment}|rs`, 10)}-${k8sSuffix(`${input.clusterId}|${input.namespace}|${input.deployment}|pod`, 5)}`;
  const node = `${input.region}.10.0.1.${10 + ((createHash('sha1').update(pod).digest()[0] as number) % 200)}`;
  const id = uuidFrom(`${input.clusterId}|${input.namespace}|${pod}|${input.reason}|${input.at}|${input.count}`);
  const eventUid = uuidFrom(`${input.clusterId}|${input.namespace}|${pod}|${input.reason}|${input.firstAt}`);
  return {
    specversion: '1.0',
    id,
    source: 'acs.cs',
    type: 'cs:k8s:PodRelatedEvent',
    subject: `acs:cs:${input.region}:${input.account}:${input.clusterId}/apis/v1/namespaces/${input.namespace}/pods/${pod}`,
    time: iso(input.at),
    datacontenttype: 'application/json',
    aliyunaccountid: input.account,
    aliyunpublishtime: new Date(input.at).toISOString(),
    aliyuneventbusname: 'default',
    aliyunregionid: input.region,
    aliyunpublishaddr: '127.0.0.1',
    data: {
      metadata: {
        // The recorder names an event {object}.{hex time}; updates of a repeating event keep name and uid.
        name: `${pod}.${input.firstAt.toString(16).padStart(16, '0')}`,
        namespace: input.namespace,
        uid: eventUid,
        resourceVersion: String(input.at),
        creationTimestamp: iso(input.firstAt),
      },
      involvedObject: {
        kind: 'Pod',
        namespace: input.namespace,
        name: pod,
        uid: uuidFrom(`${input.clusterId}|${input.namespace}|pod|${pod}`),
        apiVersion: 'v1',
        fieldPath: `spec.containers{${input.deployment.replace(/-v\d+$/, '')}}`,
      },
      reason: input.reason,
      message: input.message,
      source: { component: 'kubelet', host: node },
      firstTimestamp: iso(input.firstAt),
      lastTimestamp: iso(input.at),
      count: input.count,
      type: input.type,
      eventTime: null,
      reportingComponent: 'kubelet',
      reportingInstance: node,
    },
  };
}

export interface AlertmanagerAlertInput {
  alertName: string;
  state: 'ALERT' | 'OK';
  /** The alert rule's labels besides `alertname`: `region`, `service`, `severity`. */
  labels: Record<string, string>;
  /** The evaluated value, as an alert rule puts `{{ $value }}` in an annotation. */
  value: string;
  summary: string;
  /** When the alert started firing (kept on its resolve), and now. */
  startsAt: number;
  at: number;
}

/** Alertmanager's "no end time" on a firing alert. */
const ALERTMANAGER_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * An Alertmanager webhook (payload version 4) with one alert, as Alertmanager posts it to a
 * `webhook_config` URL: the documented fields (`version`, `groupKey`, `truncatedAlerts`,
 * `status`, `receiver`, `groupLabels`, `commonLabels`, `commonAnnotations`, `externalURL`,
 * `alerts[]` with `status`, `labels`, `annotations`, `startsAt`, `endsAt`, `generatorURL`,
 * `fingerprint`). A firing alert's `endsAt` is the zero time; a resolved one's is when it cleared.
 */
export function alertmanagerWebhook(input: AlertmanagerAlertInput): Record<string, unknown> {
  const status = input.state === 'ALERT' ? 'firing' : 'resolved';
  const labels = { alertname: input.alertName, ...input.labels };
  const annotations = { summary: input.summary, value: input.value };
  const fingerprint = createHash('sha1')
    .update(
      Object.entries(labels)
        .sort()
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    )
    .digest('hex')
    .slice(0, 16);
  return {
    receiver: 'regionshift',
    status,
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt: new Date(input.startsAt).toISOString(),
        endsAt: status === 'firing' ? ALERTMANAGER_ZERO_TIME : new Date(input.at).toISOString(),
        generatorURL: `http://prometheus.lab.local/graph?g0.expr=${encodeURIComponent(input.alertName)}`,
        fingerprint,
      },
    ],
    groupLabels: { alertname: input.alertName },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: 'http://alertmanager.lab.local:9093',
    version: '4',
    groupKey: `{}:{alertname="${input.alertName}"}`,
    truncatedAlerts: 0,
  };
}
