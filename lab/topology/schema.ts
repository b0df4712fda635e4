import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../../shared/core/duration';
import { ValidationError } from '../../shared/core/errors';

/**
 * The shape of a lab: regions and their clusters, services and the calls between them, the
 * deployments that run them, the gateways clients enter through, the alarm rules the lab
 * evaluates and the synthetic probes that keep every region's alarms fed.
 * Cross-references are checked here so the data plane can index without guarding.
 */

const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase DNS label');
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(v)} (use 30s, 5m, 250ms)` });
    return z.NEVER;
  }
  return ms;
});

/**
 * What runs a cluster's pods, where it changes what the twin serves: `ack` (ECS nodes, the
 * default), `ask` (serverless: every pod is an ECI instance on a virtual node labelled
 * `type: virtual-kubelet`), `external` (a non-ACK Kubernetes cluster added to the mesh).
 */
export const clusterKindSchema = z.enum(['ack', 'ask', 'external']);
export type ClusterKind = z.output<typeof clusterKindSchema>;

const clusterSpecSchema = z.strictObject({ name, kind: clusterKindSchema.default('ack') });
const zoneSpecSchema = z.strictObject({ name, subzones: z.array(name).min(1) });

const regionSchema = z
  .strictObject({
    name,
    /** A human name for the region. Not sent in CMS callbacks: they have no region field (the URL names the region). */
    displayName: z.string().min(1),
    /** One-cluster shorthand for `clusters: [name]`. */
    cluster: name.optional(),
    /** Several clusters in one region (ASM's same-VPC multi-cluster): a name, or `{ name, kind }`. */
    clusters: z
      .array(z.preprocess((v) => (typeof v === 'string' ? { name: v } : v), clusterSpecSchema))
      .min(1)
      .optional(),
    /** Zone names, or `{ name, subzones: [...] }` for Istio's third locality level. */
    zones: z.array(z.union([name, zoneSpecSchema], { error: 'must be a zone name or { name, subzones: [...] }' })).min(1),
    /** Subzones by zone: the other way to write `{ name, subzones }` entries (and the parsed form). */
    subzones: z.record(name, z.array(name).min(1)).optional(),
  })
  .superRefine((r, ctx) => {
    // Aborting (continue: false): the topology-wide checks read the transformed region, which a bad one never gets to.
    if (r.cluster !== undefined && r.clusters !== undefined)
      ctx.addIssue({ code: 'custom', path: ['clusters'], message: 'give either cluster or clusters, not both', continue: false });
    if (r.cluster === undefined && r.clusters === undefined)
      ctx.addIssue({ code: 'custom', path: ['clusters'], message: 'required (or cluster, for one)', continue: false });
    const zoneNames = new Set(r.zones.map((z) => (typeof z === 'string' ? z : z.name)));
    for (const zone of Object.keys(r.subzones ?? {})) {
      if (!zoneNames.has(zone))
        ctx.addIssue({ code: 'custom', path: ['subzones', zone], message: `zone ${zone} is not in the region's zones`, continue: false });
    }
  })
  .transform((r) => {
    const clusters = r.clusters ?? (r.cluster !== undefined ? [r.cluster] : []);
    const specs = clusters.map((c) => (typeof c === 'string' ? { name: c, kind: 'ack' as ClusterKind } : c));
    const subzones: Record<string, string[]> = { ...(r.subzones ?? {}) };
    for (const z of r.zones) if (typeof z !== 'string') subzones[z.name] = z.subzones;
    return {
      name: r.name,
      displayName: r.displayName,
      clusters: specs,
      zones: r.zones.map((z) => (typeof z === 'string' ? z : z.name)),
      /** Subzones of each zone that has them. */
      subzones,
    };
  });

const serviceSchema = z.strictObject({
  name,
  versions: z.array(name).min(1),
  /** Median time the service spends on a request itself, before calling others. */
  latencyMs: z.number().positive().default(5),
});

const callSchema = z.strictObject({
  from: name,
  /** Versions of `from` that make these calls; all versions when omitted (reviews v1 calls nothing). */
  versions: z.array(name).optional(),
  to: z.array(name).min(1),
});

const deploymentSchema = z.strictObject({
  cluster: name,
  namespace: name.default('default'),
  name,
  service: name,
  version: name,
  /** Pod labels; `app` and `version` are added from service and version when absent. */
  labels: z.record(z.string(), z.string()).default({}),
  replicas: z.number().int().min(0),
  /** Time a new pod needs before it is ready (the control-plane twin applies it). */
  startupDelay: duration.default(10_000),
  /** Zones its pods spread over, round-robin; every zone of the cluster's region when omitted. */
  zones: z.array(name).optional(),
  /** The subzone (Istio's third locality level) its pods run in; every zone it spreads over must have it. */
  subzone: name.optional(),
});

/**
 * A VM (or any non-Kubernetes host) in the mesh, as Istio's WorkloadEntry declares it. Its
 * labels are the group's template labels, then `app`/`version` from service and version, then
 * its own; a Kubernetes Service (the lab's service `app: <name>`) or a ServiceEntry's
 * workloadSelector picks it by those labels, as Istio does.
 */
const LOCALITY = /^[a-z0-9-]+\/[a-z0-9-]+(\/[a-z0-9-]+)?$/;

const workloadEntrySchema = z.strictObject({
  name,
  namespace: name.default('default'),
  /** The WorkloadGroup it was registered from (its template labels apply). */
  group: name.optional(),
  service: name,
  version: name,
  address: z.string().min(1),
  /** `region/zone[/subzone]` (Istio's spec.locality). */
  locality: z.string().regex(LOCALITY, 'must be region/zone or region/zone/subzone'),
  /** Envoy's load balancing weight of the endpoint (spec.weight); 1 when omitted. */
  weight: z.number().int().min(1).max(4_294_967_295).optional(),
  labels: z.record(z.string(), z.string()).default({}),
});

/** Istio's WorkloadGroup: a template (labels) for the WorkloadEntries of one workload's VMs. */
const workloadGroupSchema = z.strictObject({
  name,
  namespace: name.default('default'),
  labels: z.record(z.string(), z.string()).default({}),
});

/**
 * The lab once had a short form of its own for a ServiceEntry (`serviceEntries: [{ name,
 * namespace, service, workloadSelector }]`) beside the `istio:` list. Two spellings of one Istio
 * object meant two code paths and a host the user never wrote (it was derived from `service` and
 * the entry's own namespace). Only the form Istio users write is kept: a topology that still has
 * the short form is refused with this message, naming the path, instead of being read.
 */
const SERVICE_ENTRIES_MOVED =
  'no longer read: declare each ServiceEntry as Istio writes it, under istio: (kind: ServiceEntry, metadata: { name, namespace }, spec: { hosts: [<service>.<namespace>.svc.cluster.local], location: MESH_INTERNAL, resolution: STATIC, workloadSelector: { labels } })';

const gatewaySchema = z.strictObject({
  name,
  region: name,
  zone: name,
  /** The service the gateway forwards every request to. */
  entry: name,
  /** Background client load, requests per second. */
  load: z.number().min(0).default(0),
});

const networkSchema = z.strictObject({
  sameZoneMs: z.number().min(0).default(0.2),
  crossZoneMs: z.number().min(0).default(1),
  crossRegionMs: z.number().min(0).default(25),
});

/** Requests per second a synthetic probe sends when the topology does not list its probes. */
export const DEFAULT_PROBE_RPS = 2;

/**
 * A synthetic probe, as CloudMonitor site monitoring or a blackbox prober runs against each
 * region's endpoint: requests from inside the region straight to the service's pods there, so a
 * region that clients no longer reach (drained) still has traffic its alarms can read.
 */
const probeSchema = z.strictObject({
  service: name,
  region: name,
  rps: z.number().positive().default(DEFAULT_PROBE_RPS),
});

/**
 * Istio objects the lab applies to its mesh control plane at start, through the twin's
 * admission (a scenario's VirtualService, DestinationRule or ServiceEntry, as its document
 * applies them). A DestinationRule named like a service replaces the one the lab seeds for it.
 */
const istioObjectSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.enum(['VirtualService', 'DestinationRule', 'ServiceEntry']),
  metadata: z.object({ name, namespace: name.default('default') }),
  spec: z.record(z.string(), z.unknown()),
});

const triggerLevel = z.enum(['CRITICAL', 'WARN', 'INFO']);

export const errorRatioRuleSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.literal('error-ratio'),
  name: z.string().min(1),
  service: name,
  region: name,
  version: name.optional(),
  /** Percent of requests answered 5xx. */
  thresholdPercent: z.number().min(0).max(100),
  /** Consecutive breaching periods before the alarm trips. */
  periods: z.number().int().min(1).default(3),
  period: duration.default(60_000),
  /** A period with fewer requests neither breaches nor clears (CMS's no-data). */
  minRequests: z.number().int().min(1).default(1),
  level: triggerLevel.default('CRITICAL'),
  metricName: z.string().default('ServiceRequest5xxRate'),
  /**
   * `cms` posts a CloudMonitor threshold callback (to the region's callback URL); `alertmanager`
   * posts an Alertmanager webhook (version 4), as an ARMS Prometheus alert rule over the same
   * mesh metric would: labels `alertname` (the name), `region`, `service`, `severity` (the level,
   * lower case). A second, independent monitoring system watching the same region.
   */
  delivery: z.enum(['cms', 'alertmanager']).default('cms'),
});

export const readyReplicasRuleSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.literal('ready-replicas-zero'),
  name: z.string().min(1),
  cluster: name,
  namespace: name.default('default'),
  deployment: name,
  period: duration.default(10_000),
  periods: z.number().int().min(1).default(1),
  /** `ack-event` posts an ACK CloudEvent to the events URL; `cms` posts a CMS callback. */
  delivery: z.enum(['cms', 'ack-event']).default('ack-event'),
  level: triggerLevel.default('CRITICAL'),
  metricName: z.string().default('DeploymentReadyReplicas'),
});

/**
 * A latency percentile over a service's requests in one region (every version, client and probe
 * hops alike, each hop's latency including its callees'), as an operator's CMS rule on a
 * custom latency metric reads it. The percentiles are the ones the lab's histograms keep.
 */
export const latencyRuleSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.literal('latency'),
  name: z.string().min(1),
  service: name,
  region: name,
  /** Breaching when the period's percentile is above this. */
  thresholdMs: z.number().positive(),
  percentile: z.union([z.literal(50), z.literal(95), z.literal(99)]).default(99),
  periods: z.number().int().min(1).default(3),
  period: duration.default(60_000),
  /** A period with fewer requests neither breaches nor clears (CMS's no-data). */
  minRequests: z.number().int().min(1).default(1),
  level: triggerLevel.default('WARN'),
  metricName: z.string().default('ServiceRequestLatency'),
});

export const alarmRuleSchema = z.discriminatedUnion('kind', [errorRatioRuleSchema, readyReplicasRuleSchema, latencyRuleSchema]);

export const topologySchema = z
  .strictObject({
    /** Aliyun account id: CMS `userId`, ACK event subject and `aliyunaccountid`. */
    account: z.string().regex(/^\d+$/, 'must be a numeric account id'),
    network: networkSchema.default({ sameZoneMs: 0.2, crossZoneMs: 1, crossRegionMs: 25 }),
    regions: z.array(regionSchema).min(1),
    services: z.array(serviceSchema).min(1),
    calls: z.array(callSchema).default([]),
    deployments: z.array(deploymentSchema),
    gateways: z.array(gatewaySchema).min(1),
    alarms: z.array(alarmRuleSchema).default([]),
    /** Every service an error-ratio or latency rule watches, in every region, at DEFAULT_PROBE_RPS when omitted; `[]` for none. */
    probes: z.array(probeSchema).optional(),
    /** Istio objects applied at start (see istioObjectSchema); none when omitted. */
    istio: z.array(istioObjectSchema).default([]),
    workloadGroups: z.array(workloadGroupSchema).default([]),
    workloadEntries: z.array(workloadEntrySchema).default([]),
    /** Refused with SERVICE_ENTRIES_MOVED whatever it holds: ServiceEntries go under `istio:`. */
    serviceEntries: z.never({ error: SERVICE_ENTRIES_MOVED }).optional(),
  })
  .superRefine((t, ctx) => {
    // A region that failed its own checks never got its parsed form (clusters, subzones): its issues
    // are already reported, and the cross-references below would read what is not there.
    if (!t.regions.every((r) => Array.isArray(r.clusters))) return;
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const dupes = (items: Array<{ name: string }>, path: string) => {
      const seen = new Set<string>();
      items.forEach((it, i) => {
        if (seen.has(it.name)) issue([path, i, 'name'], `duplicate name ${it.name}`);
        seen.add(it.name);
      });
    };
    dupes(t.regions, 'regions');
    dupes(t.services, 'services');
    dupes(t.gateways, 'gateways');
    const regionByCluster = new Map<string, RegionOut>();
    t.regions.forEach((r, i) =>
      r.clusters.forEach((c, j) => {
        if (regionByCluster.has(c.name))
          issue(['regions', i, 'clusters', j], `cluster ${c.name} is already in ${regionByCluster.get(c.name)?.name}`);
        else regionByCluster.set(c.name, r);
      }),
    );
    const regionByName = new Map(t.regions.map((r) => [r.name, r]));
    const services = new Map(t.services.map((s) => [s.name, s]));
    t.calls.forEach((c, i) => {
      const from = services.get(c.from);
      if (!from) issue(['calls', i, 'from'], `unknown service ${c.from}`);
      c.versions?.forEach((v, j) => {
        if (from && !from.versions.includes(v)) issue(['calls', i, 'versions', j], `${c.from} has no version ${v}`);
      });
      c.to.forEach((s, j) => {
        if (!services.has(s)) issue(['calls', i, 'to', j], `unknown service ${s}`);
        if (s === c.from) issue(['calls', i, 'to', j], `${s} cannot call itself`);
      });
    });
    // The data plane walks calls recursively: a cycle would never end.
    const edges = new Map<string, string[]>();
    for (const c of t.calls) edges.set(c.from, [...(edges.get(c.from) ?? []), ...c.to]);
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycleFrom = (s: string, path: string[]): string[] | null => {
      if (visiting.has(s)) return [...path, s];
      if (done.has(s)) return null;
      visiting.add(s);
      for (const next of edges.get(s) ?? []) {
        const cycle = cycleFrom(next, [...path, s]);
        if (cycle) return cycle;
      }
      visiting.delete(s);
      done.add(s);
      return null;
    };
    for (const s of edges.keys()) {
      const cycle = cycleFrom(s, []);
      if (cycle) {
        issue(['calls'], `call cycle ${cycle.join(' → ')}`);
        break;
      }
    }
    const deploymentKeys = new Set<string>();
    t.deployments.forEach((d, i) => {
      const region = regionByCluster.get(d.cluster);
      if (!region) issue(['deployments', i, 'cluster'], `unknown cluster ${d.cluster}`);
      const svc = services.get(d.service);
      if (!svc) issue(['deployments', i, 'service'], `unknown service ${d.service}`);
      else if (!svc.versions.includes(d.version)) issue(['deployments', i, 'version'], `${d.service} has no version ${d.version}`);
      d.zones?.forEach((z, j) => {
        if (region && !region.zones.includes(z)) issue(['deployments', i, 'zones', j], `zone ${z} is not in ${region.name}`);
      });
      if (region && d.subzone !== undefined) {
        for (const z of d.zones ?? region.zones) {
          if (!(region.subzones[z] ?? []).includes(d.subzone))
            issue(['deployments', i, 'subzone'], `zone ${z} has no subzone ${d.subzone}`);
        }
      }
      const key = `${d.cluster}/${d.namespace}/${d.name}`;
      if (deploymentKeys.has(key)) issue(['deployments', i, 'name'], `duplicate deployment ${key}`);
      deploymentKeys.add(key);
    });
    t.gateways.forEach((g, i) => {
      const region = regionByName.get(g.region);
      if (!region) issue(['gateways', i, 'region'], `unknown region ${g.region}`);
      else if (!region.zones.includes(g.zone)) issue(['gateways', i, 'zone'], `zone ${g.zone} is not in ${g.region}`);
      if (!services.has(g.entry)) issue(['gateways', i, 'entry'], `unknown service ${g.entry}`);
    });
    const groups = new Set(t.workloadGroups.map((g) => `${g.namespace}/${g.name}`));
    const entryKeys = new Set<string>();
    t.workloadEntries.forEach((w, i) => {
      const svc = services.get(w.service);
      if (!svc) issue(['workloadEntries', i, 'service'], `unknown service ${w.service}`);
      else if (!svc.versions.includes(w.version)) issue(['workloadEntries', i, 'version'], `${w.service} has no version ${w.version}`);
      if (w.group !== undefined && !groups.has(`${w.namespace}/${w.group}`))
        issue(['workloadEntries', i, 'group'], `unknown workload group ${w.namespace}/${w.group}`);
      const [region = '', zone = '', subzone] = w.locality.split('/');
      const r = regionByName.get(region);
      // A malformed locality has its own message (the regex): no further guess at its parts.
      if (LOCALITY.test(w.locality)) {
        if (!r) issue(['workloadEntries', i, 'locality'], `unknown region ${region}`);
        else if (!r.zones.includes(zone)) issue(['workloadEntries', i, 'locality'], `zone ${zone} is not in ${region}`);
        else if (subzone !== undefined && !(r.subzones[zone] ?? []).includes(subzone))
          issue(['workloadEntries', i, 'locality'], `zone ${zone} has no subzone ${subzone}`);
      }
      const key = `${w.namespace}/${w.name}`;
      if (entryKeys.has(key)) issue(['workloadEntries', i, 'name'], `duplicate workload entry ${key}`);
      entryKeys.add(key);
    });
    const ruleIds = new Set<string>();
    t.alarms.forEach((a, i) => {
      if (ruleIds.has(a.id)) issue(['alarms', i, 'id'], `duplicate rule id ${a.id}`);
      ruleIds.add(a.id);
      if (a.kind === 'error-ratio' || a.kind === 'latency') {
        if (!regionByName.has(a.region)) issue(['alarms', i, 'region'], `unknown region ${a.region}`);
        if (!services.has(a.service)) issue(['alarms', i, 'service'], `unknown service ${a.service}`);
      } else if (!deploymentKeys.has(`${a.cluster}/${a.namespace}/${a.deployment}`)) {
        issue(['alarms', i, 'deployment'], `unknown deployment ${a.cluster}/${a.namespace}/${a.deployment}`);
      }
    });
    const probeKeys = new Set<string>();
    t.probes?.forEach((p, i) => {
      if (!services.has(p.service)) issue(['probes', i, 'service'], `unknown service ${p.service}`);
      if (!regionByName.has(p.region)) issue(['probes', i, 'region'], `unknown region ${p.region}`);
      const key = `${p.service}/${p.region}`;
      if (probeKeys.has(key)) issue(['probes', i], `duplicate probe of ${p.service} in ${p.region}`);
      probeKeys.add(key);
    });
  })
  .transform(({ probes, ...t }) => ({ ...t, probes: probes ?? defaultProbes(t.regions, t.alarms) }));

/** A probe per region for every service an error-ratio or latency rule watches, in rule order. */
function defaultProbes(
  regions: Array<{ name: string }>,
  alarms: Array<z.output<typeof alarmRuleSchema>>,
): Array<z.output<typeof probeSchema>> {
  const watched = [...new Set(alarms.flatMap((a) => (a.kind === 'error-ratio' || a.kind === 'latency' ? [a.service] : [])))];
  return watched.flatMap((service) => regions.map((r) => ({ service, region: r.name, rps: DEFAULT_PROBE_RPS })));
}

type RegionOut = z.output<typeof regionSchema>;

export type Topology = z.output<typeof topologySchema>;
export type TopologyInput = z.input<typeof topologySchema>;
export type RegionSpec = Topology['regions'][number];
export type ServiceSpec = Topology['services'][number];
export type DeploymentSpec = Topology['deployments'][number];
export type GatewaySpec = Topology['gateways'][number];
export type ProbeSpec = Topology['probes'][number];
export type WorkloadEntrySpec = Topology['workloadEntries'][number];
export type ClusterSpec = RegionSpec['clusters'][number];

/** The region each cluster of the topology is in. */
export function regionOfCluster(topology: Pick<Topology, 'regions'>, cluster: string): RegionSpec | undefined {
  return topology.regions.find((r) => r.clusters.some((c) => c.name === cluster));
}
export type AlarmRule = z.output<typeof alarmRuleSchema>;
export type ErrorRatioRule = z.output<typeof errorRatioRuleSchema>;
export type ReadyReplicasRule = z.output<typeof readyReplicasRuleSchema>;
export type LatencyRule = z.output<typeof latencyRuleSchema>;

/** `path.to[0].field: message` for every zod issue, so a bad topology names each bad key. */
export function issuePaths(error: z.ZodError): string[] {
  const at = (path: PropertyKey[]) => (path.length > 0 ? path.map(String).join('.') : '(root)');
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys' ? i.keys.map((k) => `${at([...i.path, k])}: unknown field`) : [`${at(i.path)}: ${i.message}`],
  );
}

export function parseTopology(input: unknown): Topology {
  const result = topologySchema.safeParse(input);
  if (!result.success) throw new ValidationError(issuePaths(result.error).map((p) => `topology ${p}`));
  return result.data;
}

export function parseTopologyYaml(text: string): Topology {
  return parseTopology(parseYaml(text));
}

export const defaultTopologyUrl = new URL('./bookinfo.yaml', import.meta.url);

/** Bookinfo in cn-hangzhou and cn-shanghai, as in the ASM multi-region docs. */
export function loadDefaultTopology(): Topology {
  return parseTopologyYaml(readFileSync(defaultTopologyUrl, 'utf8'));
}
