import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { MESH_SCOPE } from '../../lab/k8s/control-plane';
import { renderKubeconfig } from '../../lab/k8s/kubeconfig-yaml';
import { DESTINATION_RULES } from '../../lab/k8s/resources';
import { IstioMeshControl, type DestinationRuleRef } from '../../shared/adapters/mesh-istio';
import { SCOPE_HOST_ANNOTATION } from '../../shared/adapters/mesh-scopes';
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
    const before = h.cp.store.create(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', {
      metadata: { name: 'productpage', labels: { app: 'productpage' }, annotations: { owner: 'sre' } },
      spec,
    });
    await h.mesh.apply(distribute);
    expect(rule(h, 'productpage')).toEqual({
      ...before,
      metadata: { ...before.metadata, resourceVersion: expect.any(String), generation: 2 },
      spec: {
        ...spec,
        trafficPolicy: {
          ...spec.trafficPolicy,
          loadBalancer: { ...spec.trafficPolicy.loadBalancer, localityLbSetting: { enabled: true, ...distribute.localityLbSetting } },
        },
      },
    });
  });

  test('a rule without trafficPolicy gets the path created', async () => {
    h = await istioHarness([{ namespace: 'bookinfo', name: 'details' }], false);
    h.cp.store.create(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', { metadata: { name: 'details' }, spec: { host: 'details' } });
    await h.mesh.apply(distribute);
    expect(rule(h, 'details').spec).toEqual({
      host: 'details',
      trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: true, ...distribute.localityLbSetting } } },
    });
  });

  test('failover onto a rule without outlierDetection is refused, naming the rule, and no rule is patched', async () => {
    h = await istioHarness([
      { namespace: 'bookinfo', name: 'reviews' },
      { namespace: 'bookinfo', name: 'details' },
    ]);
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
      drift: [
        expect.stringMatching(
          /^DestinationRule bookinfo\/ratings has .*"distribute".*, DestinationRule bookinfo\/reviews has .*"failover"/,
        ),
      ],
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
      h.cp.store.update(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', 'reviews', (dr) => ({
        ...dr,
        metadata: { ...dr.metadata, labels: { app: 'reviews', team: 'catalog' } },
      }));
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
    const rules: DestinationRuleRef[] = label.includes('not exist')
      ? [{ namespace: 'bookinfo', name: 'nope' }]
      : [{ namespace: 'bookinfo', name: 'reviews' }];
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
    const mesh = new IstioMeshControl({
      kubeconfig: kubeconfigWithToken(h, 'viewer-token'),
      rules: [{ namespace: 'bookinfo', name: 'reviews' }],
    });
    const error = await rejection(mesh.apply(distribute));
    expect(error).toMatchObject({ name: 'UpstreamError', code: 'K8S.Forbidden', retryable: false });
    expect((error as Error).message).toContain('cannot patch resource "destinationrules"');
  });

  test('a token the API server does not know is a non-retryable Unauthorized', async () => {
    h = await istioHarness();
    const mesh = new IstioMeshControl({
      kubeconfig: kubeconfigWithToken(h, 'stolen-token'),
      rules: [{ namespace: 'bookinfo', name: 'reviews' }],
    });
    await expect(mesh.read()).rejects.toMatchObject({ name: 'UpstreamError', code: 'K8S.Unauthorized', retryable: false });
  });

  test('networking.istio.io/v1beta1 works the same', async () => {
    h = await istioHarness();
    const resolverless = new IstioMeshControl({
      kubeconfig: kubeconfigWithToken(h, 'lab-bearer-token'),
      rules: [{ namespace: 'bookinfo', name: 'reviews' }],
      apiVersion: 'v1beta1',
    });
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
    await expect(meshAt((server.address() as AddressInfo).port, 200).read()).rejects.toMatchObject({
      name: 'UpstreamError',
      code: 'K8S.Timeout',
      retryable: true,
    });
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

describe('IstioMeshControl with service scopes (per-host rules)', () => {
  let h: IstioHarness;
  afterEach(async () => {
    await h.cp.stop();
  });
  const REVIEWS = 'reviews.bookinfo.svc.cluster.local';
  const annotations = (name: string) => rule(h, name).metadata.annotations ?? {};

  test('a named rule whose short host resolves to the scoped FQDN carries the scope; the other named rule the default; nothing is created', async () => {
    h = await istioHarness(undefined, true, true);
    await h.mesh.apply(failover, { scopes: { [REVIEWS]: distribute } });
    expect(rule(h, 'reviews').spec).toMatchObject({
      host: 'reviews',
      trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: true, ...distribute.localityLbSetting } } },
    });
    expect(annotations('reviews')).toEqual({ [SCOPE_HOST_ANNOTATION]: REVIEWS });
    expect(rule(h, 'ratings').spec).toMatchObject({
      trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: true, ...failover.localityLbSetting } } },
    });
    expect(
      h.cp.store
        .list(MESH_SCOPE, DESTINATION_RULES)
        .map((r) => r.metadata.name)
        .sort(),
    ).toEqual(['ratings', 'reviews']);
    expect(await h.mesh.read()).toEqual({ enabled: true, config: failover, scopes: { [REVIEWS]: distribute } });
  });

  test('scopes absent: a named rule carrying a scope is not reset to the default; an empty set resets it and drops the annotation', async () => {
    h = await istioHarness(undefined, true, true);
    await h.mesh.apply(failover, { scopes: { [REVIEWS]: distribute } });
    const version = rule(h, 'reviews').metadata.resourceVersion;
    const drained = distributeConfig(REGIONS, 10);
    await h.mesh.apply(drained);
    expect(rule(h, 'reviews').metadata.resourceVersion).toBe(version);
    expect(await h.mesh.read()).toEqual({ enabled: true, config: drained, scopes: { [REVIEWS]: distribute } });
    await h.mesh.apply(failover, { scopes: {} });
    expect(annotations('reviews')).toEqual({});
    expect(await h.mesh.read()).toStrictEqual({ enabled: true, config: failover });
  });

  test('short names resolve in the rule namespace: a scope on reviews.default does not touch bookinfo/reviews, it gets a rule of its own', async () => {
    h = await istioHarness(undefined, true, true);
    await h.mesh.apply(failover, { scopes: { 'reviews.default.svc.cluster.local': distribute } });
    expect(annotations('reviews')).toEqual({});
    const created = h.cp.store.get(MESH_SCOPE, DESTINATION_RULES, 'default', 'regionshift-reviews');
    expect(created.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'regionshift' });
    // The created rule carries the named rules' outlier detection: Istio's failover acts only with it.
    expect(created.spec).toEqual({
      host: 'reviews.default.svc.cluster.local',
      trafficPolicy: {
        outlierDetection: OUTLIER_DETECTION,
        loadBalancer: { localityLbSetting: { enabled: true, ...distribute.localityLbSetting } },
      },
    });
    expect(h.cp.routing.trafficPolicy('reviews.default.svc.cluster.local').localityLb).toEqual({
      enabled: true,
      ...distribute.localityLbSetting,
    });
    expect(h.cp.routing.trafficPolicy(REVIEWS).localityLb).toEqual({ enabled: true, ...failover.localityLbSetting });
  });

  test('a failover scope on a new rule with no outlier detection to copy is refused, naming the host, and nothing is written', async () => {
    h = await istioHarness([{ namespace: 'bookinfo', name: 'details' }], false, true);
    h.cp.store.create(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', { metadata: { name: 'details' }, spec: { host: 'details' } });
    const before = h.cp.store.list(MESH_SCOPE, DESTINATION_RULES).map((r) => r.metadata.resourceVersion);
    const error = await rejection(h.mesh.apply(distribute, { scopes: { 'productpage.bookinfo.svc.cluster.local': failover } }));
    expect(error).toBeInstanceOf(MeshRejectedError);
    expect((error as Error).message).toContain('scope productpage.bookinfo.svc.cluster.local: failover refused');
    expect(h.cp.store.list(MESH_SCOPE, DESTINATION_RULES).map((r) => r.metadata.resourceVersion)).toEqual(before);
  });

  test('a host the product cannot place a rule for (not <service>.<namespace>.svc.cluster.local) is refused, naming it', async () => {
    h = await istioHarness(undefined, true, true);
    const error = await rejection(h.mesh.apply(failover, { scopes: { 'api.example.com': distribute } }));
    expect(error).toBeInstanceOf(MeshRejectedError);
    expect((error as Error).message).toContain('scope api.example.com');
    expect(h.cp.store.list(MESH_SCOPE, DESTINATION_RULES)).toHaveLength(2);
  });

  test('every named rule carrying a scope: read says none carries the default', async () => {
    h = await istioHarness([{ namespace: 'bookinfo', name: 'reviews' }], true, true);
    await h.mesh.apply(failover, { scopes: { [REVIEWS]: distribute } });
    expect(await h.mesh.read()).toEqual({
      enabled: false,
      config: null,
      drift: [expect.stringContaining('none carries the mesh-wide default')],
      scopes: { [REVIEWS]: distribute },
    });
  });

  test('an owned rule edited by hand is reported as it is, so drift detection sees it', async () => {
    h = await istioHarness(undefined, true, true);
    await h.mesh.apply(failover, { scopes: { 'productpage.bookinfo.svc.cluster.local': distribute } });
    h.cp.store.update(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', 'regionshift-productpage', (dr) => {
      const spec = dr.spec as { trafficPolicy: { loadBalancer: Record<string, unknown> } };
      spec.trafficPolicy.loadBalancer.localityLbSetting = { enabled: true, ...distributeConfig(REGIONS, 50).localityLbSetting };
      return dr;
    });
    expect((await h.mesh.read()).scopes).toEqual({ 'productpage.bookinfo.svc.cluster.local': distributeConfig(REGIONS, 50) });
    await h.mesh.apply(failover, { scopes: { 'productpage.bookinfo.svc.cluster.local': distribute } });
    expect((await h.mesh.read()).scopes).toEqual({ 'productpage.bookinfo.svc.cluster.local': distribute });
  });

  test('without perHostRules, scopes are refused before anything is read, and read makes no list call', async () => {
    h = await istioHarness();
    const calls: string[] = [];
    h.cp.k8s.onRequest((c) => calls.push(c.verb));
    await expect(h.mesh.apply(failover, { scopes: { [REVIEWS]: distribute } })).rejects.toMatchObject({ code: 'CONFIG.MESH' });
    expect(calls).toEqual([]);
    await h.mesh.read();
    expect(calls).toEqual(['get', 'get']);
  });
});
