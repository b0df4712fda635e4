import { createHash } from 'node:crypto';
import { COLLECTOR_FIELDS, ENVOY_FIELDS, UNSET } from '../../shared/telemetry/access-log';
import type { WireLog } from '../sls/wire';

/**
 * The data plane's access logs, as ASM ships them to SLS (shared/telemetry/access-log.ts has the
 * sources): every proxy on a request's path logs it, so one hop is two entries,
 *
 * - the caller's proxy (a sidecar, or the ingress gateway) an `outbound|9080|<subset>|<host>`
 *   entry into the Logstore of the caller's cluster, with the endpoint it picked in
 *   `upstream_host` (`-` and flag `UH` when there was none, `NR` with 404 when no route matched);
 * - the serving pod's sidecar an `inbound|9080||` entry into the Logstore of its own cluster.
 *
 * The collector's pod metadata (`_pod_name_`, `_namespace_`, `_container_name_`, `_container_ip_`)
 * goes into each log group's tags, as Logtail sends container stdout: one group per pod per batch
 * of requests, written when the batch ends (`flush`), so the data plane pays one append per group.
 * Bookinfo serves every service on 9080; the lab's topology names no ports, so every cluster name
 * carries 9080. A prober has no sidecar: its requests are logged by the serving pod only.
 */

export interface LogGroupSink {
  write(
    project: string,
    logstore: string,
    shard: number,
    group: { source: string; tags: ReadonlyArray<readonly [string, string]>; logs: readonly WireLog[] },
  ): void;
  shardCount(project: string, logstore: string): number;
}

export interface ClusterLogstore {
  project: string;
  logstore: string;
}

/** A proxy that logs: a pod's sidecar or a gateway's pod. */
export interface LoggingProxy {
  cluster: string;
  namespace: string;
  podName: string;
  podIp: string;
}

export interface OutboundHop {
  service: string;
  subset: string | null;
  status: number;
  durationMs: number;
  /** The endpoint chosen; null when none was (no healthy upstream, no route). */
  upstream: LoggingProxy | null;
  flags: string | null;
  path: string;
  requestId: string;
}

export interface InboundHop {
  service: string;
  status: number;
  durationMs: number;
  downstream: string | null;
  path: string;
  requestId: string;
}

export const SERVICE_PORT = 9080;

interface PendingGroup {
  target: ClusterLogstore;
  proxy: LoggingProxy;
  logs: WireLog[];
}

export class AccessLogWriter {
  private pending = new Map<string, PendingGroup>();
  private readonly nextShard = new Map<string, number>();
  entries = 0;
  groups = 0;

  constructor(
    private readonly opts: { sink: LogGroupSink; logstoreOf: (cluster: string) => ClusterLogstore | undefined; namespace?: string },
  ) {}

  private add(proxy: LoggingProxy, log: WireLog): void {
    const key = `${proxy.cluster}/${proxy.podName}`;
    let group = this.pending.get(key);
    if (!group) {
      const target = this.opts.logstoreOf(proxy.cluster);
      // A cluster whose logs are not collected (no Logstore for it) logs nowhere.
      if (!target) return;
      group = { target, proxy, logs: [] };
      this.pending.set(key, group);
    }
    group.logs.push(log);
    this.entries++;
  }

  outbound(caller: LoggingProxy, hop: OutboundHop, at: number): void {
    this.add(
      caller,
      new HopLog(
        'outbound',
        hop.service,
        this.opts.namespace ?? 'default',
        hop.subset,
        hop.status,
        hop.durationMs,
        hop.flags,
        hop.path,
        hop.requestId,
        at,
        caller.podIp,
        hop.upstream?.podIp ?? null,
        this.entries,
      ),
    );
  }

  inbound(server: LoggingProxy, hop: InboundHop, at: number): void {
    this.add(
      server,
      new HopLog(
        'inbound',
        hop.service,
        this.opts.namespace ?? 'default',
        null,
        hop.status,
        hop.durationMs,
        null,
        hop.path,
        hop.requestId,
        at,
        server.podIp,
        hop.downstream,
        this.entries,
      ),
    );
  }

  /** Write what the batch logged: one log group per pod, each to the next shard of its Logstore. */
  flush(): void {
    if (this.pending.size === 0) return;
    const pending = this.pending;
    this.pending = new Map();
    for (const g of pending.values()) {
      const { project, logstore } = g.target;
      const shards = this.opts.sink.shardCount(project, logstore);
      if (shards === 0) continue;
      const key = `${project}/${logstore}`;
      const shard = (this.nextShard.get(key) ?? 0) % shards;
      this.nextShard.set(key, shard + 1);
      this.opts.sink.write(project, logstore, shard, {
        source: g.proxy.podIp,
        tags: [
          [`__tag__:${COLLECTOR_FIELDS.podName}`, g.proxy.podName],
          [`__tag__:${COLLECTOR_FIELDS.namespace}`, g.proxy.namespace],
          [`__tag__:${COLLECTOR_FIELDS.containerName}`, 'istio-proxy'],
          [`__tag__:${COLLECTOR_FIELDS.containerIp}`, g.proxy.podIp],
        ],
        logs: g.logs,
      });
      this.groups++;
    }
  }
}

/**
 * One entry, kept as the few values it is made of: its contents (ASM's JSON keys) are built when
 * someone reads them (a PullLogs), so a Logstore of a few hundred thousand entries stays small and
 * the data plane's hot path allocates one object per entry.
 */
class HopLog implements WireLog {
  readonly time: number;
  constructor(
    private readonly direction: 'inbound' | 'outbound',
    private readonly service: string,
    private readonly namespace: string,
    private readonly subset: string | null,
    private readonly status: number,
    private readonly durationMs: number,
    private readonly flags: string | null,
    private readonly path: string,
    private readonly requestId: string,
    private readonly at: number,
    /** The logging proxy's address. */
    private readonly selfIp: string,
    /** Outbound: the chosen endpoint (null: none); inbound: the caller (null: a prober, no sidecar). */
    private readonly peerIp: string | null,
    private readonly seq: number,
  ) {
    this.time = Math.floor(at / 1000);
  }

  get contents(): ReadonlyArray<readonly [string, string]> {
    const out = this.direction === 'outbound';
    const ms = String(Math.round(this.durationMs));
    const host = `${this.service}.${this.namespace}.svc.cluster.local`;
    const port = (base: number, span: number) => String(base + (this.seq % span));
    return [
      [ENVOY_FIELDS.authority, `${this.service}:${SERVICE_PORT}`],
      [ENVOY_FIELDS.bytesReceived, '0'],
      [ENVOY_FIELDS.bytesSent, this.status === 200 ? '295' : '0'],
      [ENVOY_FIELDS.downstreamLocalAddress, out ? `${this.peerIp ?? '10.96.0.1'}:${SERVICE_PORT}` : `${this.selfIp}:${SERVICE_PORT}`],
      [
        ENVOY_FIELDS.downstreamRemoteAddress,
        out ? `${this.selfIp}:${port(40000, 20000)}` : this.peerIp ? `${this.peerIp}:${port(50000, 10000)}` : UNSET,
      ],
      [ENVOY_FIELDS.duration, ms],
      [ENVOY_FIELDS.istioPolicyStatus, UNSET],
      [ENVOY_FIELDS.method, 'GET'],
      [ENVOY_FIELDS.path, this.path],
      [ENVOY_FIELDS.protocol, 'HTTP/1.1'],
      [ENVOY_FIELDS.requestId, this.requestId],
      [ENVOY_FIELDS.requestedServerName, out ? UNSET : `outbound_.${SERVICE_PORT}_._.${host}`],
      [ENVOY_FIELDS.responseCode, String(this.status)],
      [ENVOY_FIELDS.responseFlags, this.flags ?? UNSET],
      [ENVOY_FIELDS.routeName, 'default'],
      [ENVOY_FIELDS.startTime, new Date(this.at).toISOString()],
      [ENVOY_FIELDS.traceId, UNSET],
      [ENVOY_FIELDS.upstreamCluster, out ? `outbound|${SERVICE_PORT}|${this.subset ?? ''}|${host}` : `inbound|${SERVICE_PORT}||`],
      [ENVOY_FIELDS.upstreamHost, out ? (this.peerIp ? `${this.peerIp}:${SERVICE_PORT}` : UNSET) : `${this.selfIp}:${SERVICE_PORT}`],
      [
        ENVOY_FIELDS.upstreamLocalAddress,
        out ? (this.peerIp ? `${this.selfIp}:${port(50000, 10000)}` : UNSET) : `127.0.0.6:${port(40000, 20000)}`,
      ],
      [ENVOY_FIELDS.upstreamServiceTime, out && !this.peerIp ? UNSET : ms],
      [ENVOY_FIELDS.upstreamTransportFailureReason, UNSET],
      [ENVOY_FIELDS.userAgent, 'lab-client'],
      [ENVOY_FIELDS.xForwardedFor, UNSET],
    ];
  }
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function stable(text: string, length: number): string {
  const digest = createHash('sha1').update(text).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += NAME_CHARS[(digest[i] as number) % NAME_CHARS.length];
  return out;
}

/**
 * Names and addresses for the lab's proxies, stable across batches: a Deployment's pod is
 * `<deployment>-<pod-template-hash>-<5 chars>` as Kubernetes names it (so the reader's
 * `workloadOfPod` finds the Deployment), with a 10.x address per cluster.
 */
export class ProxyIdentities {
  private readonly byKey = new Map<string, LoggingProxy>();
  private readonly clusterIndex = new Map<string, number>();
  private hosts = 0;

  private ip(cluster: string): string {
    let c = this.clusterIndex.get(cluster);
    if (c === undefined) {
      c = this.clusterIndex.size + 1;
      this.clusterIndex.set(cluster, c);
    }
    const n = ++this.hosts;
    return `10.${c}.${(n >> 8) & 255}.${n & 255}`;
  }

  pod(p: { id: string; cluster: string; namespace: string; deployment: string }): LoggingProxy {
    let proxy = this.byKey.get(p.id);
    if (!proxy) {
      proxy = {
        cluster: p.cluster,
        namespace: p.namespace,
        podName: `${p.deployment}-${stable(`${p.cluster}/${p.deployment}`, 9)}-${stable(p.id, 5)}`,
        podIp: this.ip(p.cluster),
      };
      this.byKey.set(p.id, proxy);
    }
    return proxy;
  }

  gateway(name: string, cluster: string): LoggingProxy {
    const key = `gateway/${name}`;
    let proxy = this.byKey.get(key);
    if (!proxy) {
      proxy = {
        cluster,
        namespace: 'istio-system',
        podName: `istio-ingressgateway-${stable(key, 9)}-${stable(`${key}/0`, 5)}`,
        podIp: this.ip(cluster),
      };
      this.byKey.set(key, proxy);
    }
    return proxy;
  }
}
