import type { Topology } from '../topology/schema';
import type { EffectiveTrafficPolicy, HttpMatchSpec, HttpRouteSpec, RoutingConfigSource, StringMatchSpec } from './config-source';
import { labelsMatch, type Locality, type Pod, type PodDirectory } from './endpoints';
import { layoutEndpoints, type EndpointLayout } from './locality-lb';
import { OutlierDetector, outlierSettings, type Ejection, type OutlierSettings } from './outlier';
import { chooseHost } from './priority-load';
import type { SeededRandom } from './prng';

/**
 * One hop's routing decision, as the caller's sidecar makes it: the VirtualService picks a
 * destination host and subset, the subset (an Envoy cluster of its own, with its own outlier
 * detector) gives the endpoints, locality LB lays them out for the caller's locality, and the
 * priority/panic arithmetic picks one.
 *
 * The control plane is read through `RoutingConfigSource` once per batch: a batch runs
 * synchronously, so nothing can change under it, and reading per hop would cost more than the
 * routing itself. Hosts are passed to it as short service names (`reviews`).
 */

export interface Caller {
  /** The sidecar or gateway proxy making the call; outlier state is kept per proxy. */
  proxyId: string;
  locality: Locality;
}

export interface UpstreamCluster {
  /** `host|subset`, Envoy's `outbound|port|subset|host` in short. */
  key: string;
  service: string;
  subset: string | null;
  policy: EffectiveTrafficPolicy;
  endpoints: Pod[];
  endpointIds: ReadonlySet<string>;
  layouts: Map<string, EndpointLayout>;
  outlier: { settings: OutlierSettings; key: string } | null;
}

export type HopRouting =
  | { kind: 'pod'; pod: Pod; cluster: UpstreamCluster }
  /** A VirtualService exists and no route matched: Envoy answers 404 (NR). */
  | { kind: 'no-route' }
  /** No endpoint to send to, or a subset/host the mesh does not know: Envoy answers 503 (UH/NC). */
  | { kind: 'no-upstream'; service: string };

export interface CallerEjection extends Ejection {
  caller: string;
  cluster: string;
}

/** `reviews.default.svc.cluster.local` and `reviews` name the same host. */
export function shortHost(host: string): string {
  const dot = host.indexOf('.');
  return dot === -1 ? host : host.slice(0, dot);
}

const regexCache = new Map<string, RegExp | null>();
function fullMatch(pattern: string, value: string, flags = ''): boolean {
  const key = `${flags}/${pattern}`;
  let re = regexCache.get(key);
  if (re === undefined) {
    try {
      // Istio's regexes are RE2 full matches.
      re = new RegExp(`^(?:${pattern})$`, flags);
    } catch {
      re = null;
    }
    regexCache.set(key, re);
  }
  return re !== null && re.test(value);
}

/** One StringMatch against a value; an empty StringMatch (`{}`) only asks that the value be present. */
function stringMatches(cond: StringMatchSpec, value: string, ignoreCase = false): boolean {
  const v = ignoreCase ? value.toLowerCase() : value;
  if (cond.exact !== undefined && v !== (ignoreCase ? cond.exact.toLowerCase() : cond.exact)) return false;
  if (cond.prefix !== undefined && !v.startsWith(ignoreCase ? cond.prefix.toLowerCase() : cond.prefix)) return false;
  // Istio applies ignoreUriCase to exact and prefix only; a regex carries its own (?i).
  if (cond.regex !== undefined && !fullMatch(cond.regex, value)) return false;
  return true;
}

/** What a match entry is evaluated against: the request's path (with its query string) and its headers, lower-cased names. */
export interface RequestView {
  path: string;
  headers: Readonly<Record<string, string>>;
  method?: string;
}

/**
 * One HTTPMatchRequest: every condition it sets must hold (AND). Envoy compares `exact` and
 * `regex` path rules with the query string removed, and a `prefix` against the whole `:path`.
 * A condition the lab does not evaluate makes the entry fail, never match everything.
 */
export function matchEntryHolds(match: HttpMatchSpec, req: RequestView): boolean {
  if ((match.unmodelled ?? []).length > 0) return false;
  if (match.uri) {
    const q = req.path.indexOf('?');
    const bare = q === -1 ? req.path : req.path.slice(0, q);
    const ignoreCase = match.ignoreUriCase === true;
    if (match.uri.exact !== undefined && !stringMatches({ exact: match.uri.exact }, bare, ignoreCase)) return false;
    if (match.uri.prefix !== undefined && !stringMatches({ prefix: match.uri.prefix }, req.path, ignoreCase)) return false;
    if (match.uri.regex !== undefined && !stringMatches({ regex: match.uri.regex }, bare)) return false;
  }
  if (match.method && !stringMatches(match.method, req.method ?? 'GET')) return false;
  for (const [name, cond] of Object.entries(match.headers ?? {})) {
    const value = req.headers[name.toLowerCase()];
    if (value === undefined || !stringMatches(cond, value)) return false;
  }
  for (const [name, cond] of Object.entries(match.withoutHeaders ?? {})) {
    const value = req.headers[name.toLowerCase()];
    if (value !== undefined && stringMatches(cond, value)) return false;
  }
  return true;
}

/**
 * The destination a request to `host` takes: the first route one of whose match entries holds
 * (entries are ORed; a route without entries matches everything), then a weighted pick among
 * its destinations. Hosts come back as written in the route (`reviews.default.global` stays whole).
 */
export function selectRoute(
  routes: HttpRouteSpec[],
  headers: Readonly<Record<string, string>>,
  rand: SeededRandom,
  path = '/',
): { host: string; subset: string | null } | null {
  const req: RequestView = { path, headers };
  for (const route of routes) {
    const matches = route.match ?? [];
    if (matches.length > 0 && !matches.some((m) => matchEntryHolds(m, req))) continue;
    const dests = route.route;
    if (dests.length === 0) return null;
    const weights = dests.map((d) => (dests.length === 1 ? 100 : (d.weight ?? 0)));
    const total = weights.reduce((s, w) => s + w, 0);
    let r = rand.next() * (total > 0 ? total : dests.length);
    for (let i = 0; i < dests.length; i++) {
      r -= total > 0 ? (weights[i] as number) : 1;
      if (r < 0) return { host: dests[i]!.destination.host, subset: dests[i]!.destination.subset ?? null };
    }
    const last = dests[dests.length - 1]!;
    return { host: last.destination.host, subset: last.destination.subset ?? null };
  }
  return null;
}

/** `reviews.default.global`: a remote service reached through a ServiceEntry, never by its first label. */
export function isGlobalHost(host: string): boolean {
  return host.endsWith('.global');
}

export class MeshRouter {
  private readonly services: Set<string>;
  private readonly detectors = new Map<string, { settingsKey: string; detector: OutlierDetector; retainedIn: number }>();
  private batch = 0;
  private policies = new Map<string, EffectiveTrafficPolicy>();
  private routes = new Map<string, HttpRouteSpec[]>();
  private clusters = new Map<string, UpstreamCluster | null>();

  constructor(
    topology: Topology,
    private readonly config: RoutingConfigSource,
    private readonly directory: PodDirectory,
  ) {
    this.services = new Set(topology.services.map((s) => s.name));
  }

  /** Start a batch: forget the control-plane reads of the previous one. */
  beginBatch(): void {
    this.batch++;
    this.policies = new Map();
    this.routes = new Map();
    this.clusters = new Map();
  }

  /** `path` is the request's `:path` (query string included); the lab's Bookinfo calls are GETs. */
  route(
    caller: Caller,
    service: string,
    headers: Readonly<Record<string, string>>,
    rand: SeededRandom,
    now: number,
    path = `/${service}`,
  ): HopRouting {
    const routes = this.httpRoutes(service);
    let host = service;
    let subset: string | null = null;
    if (routes.length > 0) {
      const chosen = selectRoute(routes, headers, rand, path);
      if (!chosen) return { kind: 'no-route' };
      host = isGlobalHost(chosen.host) ? chosen.host : shortHost(chosen.host);
      subset = chosen.subset;
    }
    const cluster = isGlobalHost(host) ? this.globalCluster(host, subset) : this.cluster(host, subset);
    if (!cluster) return { kind: 'no-upstream', service: host };
    const layoutKey = `${caller.locality.region}/${caller.locality.zone}/${caller.locality.subzone ?? ''}`;
    let layout = cluster.layouts.get(layoutKey);
    if (!layout) {
      layout = layoutEndpoints(caller.locality, cluster.endpoints, cluster.policy);
      cluster.layouts.set(layoutKey, layout);
    }
    const detector = this.detector(caller.proxyId, cluster, now);
    // Without outlierDetection nothing is ever ejected, so Envoy's default threshold never matters.
    const pod = detector
      ? chooseHost(layout, (p) => !detector.isEjected(p.id, now), rand, detector.settings.panicThresholdPercent)
      : chooseHost(layout, () => true, rand);
    return pod ? { kind: 'pod', pod, cluster } : { kind: 'no-upstream', service: host };
  }

  /** Feed a response back to the caller's outlier detector for that cluster. */
  report(caller: Caller, cluster: UpstreamCluster, pod: Pod, status: number, now: number): void {
    this.detector(caller.proxyId, cluster, now)?.record(pod.id, status, cluster.endpoints.length, now);
  }

  /** Hosts currently ejected, by caller proxy and cluster. */
  ejections(now: number): CallerEjection[] {
    const out: CallerEjection[] = [];
    for (const [key, d] of this.detectors) {
      const [caller = '', cluster = ''] = key.split('#');
      for (const e of d.detector.ejections(now)) out.push({ caller, cluster, ...e });
    }
    return out;
  }

  private httpRoutes(host: string): HttpRouteSpec[] {
    let r = this.routes.get(host);
    if (!r) {
      r = this.config.httpRoutes(host);
      this.routes.set(host, r);
    }
    return r;
  }

  private policy(host: string): EffectiveTrafficPolicy {
    let p = this.policies.get(host);
    if (!p) {
      p = this.config.trafficPolicy(host);
      this.policies.set(host, p);
    }
    return p;
  }

  private cluster(host: string, subset: string | null): UpstreamCluster | null {
    const key = `${host}|${subset ?? ''}`;
    if (this.clusters.has(key)) return this.clusters.get(key) ?? null;
    let cluster: UpstreamCluster | null = null;
    if (this.services.has(host)) {
      const policy = this.policy(host);
      const selector = subset === null ? null : policy.subsets[subset];
      if (selector !== undefined) {
        const endpoints = this.directory.readyPods(this.config, host, selector);
        const settings = policy.outlierDetection ? outlierSettings(policy.outlierDetection) : null;
        cluster = {
          key,
          service: host,
          subset,
          policy,
          endpoints,
          endpointIds: new Set(endpoints.map((p) => p.id)),
          layouts: new Map(),
          outlier: settings ? { settings, key: JSON.stringify(settings) } : null,
        };
      }
    }
    this.clusters.set(key, cluster);
    return cluster;
  }

  /**
   * A `.global` host, as Istio's multicluster version-routing setup builds it: the ServiceEntry
   * for the host lists the remote clusters' gateways as endpoints; the host's DestinationRule
   * subsets select among those endpoints by their labels (`cluster: cluster2`); the gateway then
   * hands the request to the remote cluster's own pods of `<service>.<namespace>` in the subset
   * of the same name, as that cluster's DestinationRule for the service defines it. No
   * ServiceEntry, or no endpoint in the subset: no upstream (503), as Envoy has no cluster.
   */
  private globalCluster(host: string, subset: string | null): UpstreamCluster | null {
    const key = `${host}|${subset ?? ''}`;
    if (this.clusters.has(key)) return this.clusters.get(key) ?? null;
    let cluster: UpstreamCluster | null = null;
    const entry = this.config.serviceEntry?.(host) ?? null;
    const [service = '', namespace = 'default'] = host.split('.');
    if (entry && this.services.has(service)) {
      const policy = this.policy(host);
      const endpointSelector = subset === null ? {} : policy.subsets[subset];
      // The remote side's subset: the service's own DestinationRule (one rule set in the lab, see docs/lab.md).
      const podSelector = subset === null ? null : this.policy(service).subsets[subset];
      if (endpointSelector !== undefined && podSelector !== undefined) {
        const remoteClusters = new Set(entry.endpoints.filter((e) => labelsMatch(e.labels, endpointSelector)).map((e) => e.address));
        const endpoints = this.directory
          .readyPods(this.config, service, podSelector)
          .filter((p) => remoteClusters.has(p.cluster) && p.namespace === namespace);
        const settings = policy.outlierDetection ? outlierSettings(policy.outlierDetection) : null;
        cluster = {
          key,
          service,
          subset,
          policy,
          endpoints,
          endpointIds: new Set(endpoints.map((p) => p.id)),
          layouts: new Map(),
          outlier: settings ? { settings, key: JSON.stringify(settings) } : null,
        };
      }
    }
    this.clusters.set(key, cluster);
    return cluster;
  }

  private detector(proxyId: string, cluster: UpstreamCluster, now: number): OutlierDetector | null {
    if (!cluster.outlier) return null;
    const key = `${proxyId}#${cluster.key}`;
    let entry = this.detectors.get(key);
    if (!entry || entry.settingsKey !== cluster.outlier.key) {
      // A changed outlierDetection rebuilds the cluster in Envoy, and its ejections with it.
      entry = { settingsKey: cluster.outlier.key, detector: new OutlierDetector(cluster.outlier.settings, now), retainedIn: this.batch };
      this.detectors.set(key, entry);
    } else if (entry.retainedIn !== this.batch) {
      entry.detector.retain(cluster.endpointIds);
      entry.retainedIn = this.batch;
    }
    return entry.detector;
  }
}
