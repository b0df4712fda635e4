import { startLabControlPlane, type LabControlPlane } from '../../lab/k8s/control-plane';
import { STARTUP_DELAY_ANNOTATION } from '../../lab/k8s/deployment-pods';
import { DEPLOYMENTS } from '../../lab/k8s/resources';
import { KubeconfigResolver } from '../../shared/adapters/kubeconfig';
import { K8sClusterScaler } from '../../shared/adapters/scaler-k8s';
import type { DeploymentRef } from '../../shared/ports/cluster-scaler';
import { FakeClock } from '../../lab/fakes/fake-clock';
import type { ScalerUnderTest } from './cluster-scaler.contract';

/** The lab with one Bookinfo deployment per cluster, and a scaler that gets its kubeconfigs from ACK (the CS twin). */

export const LAB = { token: 'lab-bearer-token', accessKeyId: 'LTAI-lab-key', accessKeySecret: 'lab-secret', meshId: 'c-mesh-lab' } as const;
export const CLUSTERS = ['c-hangzhou', 'c-shanghai'];
export const STARTUP_DELAY_MS = 2_000;
export const POLL_INTERVAL_MS = 500;

export interface ScalerHarness extends ScalerUnderTest {
  cp: LabControlPlane;
  clock: FakeClock;
  resolver: KubeconfigResolver;
}

export function createDeployment(cp: LabControlPlane, ref: DeploymentRef, replicas: number, startupDelayMs = STARTUP_DELAY_MS): void {
  cp.store.create(ref.cluster, DEPLOYMENTS, ref.namespace, {
    metadata: { name: ref.name, labels: { app: ref.name }, annotations: { [STARTUP_DELAY_ANNOTATION]: String(startupDelayMs) } },
    spec: {
      replicas,
      selector: { matchLabels: { app: ref.name } },
      template: {
        metadata: { labels: { app: ref.name } },
        spec: { containers: [{ name: ref.name, image: `docker.io/istio/examples-bookinfo-${ref.name}:1.20.2` }] },
      },
    },
  });
}

export async function scalerHarness(): Promise<ScalerHarness> {
  const clock = new FakeClock();
  const cp = await startLabControlPlane({ ...LAB, clusters: CLUSTERS, clock });
  const deployment = { cluster: 'c-hangzhou', namespace: 'bookinfo', name: 'reviews-v1' };
  createDeployment(cp, deployment, 1);
  createDeployment(cp, { ...deployment, cluster: 'c-shanghai', name: 'reviews-v2' }, 1);
  clock.advance(STARTUP_DELAY_MS);
  const resolver = new KubeconfigResolver({
    sources: Object.fromEntries(CLUSTERS.map((id) => [id, { from: 'ack' as const, clusterId: id, endpoint: cp.csEndpoint }])),
    credentials: { accessKeyId: LAB.accessKeyId, accessKeySecret: LAB.accessKeySecret },
    clock,
  });
  const scaler = new K8sClusterScaler({ kubeconfigs: resolver.provider, clock, pollIntervalMs: POLL_INTERVAL_MS });
  return { scaler, clock, deployment, startupDelayMs: STARTUP_DELAY_MS, cp, resolver, cleanup: () => cp.stop() };
}
