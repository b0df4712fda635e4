import { AppsV1Api } from '@kubernetes/client-node';
import { UpstreamError, ValidationError } from '../core/errors';
import { systemClock, type Clock } from '../ports/clock';
import type { ClusterScaler, DeploymentRef, DeploymentStatus } from '../ports/cluster-scaler';
import { k8sRequestOptions, kubernetesFailure, kubernetesUpstreamError, type KubeconfigProvider } from './kubeconfig';

/**
 * ClusterScaler on the Kubernetes API: reads Deployments and sets replicas through the scale
 * subresource (the RBAC a role needs is `patch deployments/scale` and `get deployments`).
 */

export interface K8sClusterScalerOptions {
  /** The kubeconfig of each cluster by name (a KubeconfigResolver's `provider`). */
  kubeconfigs: KubeconfigProvider;
  clock?: Clock;
  /** How often `waitReady` reads the Deployment (default 2 s). */
  pollIntervalMs?: number;
  requestTimeoutMs?: number;
}

function describe(ref: DeploymentRef): string {
  return `deployment ${ref.namespace}/${ref.name} in cluster ${ref.cluster}`;
}

export class K8sClusterScaler implements ClusterScaler {
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: K8sClusterScalerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.pollIntervalMs = opts.pollIntervalMs ?? 2_000;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
  }

  async get(ref: DeploymentRef): Promise<DeploymentStatus> {
    const api = await this.api(ref);
    try {
      const d = await api.readNamespacedDeployment(
        { name: ref.name, namespace: ref.namespace },
        k8sRequestOptions({ timeoutMs: this.timeoutMs }),
      );
      // The API server omits zero counts; an absent spec.replicas means the default, 1.
      return {
        replicas: d.spec?.replicas ?? 1,
        readyReplicas: d.status?.readyReplicas ?? 0,
        availableReplicas: d.status?.availableReplicas ?? 0,
      };
    } catch (e) {
      throw this.translate(`read ${describe(ref)}`, e);
    }
  }

  async scale(ref: DeploymentRef, replicas: number): Promise<void> {
    if (!Number.isInteger(replicas) || replicas < 0)
      throw new ValidationError([`${describe(ref)}: replicas must be a whole number >= 0 (got ${replicas})`]);
    const api = await this.api(ref);
    try {
      await api.patchNamespacedDeploymentScale(
        { name: ref.name, namespace: ref.namespace, body: { spec: { replicas } } },
        k8sRequestOptions({ timeoutMs: this.timeoutMs, mergePatch: true }),
      );
    } catch (e) {
      throw this.translate(`scale ${describe(ref)} to ${replicas}`, e);
    }
  }

  async waitReady(ref: DeploymentRef, replicas: number, deadline: number): Promise<boolean> {
    for (;;) {
      try {
        const status = await this.get(ref);
        if (status.readyReplicas >= replicas) return true;
      } catch (e) {
        // A throttled or failed read while waiting is not the answer; keep waiting until the deadline.
        if (!(e instanceof UpstreamError && e.retryable)) throw e;
      }
      const left = deadline - this.clock.now();
      if (left <= 0) return false;
      await this.clock.sleep(Math.min(this.pollIntervalMs, left));
    }
  }

  private translate(what: string, err: unknown): UpstreamError {
    if (kubernetesFailure(err).status === 404) {
      return new UpstreamError('K8S.NotFound', `${what}: not found (check the policy's cluster, namespace and deployment names)`, {
        retryable: false,
        cause: err,
      });
    }
    return kubernetesUpstreamError(what, err);
  }

  private async api(ref: DeploymentRef): Promise<AppsV1Api> {
    return (await this.opts.kubeconfigs(ref.cluster)).makeApiClient(AppsV1Api);
  }
}
