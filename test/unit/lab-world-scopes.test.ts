import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { startLabControlPlane, MESH_SCOPE } from '../../lab/k8s/control-plane';
import { DESTINATION_RULES } from '../../lab/k8s/resources';
import { topologySchema } from '../../lab/topology/schema';
import { scopedServicesOf, seed } from '../../lab/world';
import { FakeClock } from '../../lab/fakes/fake-clock';

/** The lab hands the rules of the services its policy scopes to the product; without scopes it seeds as before. */
test('scopedServicesOf reads scopes.services, and nothing from a policy without scopes', () => {
  expect(scopedServicesOf(readFileSync('examples/bookinfo.yaml', 'utf8'))).toEqual([]);
  expect(
    scopedServicesOf(
      'mesh: {backend: asm}\nscopes:\n  entry: [productpage]\n  services: {productpage: {}, reviews: {host: reviews.default.svc.cluster.local}}\n',
    ),
  ).toEqual(['productpage', 'reviews']);
  expect(scopedServicesOf('scopes: null\n')).toEqual([]);
});

test("seed labels only the handed-over services' rules managed-by regionshift", async () => {
  const cp = await startLabControlPlane({
    clusters: ['c-hangzhou', 'c-shanghai'],
    token: 't',
    accessKeyId: 'ak',
    accessKeySecret: 'sk',
    meshId: 'm',
    clock: new FakeClock(),
  });
  try {
    const topology = topologySchema.parse(parseYaml(readFileSync('lab/topology/bookinfo.yaml', 'utf8')));
    seed(cp, topology, { consecutive5xxErrors: 5 }, ['productpage']);
    const labels = Object.fromEntries(cp.store.list(MESH_SCOPE, DESTINATION_RULES).map((r) => [r.metadata.name, r.metadata.labels ?? {}]));
    expect(labels).toEqual({ productpage: { 'app.kubernetes.io/managed-by': 'regionshift' }, details: {}, reviews: {}, ratings: {} });
  } finally {
    await cp.stop();
  }
});
