import { MESH_SCOPE } from '../../lab/k8s/control-plane';
import { DESTINATION_RULES } from '../../lab/k8s/resources';
import { LabDataPlane } from '../../lab/dataplane/engine';
import type { RoutingConfigSource } from '../../lab/dataplane/config-source';
import { loadDefaultTopology } from '../../lab/topology/schema';
import { SCOPE_RULE_OUTLIER_DETECTION } from '../../shared/adapters/mesh-asm';
import { SCOPE_HOST_ANNOTATION } from '../../shared/adapters/mesh-scopes';
import { MeshRejectedError, RegionshiftError } from '../../shared/core/errors';
import { InMemoryRoutingConfig } from '../unit/dataplane/support/in-memory-config';
import { ManualClock } from '../unit/dataplane/support/manual-clock';
import { distributeConfig, expectLive, expectServed, failoverConfig } from './mesh-control.contract';
import { asmHarness, OUTLIER_DETECTION, REGIONS, type AsmHarness } from './mesh-control-lab';
import { rejection } from '../support/rejection';

const failover = failoverConfig(REGIONS);
const distribute = distributeConfig(REGIONS);
const REVIEWS = 'reviews.default.svc.cluster.local';

function updates(h: AsmHarness): number {
  return h.cp.asm.calls.filter((c) => c.action === 'UpdateMeshFeature').length;
}

describe('AsmMeshControl with service scopes: the mesh-wide LocalityLBConf is the default, per-host rules override it', () => {
  let h: AsmHarness;
  afterEach(async () => {
    await h.cp.stop();
  });

  test('a scope creates one labelled rule through the mesh Kubernetes API, carrying outlier detection; the mesh-wide setting stays the default', async () => {
    h = await asmHarness({}, true);
    await h.mesh.apply(failover, { scopes: { [REVIEWS]: distribute } });
    const created = h.cp.store.get(MESH_SCOPE, DESTINATION_RULES, 'default', 'regionshift-reviews');
    expect(created.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'regionshift' });
    expect(created.metadata.annotations).toEqual({ 'regionshift.io/created': 'true', [SCOPE_HOST_ANNOTATION]: REVIEWS });
    expect(created.spec).toEqual({
      host: REVIEWS,
      trafficPolicy: {
        outlierDetection: SCOPE_RULE_OUTLIER_DETECTION,
        loadBalancer: { localityLbSetting: { enabled: true, ...distribute.localityLbSetting } },
      },
    });
    expectServed(h.cp.asm.servedLocalityLb(), failover);
    expectServed(h.cp.routing.trafficPolicy('productpage').localityLb, failover);
    expectServed(h.cp.routing.trafficPolicy('reviews').localityLb, distribute);
    expect(updates(h)).toBe(1);
  });

  test('data plane: mesh-wide failover plus a reviews rule distributing 90/10 from cn-hangzhou: only reviews calls cross regions', async () => {
    h = await asmHarness({}, true);
    // The operator's rules: outlier detection on the other services (locality failover acts only with it); none for reviews.
    for (const name of ['productpage', 'details', 'ratings']) {
      h.cp.store.create(MESH_SCOPE, DESTINATION_RULES, 'default', {
        metadata: { name },
        spec: { host: name, trafficPolicy: { outlierDetection: OUTLIER_DETECTION } },
      });
    }
    await h.mesh.apply(failover, { scopes: { [REVIEWS]: distribute } });
    const topology = loadDefaultTopology();
    const replicas = InMemoryRoutingConfig.forTopology(topology);
    // Routing from the twins (the mesh's rules and ASM's mesh-wide setting); replicas from the topology.
    const config: RoutingConfigSource = {
      trafficPolicy: (host) => h.cp.routing.trafficPolicy(host),
      httpRoutes: (host) => h.cp.routing.httpRoutes(host),
      replicas: (cluster, namespace, deployment) => replicas.replicas(cluster, namespace, deployment),
    };
    const dataPlane = new LabDataPlane({ topology, config, clock: new ManualClock(1_767_225_600_000), seed: 7 });
    const r = dataPlane.send('gw-hangzhou', 2000);
    expect(r.failed).toBe(0);
    expect(r.byService.productpage).toEqual({ 'cn-hangzhou': 2000 });
    expect(r.byService.details).toEqual({ 'cn-hangzhou': 2000 });
    const toShanghai = r.byService.reviews?.['cn-shanghai'] ?? 0;
    expect((r.byService.reviews?.['cn-hangzhou'] ?? 0) + toShanghai).toBe(2000);
    expect(toShanghai / 2000).toBeGreaterThanOrEqual(0.07);
    expect(toShanghai / 2000).toBeLessThanOrEqual(0.13);
    // ratings is called by the reviews pod that served the request, in its own region: no split of its own.
    expect(r.byService.ratings?.['cn-shanghai'] ?? 0).toBe(toShanghai);
    console.info(
      `gw-hangzhou 2000 requests, reviews scoped 90/10: reviews in cn-shanghai ${toShanghai} (${((100 * toShanghai) / 2000).toFixed(1)}%), productpage and details 100% cn-hangzhou`,
    );

    // Dropping the scope deletes the rule: reviews follows the mesh-wide setting again. (With no rule
    // of its own it has no outlier detection, so, as in Istio, failover gives it no locality preference.)
    await h.mesh.apply(failover, { scopes: {} });
    expect(h.cp.store.find(MESH_SCOPE, DESTINATION_RULES, 'default', 'regionshift-reviews')).toBeNull();
    expect(h.cp.routing.trafficPolicy('reviews')).toMatchObject({
      localityLb: { enabled: true, ...failover.localityLbSetting },
      outlierDetection: null,
    });
    const after = dataPlane.send('gw-hangzhou', 500);
    expect(after.byService.productpage).toEqual({ 'cn-hangzhou': 500 });
  });

  test('a rule handed over with the label alone is patched for its scope, and when dropped loses only its locality setting: never deleted, subsets kept', async () => {
    h = await asmHarness({}, true);
    const spec = {
      host: 'reviews',
      trafficPolicy: { outlierDetection: OUTLIER_DETECTION },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2' } },
      ],
    };
    h.cp.store.create(MESH_SCOPE, DESTINATION_RULES, 'default', {
      metadata: { name: 'reviews', labels: { 'app.kubernetes.io/managed-by': 'regionshift' } },
      spec,
    });
    await h.mesh.apply(failover, { scopes: { [REVIEWS]: distribute } });
    expect(h.cp.store.list(MESH_SCOPE, DESTINATION_RULES).map((r) => r.metadata.name)).toEqual(['reviews']);
    expectServed(h.cp.routing.trafficPolicy('reviews').localityLb, distribute);
    expect((await h.mesh.read()).scopes).toEqual({ [REVIEWS]: distribute });
    await h.mesh.apply(failover, { scopes: {} });
    const after = h.cp.store.get(MESH_SCOPE, DESTINATION_RULES, 'default', 'reviews');
    expect(after.spec).toEqual({ ...spec, trafficPolicy: { outlierDetection: OUTLIER_DETECTION, loadBalancer: {} } });
    expect(after.metadata.annotations ?? {}).toEqual({});
    expectServed(h.cp.routing.trafficPolicy('reviews').localityLb, failover);
    expect((await h.mesh.read()).scopes).toBeUndefined();
  });

  test("a scope on a host with someone else's rule is refused before UpdateMeshFeature is sent", async () => {
    h = await asmHarness({}, true);
    h.cp.store.create(MESH_SCOPE, DESTINATION_RULES, 'default', {
      metadata: { name: 'reviews' },
      spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
    });
    const error = await rejection(h.mesh.apply(distribute, { scopes: { [REVIEWS]: failover } }));
    expect(error).toBeInstanceOf(MeshRejectedError);
    expect((error as Error).message).toContain(`scope ${REVIEWS}: DestinationRule default/reviews`);
    expect(updates(h)).toBe(0);
    expect(h.cp.store.list(MESH_SCOPE, DESTINATION_RULES)).toHaveLength(1);
  });

  test('a mesh Kubernetes API failure while planning is retryable and sends nothing; the retry completes', async () => {
    h = await asmHarness({}, true);
    h.cp.k8s.failNext(1, 503, { verb: 'list' });
    await expect(h.mesh.apply(distribute, { scopes: { [REVIEWS]: failover } })).rejects.toMatchObject({
      code: 'K8S.ServiceUnavailable',
      retryable: true,
    });
    expect(updates(h)).toBe(0);
    await h.mesh.apply(distribute, { scopes: { [REVIEWS]: failover } });
    const live = await h.mesh.read();
    expectLive(live, distribute);
    expect(live.scopes).toEqual({ [REVIEWS]: failover });
  });

  test('without the mesh kubeconfig: scopes are refused (CONFIG.MESH) before any call, an empty set is no change, read has no scopes', async () => {
    h = await asmHarness();
    const error = await rejection(h.mesh.apply(failover, { scopes: { [REVIEWS]: distribute } }));
    expect(error).toBeInstanceOf(RegionshiftError);
    expect(error).toMatchObject({ code: 'CONFIG.MESH' });
    expect(h.cp.asm.calls).toEqual([]);
    await h.mesh.apply(failover, { scopes: {} });
    expect(await h.mesh.read()).toStrictEqual({ enabled: true, config: failover });
  });
});
