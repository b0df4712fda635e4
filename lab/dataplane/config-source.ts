import type { LocalityLbSettingInput } from '../../shared/core/mesh-validation';

/**
 * What the data plane needs to know about the control plane, read on every routing decision.
 * The lab's Kubernetes and ASM twins implement it from their stored objects; the data plane
 * never reaches into their storage directly.
 */

export interface OutlierDetectionSpec {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  /** Istio sets Envoy's healthy panic threshold from it whenever outlierDetection is set (0, panic off, when omitted). */
  minHealthPercent?: number;
  /** Deprecated Istio field: Istio maps it to Envoy's consecutive gateway failures (502/503/504) and turns 5xx ejection off. */
  consecutiveErrors?: number;
}

/** The effective traffic policy for one host (service), after DestinationRule-over-mesh-wide precedence. */
export interface EffectiveTrafficPolicy {
  /** Locality LB, from the host's DestinationRule if it sets one, else the mesh-wide (ASM) setting. */
  localityLb: (LocalityLbSettingInput & { enabled?: boolean | null }) | null;
  outlierDetection: OutlierDetectionSpec | null;
  /** Subsets by name → pod labels they select (e.g. { v1: { version: 'v1' } }). */
  subsets: Record<string, Record<string, string>>;
}

/** Istio's StringMatch: exactly one of the three (the twin's admission refuses anything else). */
export interface StringMatchSpec {
  exact?: string;
  prefix?: string;
  regex?: string;
}

/**
 * Istio's HTTPMatchRequest. The lab evaluates `uri`, `headers`, `withoutHeaders`,
 * `ignoreUriCase` and `method`; any other condition Istio accepts (authority, port, gateways,
 * sourceLabels, ...) is kept in `unmodelled` so the router never mistakes the entry for a
 * match-all: such an entry never matches in the lab.
 */
export interface HttpMatchSpec {
  uri?: StringMatchSpec;
  headers?: Record<string, StringMatchSpec>;
  withoutHeaders?: Record<string, StringMatchSpec>;
  ignoreUriCase?: boolean;
  method?: StringMatchSpec;
  /** Names of conditions set on this entry that the lab does not evaluate. */
  unmodelled?: string[];
}

export interface HttpRouteSpec {
  match?: HttpMatchSpec[];
  route: Array<{ destination: { host: string; subset?: string }; weight?: number }>;
}

/**
 * An Istio ServiceEntry as the data plane needs it: the hosts it adds to the mesh and its
 * static endpoints. In the multicluster version-routing setup an endpoint is the remote
 * cluster's gateway; the lab has no load-balancer addresses, so an endpoint's `address` names
 * the lab cluster whose gateway it is.
 */
export interface ServiceEntrySpec {
  hosts: string[];
  endpoints: Array<{ address: string; labels: Record<string, string>; locality?: string }>;
}

/** A WorkloadEntry as the data plane routes to it: an endpoint with its own locality and weight. */
export interface WorkloadEntryEndpoint {
  namespace: string;
  name: string;
  address: string;
  labels: Record<string, string>;
  locality: { region: string; zone: string; subzone?: string };
  /** spec.weight, 1 when unset (Envoy's default endpoint weight). */
  weight: number;
  /** `topology.istio.io/cluster` from its labels, '' for a VM beside no cluster. */
  cluster: string;
  /** A ServiceEntry's workloadSelector picked it, or the Kubernetes Service's selector (`app`); the latter only counts in the service's namespace. */
  selectedBy: 'service-entry' | 'service-labels';
}

export interface RoutingConfigSource {
  trafficPolicy(host: string): EffectiveTrafficPolicy;
  /** VirtualService http routes for a host, in order; empty when none is defined. */
  httpRoutes(host: string): HttpRouteSpec[];
  /** The ServiceEntry that defines a host (full name, e.g. `reviews.default.global`), oldest first wins; null when none does. */
  serviceEntry?(host: string): ServiceEntrySpec | null;
  /**
   * A Deployment's replicas in a cluster: `desired` is spec.replicas, `ready` the pods that have
   * passed their startup delay (status.readyReplicas). Null when the Deployment does not exist.
   */
  replicas(cluster: string, namespace: string, deployment: string): { desired: number; ready: number } | null;
  /**
   * WorkloadEntries that are endpoints of a host: those a ServiceEntry for it selects by its
   * workloadSelector, and those whose labels match the host's Kubernetes Service selector
   * (`app: <service>`) in the service's namespace. Absent: the source has none.
   */
  workloadEntries?(host: string): WorkloadEntryEndpoint[];
}
