import type { Policy } from '../core/policy';

/* Apart from kubeconfig.ts: the runtime decides endpoints at cold start without loading the Kubernetes client. */
/** A cluster's (or the mesh's) kubeconfig settings in the policy. */
type K8sCredentials = Policy['regions'][string]['clusters'][number]['kubeconfig'];

/**
 * Which API server address the cloud kubeconfig names (`PrivateIpAddress` of ACK's
 * DescribeClusterUserKubeconfig and ASM's DescribeServiceMeshKubeconfig). The functions sit in one
 * VPC of one region: a private endpoint in another region is unreachable from there without CEN or
 * peering, so clusters elsewhere default to the public one; a cluster in the functions' own region
 * defaults to private (its API server stays off the internet). The policy can say either.
 */
export function kubeconfigEndpoint(
  k: K8sCredentials,
  clusterRegion: string | undefined,
  functionRegion: string | undefined,
): 'public' | 'private' {
  if (k.endpoint) return k.endpoint;
  if (!clusterRegion || !functionRegion) return 'private';
  return clusterRegion === functionRegion ? 'private' : 'public';
}
