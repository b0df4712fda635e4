import type { LiveMeshConfig } from './mesh-control';

/**
 * The read-only cloud reads the readiness checks judge (shared/readiness): the runtime builds them
 * on the real adapters (shared/adapters/readiness-probes.ts), tests on fakes. Nothing here changes anything.
 */

export interface DestinationRuleInfo {
  namespace: string;
  name: string;
  host?: string;
  hasOutlierDetection: boolean;
  hasLocalityLbSetting: boolean;
  /** Labelled app.kubernetes.io/managed-by: regionshift (a service scope's rule). */
  ownedByProduct?: boolean;
}

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
}

/** A WorkloadEntry (a VM or other endpoint outside Kubernetes) as the readiness probe read it. */
export interface WorkloadEntryInfo {
  namespace: string;
  name: string;
  /** spec.locality as written ('' when absent). */
  locality: string;
  /** spec.labels (the endpoint's labels, not the object's metadata.labels). */
  labels: Record<string, string>;
}

/** Where the control plane's own parts run, as far as the runtime can tell. */
export interface PlacementInfo {
  /** The functions' region: FC 3.0's runtime variable FC_REGION. */
  functionRegion?: string;
  /** The Tablestore endpoint (TABLESTORE_ENDPOINT) when the state lives in Tablestore. */
  tablestoreEndpoint?: string;
}

/** The read-only cloud calls the checks need. Nothing here changes anything. */
export interface ReadinessProbes {
  /** Every DestinationRule the mesh control plane holds (all namespaces). */
  destinationRules(): Promise<DestinationRuleInfo[]>;
  nodes(cluster: string): Promise<NodeInfo[]>;
  /** Every WorkloadEntry the mesh control plane holds (all namespaces); [] when the CRD is not installed. */
  workloadEntries(): Promise<WorkloadEntryInfo[]>;
  meshLive(): Promise<LiveMeshConfig>;
  deployment(ref: { cluster: string; namespace: string; name: string }): Promise<unknown>;
  stateStore(): Promise<{ backend: string; version: number }>;
  /** null when no executor is configured. */
  executor(): Promise<{ functionName: string } | null>;
  /** Where the control plane runs (no cloud call: the runtime's own variables); absent: unknown. */
  placement?(): PlacementInfo;
}
