import RPCClient from '@alicloud/pop-core';
import { MESH_SCOPE, startLabControlPlane, type LabControlPlane } from '../../lab/k8s/control-plane';
import { DESTINATION_RULES, VIRTUAL_SERVICES } from '../../lab/k8s/resources';
import { FakeClock } from '../../lab/fakes/fake-clock';

const MESH = 'c-mesh-lab';
let cp: LabControlPlane;
let clock: FakeClock;

const failover = { enabled: true, failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] };
const distribute = { enabled: true, distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 90, 'cn-shanghai/*': 10 } }] };
const outlier = { consecutive5xxErrors: 3, interval: '5s', baseEjectionTime: '30s', maxEjectionPercent: 100 };

function rule(name: string, namespace: string, spec: Record<string, unknown>): void {
  cp.store.create(MESH_SCOPE, DESTINATION_RULES, namespace, { metadata: { name }, spec });
}

async function meshWide(conf: object): Promise<void> {
  const client = new RPCClient({ endpoint: cp.asmEndpoint, apiVersion: '2020-01-11', accessKeyId: 'ak', accessKeySecret: 'sk' });
  await client.request(
    'UpdateMeshFeature',
    { ServiceMeshId: MESH, LocalityLoadBalancing: true, LocalityLBConf: JSON.stringify(conf) },
    { method: 'POST' },
  );
}

beforeEach(async () => {
  clock = new FakeClock();
  cp = await startLabControlPlane({
    clusters: ['c-hangzhou'],
    token: 't',
    accessKeyId: 'ak',
    accessKeySecret: 'sk',
    meshId: MESH,
    clock,
    asmUpdateDelayMs: 3_000,
  });
});
afterEach(async () => {
  await cp.stop();
});

describe('effective traffic policy', () => {
  test('a host without a rule gets the mesh-wide setting, and only once ASM is running again', async () => {
    expect(cp.routing.trafficPolicy('reviews')).toEqual({ localityLb: null, outlierDetection: null, subsets: {} });
    await meshWide({ failover: failover.failover });
    expect(cp.routing.trafficPolicy('reviews').localityLb).toBeNull();
    clock.advance(3_000);
    expect(cp.routing.trafficPolicy('reviews')).toEqual({ localityLb: failover, outlierDetection: null, subsets: {} });
  });

  test("a rule's own localityLbSetting replaces the mesh-wide one; subsets and outlier detection come from the rule", async () => {
    await meshWide({ failover: failover.failover });
    clock.advance(3_000);
    rule('reviews', 'bookinfo', {
      host: 'reviews',
      trafficPolicy: {
        outlierDetection: { ...outlier, splitExternalLocalOriginErrors: true },
        loadBalancer: { localityLbSetting: distribute },
      },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        { name: 'v2', labels: { version: 'v2', track: 'stable' } },
      ],
    });
    rule('ratings', 'bookinfo', { host: 'ratings.bookinfo.svc.cluster.local', trafficPolicy: { outlierDetection: outlier } });
    expect(cp.routing.trafficPolicy('reviews.bookinfo.svc.cluster.local')).toEqual({
      localityLb: distribute,
      outlierDetection: outlier,
      subsets: { v1: { version: 'v1' }, v2: { version: 'v2', track: 'stable' } },
    });
    expect(cp.routing.trafficPolicy('ratings')).toEqual({ localityLb: failover, outlierDetection: outlier, subsets: {} });
  });

  test('short names resolve in the rule namespace: reviews in bookinfo is not reviews.default', () => {
    rule('reviews', 'bookinfo', { host: 'reviews', trafficPolicy: { loadBalancer: { localityLbSetting: distribute } } });
    expect(cp.routing.trafficPolicy('reviews.default.svc.cluster.local').localityLb).toBeNull();
    expect(cp.routing.trafficPolicy('reviews.bookinfo.svc.cluster.local').localityLb).toEqual(distribute);
    expect(cp.routing.trafficPolicy('reviews').localityLb).toEqual(distribute);
  });

  test('an exact host beats a wildcard; among equals the oldest rule wins', () => {
    rule('all-bookinfo', 'bookinfo', {
      host: '*.bookinfo.svc.cluster.local',
      trafficPolicy: { loadBalancer: { localityLbSetting: failover } },
    });
    expect(cp.routing.trafficPolicy('details.bookinfo.svc.cluster.local').localityLb).toEqual(failover);
    clock.advance(1_000);
    rule('reviews-a', 'bookinfo', { host: 'reviews', trafficPolicy: { loadBalancer: { localityLbSetting: distribute } } });
    clock.advance(1_000);
    rule('reviews-b', 'bookinfo', { host: 'reviews', trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: false } } } });
    expect(cp.routing.trafficPolicy('reviews.bookinfo.svc.cluster.local').localityLb).toEqual(distribute);
  });

  test('the policy follows rule edits at once', () => {
    rule('reviews', 'bookinfo', { host: 'reviews', trafficPolicy: { loadBalancer: { localityLbSetting: failover } } });
    cp.store.update(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', 'reviews', (dr) => ({
      ...dr,
      spec: { host: 'reviews', trafficPolicy: { loadBalancer: { localityLbSetting: distribute } } },
    }));
    expect(cp.routing.trafficPolicy('reviews').localityLb).toEqual(distribute);
    cp.store.delete(MESH_SCOPE, DESTINATION_RULES, 'bookinfo', 'reviews');
    expect(cp.routing.trafficPolicy('reviews').localityLb).toBeNull();
  });
});

describe('http routes', () => {
  test('VirtualService http routes for a host, oldest service first, with matches, subsets and weights', () => {
    cp.store.create(MESH_SCOPE, VIRTUAL_SERVICES, 'bookinfo', {
      metadata: { name: 'reviews' },
      spec: {
        hosts: ['reviews'],
        http: [
          { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
          {
            route: [
              { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
              { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
            ],
            timeout: '10s',
          },
        ],
      },
    });
    clock.advance(1_000);
    cp.store.create(MESH_SCOPE, VIRTUAL_SERVICES, 'bookinfo', {
      metadata: { name: 'reviews-canary' },
      spec: { hosts: ['reviews.bookinfo.svc.cluster.local'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v3' } }] }] },
    });
    expect(cp.routing.httpRoutes('reviews.bookinfo.svc.cluster.local')).toEqual([
      { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
      {
        route: [
          { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
          { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
        ],
      },
      { route: [{ destination: { host: 'reviews', subset: 'v3' } }] },
    ]);
    expect(cp.routing.httpRoutes('ratings')).toEqual([]);
  });

  test('a VirtualService without hosts is rejected by the webhook', () => {
    expect(() => cp.store.create(MESH_SCOPE, VIRTUAL_SERVICES, 'bookinfo', { metadata: { name: 'bad' }, spec: { http: [] } })).toThrow(
      'admission webhook "validation.istio.io" denied the request: configuration is invalid: spec.hosts: virtual service must have at least one host',
    );
  });
});
