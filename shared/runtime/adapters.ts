import type { CredentialsProvider } from '../adapters/cloud-credentials';
import { KubeconfigResolver, type KubeconfigSource } from '../adapters/kubeconfig';
import { AsmMeshControl } from '../adapters/mesh-asm';
import { IstioMeshControl } from '../adapters/mesh-istio';
import { K8sClusterScaler } from '../adapters/scaler-k8s';
import { RegionshiftError } from '../core/errors';
import type { Policy } from '../core/policy';
import type { ClusterScaler } from '../ports/cluster-scaler';
import type { Clock } from '../ports/clock';
import type { MeshControl } from '../ports/mesh-control';
import type { RuntimeEnv } from './config';

type K8sCredentials = Policy['regions'][string]['clusters'][number]['kubeconfig'];

/**
 * Which API server address the cloud kubeconfig names (`PrivateIpAddress` of ACK's
 * DescribeClusterUserKubeconfig and ASM's DescribeServiceMeshKubeconfig). The functions sit in one
 * VPC of one region: a private endpoint in another region is unreachable from there without CEN or
 * peering, so clusters elsewhere default to the public one; a cluster in the functions' own region
 * defaults to private (its API server stays off the internet). The policy can say either.
 */
export function kubeconfigEndpoint(k: K8sCredentials, clusterRegion: string | undefined, functionRegion: string | undefined): 'public' | 'private' {
  if (k.endpoint) return k.endpoint;
  if (!clusterRegion || !functionRegion) return 'private';
  return clusterRegion === functionRegion ? 'private' : 'public';
}

/** Where a cluster's kubeconfig comes from, as the policy says: a file, an env var with the YAML, or the cloud API. */
function sourceOf(name: string, k: K8sCredentials, cloud: { kind: 'ack'; clusterId: string; endpoint?: string; privateIpAddress: boolean } | { kind: 'asm'; meshId: string; endpoint?: string; privateIpAddress: boolean }): KubeconfigSource {
  if (k.kubeconfigFile) return { from: 'file', path: k.kubeconfigFile };
  if (k.kubeconfigEnv) return { from: 'env', variable: k.kubeconfigEnv };
  // Nothing said: fetch it from the cloud API (ACK's user kubeconfig, ASM's mesh kubeconfig), as on FC.
  if (k.fromCloud ?? true) {
    return cloud.kind === 'ack'
      ? { from: 'ack', clusterId: cloud.clusterId, privateIpAddress: cloud.privateIpAddress, ...(cloud.endpoint ? { endpoint: cloud.endpoint } : {}) }
      : { from: 'asm', meshId: cloud.meshId, privateIpAddress: cloud.privateIpAddress, ...(cloud.endpoint ? { endpoint: cloud.endpoint } : {}) };
  }
  throw new RegionshiftError('CONFIG.KUBECONFIG', `${name}: fromCloud is false; set kubeconfigFile or kubeconfigEnv`);
}

/**
 * The mesh and cluster adapters the policy asks for. `credentials` is asked on every cloud call
 * (the runtime points it at the current invocation's); `functionRegion` is where the functions run.
 */
export async function clusterAdaptersFor(
  policy: Policy,
  e: RuntimeEnv,
  env: Record<string, string | undefined>,
  credentials: CredentialsProvider,
  clock: Clock,
  functionRegion?: string,
): Promise<{ mesh: MeshControl; scaler: ClusterScaler; kubeconfigSources: Record<string, KubeconfigSource> }> {
  const needsCloud = policy.mesh.backend === 'asm' || Object.values(policy.regions).some((r) => r.clusters.some((c) => !c.kubeconfig.kubeconfigFile && !c.kubeconfig.kubeconfigEnv));
  const sources: Record<string, KubeconfigSource> = {};
  for (const [region, r] of Object.entries(policy.regions)) {
    for (const c of r.clusters) {
      const privateIpAddress = kubeconfigEndpoint(c.kubeconfig, region, functionRegion) === 'private';
      sources[c.id] = sourceOf(`regions.${region}.clusters.${c.id}.kubeconfig`, c.kubeconfig, { kind: 'ack', clusterId: c.id, privateIpAddress, ...(e.REGIONSHIFT_CS_ENDPOINT ? { endpoint: e.REGIONSHIFT_CS_ENDPOINT } : {}) });
    }
  }
  let mesh: MeshControl;
  if (policy.mesh.backend === 'asm') {
    mesh = new AsmMeshControl({
      meshId: policy.mesh.meshId,
      endpoint: e.REGIONSHIFT_ASM_ENDPOINT ?? policy.mesh.endpoint ?? 'https://servicemesh.aliyuncs.com',
      credentials,
      applyTimeoutMs: policy.mesh.updateTimeout,
      clock,
    });
  } else {
    const privateIpAddress = kubeconfigEndpoint(policy.mesh.kubeconfig, undefined, functionRegion) === 'private';
    sources['mesh-control-plane'] = sourceOf('mesh.kubeconfig', policy.mesh.kubeconfig, { kind: 'asm', meshId: 'unknown', privateIpAddress });
  }
  const resolver = new KubeconfigResolver({ sources, ...(needsCloud ? { credentials } : {}), env, clock });
  if (policy.mesh.backend === 'istio') {
    mesh = new IstioMeshControl({ kubeconfig: () => resolver.get('mesh-control-plane'), rules: policy.mesh.destinationRules });
  }
  const scaler = new K8sClusterScaler({ kubeconfigs: resolver.provider, clock });
  return { mesh: mesh!, scaler, kubeconfigSources: sources };
}
