import type { ClusterKind, Topology } from '../topology/schema';
import type { RoutingConfigSource, WorkloadEntryEndpoint } from './config-source';

/** Where a proxy runs: Istio's locality. `subzone` is absent (or '') where the topology has none. */
export interface Locality {
  region: string;
  zone: string;
  subzone?: string;
}

/** `region/zone`, or `region/zone/subzone` when there is one: how Envoy's locality reads. */
export function localityKey(l: Locality): string {
  return l.subzone ? `${l.region}/${l.zone}/${l.subzone}` : `${l.region}/${l.zone}`;
}

/** One pod of a deployment: an endpoint of its service's host. */
export interface Pod extends Locality {
  /** `cluster/namespace/deployment-index`: stable across batches, so outlier state follows the pod. */
  id: string;
  cluster: string;
  namespace: string;
  deployment: string;
  service: string;
  version: string;
  labels: Readonly<Record<string, string>>;
  /** `region/service/version`, the key results and metrics report a hop under. */
  servedKey: string;
  /**
   * What the endpoint is: an ACK pod on an ECS node, an ECI pod on a virtual node (`ask`
   * clusters), a pod of an external cluster, or a VM declared as a WorkloadEntry.
   */
  kind?: ClusterKind | 'workload-entry';
  /** Envoy's endpoint load-balancing weight (WorkloadEntry spec.weight); 1 when absent. */
  weight?: number;
}

interface DeploymentPods {
  cluster: string;
  namespace: string;
  name: string;
  /** Pods in index order; the first `ready` of them are the ready ones. */
  pods: Pod[];
  zones: string[];
  region: string;
  service: string;
  version: string;
  labels: Record<string, string>;
  subzone: string | undefined;
  kind: ClusterKind;
}

export function labelsMatch(labels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}

/**
 * The pods of every deployment, placed in their cluster's region and spread round-robin over
 * its zones the way a topology-spread scheduler would. Readiness is read from the control plane
 * on each call: the twin decides which pods have passed their startup delay.
 */
export class PodDirectory {
  private readonly byService = new Map<string, DeploymentPods[]>();
  /** Namespaces a service's Kubernetes Service exists in (those of its deployments; `default` when it has none). */
  private readonly namespaces = new Map<string, Set<string>>();

  constructor(topology: Topology) {
    const regionByCluster = new Map(topology.regions.flatMap((r) => r.clusters.map((c) => [c.name, { region: r, kind: c.kind }] as const)));
    for (const d of topology.deployments) {
      const found = regionByCluster.get(d.cluster);
      const region = found?.region;
      if (!region) continue; // schema guarantees it; kept total for type narrowing
      const entry: DeploymentPods = {
        cluster: d.cluster,
        namespace: d.namespace,
        name: d.name,
        pods: [],
        zones: d.zones ?? region.zones,
        region: region.name,
        service: d.service,
        version: d.version,
        labels: { app: d.service, version: d.version, ...d.labels },
        subzone: d.subzone,
        kind: found?.kind ?? 'ack',
      };
      const ns = this.namespaces.get(d.service) ?? new Set<string>();
      ns.add(d.namespace);
      this.namespaces.set(d.service, ns);
      const list = this.byService.get(d.service) ?? [];
      list.push(entry);
      this.byService.set(d.service, list);
    }
  }

  /** Ready pods of a service whose labels match the selector (a subset's labels, or none). */
  readyPods(config: RoutingConfigSource, service: string, selector: Readonly<Record<string, string>> | null): Pod[] {
    const out: Pod[] = [];
    for (const d of this.byService.get(service) ?? []) {
      if (selector && !labelsMatch(d.labels, selector)) continue;
      const ready = config.replicas(d.cluster, d.namespace, d.name)?.ready ?? 0;
      for (let i = 0; i < ready; i++) out.push(this.pod(d, i));
    }
    // VMs and other WorkloadEntries the control plane holds for this host, selected by label (and
    // the subset's labels) as Istio selects them; read per batch, so one created over the API counts.
    for (const we of config.workloadEntries?.(service) ?? []) {
      if (selector && !labelsMatch(we.labels, selector)) continue;
      if (we.selectedBy === 'service-labels' && !(this.namespaces.get(service) ?? new Set(['default'])).has(we.namespace)) continue;
      out.push(this.workloadEntry(service, we));
    }
    return out;
  }

  private readonly entries = new Map<string, { source: WorkloadEntryEndpoint; pod: Pod }>();

  /** One endpoint object per WorkloadEntry while it is unchanged, so outlier state follows it. */
  private workloadEntry(service: string, we: WorkloadEntryEndpoint): Pod {
    const id = `we/${we.namespace}/${we.name}`;
    const cached = this.entries.get(`${service}|${id}`);
    if (cached && JSON.stringify(cached.source) === JSON.stringify(we)) return cached.pod;
    const version = we.labels.version ?? '';
    const pod: Pod = {
      id,
      cluster: we.cluster,
      namespace: we.namespace,
      deployment: we.name,
      service,
      version,
      region: we.locality.region,
      zone: we.locality.zone,
      ...(we.locality.subzone ? { subzone: we.locality.subzone } : {}),
      labels: we.labels,
      servedKey: `${we.locality.region}/${service}/${version}`,
      kind: 'workload-entry',
      weight: we.weight,
    };
    this.entries.set(`${service}|${id}`, { source: structuredClone(we), pod });
    return pod;
  }

  private pod(d: DeploymentPods, index: number): Pod {
    let pod = d.pods[index];
    if (!pod) {
      const zone = d.zones[index % d.zones.length] as string;
      pod = {
        id: `${d.cluster}/${d.namespace}/${d.name}-${index}`,
        cluster: d.cluster,
        namespace: d.namespace,
        deployment: d.name,
        service: d.service,
        version: d.version,
        region: d.region,
        zone,
        ...(d.subzone ? { subzone: d.subzone } : {}),
        labels: d.labels,
        servedKey: `${d.region}/${d.service}/${d.version}`,
        ...(d.kind !== 'ack' ? { kind: d.kind } : {}),
      };
      d.pods[index] = pod;
    }
    return pod;
  }
}
