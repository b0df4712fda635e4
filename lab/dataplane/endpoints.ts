import type { Topology } from '../topology/schema';
import type { RoutingConfigSource } from './config-source';

/** Where a proxy runs: Istio's locality, without subzones (the lab never uses them). */
export interface Locality {
  region: string;
  zone: string;
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

  constructor(topology: Topology) {
    const regionByCluster = new Map(topology.regions.map((r) => [r.cluster, r]));
    for (const d of topology.deployments) {
      const region = regionByCluster.get(d.cluster);
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
      };
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
    return out;
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
        labels: d.labels,
        servedKey: `${d.region}/${d.service}/${d.version}`,
      };
      d.pods[index] = pod;
    }
    return pod;
  }
}
