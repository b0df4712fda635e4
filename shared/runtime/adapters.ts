import type { CredentialsProvider } from '../adapters/cloud-credentials';
import type { KubeconfigSource } from '../adapters/kubeconfig';
import { kubeconfigEndpoint } from '../adapters/kubeconfig-endpoint';
import { RegionshiftError } from '../core/errors';
import { lazy } from '../core/lazy';
import type { EntryRoute, MeshConfig } from '../core/types';
import type { Policy } from '../core/policy';
import type { ClusterScaler, DeploymentRef, DeploymentStatus } from '../ports/cluster-scaler';
import type { Clock } from '../ports/clock';
import type { LiveMeshConfig, MeshApplyOptions, MeshControl } from '../ports/mesh-control';
import type { RuntimeEnv } from './config';

/**
 * The adapters are imported on first use, not when the runtime is built: the Kubernetes client
 * (about 1.2 MB bundled) and the OpenAPI SDK cost a cold start only to the invocations that reach
 * the mesh or a cluster (a duplicate alarm, a status read of the state, a refused command never
 * do), and only the mesh backend the policy names is ever loaded. A failed import is retried on
 * the next use rather than kept.
 */
class LazyMeshControl implements MeshControl {
  constructor(private readonly load: () => Promise<MeshControl>) {}
  async read(): Promise<LiveMeshConfig> {
    return (await this.load()).read();
  }
  async apply(config: MeshConfig, opts?: MeshApplyOptions): Promise<void> {
    return (await this.load()).apply(config, opts);
  }
}

class LazyClusterScaler implements ClusterScaler {
  constructor(private readonly load: () => Promise<ClusterScaler>) {}
  async get(ref: DeploymentRef): Promise<DeploymentStatus> {
    return (await this.load()).get(ref);
  }
  async scale(ref: DeploymentRef, replicas: number): Promise<void> {
    return (await this.load()).scale(ref, replicas);
  }
  async waitReady(ref: DeploymentRef, replicas: number, deadline: number): Promise<boolean> {
    return (await this.load()).waitReady(ref, replicas, deadline);
  }
}

type K8sCredentials = Policy['regions'][string]['clusters'][number]['kubeconfig'];

/** Where a cluster's kubeconfig comes from, as the policy says: a file, an env var with the YAML, or the cloud API. */
function sourceOf(
  name: string,
  k: K8sCredentials,
  cloud:
    | { kind: 'ack'; clusterId: string; endpoint?: string; privateIpAddress: boolean }
    | { kind: 'asm'; meshId: string; endpoint?: string; privateIpAddress: boolean },
): KubeconfigSource {
  if (k.kubeconfigFile) return { from: 'file', path: k.kubeconfigFile };
  if (k.kubeconfigEnv) return { from: 'env', variable: k.kubeconfigEnv };
  // Nothing said: fetch it from the cloud API (ACK's user kubeconfig, ASM's mesh kubeconfig), as on FC.
  if (k.fromCloud ?? true) {
    return cloud.kind === 'ack'
      ? {
          from: 'ack',
          clusterId: cloud.clusterId,
          privateIpAddress: cloud.privateIpAddress,
          ...(cloud.endpoint ? { endpoint: cloud.endpoint } : {}),
        }
      : {
          from: 'asm',
          meshId: cloud.meshId,
          privateIpAddress: cloud.privateIpAddress,
          ...(cloud.endpoint ? { endpoint: cloud.endpoint } : {}),
        };
  }
  throw new RegionshiftError('CONFIG.KUBECONFIG', `${name}: fromCloud is false; set kubeconfigFile or kubeconfigEnv`);
}

/** Whether the policy scopes any service (`scopes.services` non-empty). */
export function hasScopes(policy: Policy): boolean {
  const scopes = (policy as { scopes?: { services?: Record<string, unknown> } | null }).scopes;
  return Boolean(scopes && scopes.services && Object.keys(scopes.services).length > 0);
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
): Promise<{
  mesh: MeshControl;
  scaler: ClusterScaler;
  kubeconfigSources: Record<string, KubeconfigSource>;
  entryRoutes?: EntryRoutesReader;
}> {
  const needsCloud =
    policy.mesh.backend === 'asm' ||
    Object.values(policy.regions).some((r) => r.clusters.some((c) => !c.kubeconfig.kubeconfigFile && !c.kubeconfig.kubeconfigEnv));
  const sources: Record<string, KubeconfigSource> = {};
  for (const [region, r] of Object.entries(policy.regions)) {
    for (const c of r.clusters) {
      const privateIpAddress = kubeconfigEndpoint(c.kubeconfig, region, functionRegion) === 'private';
      sources[c.id] = sourceOf(`regions.${region}.clusters.${c.id}.kubeconfig`, c.kubeconfig, {
        kind: 'ack',
        clusterId: c.id,
        privateIpAddress,
        ...(e.REGIONSHIFT_CS_ENDPOINT ? { endpoint: e.REGIONSHIFT_CS_ENDPOINT } : {}),
      });
    }
  }
  const backend = policy.mesh;
  // Service scopes (policy `scopes`) need per-host DestinationRules; without them the adapters
  // make exactly the calls they always made. Read defensively: the schema field may be newer than this code.
  const scoped = hasScopes(policy);
  if (backend.backend === 'istio') {
    const privateIpAddress = kubeconfigEndpoint(backend.kubeconfig, undefined, functionRegion) === 'private';
    sources['mesh-control-plane'] = sourceOf('mesh.kubeconfig', backend.kubeconfig, { kind: 'asm', meshId: 'unknown', privateIpAddress });
  } else if (scoped) {
    // ASM: the per-host rules live in the mesh control plane's Kubernetes API (DescribeServiceMeshKubeconfig).
    // The functions reach it as they reach ASM's OpenAPI: the private address in the functions' region.
    const endpoint = e.REGIONSHIFT_ASM_ENDPOINT ?? backend.endpoint;
    sources['mesh-control-plane'] = {
      from: 'asm',
      meshId: backend.meshId,
      privateIpAddress: kubeconfigEndpoint({}, backend.apiRegion, functionRegion) === 'private',
      ...(endpoint ? { endpoint } : {}),
    };
  }
  // One resolver (and its kubeconfig cache) for the mesh and the scaler, built when either first needs it.
  const resolver = lazy(async () => {
    const { KubeconfigResolver } = await import('../adapters/kubeconfig');
    return new KubeconfigResolver({ sources, ...(needsCloud ? { credentials } : {}), env, clock });
  });
  const mesh: MeshControl = new LazyMeshControl(
    lazy(async (): Promise<MeshControl> => {
      if (backend.backend === 'asm') {
        // One import at a time: jest's ES module loader races on two concurrent imports sharing modules.
        const r = scoped ? await resolver() : null;
        const { AsmMeshControl } = await import('../adapters/mesh-asm');
        return new AsmMeshControl({
          meshId: backend.meshId,
          endpoint: e.REGIONSHIFT_ASM_ENDPOINT ?? backend.endpoint ?? 'https://servicemesh.aliyuncs.com',
          credentials,
          applyTimeoutMs: backend.updateTimeout,
          ...(e.REGIONSHIFT_POLL_MS ? { pollIntervalMs: e.REGIONSHIFT_POLL_MS } : {}),
          clock,
          ...(r ? { kubeconfig: () => r.get('mesh-control-plane') } : {}),
        });
      }
      // One import at a time: jest's ES module loader races on two concurrent imports sharing modules.
      const r = await resolver();
      const { IstioMeshControl } = await import('../adapters/mesh-istio');
      return new IstioMeshControl({ kubeconfig: () => r.get('mesh-control-plane'), rules: backend.destinationRules, perHostRules: scoped });
    }),
  );
  const scaler: ClusterScaler = new LazyClusterScaler(
    lazy(async () => {
      const r = await resolver();
      const { K8sClusterScaler } = await import('../adapters/scaler-k8s');
      return new K8sClusterScaler({
        kubeconfigs: r.provider,
        clock,
        ...(e.REGIONSHIFT_POLL_MS ? { pollIntervalMs: e.REGIONSHIFT_POLL_MS } : {}),
      });
    }),
  );
  // scopes.entryFrom: the gateways' VirtualServices, read through the same Kubernetes API as the
  // per-host rules (Istio: the cluster; ASM: the mesh's kubeconfig), and only when the policy asks.
  const entryFrom = (policy.scopes as { entryFrom?: unknown } | undefined)?.entryFrom;
  const entryRoutes: EntryRoutesReader | undefined = entryFrom
    ? async (gateways) => {
        const r = await resolver();
        const { VirtualServiceReader } = await import('../adapters/mesh-virtualservices');
        return new VirtualServiceReader({ kubeconfig: () => r.get('mesh-control-plane') }).routes(gateways);
      }
    : undefined;
  return { mesh, scaler, kubeconfigSources: sources, ...(entryRoutes ? { entryRoutes } : {}) };
}

/** The routes of the VirtualServices bound to these gateways (`<namespace>/<name>`), read now. */
export type EntryRoutesReader = (gateways: readonly string[]) => Promise<EntryRoute[]>;
