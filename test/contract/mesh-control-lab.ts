import { startLabControlPlane, MESH_SCOPE, type LabControlPlane } from '../../lab/k8s/control-plane';
import { DESTINATION_RULES } from '../../lab/k8s/resources';
import { KubeconfigResolver } from '../../shared/adapters/kubeconfig';
import { AsmMeshControl, type AsmMeshControlOptions } from '../../shared/adapters/mesh-asm';
import { IstioMeshControl, type DestinationRuleRef } from '../../shared/adapters/mesh-istio';
import { resolveRuleHost } from '../../shared/adapters/mesh-scopes';
import { FakeClock } from '../../lab/fakes/fake-clock';
import type { MeshUnderTest, ScopeTwin } from './mesh-control.contract';

/** The lab control plane as the mesh contract tests set it up: Bookinfo's rules in the mesh scope. */

export const LAB = {
  token: 'lab-bearer-token',
  accessKeyId: 'LTAI-lab-key',
  accessKeySecret: 'lab-secret',
  meshId: 'c-mesh-lab',
  clusters: ['c-hangzhou', 'c-shanghai'],
} as const;

export const REGIONS: [string, string] = ['cn-hangzhou', 'cn-shanghai'];
export const ASM_UPDATE_DELAY_MS = 5_000;
export const BOOKINFO_RULES: DestinationRuleRef[] = [
  { namespace: 'bookinfo', name: 'reviews' },
  { namespace: 'bookinfo', name: 'ratings' },
];

export const OUTLIER_DETECTION = { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 };

export async function startLab(clock: FakeClock, extra: { securityToken?: string } = {}): Promise<LabControlPlane> {
  return startLabControlPlane({ ...LAB, clusters: [...LAB.clusters], clock, asmUpdateDelayMs: ASM_UPDATE_DELAY_MS, ...extra });
}

export function seedBookinfoRules(cp: LabControlPlane): void {
  for (const { namespace, name } of BOOKINFO_RULES) {
    cp.store.create(MESH_SCOPE, DESTINATION_RULES, namespace, {
      metadata: { name, labels: { app: name } },
      spec: {
        host: name,
        trafficPolicy: { outlierDetection: OUTLIER_DETECTION, loadBalancer: { simple: 'ROUND_ROBIN' } },
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      },
    });
  }
}

/** The mesh scope's DestinationRules seen around the adapter: what the contract's scope tests look at. */
export function scopeTwin(cp: LabControlPlane): ScopeTwin {
  return {
    servedFor: (host) => cp.routing.trafficPolicy(host).localityLb,
    ruleOf: (host) => {
      const found = cp.store
        .list(MESH_SCOPE, DESTINATION_RULES)
        .find((r) => resolveRuleHost(String((r.spec as { host?: string }).host ?? ''), r.metadata.namespace) === host);
      return found ? `${found.metadata.namespace}/${found.metadata.name}` : null;
    },
    ruleVersions: () =>
      Object.fromEntries(
        cp.store.list(MESH_SCOPE, DESTINATION_RULES).map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r.metadata.resourceVersion]),
      ),
    addForeignRule: (namespace, name, host) => {
      cp.store.create(MESH_SCOPE, DESTINATION_RULES, namespace, {
        metadata: { name, labels: { app: name } },
        spec: {
          host,
          trafficPolicy: { outlierDetection: OUTLIER_DETECTION, loadBalancer: { simple: 'ROUND_ROBIN' } },
          subsets: [{ name: 'v1', labels: { version: 'v1' } }],
        },
      });
    },
  };
}

/** The ASM mesh's Kubernetes API as the adapter reaches it: the kubeconfig DescribeServiceMeshKubeconfig returns. */
export function meshKubeconfig(cp: LabControlPlane, clock: FakeClock): () => Promise<import('@kubernetes/client-node').KubeConfig> {
  const resolver = new KubeconfigResolver({
    sources: { mesh: { from: 'asm', meshId: LAB.meshId, endpoint: cp.asmEndpoint } },
    credentials: { accessKeyId: LAB.accessKeyId, accessKeySecret: LAB.accessKeySecret },
    clock,
  });
  return () => resolver.get('mesh');
}

export interface AsmHarness extends MeshUnderTest {
  cp: LabControlPlane;
  clock: FakeClock;
}

/** `scoped`: the adapter keeps per-host rules in the mesh's Kubernetes API (the policy has scopes). */
export async function asmHarness(overrides: Partial<AsmMeshControlOptions> = {}, scoped = false): Promise<AsmHarness> {
  const clock = new FakeClock();
  const cp = await startLab(clock);
  const mesh = new AsmMeshControl({
    ...(scoped ? { kubeconfig: meshKubeconfig(cp, clock) } : {}),
    meshId: LAB.meshId,
    credentials: { accessKeyId: LAB.accessKeyId, accessKeySecret: LAB.accessKeySecret },
    endpoint: cp.asmEndpoint,
    clock,
    pollIntervalMs: 1_000,
    applyTimeoutMs: 60_000,
    ...overrides,
  });
  return {
    mesh,
    cp,
    clock,
    cleanup: () => cp.stop(),
    twin: {
      served: () => cp.asm.servedLocalityLb(),
      writes: () => cp.asm.calls.filter((c) => c.action === 'UpdateMeshFeature' && c.code === 'OK').length,
      throttleNextWrite: (times) => cp.asm.failNext(times, 'Throttling.User', { action: 'UpdateMeshFeature' }),
      ...(scoped ? { scopes: scopeTwin(cp) } : {}),
    },
  };
}

export interface IstioHarness extends MeshUnderTest {
  cp: LabControlPlane;
  clock: FakeClock;
  mesh: IstioMeshControl;
}

/** The Istio adapter reaches the mesh scope with the kubeconfig ASM hands out (DescribeServiceMeshKubeconfig). */
export async function istioHarness(rules: DestinationRuleRef[] = BOOKINFO_RULES, seed = true, scoped = false): Promise<IstioHarness> {
  const clock = new FakeClock();
  const cp = await startLab(clock);
  if (seed) seedBookinfoRules(cp);
  const resolver = new KubeconfigResolver({
    sources: { mesh: { from: 'asm', meshId: LAB.meshId, endpoint: cp.asmEndpoint } },
    credentials: { accessKeyId: LAB.accessKeyId, accessKeySecret: LAB.accessKeySecret },
    clock,
  });
  const mesh = new IstioMeshControl({ kubeconfig: () => resolver.get('mesh'), rules, perHostRules: scoped });
  let writes = 0;
  cp.store.onChange((change) => {
    if (change.resource === DESTINATION_RULES && change.type === 'MODIFIED') writes += 1;
  });
  return {
    mesh,
    cp,
    clock,
    cleanup: () => cp.stop(),
    twin: {
      served: () => cp.routing.trafficPolicy('reviews.bookinfo.svc.cluster.local').localityLb,
      writes: () => writes,
      throttleNextWrite: (times) => cp.k8s.failNext(times, 429, { verb: 'patch' }),
      ...(scoped ? { scopes: scopeTwin(cp) } : {}),
    },
  };
}
