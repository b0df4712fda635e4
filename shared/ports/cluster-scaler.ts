export interface DeploymentRef {
  cluster: string;
  namespace: string;
  name: string;
}

export interface DeploymentStatus {
  /** spec.replicas */
  replicas: number;
  readyReplicas: number;
  /** status.availableReplicas: ready for at least minReadySeconds (what the Available condition counts). */
  availableReplicas: number;
}

/** Read and scale Deployments in one or more clusters (one kubeconfig per cluster). */
export interface ClusterScaler {
  get(ref: DeploymentRef): Promise<DeploymentStatus>;
  /** Set spec.replicas through the scale subresource. Idempotent. */
  scale(ref: DeploymentRef, replicas: number): Promise<void>;
  /** Resolve true once readyReplicas >= replicas, false at the deadline (epoch ms). */
  waitReady(ref: DeploymentRef, replicas: number, deadline: number): Promise<boolean>;
}
