import { resolveCloudCredentials } from '../adapters/cloud-credentials';
import { KubeconfigResolver, type KubeconfigSource } from '../adapters/kubeconfig';
import { AsmMeshControl } from '../adapters/mesh-asm';
import { IstioMeshControl } from '../adapters/mesh-istio';
import { K8sClusterScaler } from '../adapters/scaler-k8s';
import { RegionshiftError } from '../core/errors';
import type { Policy } from '../core/policy';
import type { FcContext } from '../http/runtime-types';
import type { ClusterScaler } from '../ports/cluster-scaler';
import type { Clock } from '../ports/clock';
import type { MeshControl } from '../ports/mesh-control';
import type { RuntimeEnv } from './config';

type K8sCredentials = Policy['regions'][string]['clusters'][number]['kubeconfig'];

/** Where a cluster's kubeconfig comes from, as the policy says: a file, an env var with the YAML, or the cloud API. */
function sourceOf(name: string, k: K8sCredentials, cloud: { kind: 'ack'; clusterId: string; endpoint?: string } | { kind: 'asm'; meshId: string; endpoint?: string }): KubeconfigSource {
  if (k.kubeconfigFile) return { from: 'file', path: k.kubeconfigFile };
  if (k.kubeconfigEnv) return { from: 'env', variable: k.kubeconfigEnv };
  // Nothing said: fetch it from the cloud API (ACK's user kubeconfig, ASM's mesh kubeconfig), as on FC.
  if (k.fromCloud ?? true) {
    return cloud.kind === 'ack'
      ? { from: 'ack', clusterId: cloud.clusterId, ...(cloud.endpoint ? { endpoint: cloud.endpoint } : {}) }
      : { from: 'asm', meshId: cloud.meshId, ...(cloud.endpoint ? { endpoint: cloud.endpoint } : {}) };
  }
  throw new RegionshiftError('CONFIG.KUBECONFIG', `${name}: fromCloud is false; set kubeconfigFile or kubeconfigEnv`);
}

/** The mesh and cluster adapters the policy asks for. */
export async function clusterAdaptersFor(policy: Policy, e: RuntimeEnv, env: Record<string, string | undefined>, context: FcContext, clock: Clock): Promise<{ mesh: MeshControl; scaler: ClusterScaler }> {
  const needsCloud = policy.mesh.backend === 'asm' || Object.values(policy.regions).some((r) => r.clusters.some((c) => !c.kubeconfig.kubeconfigFile && !c.kubeconfig.kubeconfigEnv));
  const credentials = needsCloud ? () => resolveCloudCredentials({ context, env }) : undefined;
  const sources: Record<string, KubeconfigSource> = {};
  for (const [region, r] of Object.entries(policy.regions)) {
    for (const c of r.clusters) {
      sources[c.id] = sourceOf(`regions.${region}.clusters.${c.id}.kubeconfig`, c.kubeconfig, { kind: 'ack', clusterId: c.id, ...(e.REGIONSHIFT_CS_ENDPOINT ? { endpoint: e.REGIONSHIFT_CS_ENDPOINT } : {}) });
    }
  }
  let mesh: MeshControl;
  if (policy.mesh.backend === 'asm') {
    mesh = new AsmMeshControl({
      meshId: policy.mesh.meshId,
      endpoint: e.REGIONSHIFT_ASM_ENDPOINT ?? policy.mesh.endpoint ?? 'https://servicemesh.aliyuncs.com',
      credentials: credentials as NonNullable<typeof credentials>,
      applyTimeoutMs: policy.mesh.updateTimeout,
      clock,
    });
  } else {
    sources['mesh-control-plane'] = sourceOf('mesh.kubeconfig', policy.mesh.kubeconfig, { kind: 'asm', meshId: 'unknown' });
  }
  const resolver = new KubeconfigResolver({ sources, ...(credentials ? { credentials } : {}), env, clock });
  if (policy.mesh.backend === 'istio') {
    mesh = new IstioMeshControl({ kubeconfig: () => resolver.get('mesh-control-plane'), rules: policy.mesh.destinationRules });
  }
  const scaler = new K8sClusterScaler({ kubeconfigs: resolver.provider, clock });
  return { mesh: mesh!, scaler };
}
