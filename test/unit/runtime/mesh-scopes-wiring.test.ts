import { readFileSync } from 'node:fs';
import { startLabControlPlane, MESH_SCOPE, type LabControlPlane } from '../../../lab/k8s/control-plane';
import { DESTINATION_RULES } from '../../../lab/k8s/resources';
import { loadPolicyYaml, type Policy } from '../../../shared/core/policy';
import type { MeshConfig } from '../../../shared/core/types';
import { parseRuntimeEnv } from '../../../shared/runtime/config';
import { clusterAdaptersFor, hasScopes } from '../../../shared/runtime/adapters';
import { FakeClock } from '../../../lab/fakes';

/**
 * The functions get a scope-capable mesh adapter only when the policy scopes services: on ASM it
 * then fetches the mesh's kubeconfig (DescribeServiceMeshKubeconfig) and keeps per-host rules in
 * the mesh's Kubernetes API; without scopes it makes exactly the calls it always made.
 */
const KEYS = { accessKeyId: 'STS.ScopesKey01', accessKeySecret: 'scopes-secret-01', securityToken: 'scopes-token-01' };
const failover: MeshConfig = {
  mode: 'failover',
  localityLbSetting: {
    failover: [
      { from: 'cn-hangzhou', to: 'cn-shanghai' },
      { from: 'cn-shanghai', to: 'cn-hangzhou' },
    ],
  },
};
const distribute: MeshConfig = {
  mode: 'distribute',
  localityLbSetting: {
    distribute: [
      { from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 90, 'cn-shanghai/*': 10 } },
      { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
    ],
  },
};
const REVIEWS = 'reviews.default.svc.cluster.local';

function basePolicy(): Policy {
  return loadPolicyYaml(readFileSync('examples/bookinfo.yaml', 'utf8'), {});
}

/** The policy field `scopes` (its schema is another change): added to the parsed policy as it will come out of it. */
function withScopes(policy: Policy): Policy {
  return {
    ...policy,
    scopes: { namespace: 'default', shiftAt: 'entry', entry: ['productpage'], services: { productpage: {}, reviews: {} } },
  } as Policy;
}

describe('mesh adapter wiring for service scopes (ASM)', () => {
  let cp: LabControlPlane;
  let kubeconfigCalls: number;
  const clock = new FakeClock();

  beforeEach(async () => {
    cp = await startLabControlPlane({
      clusters: ['c-hangzhou', 'c-shanghai'],
      token: 'scopes-k8s-token',
      ...KEYS,
      meshId: 'bookinfo-mesh',
      regionId: 'cn-hangzhou',
      clock,
      asmUpdateDelayMs: 0,
    });
    kubeconfigCalls = 0;
    const handle = cp.asm.handle.bind(cp.asm);
    cp.asm.handle = (req) => {
      if (new URLSearchParams(req.body).get('Action') === 'DescribeServiceMeshKubeconfig') kubeconfigCalls += 1;
      return handle(req);
    };
  });
  afterEach(() => cp.stop());

  async function meshFor(policy: Policy) {
    const env = {
      REGIONSHIFT_POLICY: 'inline',
      REGIONSHIFT_ALARM_TOKEN: 'alarm-token-0123456789abcdef',
      REGIONSHIFT_CONTROL_SECRET: 'control-secret-0123456789abcdef',
      REGIONSHIFT_CS_ENDPOINT: cp.csEndpoint,
      REGIONSHIFT_ASM_ENDPOINT: cp.asmEndpoint,
    };
    return (await clusterAdaptersFor(policy, parseRuntimeEnv(env), env, () => KEYS, clock, 'cn-hangzhou')).mesh;
  }

  test('hasScopes reads the policy defensively', () => {
    expect(hasScopes(basePolicy())).toBe(false);
    expect(hasScopes(withScopes(basePolicy()))).toBe(true);
    expect(hasScopes({ ...basePolicy(), scopes: { services: {} } } as Policy)).toBe(false);
  });

  test('a policy with scopes: the per-host rule goes to the mesh Kubernetes API fetched with DescribeServiceMeshKubeconfig, and reads back', async () => {
    const mesh = await meshFor(withScopes(basePolicy()));
    await mesh.apply(failover, { scopes: { [REVIEWS]: distribute } });
    expect(kubeconfigCalls).toBe(1);
    expect(cp.store.get(MESH_SCOPE, DESTINATION_RULES, 'default', 'regionshift-reviews').spec).toMatchObject({ host: REVIEWS });
    expect((await mesh.read()).scopes).toEqual({ [REVIEWS]: distribute });
  });

  test('a policy without scopes: no mesh kubeconfig is fetched, and scopes handed to apply are refused', async () => {
    const mesh = await meshFor(basePolicy());
    await expect(mesh.apply(failover, { scopes: { [REVIEWS]: distribute } })).rejects.toMatchObject({ code: 'CONFIG.MESH' });
    await mesh.apply(failover);
    expect(await mesh.read()).toStrictEqual({ enabled: true, config: failover });
    expect(kubeconfigCalls).toBe(0);
    expect(cp.store.list(MESH_SCOPE, DESTINATION_RULES)).toEqual([]);
  });
});
