import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { startLabControlPlane, MESH_SCOPE } from '../../lab/k8s/control-plane';
import { VIRTUAL_SERVICES } from '../../lab/k8s/resources';
import { topologySchema } from '../../lab/topology/schema';
import { LAB_GATEWAY, seed } from '../../lab/world';
import { entryRoutes, type VirtualServiceObject } from '../../shared/adapters/mesh-virtualservices';
import { FakeClock } from '../../lab/fakes/fake-clock';

/**
 * The lab seeds the ingress gateways' VirtualService (the ASM Bookinfo documents' `bookinfo`,
 * bound to `bookinfo-gateway`): scopes.entryFrom derives productpage from it, and the sidecars
 * of the lab's data plane never apply it (Istio: a rule bound to gateways without `mesh`).
 */
describe("the lab's gateway VirtualService", () => {
  const clock = new FakeClock();
  const start = () =>
    startLabControlPlane({
      clusters: ['c-hangzhou', 'c-shanghai'],
      token: 't',
      accessKeyId: 'ak',
      accessKeySecret: 'sk',
      meshId: 'm',
      clock,
    });
  const topology = topologySchema.parse(parseYaml(readFileSync('lab/topology/bookinfo.yaml', 'utf8')));

  test('seeded as default/bookinfo bound to bookinfo-gateway; its route is productpage', async () => {
    const cp = await start();
    try {
      seed(cp, topology, { consecutive5xxErrors: 5 });
      const vs = cp.store.get(MESH_SCOPE, VIRTUAL_SERVICES, 'default', 'bookinfo');
      expect(vs.spec).toMatchObject({ hosts: ['*'], gateways: ['bookinfo-gateway'] });
      expect(entryRoutes(cp.store.list(MESH_SCOPE, VIRTUAL_SERVICES) as VirtualServiceObject[], [LAB_GATEWAY])).toEqual([
        { host: 'productpage.default.svc.cluster.local', virtualService: 'default/bookinfo' },
      ]);
    } finally {
      await cp.stop();
    }
  });

  test('the sidecars do not apply a rule bound to gateways only; with mesh among its gateways they do', async () => {
    const cp = await start();
    try {
      seed(cp, topology, { consecutive5xxErrors: 5 });
      // hosts "*" would match every host were it a sidecar rule.
      expect(cp.routing.httpRoutes('reviews.default.svc.cluster.local')).toEqual([]);
      expect(cp.routing.httpRoutes('productpage.default.svc.cluster.local')).toEqual([]);
      cp.store.create(MESH_SCOPE, VIRTUAL_SERVICES, 'default', {
        metadata: { name: 'both' },
        spec: {
          hosts: ['reviews'],
          gateways: ['bookinfo-gateway', 'mesh'],
          http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }],
        },
      });
      expect(cp.routing.httpRoutes('reviews.default.svc.cluster.local')).toEqual([
        { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
      ]);
    } finally {
      await cp.stop();
    }
  });
});
