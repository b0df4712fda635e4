import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { systemClock, type Clock } from '../shared/ports/clock';
import { pathToFileURL } from 'node:url';
import { startFcHost, type FcHost, type HandlerModule, type HostedFunction } from './host/fc-host';
import { AlarmDelivery } from './dataplane/alarm-delivery';
import { AlarmEvaluator } from './dataplane/alarms';
import { labApiHandler } from './dataplane/api';
import { LabDataPlane } from './dataplane/engine';
import { FaultBook, deploymentsForFault, type FaultEvent } from './dataplane/faults';
import { TrafficMetrics } from './dataplane/metrics';
import { startLabControlPlane, MESH_SCOPE, type LabControlPlane } from './k8s/control-plane';
import {
  DEPLOYMENTS,
  DESTINATION_RULES,
  NODES,
  SERVICE_ENTRIES,
  VIRTUAL_SERVICES,
  WORKLOAD_ENTRIES,
  WORKLOAD_GROUPS,
} from './k8s/resources';
import { STARTUP_DELAY_ANNOTATION } from './k8s/deployment-pods';
import { SUBZONE_ANNOTATION, ZONES_ANNOTATION } from './k8s/pod-view';
import { topologySchema, type Topology } from './topology/schema';
import { bundlePages, renderLabPage } from './lab-page';
import type { LocalityLbSettingInput } from '../shared/core/mesh-validation';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../shared/adapters/mesh-ownership';
import { ACK_HTTP_PATH, ackForwardingPlan, type AckForwardingRule } from '../infra/eventbridge/ack-forwarding';
import { SlsTwin } from './sls/sls-twin';
import { AccessLogWriter, type ClusterLogstore } from './dataplane/access-log';

/**
 * The lab: a digital twin of a two-region mesh with the product running against it. The FC host
 * serves the real functions (built from s.yaml) whose adapters talk to the Kubernetes/ASM/ACK
 * twins over HTTP with the real SDKs; the data plane routes simulated traffic by what the twins
 * hold, and its alarm rules call the alarm function like CloudMonitor would.
 */

export interface LabOptions {
  port?: number;
  clock?: Clock;
  topologyFile?: string;
  policyFile?: string;
  /** Scheduler ticks (the deployed timer fires every minute; the lab is faster). */
  tickMs?: number;
  stateFile?: string;
  log?: (line: Record<string, unknown>) => void;
  /** Start background traffic and alarm evaluation (default true). */
  background?: boolean;
  /** The DestinationRules' outlier detection (default: 5 consecutive 5xx, 5 s interval, 30 s ejection, up to 100%). */
  outlierDetection?: Record<string, unknown>;
  /** Policy fields to set over the lab periods (e.g. shorter holds in tests). */
  policy?: Record<string, Record<string, unknown>>;
  /** How long the ASM twin reports `updating` after a change (default 1500 ms). */
  asmUpdateDelayMs?: number;
  /** REGIONSHIFT_POLL_MS for the functions: how often their waits poll the twins (default: the product's, 3 s ASM / 2 s Kubernetes). */
  pollMs?: number;
  /**
   * Run the functions' runtime (engine, adapters' waits, control API signature window) on
   * `clock` too. Default false: their runtime runs on the system clock, as deployed.
   * Virtual-time runs (the incident benchmark) need it.
   */
  functionsOnClock?: boolean;
  /** Schedules the host's `@every` timer triggers (fc-host `every`); default: real setInterval. */
  every?: (intervalMs: number, fire: () => void) => () => void;
  /** Put the lab's short periods over the policy (default true); false runs the policy's own periods. */
  labPeriods?: boolean;
  /**
   * The regions whose default event bus carries the cross-region rule to the cluster-events
   * function (infra/eventbridge/ack-forwarding.ts), as `npm run infra:ack-rules` would create them.
   * Default: every region of the policy other than the functions'; [] for none.
   */
  ackRuleRegions?: string[];
  /** REGIONSHIFT_ALARM_ANSWER for the functions (default: the product's, `first`); `after-steps` is the benchmark's baseline. */
  alarmAnswer?: 'first' | 'after-steps';
  /** The CMS twin's mute period (SilenceTime, ms) after which a rule still in ALERT notifies again (default CMS's, 86,400 s). */
  cmsSilenceMs?: number;
  /**
   * Whether the functions read the CMS twin's alerting state back (policy `detection.cmsReconcile`
   * listing the topology's CMS rules, each in its region; every 10 s with the lab periods, the
   * policy default otherwise). Default true; false runs the policy without it (the benchmark's baseline).
   */
  cmsReconcile?: boolean;
  /** The data plane's PRNG seed (default 7): the incident benchmark runs each incident over several. */
  seed?: number;
  /**
   * The telemetry path: the `telemetry` function's SLS triggers (s.yaml) reading the data plane's
   * access logs from the SLS twin. Default on, at s.yaml's `triggerInterval`; `{ intervalS }` runs
   * every trigger at that interval instead (3–600 s, as FC allows); false runs no SLS trigger (the
   * access logs are still written, nobody reads them), for labs whose outcome must rest on alarms alone.
   * With `functionsOnClock`, an explicit `true` or `{ intervalS }` runs the triggers on the lab's
   * clock; left unset they follow `every` (the caller's timers) like the scheduler's.
   */
  telemetry?: boolean | { intervalS: number };
}

export interface Lab {
  hostUrl: string;
  labUrl: string;
  /** The functions' structured log (one JSON line per invocation and decision). */
  logFile: string;
  controlUrl: string;
  controlPlane: LabControlPlane;
  dataPlane: LabDataPlane;
  faults: FaultBook;
  alarms: AlarmEvaluator;
  host: FcHost;
  topology: Topology;
  secrets: { alarmToken: string; controlSecret: string; readToken: string };
  /** The policy the functions run (the policy file with the lab periods over it). */
  policyYaml: string;
  /** How often the background ticker fires the scheduler. */
  tickMs: number;
  /** The variables `regionshift doctor` needs to read this lab as the functions do (the banner prints them). */
  doctorEnv: Record<string, string>;
  /** The outlierDetection every seeded DestinationRule carries. */
  outlierDetection: Record<string, unknown>;
  /** The policy's kubeconfig variables (`kubeconfigEnv`) the lab set to its twins' kubeconfigs. */
  kubeconfigEnv: Array<{ cluster: string; variable: string }>;
  tick(): Promise<void>;
  /** The cross-region ACK rules the regions' buses carry (one per region in `ackRuleRegions`). */
  ackRules: AckForwardingRule[];
  /** The SLS twin: one project per cluster, the data plane's access logs in its Logstores. */
  sls: SlsTwin;
  stop(): Promise<void>;
}

/** Lab periods: the example policy with times short enough to watch a whole loop in a few minutes. */
export function labPolicyYaml(policyFile: string, overrides: Record<string, Record<string, unknown>> = {}, labPeriods = true): string {
  const policy = parseYaml(readFileSync(policyFile, 'utf8')) as Record<string, Record<string, unknown>>;
  const lab: Record<string, Record<string, unknown>> = !labPeriods
    ? {}
    : {
        recovery: { holdFor: '20s', stepHold: '15s', maxHold: '5m' },
        safety: { cooldown: '5s', stepInterval: '10s' },
        detection: { defaultTtl: '10m' },
        scaling: { readyTimeout: '60s', scaleDownDelay: '2m' },
      };
  for (const section of new Set([...Object.keys(lab), ...Object.keys(overrides)])) {
    policy[section] = { ...(policy[section] ?? {}), ...(lab[section] ?? {}), ...(overrides[section] ?? {}) };
  }
  return stringifyYaml(policy);
}

/**
 * The lab policy's `detection.cmsReconcile`: every CMS-callback rule of the topology, in the
 * region its callback URL names (a rule's own region, or its cluster's), read every 10 s with the
 * lab periods. An explicit `detection.cmsReconcile` in the overrides wins.
 */
function withCmsReconcile(
  overrides: Record<string, Record<string, unknown>> | undefined,
  topology: Topology,
  on: boolean,
  labPeriods: boolean,
): Record<string, Record<string, unknown>> {
  const out = { ...(overrides ?? {}) };
  if (!on || (out.detection && 'cmsReconcile' in out.detection)) return out;
  const rules = topology.alarms.flatMap((a) => {
    if (a.kind === 'ready-replicas-zero') {
      if (a.delivery !== 'cms') return [];
      const region = topology.regions.find((r) => r.clusters.some((c) => c.name === a.cluster));
      return region ? [{ ruleId: a.id, region: region.name }] : [];
    }
    return [{ ruleId: a.id, region: a.region }];
  });
  if (rules.length === 0) return out;
  out.detection = { cmsReconcile: { ...(labPeriods ? { every: '10s' } : {}), rules }, ...(out.detection ?? {}) };
  return out;
}

const DEFAULT_TICK_MS = 5000;

/** An `every` on a clock: fires each `intervalMs` of that clock's time (a virtual clock's sleeps wake as it advances). */
function clockEvery(clock: Clock): (intervalMs: number, fire: () => void) => () => void {
  return (intervalMs, fire) => {
    let on = true;
    void (async () => {
      while (on) {
        await clock.sleep(intervalMs);
        if (on) fire();
      }
    })();
    return () => {
      on = false;
    };
  };
}

/** How long the SLS twin keeps log groups: the trigger reads within seconds; this bounds memory. */
const SLS_RETENTION_MS = 5 * 60_000;

/**
 * Where each cluster's access logs go: the policy's `telemetry.logstores` when it has them, else
 * per cluster ACK's default project name (`k8s-log-<cluster id>`) and the Logstore name the
 * examples use (`istio-access-log`; the operator's choice in the cloud).
 */
/** Whether a lab policy lists Logstores under `telemetry` (read defensively, as the functions' own parse decides). */
function logstoresListed(policyYaml: string): boolean {
  const listed = (parseYaml(policyYaml) as { telemetry?: { logstores?: unknown } } | null)?.telemetry?.logstores;
  return Array.isArray(listed) && listed.length > 0;
}

export function labLogstores(topology: Topology, policyYaml: string): Map<string, ClusterLogstore & { region: string }> {
  const regionOf = new Map(topology.regions.flatMap((r) => r.clusters.map((c) => [c.name, r.name] as const)));
  const listed = (
    parseYaml(policyYaml) as { telemetry?: { logstores?: Array<{ project?: unknown; logstore?: unknown; cluster?: unknown }> } } | null
  )?.telemetry?.logstores;
  const out = new Map<string, ClusterLogstore & { region: string }>();
  if (Array.isArray(listed) && listed.length > 0) {
    for (const l of listed) {
      const region = regionOf.get(String(l.cluster));
      if (region && typeof l.project === 'string' && typeof l.logstore === 'string')
        out.set(String(l.cluster), { project: l.project, logstore: l.logstore, region });
    }
    return out;
  }
  for (const [cluster, region] of regionOf) out.set(cluster, { project: `k8s-log-${cluster}`, logstore: 'istio-access-log', region });
  return out;
}
const DEFAULT_OUTLIER_DETECTION = { consecutive5xxErrors: 5, interval: '5s', baseEjectionTime: '30s', maxEjectionPercent: 100 };

/**
 * The mesh as the product leaves it in normal times: failover mode from the policy's `failover`
 * map (first target of each region), bare regions as the product sends ASM. Seeding it means the
 * lab's first requests are already local instead of split over both regions until the first apply.
 */
export function seededFailover(policyYaml: string): LocalityLbSettingInput | null {
  const policy = parseYaml(policyYaml) as { failover?: Record<string, unknown> };
  const failover = Object.entries(policy.failover ?? {}).flatMap(([from, to]) => {
    const first = Array.isArray(to) ? to[0] : to;
    return typeof first === 'string' ? [{ from, to: first }] : [];
  });
  return failover.length > 0 ? { enabled: true, failover } : null;
}

/**
 * Where the data plane places a deployment's pods, so the Pods the twin lists sit on the same
 * zones. Left off when the pod view's default (the nodes' zones in name order) already agrees,
 * so a default lab's Deployments carry exactly the annotations they always had.
 */
function placement(topology: Topology, d: Topology['deployments'][number]): Record<string, string> {
  const regionZones = topology.regions.find((r) => r.clusters.some((c) => c.name === d.cluster))?.zones ?? [];
  const zones = d.zones ?? regionZones;
  const agrees = zones.join(',') === [...regionZones].sort().join(',');
  return { ...(!agrees ? { [ZONES_ANNOTATION]: zones.join(',') } : {}), ...(d.subzone ? { [SUBZONE_ANNOTATION]: d.subzone } : {}) };
}

/**
 * The services a lab policy scopes (`scopes.services`), read defensively: their seeded rules are
 * handed to the product (label app.kubernetes.io/managed-by: regionshift), as an operator does on
 * ASM so that a scope can set the host's own locality on its existing rule. Without scopes, none.
 */
export function scopedServicesOf(policyYaml: string): string[] {
  const doc = parseYaml(policyYaml) as { scopes?: { services?: Record<string, unknown> | null } | null } | null;
  return Object.keys(doc?.scopes?.services ?? {});
}

/**
 * The clusters a lab policy reaches through a variable holding a kubeconfig (`kubeconfig:
 * { kubeconfigEnv: X }`, e.g. an external cluster ACK has no kubeconfig for), read defensively:
 * the lab knows each twin cluster's kubeconfig, so it sets the variable for the functions (and
 * the doctor command) as an operator sets it on the function, and nobody has to find the value.
 */
export function kubeconfigEnvsOf(policyYaml: string): Array<{ cluster: string; variable: string }> {
  const doc = parseYaml(policyYaml) as {
    regions?: Record<string, { clusters?: Array<{ id?: unknown; kubeconfig?: { kubeconfigEnv?: unknown } }> }>;
  } | null;
  return Object.values(doc?.regions ?? {}).flatMap((r) =>
    (r.clusters ?? []).flatMap((c) =>
      typeof c.id === 'string' && typeof c.kubeconfig?.kubeconfigEnv === 'string'
        ? [{ cluster: c.id, variable: c.kubeconfig.kubeconfigEnv }]
        : [],
    ),
  );
}

/** The Istio Gateway the lab's ingress gateways stand for, and the VirtualService bound to it (the ASM Bookinfo documents' names). */
export const LAB_GATEWAY = 'default/bookinfo-gateway';
export const LAB_GATEWAY_VS = { namespace: 'default', name: 'bookinfo' } as const;

/**
 * The VirtualService binding the gateways to their entry services: the Bookinfo document's one
 * route to productpage (its URI matches), or one route per entry service when the topology's
 * gateways call several (each under `/<service>`).
 */
export function gatewayVirtualService(topology: Topology): Record<string, unknown> {
  const entries = [...new Set(topology.gateways.map((g) => g.entry))].sort();
  const route = (service: string) => [{ destination: { host: service, port: { number: 9080 } } }];
  const http =
    entries.length === 1
      ? [
          {
            match: [
              { uri: { exact: '/productpage' } },
              { uri: { prefix: '/static' } },
              { uri: { exact: '/login' } },
              { uri: { exact: '/logout' } },
              { uri: { prefix: '/api/v1/products' } },
            ],
            route: route(entries[0]!),
          },
        ]
      : entries.map((service) => ({ match: [{ uri: { prefix: `/${service}` } }], route: route(service) }));
  return { hosts: ['*'], gateways: [LAB_GATEWAY.split('/')[1]], http };
}

export function seed(
  cp: LabControlPlane,
  topology: Topology,
  outlierDetection: Record<string, unknown>,
  handedOver: readonly string[] = [],
): void {
  for (const d of topology.deployments) {
    cp.store.create(d.cluster, DEPLOYMENTS, d.namespace, {
      // The lab starts with a settled mesh: the initial pods are ready at once; later scale-ups take the startup delay.
      metadata: { name: d.name, labels: { app: d.service, version: d.version }, annotations: { [STARTUP_DELAY_ANNOTATION]: '0' } },
      spec: {
        replicas: d.replicas,
        selector: { matchLabels: { app: d.service, version: d.version } },
        template: { metadata: { labels: { app: d.service, version: d.version } } },
      },
    });
    cp.store.update(d.cluster, DEPLOYMENTS, d.namespace, d.name, (current) => ({
      ...current,
      metadata: {
        ...current.metadata,
        annotations: { ...current.metadata.annotations, [STARTUP_DELAY_ANNOTATION]: String(d.startupDelay), ...placement(topology, d) },
      },
    }));
  }
  // One node per zone (and subzone) in each cluster, labelled as ACK labels its nodes: the
  // locality Istio gives their pods. An ASK (serverless) cluster has virtual nodes instead, as
  // ECI's virtual kubelet registers them: `type: virtual-kubelet` and its NoSchedule taint.
  for (const r of topology.regions) {
    for (const c of r.clusters) {
      for (const zone of r.zones) {
        for (const subzone of r.subzones[zone] ?? [null]) {
          const virtual = c.kind === 'ask';
          const labels: Record<string, string> = { 'topology.kubernetes.io/region': r.name, 'topology.kubernetes.io/zone': zone };
          if (subzone !== null) labels['topology.istio.io/subzone'] = subzone;
          if (virtual) labels.type = 'virtual-kubelet';
          cp.store.create(c.name, NODES, '', {
            metadata: { name: `${virtual ? 'virtual-kubelet' : 'node'}-${zone}${subzone !== null ? `-${subzone}` : ''}`, labels },
            spec: virtual ? { taints: [{ key: 'virtual-kubelet.io/provider', value: 'alibabacloud', effect: 'NoSchedule' }] } : {},
          });
        }
      }
    }
  }
  // VMs as Istio declares them, in the mesh's control plane (ASM keeps Istio resources there).
  for (const g of topology.workloadGroups) {
    cp.store.create(MESH_SCOPE, WORKLOAD_GROUPS, g.namespace, {
      metadata: { name: g.name },
      spec: { metadata: { labels: g.labels }, template: {} },
    });
  }
  for (const w of topology.workloadEntries) {
    const group = topology.workloadGroups.find((g) => g.name === w.group && g.namespace === w.namespace);
    cp.store.create(MESH_SCOPE, WORKLOAD_ENTRIES, w.namespace, {
      metadata: { name: w.name },
      spec: {
        address: w.address,
        labels: { ...(group?.labels ?? {}), app: w.service, version: w.version, ...w.labels },
        locality: w.locality,
        ...(w.weight !== undefined ? { weight: w.weight } : {}),
      },
    });
  }
  // Outlier detection on every service: without it, Envoy's failover never moves traffic.
  const ownRules = new Set(
    topology.istio.filter((o) => o.kind === 'DestinationRule').map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
  );
  for (const s of topology.services) {
    if (ownRules.has(`default/${s.name}`)) continue;
    cp.store.create(MESH_SCOPE, DESTINATION_RULES, 'default', {
      metadata: { name: s.name, ...(handedOver.includes(s.name) ? { labels: { [MANAGED_BY_LABEL]: MANAGED_BY } } : {}) },
      spec: { host: s.name, trafficPolicy: { outlierDetection }, subsets: s.versions.map((v) => ({ name: v, labels: { version: v } })) },
    });
  }
  // The ingress gateways' VirtualService, as the ASM Bookinfo documents apply it (`bookinfo`,
  // bound to `bookinfo-gateway`, routing to productpage): what a policy's scopes.entryFrom reads.
  // Bound to a gateway only, so the sidecars never apply it (routing-source.ts).
  const gatewayVs = topology.istio.some(
    (o) => o.kind === 'VirtualService' && o.metadata.namespace === LAB_GATEWAY_VS.namespace && o.metadata.name === LAB_GATEWAY_VS.name,
  );
  if (!gatewayVs)
    cp.store.create(MESH_SCOPE, VIRTUAL_SERVICES, LAB_GATEWAY_VS.namespace, {
      metadata: { name: LAB_GATEWAY_VS.name },
      spec: gatewayVirtualService(topology),
    });
  // The scenario's own Istio objects, through the twin's admission like a kubectl apply.
  const types = { VirtualService: VIRTUAL_SERVICES, DestinationRule: DESTINATION_RULES, ServiceEntry: SERVICE_ENTRIES };
  for (const o of topology.istio) {
    cp.store.create(MESH_SCOPE, types[o.kind], o.metadata.namespace, {
      metadata: { name: o.metadata.name },
      spec: structuredClone(o.spec),
    });
  }
}

/**
 * A scale-to-zero fault acts on the control plane, as an operator's `kubectl scale` would: the
 * Deployments go to 0, and back to what they had once no such fault covers them any more.
 */
function scaleToZeroListener(cp: LabControlPlane, topology: Topology, faults: FaultBook) {
  const before = new Map<string, number>();
  const key = (d: { cluster: string; namespace: string; name: string }) => `${d.cluster}/${d.namespace}/${d.name}`;
  const setReplicas = (d: { cluster: string; namespace: string; name: string }, replicas: number) =>
    cp.store.update(d.cluster, DEPLOYMENTS, d.namespace, d.name, (current) => ({
      ...current,
      spec: { ...(current.spec as object), replicas },
    }));
  return (e: FaultEvent) => {
    if (e.fault.kind !== 'scale-to-zero') return;
    for (const d of deploymentsForFault(topology, e.fault)) {
      if (e.type === 'injected') {
        if (!before.has(key(d)))
          before.set(
            key(d),
            (cp.store.get(d.cluster, DEPLOYMENTS, d.namespace, d.name).spec as { replicas?: number }).replicas ?? d.replicas,
          );
        setReplicas(d, 0);
        continue;
      }
      const stillCovered = faults
        .list()
        .some((f) => f.id !== e.fault.id && deploymentsForFault(topology, f).some((o) => key(o) === key(d)));
      if (stillCovered) continue;
      setReplicas(d, before.get(key(d)) ?? d.replicas);
      before.delete(key(d));
    }
  };
}

/**
 * A control-plane-down fault takes regionshift's control plane away as an outage of its region
 * would: the FC host (its functions, and the state store they alone reach) and ASM's control
 * plane reset every connection until no such fault is left. The data plane keeps serving what it
 * was last pushed; the CMS twin's callbacks fail and are retried as CMS retries them, then lost.
 */
function controlPlaneOutageListener(host: FcHost, cp: LabControlPlane) {
  const active = new Set<string>();
  return (e: FaultEvent) => {
    if (e.fault.kind !== 'control-plane-down') return;
    if (e.type === 'injected') active.add(e.fault.id);
    else active.delete(e.fault.id);
    host.outage.setDown(active.size > 0);
    cp.asmOutage.setDown(active.size > 0);
  };
}

/**
 * The lab's handlers: each function's `makeHandler` given a runtime container of its own (as each
 * FC function has its own instances), built as deployed from process.env, which startLab has set,
 * when the first invocation comes; on `clock` when the lab runs the functions on its clock, else
 * on the system clock. The lab's stop closes every one.
 */
function labHandlers(clock: Clock | undefined, runtimes: Array<{ close(): Promise<void> }>) {
  return async (key: string, fn: HostedFunction): Promise<HandlerModule> => {
    // As the default loader: the function's s.yaml environment fills what is still unset.
    for (const [k, v] of Object.entries(fn.environment)) if (process.env[k] === undefined && v !== '') process.env[k] = v;
    const { runtimeFactory } = await import('../shared/runtime/index');
    // The telemetry function's runtime reads SLS with the real SDK (at the trigger event's endpoint:
    // the SLS twin's project listener), as its deployed entry point (shared/runtime/telemetry.ts) does.
    const accessLogs = key === 'telemetry' ? (await import('../shared/runtime/telemetry')).slsReaders : undefined;
    const getRuntime = runtimeFactory(process.env, { ...(clock ? { clock } : {}), ...(accessLogs ? { accessLogs } : {}) });
    // Each function's container opens its own store: the lab's stop closes every one.
    runtimes.push(getRuntime);
    const mod = (await import(pathToFileURL(path.resolve('functions', key, 'handler.ts')).href)) as {
      makeHandler: (g: typeof getRuntime) => unknown;
    };
    return { handler: mod.makeHandler(getRuntime) } as HandlerModule;
  };
}

/**
 * The cross-region ACK rules of the lab's policy, pointing at the host's cluster-events HTTP
 * trigger with the intake token in the URL: what `npm run infra:ack-rules` makes for the cloud.
 */
function labAckRules(host: FcHost, policyYaml: string, token: string, only?: string[]): AckForwardingRule[] {
  const fn = host.functions.find((f) => f.key === 'cluster-events');
  if (!fn) return [];
  const regions = Object.keys((parseYaml(policyYaml) as { regions?: Record<string, unknown> }).regions ?? {});
  const pattern = JSON.parse(readFileSync('infra/eventbridge/ack-events-rule.json', 'utf8')) as Record<string, unknown>;
  const plan = ackForwardingPlan({
    regions,
    functionsRegion: fn.region,
    filterPattern: pattern,
    entryUrl: `${host.url}/${fn.key}${ACK_HTTP_PATH}?token=${encodeURIComponent(token)}`,
  });
  return only === undefined ? plan.rules : plan.rules.filter((r) => only.includes(r.region));
}

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? (() => undefined);
  const topology = topologySchema.parse(parseYaml(readFileSync(opts.topologyFile ?? 'lab/topology/bookinfo.yaml', 'utf8')));
  bundlePages();
  const secrets = {
    alarmToken: 'lab-alarm-token-7d1c5e0a9b',
    controlSecret: 'lab-control-secret-4f2b8a61c3',
    readToken: 'lab-read-token-93e07b25d4',
  };
  const ak = {
    accessKeyId: 'STS.LabAccessKey0001',
    accessKeySecret: 'lab-access-key-secret-not-a-real-one',
    securityToken: 'lab-sts-token-2b6f0d',
  };
  const clusters = topology.regions.flatMap((r) => r.clusters.map((c) => c.name));
  const policyYaml = labPolicyYaml(
    opts.policyFile ?? 'examples/bookinfo.yaml',
    withCmsReconcile(opts.policy, topology, opts.cmsReconcile ?? true, opts.labPeriods ?? true),
    opts.labPeriods ?? true,
  );
  const controlPlane = await startLabControlPlane({
    clusters,
    token: 'lab-k8s-token',
    ...ak,
    meshId: 'bookinfo-mesh',
    regionId: 'cn-hangzhou',
    clock,
    asmUpdateDelayMs: opts.asmUpdateDelayMs ?? 1500,
    asmInitialLocalityLb: seededFailover(policyYaml),
  });
  const outlierDetection = opts.outlierDetection ?? DEFAULT_OUTLIER_DETECTION;
  seed(controlPlane, topology, outlierDetection, scopedServicesOf(policyYaml));

  // A kubeconfig on one line (JSON is YAML), so the doctor command the banner prints stays one line.
  const kubeconfigVars = kubeconfigEnvsOf(policyYaml).filter((k) => clusters.includes(k.cluster));
  const kubeconfigEnv = Object.fromEntries(
    kubeconfigVars.map((k) => [k.variable, JSON.stringify(parseYaml(controlPlane.kubeconfig(k.cluster)))]),
  );

  const stateFile = opts.stateFile ?? '.regionshift/lab-state.db';
  mkdirSync(path.dirname(stateFile), { recursive: true });
  const env: Record<string, string | undefined> = {
    ...process.env,
    REGIONSHIFT_STATE: 'sqlite',
    REGIONSHIFT_SQLITE_FILE: stateFile,
    REGIONSHIFT_LOG_FILE: path.join(path.dirname(stateFile), 'functions.log'),
    REGIONSHIFT_POLICY: policyYaml,
    REGIONSHIFT_ALARM_TOKEN: secrets.alarmToken,
    REGIONSHIFT_CONTROL_SECRET: secrets.controlSecret,
    REGIONSHIFT_READ_TOKEN: secrets.readToken,
    REGIONSHIFT_ASM_ENDPOINT: controlPlane.asmEndpoint,
    REGIONSHIFT_CS_ENDPOINT: controlPlane.csEndpoint,
    REGIONSHIFT_CMS_ENDPOINT: controlPlane.cmsEndpoint,
    REGIONSHIFT_BUDGET_MS: '60000',
    ...(opts.pollMs !== undefined ? { REGIONSHIFT_POLL_MS: String(opts.pollMs) } : {}),
    ...(opts.alarmAnswer !== undefined ? { REGIONSHIFT_ALARM_ANSWER: opts.alarmAnswer } : {}),
    ALIBABA_CLOUD_ACCESS_KEY_ID: ak.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: ak.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: ak.securityToken,
  };
  // The host serves the handlers in this process; their runtime reads process.env at cold start.
  const savedEnv = new Map<string, string | undefined>();
  const setEnv = (k: string, v: string | undefined) => {
    if (!savedEnv.has(k)) savedEnv.set(k, process.env[k]);
    process.env[k] = v;
  };
  for (const [k, v] of Object.entries(env)) if (k.startsWith('REGIONSHIFT_') || k.startsWith('ALIBABA_CLOUD_')) setEnv(k, v);
  for (const [k, v] of Object.entries(kubeconfigEnv)) {
    env[k] = v;
    setEnv(k, v);
  }
  // This lab's runtimes, never one an earlier lab in this process built; its stop closes them
  // (their SQLite stores and checkpoint workers).
  const runtimes: Array<{ close(): Promise<void> }> = [];
  // SLS: one project per cluster (as ASM ships each cluster's sidecar logs), read by the host's SLS triggers.
  const logstores = labLogstores(topology, policyYaml);
  const projects: Record<string, { region: string; logstores: Record<string, { shards?: number }> }> = {};
  for (const l of logstores.values()) {
    projects[l.project] ??= { region: l.region, logstores: {} };
    projects[l.project]!.logstores[l.logstore] = { shards: 2 };
  }
  const sls = new SlsTwin({ clock, credentials: ak, projects, retentionMs: SLS_RETENTION_MS });
  await sls.start();
  // The path runs when the policy configures it (telemetry.logstores): without, the function would
  // refuse every range (nothing maps a Logstore to a cluster) and the triggers would only retry.
  const telemetry = logstoresListed(policyYaml) ? (opts.telemetry ?? true) : false;
  const host = await startFcHost({
    ...(telemetry !== false ? { slsSource: sls } : {}),
    ...(typeof telemetry === 'object' ? { logTriggerIntervalS: telemetry.intervalS } : {}),
    // Asked for explicitly with the functions on the lab's clock (a virtual-time run, whose caller
    // schedules the host's timers through `every`): the triggers fire on that clock. Not asked for,
    // they follow `every` like every other timer.
    ...(opts.functionsOnClock && opts.telemetry !== undefined && opts.telemetry !== false ? { logTriggerEvery: clockEvery(clock) } : {}),
    sYamlPath: 's.yaml',
    port: opts.port ?? 0,
    env,
    log,
    ...(opts.every ? { every: opts.every } : {}),
    loadHandler: labHandlers(opts.functionsOnClock ? clock : undefined, runtimes),
  });
  // Hand-offs go to the executor as on FC: InvokeFunction (async) through the FC 3.0 SDK, here
  // served by the local host over loopback.
  setEnv('REGIONSHIFT_EXECUTOR_FUNCTION', host.functions.find((f) => f.key === 'executor')?.functionName ?? 'regionshift-executor');
  setEnv('REGIONSHIFT_FC_ENDPOINT', host.url);

  const metrics = new TrafficMetrics();
  const faults = new FaultBook(clock);
  faults.subscribe(scaleToZeroListener(controlPlane, topology, faults));
  faults.subscribe(controlPlaneOutageListener(host, controlPlane));
  const accessLog = new AccessLogWriter({ sink: sls, logstoreOf: (cluster) => logstores.get(cluster) });
  const dataPlane = new LabDataPlane({
    topology,
    config: controlPlane.routing,
    clock,
    seed: opts.seed ?? 7,
    faults,
    metrics,
    accessLog,
    onError: (err) => log({ lab: 'traffic', error: (err as Error).message }),
  });
  // Retry back-off on the lab clock too (the system clock's sleep is the real timer it used before).
  const delivery = new AlarmDelivery({ clock, sleep: (ms) => clock.sleep(ms) });
  // The evaluator adds `region=<the alarm's region>` to the CMS URL: one callback URL per region, as in the cloud.
  // ACK events go to the bus of the cluster's own region; the s.yaml trigger hears only the
  // functions' region, and every other region's bus carries the cross-region rule to the HTTP entry.
  const ackRules = labAckRules(host, policyYaml, secrets.alarmToken, opts.ackRuleRegions);
  host.setHttpEventRules(
    ackRules.map((r) => ({ region: r.region, name: r.ruleName, pattern: JSON.stringify(r.filterPattern), url: r.target.url })),
  );
  const alarms = new AlarmEvaluator({
    topology,
    metrics,
    config: controlPlane.routing,
    clock,
    delivery,
    targets: {
      cmsCallbackUrl: `${host.url}/alarm/cms?token=${secrets.alarmToken}`,
      ackEventsUrl: (region) => `${host.url}/_buses/${region}/events`,
      alertmanagerUrl: `${host.url}/alarm/alertmanager?token=${secrets.alarmToken}`,
    },
    ...(opts.cmsSilenceMs !== undefined ? { silenceMs: opts.cmsSilenceMs } : {}),
  });

  // CloudMonitor's alerting state is the evaluator's, whether or not a callback got through.
  controlPlane.cms.setAlertingSource(() => alarms.alertingResources());

  const api = labApiHandler({ topology, dataPlane, faults, onError: (err) => log({ lab: 'api', error: (err as Error).message }) });
  const labServer: Server = createServer((req, res) => {
    void (async () => {
      if (await api(req, res)) return;
      if (req.method === 'GET' && (req.url === '/' || req.url === '/lab')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(renderLabPage({ controlUrl: `${host.url}/control/`, readToken: secrets.readToken, topology }));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } }));
    })();
  });
  await new Promise<void>((resolve) => labServer.listen(opts.port ? opts.port + 1 : 0, '127.0.0.1', resolve));
  const labUrl = `http://127.0.0.1:${(labServer.address() as AddressInfo).port}`;

  const tick = async () => {
    const res = await fetch(`${host.url}/_invoke/scheduler`, {
      method: 'POST',
      body: JSON.stringify({ triggerTime: new Date(clock.now()).toISOString(), triggerName: 'tick', payload: '{"task":"tick"}' }),
    });
    await res.arrayBuffer();
  };
  let ticker: NodeJS.Timeout | null = null;
  if (opts.background !== false) {
    dataPlane.start();
    alarms.start();
    // The scheduler's timer is FC's: with the control plane down it fires nothing.
    ticker = setInterval(() => {
      if (!host.outage.down) void tick().catch((err: unknown) => log({ lab: 'tick', error: (err as Error).message }));
    }, opts.tickMs ?? DEFAULT_TICK_MS);
  }
  await tick();

  return {
    hostUrl: host.url,
    labUrl,
    logFile: env.REGIONSHIFT_LOG_FILE as string,
    controlUrl: `${host.url}/control/`,
    controlPlane,
    dataPlane,
    faults,
    alarms,
    host,
    topology,
    secrets,
    policyYaml: env.REGIONSHIFT_POLICY as string,
    tickMs: opts.tickMs ?? DEFAULT_TICK_MS,
    doctorEnv: {
      REGIONSHIFT_STATE: 'sqlite',
      REGIONSHIFT_SQLITE_FILE: stateFile,
      REGIONSHIFT_ASM_ENDPOINT: controlPlane.asmEndpoint,
      REGIONSHIFT_CS_ENDPOINT: controlPlane.csEndpoint,
      REGIONSHIFT_EXECUTOR_FUNCTION: process.env.REGIONSHIFT_EXECUTOR_FUNCTION as string,
      REGIONSHIFT_FC_ENDPOINT: host.url,
      ALIBABA_CLOUD_ACCESS_KEY_ID: ak.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: ak.accessKeySecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: ak.securityToken,
      ...kubeconfigEnv,
    },
    outlierDetection,
    kubeconfigEnv: kubeconfigVars,
    tick,
    ackRules,
    sls,
    async stop() {
      if (ticker) clearInterval(ticker);
      await alarms.stop();
      await dataPlane.stop();
      await delivery.idle();
      await host.idle();
      await host.stop();
      // No invocation runs any more: close the stores the functions' runtimes opened, so no
      // checkpoint worker outlives the lab and its state dir can be deleted or reused.
      await Promise.all(runtimes.map((r) => r.close()));
      await new Promise<void>((resolve) => labServer.close(() => resolve()));
      await sls.stop();
      await controlPlane.stop();
      // Leave the process as it was: a later lab or host in this process builds its runtime from it.
      for (const [k, v] of savedEnv) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}
