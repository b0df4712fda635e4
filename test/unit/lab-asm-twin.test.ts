import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import RPCClient from '@alicloud/pop-core';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { MESH_SCOPE, startLabControlPlane, type LabControlPlane } from '../../lab/k8s/control-plane';
import { DESTINATION_RULES } from '../../lab/k8s/resources';
import { rpcSignature, rpcStringToSign } from '../../lab/asm/pop-signature';
import { localityLbProblems } from '../../shared/core/mesh-validation';
import { FakeClock } from '../../lab/fakes/fake-clock';

const AK = { accessKeyId: 'LTAI-lab-key', accessKeySecret: 'lab-secret' };
const MESH = 'c-mesh-lab';
const failoverConf = { failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] };

let cp: LabControlPlane;
let clock: FakeClock;

interface PopError extends Error {
  code: string;
  data: { Code: string; Message: string; RequestId: string; HostId: string; Recommend: string };
  entry: { response: { statusCode: number } };
}

function client(overrides: Partial<typeof AK> = {}, endpoint = cp.asmEndpoint): RPCClient {
  return new RPCClient({ endpoint, apiVersion: '2020-01-11', ...AK, ...overrides });
}

async function popError(p: Promise<unknown>): Promise<PopError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as PopError,
  );
}

function describeMesh(
  c = client(),
): Promise<{ ServiceMesh: { ServiceMeshInfo: { State: string }; Spec: { MeshConfig: { LocalityLB: unknown } } } }> {
  return c.request('DescribeServiceMeshDetail', { ServiceMeshId: MESH }, { method: 'POST' });
}

function update(conf: unknown, c = client()): Promise<unknown> {
  return c.request(
    'UpdateMeshFeature',
    { ServiceMeshId: MESH, LocalityLoadBalancing: true, LocalityLBConf: typeof conf === 'string' ? conf : JSON.stringify(conf) },
    { method: 'POST' },
  );
}

/** POST form params the way pop-core does, signed with the given secret. */
async function postSigned(
  params: Record<string, string>,
  secret = AK.accessKeySecret,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const signature = rpcSignature(rpcStringToSign('POST', params), secret);
  const res = await fetch(`${cp.asmEndpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, Signature: signature }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function baseParams(extra: Record<string, string> = {}): Record<string, string> {
  return {
    Action: 'DescribeServiceMeshDetail',
    Format: 'JSON',
    Version: '2020-01-11',
    AccessKeyId: AK.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: `nonce-${Math.random()}`,
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ServiceMeshId: MESH,
    ...extra,
  };
}

beforeEach(async () => {
  clock = new FakeClock();
  cp = await startLabControlPlane({
    clusters: ['c-hangzhou', 'c-shanghai'],
    token: 'lab-token',
    ...AK,
    meshId: MESH,
    clock,
    asmUpdateDelayMs: 3_000,
  });
});
afterEach(async () => {
  await cp.stop();
});

describe('POP signature checks (RPC)', () => {
  test('pop-core with the right secret is accepted, by POST and by GET', async () => {
    expect((await describeMesh()).ServiceMesh.ServiceMeshInfo.State).toBe('running');
    const viaGet = await client().request<{ ServiceMesh: unknown }>(
      'DescribeServiceMeshDetail',
      { ServiceMeshId: MESH },
      { method: 'GET' },
    );
    expect(viaGet.ServiceMesh).toBeDefined();
  });

  test('a wrong secret is SignatureDoesNotMatch with HTTP 400', async () => {
    const e = await popError(describeMesh(client({ accessKeySecret: 'not-it' })));
    expect(e.code).toBe('SignatureDoesNotMatch');
    expect(e.entry.response.statusCode).toBe(400);
    expect(e.data).toEqual({
      RequestId: expect.any(String),
      HostId: 'servicemesh.aliyuncs.com',
      Code: 'SignatureDoesNotMatch',
      Message: expect.stringMatching(
        /^Specified signature is not matched with our calculation\. server string to sign is:POST&%2F&AccessKeyId%3D/,
      ),
      Recommend: expect.any(String),
    });
  });

  test('an unknown AccessKeyId is InvalidAccessKeyId.NotFound with HTTP 404', async () => {
    const e = await popError(describeMesh(client({ accessKeyId: 'LTAI-unknown' })));
    expect([e.code, e.entry.response.statusCode]).toEqual(['InvalidAccessKeyId.NotFound', 404]);
  });

  describe('requests captured on the wire', () => {
    let proxy: Server;
    const bodies: string[] = [];
    beforeEach(async () => {
      bodies.length = 0;
      proxy = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          bodies.push(body);
          void fetch(`${cp.asmEndpoint}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }).then(
            async (r) => {
              res.writeHead(r.status, { 'content-type': 'application/json' });
              res.end(await r.text());
            },
          );
        });
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    });
    afterEach(async () => {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    });

    async function captured(): Promise<string> {
      await describeMesh(client({}, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/asm`));
      expect(bodies).toHaveLength(1);
      return bodies[0]!;
    }

    test('replaying a request (same SignatureNonce) is SignatureNonceUsed', async () => {
      const body = await captured();
      const replay = await fetch(`${cp.asmEndpoint}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect(replay.status).toBe(400);
      expect(await replay.json()).toMatchObject({ Code: 'SignatureNonceUsed' });
    });

    test('changing a signed parameter breaks the signature', async () => {
      const body = new URLSearchParams(await captured());
      body.set('ServiceMeshId', 'c-other-mesh');
      body.set('SignatureNonce', 'fresh-nonce');
      const tampered = await fetch(`${cp.asmEndpoint}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      });
      expect(await tampered.json()).toMatchObject({ Code: 'SignatureDoesNotMatch' });
    });
  });

  test('a timestamp older than 15 minutes is InvalidTimeStamp.Expired; a malformed one InvalidTimeStamp.Format', async () => {
    const old = new Date(Date.now() - 16 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect(await postSigned(baseParams({ Timestamp: old }))).toMatchObject({ status: 400, body: { Code: 'InvalidTimeStamp.Expired' } });
    expect(await postSigned(baseParams({ Timestamp: 'yesterday' }))).toMatchObject({
      status: 400,
      body: { Code: 'InvalidTimeStamp.Format' },
    });
    expect(await postSigned(baseParams())).toMatchObject({ status: 200 });
  });

  test('a wrong API version and an unknown action are refused', async () => {
    expect(await postSigned(baseParams({ Version: '2019-01-01' }))).toMatchObject({ status: 400, body: { Code: 'InvalidVersion' } });
    expect(await postSigned(baseParams({ Action: 'DeleteServiceMesh' }))).toMatchObject({
      status: 404,
      body: { Code: 'InvalidAction.NotFound' },
    });
  });
});

describe('UpdateMeshFeature and DescribeServiceMeshDetail', () => {
  test('an update holds the mesh in updating for the configured delay; the data plane switches when it is running', async () => {
    await update(failoverConf);
    const during = await describeMesh();
    expect(during.ServiceMesh.ServiceMeshInfo.State).toBe('updating');
    expect(during.ServiceMesh.Spec.MeshConfig.LocalityLB).toEqual({
      Enabled: true,
      Failover: [{ From: 'cn-hangzhou', To: 'cn-shanghai' }],
    });
    expect(cp.asm.servedLocalityLb()).toBeNull();
    clock.advance(2_999);
    expect(cp.asm.state()).toBe('updating');
    clock.advance(1);
    expect((await describeMesh()).ServiceMesh.ServiceMeshInfo.State).toBe('running');
    expect(cp.asm.servedLocalityLb()).toStrictEqual({ enabled: true, ...failoverConf });
  });

  test.each([
    ['weights not summing to 100', { distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 90, 'cn-shanghai/*': 5 } }] }],
    ['both modes', { ...failoverConf, distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 100 } }] }],
  ])(
    'LocalityLBConf with %s is InvalidParameter.LocalityLBConf (400) with the validation problems, and changes nothing',
    async (_label, conf) => {
      await update(failoverConf);
      clock.advance(3_000);
      const e = await popError(update(conf));
      expect([e.code, e.entry.response.statusCode]).toEqual(['InvalidParameter.LocalityLBConf', 400]);
      expect(e.data.Message).toBe(`The LocalityLBConf is invalid: ${localityLbProblems(conf).join('; ')}`);
      const after = await describeMesh();
      expect(after.ServiceMesh.ServiceMeshInfo.State).toBe('running');
      expect(after.ServiceMesh.Spec.MeshConfig.LocalityLB).toEqual({
        Enabled: true,
        Failover: [{ From: 'cn-hangzhou', To: 'cn-shanghai' }],
      });
    },
  );

  test('LocalityLBConf that is not JSON is InvalidParameter.LocalityLBConf', async () => {
    expect((await popError(update('{failover:'))).code).toBe('InvalidParameter.LocalityLBConf');
  });

  test('the wrapper shape reports the conf as sent', async () => {
    cp.asm.setLocalityLbShape('wrapper');
    await update(failoverConf);
    expect((await describeMesh()).ServiceMesh.Spec.MeshConfig.LocalityLB).toEqual({ Enabled: true, Failover: failoverConf });
  });

  test('injected faults carry the HTTP status ASM uses, then calls succeed again', async () => {
    cp.asm.failNext(1, 'Throttling.User');
    cp.asm.failNext(1, 'ServiceUnavailable');
    const throttled = await popError(describeMesh());
    const unavailable = await popError(describeMesh());
    expect([throttled.code, throttled.entry.response.statusCode, unavailable.code, unavailable.entry.response.statusCode]).toEqual([
      'Throttling.User',
      400,
      'ServiceUnavailable',
      503,
    ]);
    expect((await describeMesh()).ServiceMesh.ServiceMeshInfo.State).toBe('running');
  });

  test('a rate limit answers Throttling.User above it, and recovers with time', async () => {
    cp.asm.throttle({ requestsPerSecond: 2 });
    await describeMesh();
    await describeMesh();
    expect((await popError(describeMesh())).code).toBe('Throttling.User');
    clock.advance(500);
    await describeMesh();
    cp.asm.throttle(null);
    for (let i = 0; i < 5; i++) await describeMesh();
  });

  test('DescribeServiceMeshKubeconfig hands out a kubeconfig for the mesh scope that client-node can use', async () => {
    cp.store.create(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', { metadata: { name: 'reviews' }, spec: { host: 'reviews' } });
    const reply = await client().request<{ Kubeconfig: string }>(
      'DescribeServiceMeshKubeconfig',
      { ServiceMeshId: MESH, PrivateIpAddress: false },
      { method: 'POST' },
    );
    const kc = new KubeConfig();
    kc.loadFromString(reply.Kubeconfig);
    expect(kc.getCurrentCluster()?.server).toBe(cp.k8sUrl(MESH_SCOPE));
    const list = (await kc
      .makeApiClient(CustomObjectsApi)
      .listNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace: 'bookinfo', plural: 'destinationrules' })) as {
      items: Array<{ metadata: { name: string } }>;
    };
    expect(list.items.map((i) => i.metadata.name)).toEqual(['reviews']);
  });
});

describe('ACK DescribeClusterUserKubeconfig (ROA)', () => {
  function roa(secret = AK.accessKeySecret) {
    const Roa = (
      RPCClient as unknown as {
        ROAClient: new (c: object) => { request<T>(m: string, p: string, q: object, b: string, h: object, o: object): Promise<T> };
      }
    ).ROAClient;
    return new Roa({ endpoint: cp.csEndpoint, apiVersion: '2015-12-15', accessKeyId: AK.accessKeyId, accessKeySecret: secret });
  }

  test('returns the cluster scope kubeconfig and its expiration on the lab clock', async () => {
    const reply = await roa().request<{ config: string; expiration: string }>(
      'GET',
      '/k8s/c-shanghai/user_config',
      { PrivateIpAddress: 'true', TemporaryDurationMinutes: '60' },
      '',
      {},
      {},
    );
    expect(reply).toEqual({
      config: cp.kubeconfig('c-shanghai'),
      expiration: new Date(clock.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
  });

  test('a wrong secret is SignatureDoesNotMatch (400); an unknown cluster ErrorClusterNotFound (404)', async () => {
    const bad = (await roa('not-it')
      .request('GET', '/k8s/c-shanghai/user_config', {}, '', {}, {})
      .catch((e: unknown) => e)) as { code: string; statusCode: number };
    expect([bad.code, bad.statusCode]).toEqual(['SignatureDoesNotMatch', 400]);
    const missing = (await roa()
      .request('GET', '/k8s/c-beijing/user_config', {}, '', {}, {})
      .catch((e: unknown) => e)) as { statusCode: number; result: unknown };
    expect(missing).toMatchObject({
      statusCode: 404,
      result: { code: 'ErrorClusterNotFound', message: 'cluster c-beijing not found', requestId: expect.any(String) },
    });
  });
});
