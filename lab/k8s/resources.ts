/** The resource types the twin serves, and what distinguishes them. */

export interface ResourceType {
  group: string;
  plural: string;
  kind: string;
  /** Served versions; the first is the storage version. All share one schema here. */
  versions: readonly string[];
  /**
   * Built-in types accept a PUT without metadata.resourceVersion (last writer wins);
   * custom resources do not (the CRD strategy sets AllowUnconditionalUpdate false).
   */
  unconditionalUpdate: boolean;
  hasScale: boolean;
}

/**
 * An Istio networking custom resource: served as v1 (Istio 1.22+), v1beta1 and v1alpha3; a PUT needs
 * metadata.resourceVersion (the CRD strategy); no scale subresource.
 */
function istioType(plural: string, kind: string): ResourceType {
  return {
    group: 'networking.istio.io',
    plural,
    kind,
    versions: ['v1', 'v1beta1', 'v1alpha3'],
    unconditionalUpdate: false,
    hasScale: false,
  };
}

export const DESTINATION_RULES = istioType('destinationrules', 'DestinationRule');

export const VIRTUAL_SERVICES = istioType('virtualservices', 'VirtualService');

/** VMs and other endpoints outside Kubernetes; Istio serves v1 from 1.22, v1beta1 and v1alpha3 before. */
export const WORKLOAD_ENTRIES = istioType('workloadentries', 'WorkloadEntry');

/** Template of the WorkloadEntries of one workload's VMs (Istio's WorkloadGroup, same versions as WorkloadEntry). */
export const WORKLOAD_GROUPS = istioType('workloadgroups', 'WorkloadGroup');

/** Services outside the Kubernetes registry, or WorkloadEntries selected by `workloadSelector`. */
export const SERVICE_ENTRIES = istioType('serviceentries', 'ServiceEntry');

export const DEPLOYMENTS: ResourceType = {
  group: 'apps',
  plural: 'deployments',
  kind: 'Deployment',
  versions: ['v1'],
  unconditionalUpdate: true,
  hasScale: true,
};

/** Nodes: the core group (`/api/v1/nodes`), cluster-scoped; stored under the empty namespace. */
export const NODES: ResourceType = {
  group: '',
  plural: 'nodes',
  kind: 'Node',
  versions: ['v1'],
  unconditionalUpdate: true,
  hasScale: false,
};

/** Pods: core group, namespaced; served read-only, derived from the Deployments (see pod-view.ts). */
export const PODS: ResourceType = {
  group: '',
  plural: 'pods',
  kind: 'Pod',
  versions: ['v1'],
  unconditionalUpdate: true,
  hasScale: false,
};

export const RESOURCE_TYPES: readonly ResourceType[] = [
  DESTINATION_RULES,
  VIRTUAL_SERVICES,
  WORKLOAD_ENTRIES,
  WORKLOAD_GROUPS,
  SERVICE_ENTRIES,
  DEPLOYMENTS,
  NODES,
  PODS,
];

/** `apps/v1`, or `v1` for the core group. */
export function apiVersionOf(rt: ResourceType, version: string): string {
  return rt.group ? `${rt.group}/${version}` : version;
}

export function findResourceType(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((rt) => rt.group === group && rt.plural === plural && rt.versions.includes(version));
}

/** `deployments.apps`, `destinationrules.networking.istio.io`: how the API server names a resource in messages. */
export function qualifiedResource(rt: ResourceType): string {
  return rt.group ? `${rt.plural}.${rt.group}` : rt.plural;
}
