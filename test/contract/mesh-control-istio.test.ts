import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { MESH_SCOPE } from '../../lab/k8s/control-plane';
import { renderKubeconfig } from '../../lab/k8s/kubeconfig-yaml';
import { DESTINATION_RULES } from '../../lab/k8s/resources';
import { IstioMeshControl, type DestinationRuleRef } from '../../shared/adapters/mesh-istio';
import { MeshRejectedError, UpstreamError } from '../../shared/core/errors';
import { distributeConfig, failoverConfig } from './mesh-control.contract';
import { istioHarness, OUTLIER_DETECTION, REGIONS, type IstioHarness } from './mesh-control-lab';
import { rejection } from '../support/rejection';

const failover = failoverConfig(REGIONS);
const distribute = distributeConfig(REGIONS);

function kubeconfigWithToken(h: IstioHarness, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(renderKubeconfig({ server: h.cp.k8sUrl(MESH_SCOPE), token, name: 'mesh' }));
  return kc;
}

function rule(h: IstioHarness, name: string) {
  return h.cp.store.get(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', name);
}

describe('IstioMeshControl against the Kubernetes API twin', () => {
  let h: IstioHarness;
  afterEach(async () => {
    await h.cp.stop();
  });

  test('only localityLbSetting changes; every other field of the rule stays as it was', async () => {
    h = await istioHarness([{ namespace: 'bookinfo', name: 'productpage' }], false);
    const spec = {
      host: 'productpage.bookinfo.svc.cluster.local',
      trafficPolicy: {
        connectionPool: { http: { http1MaxPendingRequests: 100 } },
        loadBalancer: { simple: 'LEAST_REQUEST', warmupDurationSecs: '30s' },
        outlierDetection: OUTLIER_DETECTION,
        portLevelSettings: [{ port: { number: 9080 }, tls: { mode: 'ISTIO_MUTUAL' } }],
      },
      subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }],
      exportTo: ['.'],
    };
    const before = h.cp.store.create(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', { metadata: { name: 'productpage', labels: { app: 'productpage' }, annotations: { owner: 'sre' } }, spec });
    await h.mesh.apply(distribute);
    expect(rule(h, 'productpage')).toEqual({
      ...before,
      metadata: { ...before.metadata, resourceVersion: expect.any(String), generation: 2 },
      spec: { ...spec, trafficPolicy: { ...spec.trafficPolicy, loadBalancer: { ...spec.trafficPolicy.loadBalancer, localityLbSetting: { enabled: true, ...distribute.localityLbSetting } } } },
    });
  });

  test('a rule without trafficPolicy gets the path created', async () => {
    h = await istioHarness([{ namespace: 'bookinfo', name: 'details' }], false);
    h.cp.store.create(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', { metadata: { name: 'details' }, spec: { host: 'details' } });
    await h.mesh.apply(distribute);
    expect(rule(h, 'details').spec).toEqual({ host: 'details', trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: true, ...distribute.localityLbSetting } } } });
  });

  test('failover onto a rule without outlierDetection is refused, naming the rule, and no rule is patched', async () => {
    h = await istioHarness([{ namespace: 'bookinfo', name: 'reviews' }, { namespace: 'bookinfo', name: 'details' }]);
    h.cp.store.create(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', { metadata: { name: 'details' }, spec: { host: 'details' } });
    const versions = [rule(h, 'reviews').metadata.resourceVersion, rule(h, 'details').metadata.resourceVersion];
    const error = await rejection(h.mesh.apply(failover));
    expect(error).toBeInstanceOf(MeshRejectedError);
    expect((error as Error).message).toContain('DestinationRule bookinfo/details has no spec.trafficPolicy.outlierDetection');
    expect((error as Error).message).not.toContain('bookinfo/reviews');
    expect([rule(h, 'reviews').metadata.resourceVersion, rule(h, 'details').metadata.resourceVersion]).toEqual(versions);
    // distribute does not depend on outlier detection, so it goes through.
    await h.mesh.apply(distribute);
    expect(await h.mesh.read()).toEqual({ enabled: true, config: distribute });
  });

  test('read reports drift when the rules disagree, and the next apply repairs every rule', async () => {
    h = await istioHarness();
    await h.mesh.apply(failover);
    h.cp.store.update(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', 'ratings', (dr) => {
      const spec = dr.spec as { trafficPolicy: { loadBalancer: Record<string, unknown> } };
      spec.trafficPolicy.loadBalancer.localityLbSetting = { enabled: true, ...distribute.localityLbSetting };
      return dr;
    });
    expect(await h.mesh.read()).toEqual({
      enabled: true,
      config: failover,
      drift: [expect.stringMatching(/^DestinationRule bookinfo\/ratings has .*"distribute".*, DestinationRule bookinfo\/reviews has .*"failover"/)],
    });
    await h.mesh.apply(failover);
    expect(await h.mesh.read()).toStrictEqual({ enabled: true, config: failover });
  });

  test('another writer between our read and our patch is a retryable conflict, and their edit survives', async () => {
    h = await istioHarness();
    let raced = false;
    h.cp.k8s.onRequest((call) => {
      if (call.verb !== 'patch' || call.name !== 'reviews' || raced) return;
      raced = true;
      h.cp.store.update(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', 'reviews', (dr) => ({ ...dr, metadata: { ...dr.metadata, labels: { app: 'reviews', team: 'catalog' } } }));
    });
    const error = await rejection(h.mesh.apply(distribute));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code: 'K8S.Conflict', retryable: true });
    await h.mesh.apply(distribute);
    expect(rule(h, 'reviews').metadata.labels).toEqual({ app: 'reviews', team: 'catalog' });
    expect(await h.mesh.read()).toEqual({ enabled: true, config: distribute });
  });

  test.each([
    ['a rule that does not exist', 'K8S.NotFound', false],
    ['a 503 from the API server', 'K8S.ServiceUnavailable', true],
    ['an API server timeout (504)', 'K8S.Timeout', true],
  ])('%s is %s (retryable: %s)', async (label, code, retryable) => {
    const rules: DestinationRuleRef[] = label.includes('not exist') ? [{ namespace: 'bookinfo', name: 'nope' }] : [{ namespace: 'bookinfo', name: 'reviews' }];
    h = await istioHarness(rules);
    if (code === 'K8S.ServiceUnavailable') h.cp.k8s.failNext(1, 503, { verb: 'get' });
    if (code === 'K8S.Timeout') h.cp.k8s.failNext(1, 504, { verb: 'get' });
    const error = await rejection(h.mesh.apply(distribute));
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ code, retryable });
    expect((error as Error).message).toContain(`DestinationRule bookinfo/${rules[0]!.name}`);
  });

  test('a token that may only read is a non-retryable Forbidden on the patch', async () => {
    h = await istioHarness();
    h.cp.access.grant('viewer-token', { subject: 'system:serviceaccount:istio-system:viewer', verbs: ['get', 'list'] });
    const mesh = new IstioMeshControl({ kubeconfig: kubeconfigWithToken(h, 'viewer-token'), rules: [{ namespace: 'bookinfo', name: 'reviews' }] });
    const error = await rejection(mesh.apply(distribute));
    expect(error).toMatchObject({ name: 'UpstreamError', code: 'K8S.Forbidden', retryable: false });
    expect((error as Error).message).toContain('cannot patch resource "destinationrules"');
  });

  test('a token the API server does not know is a non-retryable Unauthorized', async () => {
    h = await istioHarness();
    const mesh = new IstioMeshControl({ kubeconfig: kubeconfigWithToken(h, 'stolen-token'), rules: [{ namespace: 'bookinfo', name: 'reviews' }] });
    await expect(mesh.read()).rejects.toMatchObject({ name: 'UpstreamError', code: 'K8S.Unauthorized', retryable: false });
  });

  test('networking.istio.io/v1beta1 works the same', async () => {
    h = await istioHarness();
    const resolverless = new IstioMeshControl({ kubeconfig: kubeconfigWithToken(h, 'lab-bearer-token'), rules: [{ namespace: 'bookinfo', name: 'reviews' }], apiVersion: 'v1beta1' });
    await resolverless.apply(failover);
    expect(await resolverless.read()).toEqual({ enabled: true, config: failover });
  });
});

describe('IstioMeshControl transport failures', () => {
  let server: Server;
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function meshAt(port: number, requestTimeoutMs: number): IstioMeshControl {
    const kc = new KubeConfig();
    kc.loadFromString(renderKubeconfig({ server: `http://127.0.0.1:${port}/k8s/mesh`, token: 't', name: 'mesh' }));
    return new IstioMeshControl({ kubeconfig: kc, rules: [{ namespace: 'bookinfo', name: 'reviews' }], requestTimeoutMs });
  }

  test('an API server that does not answer in time is a retryable K8S.Timeout', async () => {
    server = createServer(() => {
      // never answers
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    await expect(meshAt((server.address() as AddressInfo).port, 200).read()).rejects.toMatchObject({ name: 'UpstreamError', code: 'K8S.Timeout', retryable: true });
  });

  test('a refused connection is a retryable K8S.Network', async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    await expect(meshAt(port, 2_000).read()).rejects.toMatchObject({ name: 'UpstreamError', code: 'K8S.Network', retryable: true });
  });
});
