import { MESH_SCOPE, type LabControlPlane } from '../../lab/k8s/control-plane';
import { VIRTUAL_SERVICES } from '../../lab/k8s/resources';
import { VirtualServiceReader } from '../../shared/adapters/mesh-virtualservices';
import { UpstreamError } from '../../shared/core/errors';
import { FakeClock } from '../../lab/fakes/fake-clock';
import { LAB, meshKubeconfig, startLab } from './mesh-control-lab';

/**
 * scopes.entryFrom against the mesh's Kubernetes twin over HTTP: the kubeconfig ASM hands out
 * (DescribeServiceMeshKubeconfig), the real client-node, `list` on virtualservices in all namespaces.
 */

describe('VirtualServiceReader against the mesh Kubernetes twin', () => {
  let cp: LabControlPlane;
  let reader: VirtualServiceReader;
  const clock = new FakeClock();
  beforeEach(async () => {
    cp = await startLab(clock);
    const create = (namespace: string, name: string, spec: Record<string, unknown>) =>
      cp.store.create(MESH_SCOPE, VIRTUAL_SERVICES, namespace, { metadata: { name }, spec });
    // The ASM Bookinfo document's gateway VirtualService, as kubectl applies it.
    create('default', 'bookinfo', {
      hosts: ['*'],
      gateways: ['bookinfo-gateway'],
      http: [
        {
          match: [{ uri: { exact: '/productpage' } }, { uri: { prefix: '/static' } }],
          route: [{ destination: { host: 'productpage', port: { number: 9080 } } }],
        },
      ],
    });
    // Another gateway, in another namespace, by FQDN.
    create('shop', 'storefront', {
      hosts: ['shop.example.com'],
      gateways: ['istio-system/public-gw'],
      http: [{ route: [{ destination: { host: 'details.default.svc.cluster.local' } }] }],
    });
    // Sidecar routing only (no gateways: the reserved mesh): never an entry.
    create('default', 'reviews', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] });
    // Bound to a gateway the policy does not name.
    create('default', 'admin', {
      hosts: ['admin.example.com'],
      gateways: ['default/admin-gw'],
      http: [{ route: [{ destination: { host: 'ratings' } }] }],
    });
    reader = new VirtualServiceReader({ kubeconfig: meshKubeconfig(cp, clock) });
  });
  afterEach(async () => {
    await cp.stop();
  });

  test("one gateway: the Bookinfo gateway routes to productpage; sidecar and other gateways' rules ignored", async () => {
    expect(await reader.routes(['default/bookinfo-gateway'])).toEqual([
      { host: 'productpage.default.svc.cluster.local', virtualService: 'default/bookinfo' },
    ]);
  });

  test('several gateways, across namespaces; v1beta1 served as well', async () => {
    const both = ['default/bookinfo-gateway', 'istio-system/public-gw'];
    const expected = [
      { host: 'details.default.svc.cluster.local', virtualService: 'shop/storefront' },
      { host: 'productpage.default.svc.cluster.local', virtualService: 'default/bookinfo' },
    ];
    expect(await reader.routes(both)).toEqual(expected);
    expect(await new VirtualServiceReader({ kubeconfig: meshKubeconfig(cp, clock), apiVersion: 'v1beta1' }).routes(both)).toEqual(expected);
  });

  test('a refused list (403) is an upstream error naming the call, not retryable; a 503 is retryable', async () => {
    // RBAC granting the DestinationRules only (a ClusterRole without virtualservices).
    cp.access.grant(LAB.token, { subject: 'regionshift', resources: ['destinationrules'] });
    const forbidden = await reader.routes(['default/bookinfo-gateway']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(forbidden).toBeInstanceOf(UpstreamError);
    expect(forbidden).toMatchObject({
      code: 'K8S.Forbidden',
      retryable: false,
      message: expect.stringMatching(/^list VirtualServices failed: 403 Forbidden/),
    });
    cp.access.grant(LAB.token, { subject: 'regionshift' });
    cp.k8s.failNext(1, 503, { verb: 'list', resource: 'virtualservices' });
    expect(
      await reader.routes(['default/bookinfo-gateway']).then(
        () => null,
        (e: unknown) => e,
      ),
    ).toMatchObject({ code: 'K8S.ServiceUnavailable', retryable: true });
    expect(await reader.routes(['default/bookinfo-gateway'])).toHaveLength(1);
  });
});
