import type {
  EffectiveTrafficPolicy,
  HttpRouteSpec,
  OutlierDetectionSpec,
  RoutingConfigSource,
  ServiceEntrySpec,
} from '../../../../lab/dataplane/config-source';
import type { Topology } from '../../../../lab/topology/schema';

/** The control plane as plain maps: what the Kubernetes/ASM twins expose, without their storage. */
export class InMemoryRoutingConfig implements RoutingConfigSource {
  readonly policies = new Map<string, EffectiveTrafficPolicy>();
  readonly routes = new Map<string, HttpRouteSpec[]>();
  /** ServiceEntries by each of their hosts. */
  readonly serviceEntries = new Map<string, ServiceEntrySpec>();
  private readonly deployments = new Map<string, { desired: number; ready: number }>();
  reads = 0;

  /** Every deployment of the topology at its replica count, all ready. */
  static forTopology(topology: Topology): InMemoryRoutingConfig {
    const c = new InMemoryRoutingConfig();
    for (const d of topology.deployments) c.setReplicas(d.cluster, d.name, d.replicas, d.replicas, d.namespace);
    return c;
  }

  trafficPolicy(host: string): EffectiveTrafficPolicy {
    this.reads++;
    return this.policies.get(host) ?? { localityLb: null, outlierDetection: null, subsets: {} };
  }

  httpRoutes(host: string): HttpRouteSpec[] {
    this.reads++;
    return this.routes.get(host) ?? [];
  }

  serviceEntry(host: string): ServiceEntrySpec | null {
    this.reads++;
    return this.serviceEntries.get(host) ?? null;
  }

  replicas(cluster: string, namespace: string, deployment: string): { desired: number; ready: number } | null {
    this.reads++;
    return this.deployments.get(`${cluster}/${namespace}/${deployment}`) ?? null;
  }

  setReplicas(cluster: string, deployment: string, desired: number, ready: number, namespace = 'default'): void {
    this.deployments.set(`${cluster}/${namespace}/${deployment}`, { desired, ready });
  }

  setPolicy(host: string, policy: Partial<EffectiveTrafficPolicy>): void {
    this.policies.set(host, { localityLb: null, outlierDetection: null, subsets: {}, ...policy });
  }

  /** The same policy on every service of the topology (as a mesh-wide setting would give). */
  setPolicyEverywhere(topology: Topology, policy: Partial<EffectiveTrafficPolicy>): void {
    for (const s of topology.services) this.setPolicy(s.name, policy);
  }
}

/** The Bookinfo DestinationRule's outlier detection in the lab: fast ejection, nothing capped. */
export const bookinfoOutlierDetection: OutlierDetectionSpec = {
  consecutive5xxErrors: 5,
  interval: '10s',
  baseEjectionTime: '30s',
  maxEjectionPercent: 100,
};
