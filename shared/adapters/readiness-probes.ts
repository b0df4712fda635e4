import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { CredentialsProvider } from './cloud-credentials';
import { k8sRequestOptions, KubeconfigResolver, kubernetesFailure, kubernetesUpstreamError, type KubeconfigSource } from './kubeconfig';
import { kubeconfigEndpoint } from './kubeconfig-endpoint';
import type { Policy } from '../core/policy';
import type { ClusterScaler } from '../ports/cluster-scaler';
import type { Clock } from '../ports/clock';
import type { MeshControl } from '../ports/mesh-control';
import type { StateStore } from '../ports/state-store';
import type { DestinationRuleInfo, NodeInfo, ReadinessProbes, WorkloadEntryInfo } from '../ports/readiness-probes';
import { fcGetFunction } from './fc-executor';
import { ownedByProduct } from './mesh-ownership';

/**
 * The probes on the real adapters: the same mesh, scaler and store the functions use, plus three
 * reads of their own (DestinationRules cluster-wide, Nodes, FC GetFunction). Every call is a read.
 */

export interface CloudProbeOptions {
  policy: Policy;
  mesh: MeshControl;
  scaler: ClusterScaler;
  /** A string: why there is no store to read (a SQLite file that does not exist, which doctor must not create). */
  store: StateStore | string;
  storeBackend: string;
  /** The clusters' kubeconfig sources, as the runtime resolved them; the ASM mesh plane is added here. */
  kubeconfigSources: Record<string, KubeconfigSource>;
  credentials: CredentialsProvider;
  clock: Clock;
  asmEndpoint?: string;
  functionRegion?: string;
  executor?: { functionName: string; endpoint: string | (() => string) };
  requestTimeoutMs?: number;
}

const MESH_PLANE = 'mesh-control-plane';

interface RawRule {
  metadata?: { namespace?: string; name?: string; labels?: Record<string, string> | null };
  spec?: { host?: string; trafficPolicy?: { outlierDetection?: unknown; loadBalancer?: { localityLbSetting?: unknown } | null } | null };
}

export function destinationRuleInfo(raw: RawRule): DestinationRuleInfo {
  const tp = raw.spec?.trafficPolicy;
  return {
    namespace: raw.metadata?.namespace ?? '',
    name: raw.metadata?.name ?? '',
    ...(raw.spec?.host ? { host: raw.spec.host } : {}),
    hasOutlierDetection: tp?.outlierDetection !== undefined && tp.outlierDetection !== null,
    hasLocalityLbSetting: tp?.loadBalancer?.localityLbSetting !== undefined && tp.loadBalancer.localityLbSetting !== null,
    // A rule the product keeps for a service scope carries a locality setting by design.
    ...(ownedByProduct(raw.metadata?.labels) ? { ownedByProduct: true } : {}),
  };
}

interface RawWorkloadEntry {
  metadata?: { namespace?: string; name?: string };
  spec?: { locality?: string; labels?: Record<string, string> | null } | null;
}

export function workloadEntryInfo(raw: RawWorkloadEntry): WorkloadEntryInfo {
  return {
    namespace: raw.metadata?.namespace ?? '',
    name: raw.metadata?.name ?? '',
    locality: typeof raw.spec?.locality === 'string' ? raw.spec.locality : '',
    labels: { ...(raw.spec?.labels ?? {}) },
  };
}

/** v1 first (Istio 1.22+), then v1beta1 for older control planes; the same stored objects either way. */
const WORKLOAD_ENTRY_VERSIONS = ['v1', 'v1beta1'] as const;

export function cloudReadinessProbes(o: CloudProbeOptions): ReadinessProbes {
  const timeoutMs = o.requestTimeoutMs ?? 10_000;
  const sources: Record<string, KubeconfigSource> = { ...o.kubeconfigSources };
  if (o.policy.mesh.backend === 'asm') {
    // ASM keeps the Istio resources in the mesh's own control plane: its kubeconfig comes from DescribeServiceMeshKubeconfig.
    // Private only from inside the mesh's API region (a function there); a run from elsewhere (the CLI on a laptop) needs the public endpoint.
    const privateIpAddress =
      o.functionRegion !== undefined && kubeconfigEndpoint({}, o.policy.mesh.apiRegion, o.functionRegion) === 'private';
    sources[MESH_PLANE] = {
      from: 'asm',
      meshId: o.policy.mesh.meshId,
      privateIpAddress,
      ...(o.asmEndpoint ? { endpoint: o.asmEndpoint } : {}),
    };
  }
  const resolver = new KubeconfigResolver({ sources, credentials: o.credentials, clock: o.clock, requestTimeoutMs: timeoutMs });
  return {
    async destinationRules() {
      const kc = await resolver.get(MESH_PLANE);
      const api = kc.makeApiClient(CustomObjectsApi);
      try {
        const list = (await api.listClusterCustomObject(
          { group: 'networking.istio.io', version: 'v1', plural: 'destinationrules' },
          k8sRequestOptions({ timeoutMs }),
        )) as { items?: RawRule[] };
        return (list.items ?? []).map(destinationRuleInfo);
      } catch (e) {
        throw kubernetesUpstreamError('list destinationrules.networking.istio.io', e);
      }
    },
    async workloadEntries() {
      const kc = await resolver.get(MESH_PLANE);
      const api = kc.makeApiClient(CustomObjectsApi);
      for (const version of WORKLOAD_ENTRY_VERSIONS) {
        try {
          const list = (await api.listClusterCustomObject(
            { group: 'networking.istio.io', version, plural: 'workloadentries' },
            k8sRequestOptions({ timeoutMs }),
          )) as { items?: RawWorkloadEntry[] };
          return (list.items ?? []).map(workloadEntryInfo);
        } catch (e) {
          // 404: this version of the CRD is not served (or no CRD at all); a mesh without it has no WorkloadEntry.
          if (kubernetesFailure(e).status !== 404) throw kubernetesUpstreamError(`list workloadentries.networking.istio.io/${version}`, e);
        }
      }
      return [];
    },
    async nodes(cluster) {
      const kc = await resolver.get(cluster);
      try {
        const list = await kc.makeApiClient(CoreV1Api).listNode({}, k8sRequestOptions({ timeoutMs }));
        return list.items.map((n): NodeInfo => ({ name: n.metadata?.name ?? '', labels: { ...(n.metadata?.labels ?? {}) } }));
      } catch (e) {
        throw kubernetesUpstreamError(`list nodes in ${cluster}`, e);
      }
    },
    meshLive: () => o.mesh.read(),
    deployment: (ref) => o.scaler.get(ref),
    async stateStore() {
      if (typeof o.store === 'string') throw new Error(o.store);
      const { version } = await o.store.load(o.policy.name);
      await o.store.listEvents(o.policy.name, { limit: 1 });
      return { backend: o.storeBackend, version };
    },
    async executor() {
      if (!o.executor) return null;
      await fcGetFunction({ functionName: o.executor.functionName, endpoint: o.executor.endpoint, credentials: o.credentials, timeoutMs });
      return { functionName: o.executor.functionName };
    },
  };
}
