import { z } from 'zod';

/**
 * One data-plane access-log entry as Simple Log Service hands it back (`PullLogs`: a `LogGroup`'s
 * `LogItem.contents`, `Array<{key, value}>`, plus the group's `LogTags`), and what regionshift reads
 * from it. The lab's data plane writes its entries with these constants, so both sides agree.
 *
 * Sources (docs/cloud-contracts.md, "SLS access logs", has the table):
 * - The field names and their Envoy command operators: ASM's default access-log format, "Customize
 *   the format of access logs on the data plane" (alibabacloud.com/help/en/asm/user-guide/
 *   customize-access-logs-of-clusters-on-the-data-plane): with access logging on, the istio-proxy
 *   container prints one JSON object per request with exactly the fields of `ENVOY_FIELDS` (below),
 *   and "Use Log Service to collect access logs on the data plane" ships that stdout to SLS, where
 *   each JSON key becomes a content key. A sample entry is in ASM's "Observability overview"
 *   (alibabacloud.com/help/en/asm/ambient/user-guide/observable-overview).
 * - What each value means: Envoy's access-log command operators ("Access logging", envoyproxy.io/
 *   docs/envoy/latest/configuration/observability/access_log/usage): `%RESPONSE_CODE%` (0 when no
 *   response was sent), `%DURATION%` (ms from the first byte received to the last byte sent),
 *   `%UPSTREAM_CLUSTER%`, `%START_TIME%`, `%RESPONSE_FLAGS%`; a value that is not set prints `-`.
 * - The upstream cluster's name: Istio names Envoy clusters `direction|port|subset|host`
 *   (`outbound|9080|v1|reviews.default.svc.cluster.local`; the subset is empty when the route names
 *   none, as in ASM's sample `outbound|8000||httpbin.default.svc.cluster.local`; inbound clusters
 *   are `inbound|port||` in current Istio, `inbound|port|name|host` in older ones).
 * - The pod that logged it: the container metadata the SLS collector (Logtail / LoongCollector)
 *   attaches to container stdout: `_pod_name_`, `_namespace_`, `_container_name_`,
 *   `_container_ip_` (alibaba/loongcollector, container metadata keys; SLS "Collect stdout and
 *   stderr from Kubernetes containers"). Newer collectors put them in the group's tags as
 *   `__tag__:_pod_name_`; both places are read.
 *
 * Which cluster (so which region) logged an entry is not a field: each ACK cluster's logs go to
 * the SLS project and Logstore the collection was set up with, so the trigger's project/Logstore
 * names the cluster, by the policy's `telemetry.logstores` map.
 *
 * Per request, two proxies log: the caller's sidecar (or gateway) an `outbound|…` entry into the
 * caller's cluster's Logstore, the serving pod's sidecar an `inbound|…` entry into its own. The
 * serving view (region × service × workload) is read from inbound entries, where the Logstore is
 * the serving cluster's; the caller's view (source region × service × subset) from outbound ones.
 */

/** ASM's default access-log fields (JSON keys), each with the Envoy command operator behind it. */
export const ENVOY_FIELDS = {
  /** `%REQ(:AUTHORITY)%`: the host the caller addressed (`reviews:9080`). */
  authority: 'authority_for',
  /** `%BYTES_RECEIVED%` */
  bytesReceived: 'bytes_received',
  /** `%BYTES_SENT%` */
  bytesSent: 'bytes_sent',
  /** `%DOWNSTREAM_LOCAL_ADDRESS%` */
  downstreamLocalAddress: 'downstream_local_address',
  /** `%DOWNSTREAM_REMOTE_ADDRESS%` */
  downstreamRemoteAddress: 'downstream_remote_address',
  /** `%DURATION%`: total duration of the request in milliseconds. */
  duration: 'duration',
  /** `%DYNAMIC_METADATA(istio.mixer:status)%` (`-` without Mixer). */
  istioPolicyStatus: 'istio_policy_status',
  /** `%REQ(:METHOD)%` */
  method: 'method',
  /** `%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%` */
  path: 'path',
  /** `%PROTOCOL%` */
  protocol: 'protocol',
  /** `%REQ(X-REQUEST-ID)%` */
  requestId: 'request_id',
  /** `%REQUESTED_SERVER_NAME%` */
  requestedServerName: 'requested_server_name',
  /** `%RESPONSE_CODE%`: the HTTP status sent downstream; `0` when none was. */
  responseCode: 'response_code',
  /** `%RESPONSE_FLAGS%` (`UH`, `UF`, `URX`, `NR`, …; `-` when none). */
  responseFlags: 'response_flags',
  /** `%ROUTE_NAME%` */
  routeName: 'route_name',
  /** `%START_TIME%`: ISO 8601 with milliseconds (`2025-06-17T01:36:06.687Z`). */
  startTime: 'start_time',
  /** `%REQ(X-B3-TRACEID)%` */
  traceId: 'trace_id',
  /** `%UPSTREAM_CLUSTER%`: `direction|port|subset|host`. */
  upstreamCluster: 'upstream_cluster',
  /** `%UPSTREAM_HOST%`: the endpoint's `ip:port` (`-` when none was chosen). */
  upstreamHost: 'upstream_host',
  /** `%UPSTREAM_LOCAL_ADDRESS%` */
  upstreamLocalAddress: 'upstream_local_address',
  /** `%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%` */
  upstreamServiceTime: 'upstream_service_time',
  /** `%UPSTREAM_TRANSPORT_FAILURE_REASON%` */
  upstreamTransportFailureReason: 'upstream_transport_failure_reason',
  /** `%REQ(USER-AGENT)%` */
  userAgent: 'user_agent',
  /** `%REQ(X-FORWARDED-FOR)%` */
  xForwardedFor: 'x_forwarded_for',
} as const;

/** The container metadata the SLS collector attaches (as contents, or as `__tag__:` + key in the tags). */
export const COLLECTOR_FIELDS = {
  podName: '_pod_name_',
  namespace: '_namespace_',
  containerName: '_container_name_',
  containerIp: '_container_ip_',
} as const;

/** The prefix SLS gives a group tag when it is shown next to contents (`__tag__:_pod_name_`). */
export const TAG_PREFIX = '__tag__:';

/** Envoy prints `-` for a value that is not set. */
export const UNSET = '-';

/** The fields without which an entry says nothing regionshift can use. */
export const REQUIRED_FIELDS = [
  ENVOY_FIELDS.responseCode,
  ENVOY_FIELDS.upstreamCluster,
  ENVOY_FIELDS.duration,
  ENVOY_FIELDS.startTime,
] as const;

export const slsPairSchema = z.object({ key: z.string(), value: z.string() });
export type SlsPair = z.infer<typeof slsPairSchema>;

/** Contents (and tags) as a record; a key given twice keeps its first value. */
export function pairsToRecord(contents: readonly SlsPair[], tags: readonly SlsPair[] = []): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const { key, value } of contents) if (!(key in out)) out[key] = value;
  for (const { key, value } of tags) {
    const bare = key.startsWith(TAG_PREFIX) ? key.slice(TAG_PREFIX.length) : key;
    if (!(bare in out)) out[bare] = value;
  }
  return out;
}

export type Direction = 'inbound' | 'outbound';

export interface UpstreamClusterName {
  direction: Direction;
  port: number | null;
  /** The DestinationRule subset (`v1`); null when empty. */
  subset: string | null;
  /** The host as written (`reviews.default.svc.cluster.local`); null when empty (current inbound). */
  host: string | null;
}

/**
 * Istio's `direction|port|subset|host`. Anything else (a passthrough cluster, `BlackHoleCluster`,
 * a gateway's own names) is not a mesh service hop: null.
 */
export function parseUpstreamCluster(text: string): UpstreamClusterName | null {
  // ASM's sample ends the name with `;` (`outbound|8000||httpbin.default.svc.cluster.local;`).
  const parts = text.trim().replace(/;$/, '').split('|');
  if (parts.length !== 4) return null;
  const [direction, port, subset, host] = parts as [string, string, string, string];
  if (direction !== 'inbound' && direction !== 'outbound') return null;
  const p = /^\d{1,5}$/.test(port) ? Number(port) : null;
  return { direction, port: p, subset: subset === '' ? null : subset, host: host === '' ? null : host };
}

/** `reviews.default.svc.cluster.local`, `reviews:9080`, `reviews` → `reviews`. */
export function shortServiceName(host: string): string | null {
  const h = host.trim().replace(/:\d+$/, '');
  if (h === '' || h === UNSET) return null;
  const dot = h.indexOf('.');
  return (dot === -1 ? h : h.slice(0, dot)).toLowerCase();
}

/**
 * The workload of a Deployment's pod: Kubernetes names a Deployment's ReplicaSet
 * `<deployment>-<pod-template-hash>` and its pods `<replicaset>-<5 random chars>` ("Deployments",
 * kubernetes.io), so `reviews-v2-5d8b7c7f4-x2x9k` → `reviews-v2`. A name of another shape (a
 * StatefulSet's `web-0`, a bare pod) is its own workload.
 */
export function workloadOfPod(podName: string): string {
  const m = /^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$/.exec(podName);
  return m ? m[1]! : podName;
}

const text = (field: string) =>
  z.string({ error: (iss: { input?: unknown }) => (iss.input === undefined ? `${field} is missing` : `${field} must be text`) });

/** The entry as SLS contents: the required fields present, every value text. */
export const accessLogRecordSchema = z.looseObject({
  [ENVOY_FIELDS.responseCode]: text(ENVOY_FIELDS.responseCode).regex(/^\d{1,3}$/, `${ENVOY_FIELDS.responseCode} must be a status code`),
  [ENVOY_FIELDS.upstreamCluster]: text(ENVOY_FIELDS.upstreamCluster),
  [ENVOY_FIELDS.duration]: text(ENVOY_FIELDS.duration).regex(/^\d+$/, `${ENVOY_FIELDS.duration} must be whole milliseconds`),
  [ENVOY_FIELDS.startTime]: text(ENVOY_FIELDS.startTime),
  [ENVOY_FIELDS.authority]: text(ENVOY_FIELDS.authority).optional(),
  [ENVOY_FIELDS.responseFlags]: text(ENVOY_FIELDS.responseFlags).optional(),
  [ENVOY_FIELDS.upstreamHost]: text(ENVOY_FIELDS.upstreamHost).optional(),
  [COLLECTOR_FIELDS.podName]: text(COLLECTOR_FIELDS.podName).optional(),
  [COLLECTOR_FIELDS.namespace]: text(COLLECTOR_FIELDS.namespace).optional(),
});

const CODE_RE = /^\d{1,3}$/;
const MS_RE = /^\d+$/;

/** The schema's checks, by hand: required fields present as text, code and duration well formed. */
function wellFormed(r: Record<string, string>): boolean {
  const code = r[ENVOY_FIELDS.responseCode];
  const duration = r[ENVOY_FIELDS.duration];
  return (
    typeof code === 'string' &&
    CODE_RE.test(code) &&
    typeof duration === 'string' &&
    MS_RE.test(duration) &&
    typeof r[ENVOY_FIELDS.upstreamCluster] === 'string' &&
    typeof r[ENVOY_FIELDS.startTime] === 'string'
  );
}

/** What regionshift keeps of one entry. */
export interface AccessLogEntry {
  direction: Direction;
  /** The service's short name: the upstream host (outbound), else the authority (inbound). */
  service: string;
  /** The DestinationRule subset the caller routed to (outbound), when the route names one. */
  subset: string | null;
  /** The Deployment of the pod that logged it (inbound: the serving workload), when the collector tagged it. */
  workload: string | null;
  /** 0 when no response was sent (Envoy). */
  responseCode: number;
  durationMs: number;
  /** Epoch ms of `start_time`; null when unreadable. */
  startMs: number | null;
  responseFlags: string | null;
}

export type ParsedEntry = { ok: true; entry: AccessLogEntry } | { ok: false; reason: string };

/** One entry, from SLS contents and its group's tags. Never throws: a bad entry is a reason. */
export function parseAccessLogEntry(contents: readonly SlsPair[], tags: readonly SlsPair[] = []): ParsedEntry {
  const record = pairsToRecord(contents, tags);
  // The usual entry is checked by hand (a few µs for thousands per invocation); one that fails
  // goes through the schema, whose first issue is the reason.
  if (!wellFormed(record)) {
    const parsed = accessLogRecordSchema.safeParse(record);
    if (!parsed.success) return { ok: false, reason: parsed.error.issues[0]?.message ?? 'not an access-log entry' };
  }
  const r = record as Record<string, string | undefined>;
  const cluster = parseUpstreamCluster(r[ENVOY_FIELDS.upstreamCluster]!);
  if (!cluster) return { ok: false, reason: `${ENVOY_FIELDS.upstreamCluster} is not a mesh service cluster` };
  const authority = r[ENVOY_FIELDS.authority];
  const service =
    cluster.direction === 'outbound'
      ? cluster.host !== null
        ? shortServiceName(cluster.host)
        : null
      : authority !== undefined
        ? shortServiceName(authority)
        : cluster.host !== null
          ? shortServiceName(cluster.host)
          : null;
  if (service === null) return { ok: false, reason: `no service: ${ENVOY_FIELDS.authority} and the cluster's host are empty` };
  const pod = r[COLLECTOR_FIELDS.podName];
  const flags = r[ENVOY_FIELDS.responseFlags];
  const start = Date.parse(r[ENVOY_FIELDS.startTime]!);
  return {
    ok: true,
    entry: {
      direction: cluster.direction,
      service,
      subset: cluster.direction === 'outbound' ? cluster.subset : null,
      workload: pod !== undefined && pod !== '' && pod !== UNSET ? workloadOfPod(pod) : null,
      responseCode: Number(r[ENVOY_FIELDS.responseCode]),
      durationMs: Number(r[ENVOY_FIELDS.duration]),
      startMs: Number.isFinite(start) ? start : null,
      responseFlags: flags !== undefined && flags !== UNSET ? flags : null,
    },
  };
}

/** A server error for the detector: 5xx, or no response at all (Envoy's 0). */
export function isServerError(code: number): boolean {
  return code === 0 || (code >= 500 && code <= 599);
}
