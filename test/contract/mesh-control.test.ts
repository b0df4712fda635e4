import { KubeConfig } from '@kubernetes/client-node';
import { resolveCloudCredentials } from '../../shared/adapters/cloud-credentials';
import { AsmMeshControl } from '../../shared/adapters/mesh-asm';
import { IstioMeshControl, type DestinationRuleRef } from '../../shared/adapters/mesh-istio';
import type { MeshConfig } from '../../shared/core/types';
import type { MeshControl } from '../../shared/ports/mesh-control';
import { describeMeshControlContract } from './mesh-control.contract';
import { asmHarness, istioHarness, REGIONS } from './mesh-control-lab';

describeMeshControlContract('ASM adapter → ASM OpenAPI twin', () => asmHarness(), { regions: REGIONS, twin: true });
describeMeshControlContract('Istio adapter → Kubernetes API twin (mesh scope)', () => istioHarness(), { regions: REGIONS, twin: true });
const SCOPED = {
  hosts: ['productpage.bookinfo.svc.cluster.local', 'details.bookinfo.svc.cluster.local'] as [string, string],
  foreignNamespace: 'bookinfo',
};
describeMeshControlContract('ASM adapter with per-host rules → ASM OpenAPI twin + mesh Kubernetes API twin', () => asmHarness({}, true), {
  regions: REGIONS,
  twin: true,
  scopes: SCOPED,
});
describeMeshControlContract(
  'Istio adapter with per-host rules → Kubernetes API twin (mesh scope)',
  () => istioHarness(undefined, true, true),
  { regions: REGIONS, twin: true, scopes: SCOPED },
);

/**
 * Against a real mesh: this changes its live locality config (and puts back a config that was
 * there before). Opt in by naming the mesh and two of its regions.
 */
function restoring(mesh: MeshControl): { mesh: MeshControl; cleanup: () => Promise<void> } {
  let before: MeshConfig | null | undefined;
  const original = mesh.read().then((live) => (before = live.config));
  return {
    mesh: {
      read: () => mesh.read(),
      apply: async (config, opts) => {
        await original;
        return mesh.apply(config, opts);
      },
    },
    cleanup: async () => {
      await original;
      if (before) await mesh.apply(before);
      else console.info('the mesh had no locality config before the contract run; the last applied one stays');
    },
  };
}

const regionsEnv = process.env.REGIONSHIFT_CONTRACT_REGIONS?.split(',').map((r) => r.trim());
const realRegions: [string, string] | null = regionsEnv && regionsEnv.length >= 2 ? [regionsEnv[0]!, regionsEnv[1]!] : null;

const asmMeshId = process.env.REGIONSHIFT_CONTRACT_ASM_MESH_ID;
if (!asmMeshId || !realRegions) {
  console.info(
    'MeshControl contract against a real ASM mesh not registered: REGIONSHIFT_CONTRACT_ASM_MESH_ID and REGIONSHIFT_CONTRACT_REGIONS (two regions) not set',
  );
} else {
  describeMeshControlContract(
    `ASM adapter → real mesh ${asmMeshId}`,
    async () =>
      restoring(
        new AsmMeshControl({
          meshId: asmMeshId,
          credentials: () => resolveCloudCredentials(),
          ...(process.env.REGIONSHIFT_CONTRACT_ASM_ENDPOINT ? { endpoint: process.env.REGIONSHIFT_CONTRACT_ASM_ENDPOINT } : {}),
          applyTimeoutMs: 300_000,
        }),
      ),
    { regions: realRegions, twin: false },
  );
}

const istioKubeconfig = process.env.REGIONSHIFT_CONTRACT_ISTIO_KUBECONFIG;
const istioRules = process.env.REGIONSHIFT_CONTRACT_ISTIO_RULES;
if (!istioKubeconfig || !istioRules || !realRegions) {
  console.info(
    'MeshControl contract against a real Istio mesh not registered: REGIONSHIFT_CONTRACT_ISTIO_KUBECONFIG, REGIONSHIFT_CONTRACT_ISTIO_RULES (ns/name,…) and REGIONSHIFT_CONTRACT_REGIONS not set',
  );
} else {
  const rules: DestinationRuleRef[] = istioRules.split(',').map((r) => {
    const [namespace, name] = r.trim().split('/');
    if (!namespace || !name) throw new Error(`REGIONSHIFT_CONTRACT_ISTIO_RULES: ${r} is not namespace/name`);
    return { namespace, name };
  });
  describeMeshControlContract(
    `Istio adapter → real cluster (${istioRules})`,
    async () => {
      const kc = new KubeConfig();
      kc.loadFromFile(istioKubeconfig);
      return restoring(new IstioMeshControl({ kubeconfig: kc, rules }));
    },
    { regions: realRegions, twin: false },
  );
}
