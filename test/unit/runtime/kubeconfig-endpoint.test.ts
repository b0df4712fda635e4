import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startLabControlPlane, type LabControlPlane } from '../../../lab/k8s/control-plane';
import { DEPLOYMENTS } from '../../../lab/k8s/resources';
import type { TwinRequest } from '../../../lab/twin-common/http-io';
import { loadPolicyYaml } from '../../../shared/core/policy';
import { PolicyError } from '../../../shared/core/errors';
import { parseRuntimeEnv } from '../../../shared/runtime/config';
import { clusterAdaptersFor } from '../../../shared/runtime/adapters';
import { kubeconfigEndpoint } from '../../../shared/adapters/kubeconfig-endpoint';
import { FakeClock } from '../../../lab/fakes';

/**
 * The functions run in one VPC of one region: a cluster elsewhere is reached on its public API
 * endpoint unless the policy says otherwise, a cluster in the functions' region on its private one.
 */
const KEYS = { accessKeyId: 'STS.KubeconfigKey01', accessKeySecret: 'kubeconfig-secret-01', securityToken: 'kubeconfig-token-01' };
const example = parseYaml(readFileSync('examples/bookinfo.yaml', 'utf8')) as {
  regions: Record<string, { clusters: Array<Record<string, unknown>> }>;
};

function policyWith(shanghaiKubeconfig?: Record<string, unknown>) {
  const doc = structuredClone(example);
  // The example names its choice; these tests start from the defaults.
  for (const r of Object.values(doc.regions)) for (const c of r.clusters) delete c.kubeconfig;
  if (shanghaiKubeconfig) (doc.regions['cn-shanghai']!.clusters[0] as Record<string, unknown>).kubeconfig = shanghaiKubeconfig;
  return loadPolicyYaml(stringifyYaml(doc), {});
}

test("default by region: private in the functions' region, public elsewhere; the policy's choice wins", () => {
  expect(kubeconfigEndpoint({}, 'cn-hangzhou', 'cn-hangzhou')).toBe('private');
  expect(kubeconfigEndpoint({}, 'cn-shanghai', 'cn-hangzhou')).toBe('public');
  expect(kubeconfigEndpoint({ endpoint: 'private' }, 'cn-shanghai', 'cn-hangzhou')).toBe('private');
  expect(kubeconfigEndpoint({ endpoint: 'public' }, 'cn-hangzhou', 'cn-hangzhou')).toBe('public');
  // No region on the context (a local run): private, as before.
  expect(kubeconfigEndpoint({}, 'cn-shanghai', undefined)).toBe('private');
});

test('a bad endpoint is refused naming the field', () => {
  let err: unknown;
  try {
    policyWith({ fromCloud: true, endpoint: 'vpc' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PolicyError);
  expect(String((err as Error).message)).toContain('regions.cn-shanghai.clusters[0].kubeconfig.endpoint: must be one of public, private');
});

describe("what ACK is asked for (PrivateIpAddress), on the lab's CS twin", () => {
  let cp: LabControlPlane;
  const asked: Record<string, string | null> = {};

  beforeAll(async () => {
    cp = await startLabControlPlane({
      clusters: ['c-hangzhou', 'c-shanghai'],
      token: 'kubeconfig-k8s-token',
      ...KEYS,
      meshId: 'bookinfo-mesh',
      regionId: 'cn-hangzhou',
      clock: new FakeClock(),
    });
    for (const cluster of ['c-hangzhou', 'c-shanghai']) {
      cp.store.create(cluster, DEPLOYMENTS, 'default', {
        metadata: { name: 'details-v1' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'details' } }, template: { metadata: { labels: { app: 'details' } } } },
      });
    }
    const handle = cp.cs.handle.bind(cp.cs);
    cp.cs.handle = (req: TwinRequest) => {
      const id = /^\/k8s\/([^/]+)\/user_config$/.exec(req.path)?.[1];
      if (id) asked[id] = req.query.get('PrivateIpAddress');
      return handle(req);
    };
  });
  afterAll(() => cp.stop());
  beforeEach(() => {
    for (const k of Object.keys(asked)) delete asked[k];
  });

  async function fetchBoth(policy: ReturnType<typeof policyWith>, functionRegion: string): Promise<void> {
    const env = {
      REGIONSHIFT_POLICY: 'inline',
      REGIONSHIFT_ALARM_TOKEN: 'alarm-token-0123456789abcdef',
      REGIONSHIFT_CONTROL_SECRET: 'control-secret-0123456789abcdef',
      REGIONSHIFT_CS_ENDPOINT: cp.csEndpoint,
      REGIONSHIFT_ASM_ENDPOINT: cp.asmEndpoint,
    };
    const { scaler } = await clusterAdaptersFor(policy, parseRuntimeEnv(env), env, () => KEYS, new FakeClock(), functionRegion);
    for (const cluster of ['c-hangzhou', 'c-shanghai']) await scaler.get({ cluster, namespace: 'default', name: 'details-v1' });
  }

  test('by default, functions in cn-hangzhou: c-hangzhou private, c-shanghai public', async () => {
    await fetchBoth(policyWith(), 'cn-hangzhou');
    expect(asked).toEqual({ 'c-hangzhou': 'true', 'c-shanghai': 'false' });
  });

  test('the policy sets c-shanghai private (the VPCs are joined by CEN)', async () => {
    await fetchBoth(policyWith({ fromCloud: true, endpoint: 'private' }), 'cn-hangzhou');
    expect(asked).toEqual({ 'c-hangzhou': 'true', 'c-shanghai': 'true' });
  });
});
