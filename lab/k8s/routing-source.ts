import type { LocalityLbSettingInput } from '../../shared/core/mesh-validation';
import type {
  EffectiveTrafficPolicy,
  HttpMatchSpec,
  HttpRouteSpec,
  OutlierDetectionSpec,
  RoutingConfigSource,
  ServiceEntrySpec,
  WorkloadEntryEndpoint,
} from '../dataplane/config-source';
import { desiredReplicas, type DeploymentPods } from './deployment-pods';
import type { K8sObject, ObjectStore } from './object-store';
import { DEPLOYMENTS, DESTINATION_RULES, SERVICE_ENTRIES, VIRTUAL_SERVICES, WORKLOAD_ENTRIES } from './resources';

/**
 * The data plane's view of the twin: Istio objects from the mesh scope, replicas from the
 * cluster scopes. Hosts match as Istio resolves them: a rule's short name `reviews` in namespace
 * `default` means `reviews.default.svc.cluster.local`; a short name asked for here matches on
 * the service name alone (the lab's services have unique names).
 */

export interface LabRoutingSourceOptions {
  store: ObjectStore;
  pods: DeploymentPods;
  meshScope: string;
  /** The mesh-wide setting (ASM's LocalityLB) as the data plane has it, or null when none is set. */
  meshWideLocalityLb: () => LocalityLbSettingInput | null;
}

interface DestinationRuleView {
  host?: string;
  trafficPolicy?: {
    loadBalancer?: { localityLbSetting?: LocalityLbSettingInput | null } | null;
    outlierDetection?: Record<string, unknown> | null;
  } | null;
  subsets?: Array<{ name?: string; labels?: Record<string, string> }> | null;
}

interface VirtualServiceView {
  hosts?: string[];
  /** Istio: absent means the sidecars (`mesh`); set, the rule applies to the sidecars only if it lists `mesh`. */
  gateways?: string[] | null;
  http?: Array<{
    match?: Array<Record<string, unknown>>;
    route?: Array<{ destination?: { host?: string; subset?: string }; weight?: number }>;
  }>;
}

interface ServiceEntryView {
  hosts?: string[];
  endpoints?: Array<{ address?: string; labels?: Record<string, string>; locality?: string }>;
}

/** HTTPMatchRequest conditions Istio accepts and the lab does not evaluate (the router never lets them match). */
const UNMODELLED_MATCH_KEYS = ['scheme', 'authority', 'port', 'sourceLabels', 'gateways', 'queryParams', 'sourceNamespace'] as const;

function matchOf(raw: Record<string, unknown>): HttpMatchSpec {
  const m: HttpMatchSpec = {};
  if (raw.uri) m.uri = structuredClone(raw.uri) as HttpMatchSpec['uri'];
  if (raw.headers) m.headers = structuredClone(raw.headers) as HttpMatchSpec['headers'];
  if (raw.withoutHeaders) m.withoutHeaders = structuredClone(raw.withoutHeaders) as HttpMatchSpec['withoutHeaders'];
  if (raw.method) m.method = structuredClone(raw.method) as HttpMatchSpec['method'];
  if (raw.ignoreUriCase === true) m.ignoreUriCase = true;
  const unmodelled = UNMODELLED_MATCH_KEYS.filter((k) => raw[k] !== undefined && raw[k] !== null);
  if (unmodelled.length > 0) m.unmodelled = [...unmodelled];
  return m;
}

interface WorkloadEntryView {
  address?: string;
  labels?: Record<string, string>;
  locality?: string;
  weight?: number;
}

interface ServiceEntryView {
  hosts?: string[];
  workloadSelector?: { labels?: Record<string, string> };
}

/**
 * Istio's locality of a WorkloadEntry: spec.locality, else the `topology.istio.io/locality`
 * label (then `istio-locality`) with `.` read as `/`; '' parts when there is none.
 */
function workloadEntryLocality(spec: WorkloadEntryView): { region: string; zone: string; subzone?: string } {
  const labels = spec.labels ?? {};
  const raw = spec.locality || (labels['topology.istio.io/locality'] ?? labels['istio-locality'] ?? '').replace(/\./g, '/');
  const [region = '', zone = '', subzone = ''] = raw.split('/');
  return subzone ? { region, zone, subzone } : { region, zone };
}

function fullName(ruleHost: string, namespace: string): string {
  return ruleHost.includes('.') || ruleHost.startsWith('*') ? ruleHost : `${ruleHost}.${namespace}.svc.cluster.local`;
}

/** 2 for an exact match, 1 for a wildcard match, 0 for none. */
function hostMatch(ruleHost: string, namespace: string, host: string): number {
  const full = fullName(ruleHost, namespace);
  if (full === '*') return 1;
  if (full.startsWith('*.')) return host.includes('.') && host.endsWith(full.slice(1)) ? 1 : 0;
  if (!host.includes('.')) return full.split('.')[0] === host ? 2 : 0;
  return fullName(host, namespace) === full ? 2 : 0;
}

/** The data plane routes sidecar to sidecar: a VirtualService bound to gateways only (no `mesh` among them) is not theirs. */
function appliesToSidecars(spec: VirtualServiceView): boolean {
  const gateways = spec.gateways ?? [];
  return gateways.length === 0 || gateways.includes('mesh');
}

function byCreation(a: K8sObject, b: K8sObject): number {
  return (
    a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp) ||
    Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion)
  );
}

const OUTLIER_FIELDS = [
  'consecutive5xxErrors',
  'consecutiveGatewayErrors',
  'consecutiveErrors',
  'interval',
  'baseEjectionTime',
  'maxEjectionPercent',
  'minHealthPercent',
] as const;

function outlierDetectionOf(raw: Record<string, unknown> | null | undefined): OutlierDetectionSpec | null {
  if (!raw) return null;
  const spec: Record<string, unknown> = {};
  for (const field of OUTLIER_FIELDS) if (raw[field] !== undefined) spec[field] = raw[field];
  return spec as OutlierDetectionSpec;
}

export class LabRoutingSource implements RoutingConfigSource {
  constructor(private readonly opts: LabRoutingSourceOptions) {}

  trafficPolicy(host: string): EffectiveTrafficPolicy {
    const rule = this.destinationRule(host);
    const spec = (rule?.spec ?? {}) as DestinationRuleView;
    const own = spec.trafficPolicy?.loadBalancer?.localityLbSetting;
    const subsets: Record<string, Record<string, string>> = {};
    for (const s of spec.subsets ?? []) if (s.name) subsets[s.name] = { ...(s.labels ?? {}) };
    return {
      // A DestinationRule's localityLbSetting replaces the mesh-wide one entirely.
      localityLb: own ? structuredClone(own) : this.opts.meshWideLocalityLb(),
      outlierDetection: outlierDetectionOf(spec.trafficPolicy?.outlierDetection),
      subsets,
    };
  }

  httpRoutes(host: string): HttpRouteSpec[] {
    const services = this.opts.store
      .list(this.opts.meshScope, VIRTUAL_SERVICES)
      .filter(
        (vs) =>
          appliesToSidecars(vs.spec as VirtualServiceView) &&
          ((vs.spec as VirtualServiceView).hosts ?? []).some((h) => hostMatch(h, vs.metadata.namespace, host) > 0),
      )
      .sort(byCreation);
    return services.flatMap((vs) =>
      ((vs.spec as VirtualServiceView).http ?? []).map((route) => ({
        ...(route.match ? { match: route.match.map(matchOf) } : {}),
        route: (route.route ?? []).map((r) => ({
          destination: { host: r.destination?.host ?? '', ...(r.destination?.subset ? { subset: r.destination.subset } : {}) },
          ...(r.weight !== undefined ? { weight: r.weight } : {}),
        })),
      })),
    );
  }

  serviceEntry(host: string): ServiceEntrySpec | null {
    // ServiceEntry hosts are fully qualified (Istio refuses short names there); the oldest one wins.
    const found = this.opts.store
      .list(this.opts.meshScope, SERVICE_ENTRIES)
      .filter((se) => ((se.spec as ServiceEntryView).hosts ?? []).includes(host))
      .sort(byCreation)[0];
    if (!found) return null;
    const spec = found.spec as ServiceEntryView;
    return {
      hosts: [...(spec.hosts ?? [])],
      endpoints: (spec.endpoints ?? []).map((e) => ({
        address: e.address ?? '',
        labels: { ...(e.labels ?? {}) },
        ...(e.locality ? { locality: e.locality } : {}),
      })),
    };
  }

  replicas(cluster: string, namespace: string, deployment: string): { desired: number; ready: number } | null {
    if (!this.opts.store.hasScope(cluster)) return null;
    const found = this.opts.store.find(cluster, DEPLOYMENTS, namespace, deployment);
    if (!found) return null;
    return { desired: desiredReplicas(found), ready: this.opts.pods.counts(cluster, namespace, deployment)?.ready ?? 0 };
  }

  /**
   * WorkloadEntries serving a host: selected by a ServiceEntry for the host (its workloadSelector,
   * in its namespace), or by the host's Kubernetes Service selector `app: <service>` (the
   * PodDirectory keeps those in the service's namespaces only, which it knows from the topology).
   */
  workloadEntries(host: string): WorkloadEntryEndpoint[] {
    const entries = this.opts.store.list(this.opts.meshScope, WORKLOAD_ENTRIES);
    if (entries.length === 0) return [];
    const selectors = this.opts.store
      .list(this.opts.meshScope, SERVICE_ENTRIES)
      .filter((se) => ((se.spec as ServiceEntryView).hosts ?? []).some((h) => hostMatch(h, se.metadata.namespace, host) > 0))
      .flatMap((se) => {
        const labels = (se.spec as ServiceEntryView).workloadSelector?.labels;
        return labels ? [{ namespace: se.metadata.namespace, labels }] : [];
      });
    const short = host.split('.')[0] ?? host;
    const out: WorkloadEntryEndpoint[] = [];
    for (const we of entries.sort(byCreation)) {
      const spec = (we.spec ?? {}) as WorkloadEntryView;
      const labels = { ...(spec.labels ?? {}) };
      const bySe = selectors.some(
        (s) => s.namespace === we.metadata.namespace && Object.entries(s.labels).every(([k, v]) => labels[k] === v),
      );
      const byService = labels.app === short;
      if (!bySe && !byService) continue;
      out.push({
        namespace: we.metadata.namespace,
        name: we.metadata.name,
        address: spec.address ?? '',
        labels,
        locality: workloadEntryLocality(spec),
        weight: typeof spec.weight === 'number' && spec.weight > 0 ? spec.weight : 1,
        cluster: labels['topology.istio.io/cluster'] ?? '',
        selectedBy: bySe ? 'service-entry' : 'service-labels',
      });
    }
    return out;
  }

  private destinationRule(host: string): K8sObject | null {
    // Istio: the exact host wins over a wildcard; among equals, the oldest rule.
    const candidates = this.opts.store
      .list(this.opts.meshScope, DESTINATION_RULES)
      .map((dr) => ({ dr, score: hostMatch((dr.spec as DestinationRuleView).host ?? '', dr.metadata.namespace, host) }))
      .filter((c) => c.score > 0)
      .sort((a, b) => b.score - a.score || byCreation(a.dr, b.dr));
    return candidates[0]?.dr ?? null;
  }
}
