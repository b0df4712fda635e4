import { KubeConfig } from '@kubernetes/client-node';
import { createServer } from 'node:net';
import { entryRoutes, gatewayRef, VirtualServiceReader, type VirtualServiceObject } from '../../shared/adapters/mesh-virtualservices';
import { UpstreamError } from '../../shared/core/errors';

/**
 * scopes.entryFrom: which hosts the gateways route to, from the VirtualServices bound to them
 * (Istio's VirtualService reference: `gateways`, `http[].route[].destination.host`, short names
 * resolved in the VirtualService's namespace).
 */

const vs = (namespace: string, name: string, gateways: string[] | undefined, hosts: string[][]): VirtualServiceObject => ({
  metadata: { namespace, name },
  spec: { ...(gateways ? { gateways } : {}), http: hosts.map((route) => ({ route: route.map((host) => ({ destination: { host } })) })) },
});

describe('entryRoutes', () => {
  test("the ASM Bookinfo gateway VirtualService: a short name resolves in the VirtualService's namespace", () => {
    const bookinfo = vs('default', 'bookinfo', ['bookinfo-gateway'], [['productpage']]);
    expect(entryRoutes([bookinfo], ['default/bookinfo-gateway'])).toEqual([
      { host: 'productpage.default.svc.cluster.local', virtualService: 'default/bookinfo' },
    ]);
    // The same VirtualService in another namespace means that namespace's productpage (Istio reads the rule's namespace, not the service's).
    const shop = vs('shop', 'bookinfo', ['default/bookinfo-gateway'], [['productpage']]);
    expect(entryRoutes([shop], ['default/bookinfo-gateway'])).toEqual([
      { host: 'productpage.shop.svc.cluster.local', virtualService: 'shop/bookinfo' },
    ]);
  });

  test('an FQDN is kept; several routes, rules and gateways; duplicates once; sorted', () => {
    const a = vs('default', 'a', ['default/bookinfo-gateway'], [['productpage', 'reviews.other.svc.cluster.local'], ['productpage']]);
    const b = vs('istio-system', 'b', ['public-gw'], [['details.default.svc.cluster.local']]);
    expect(entryRoutes([b, a], ['default/bookinfo-gateway', 'istio-system/public-gw'])).toEqual([
      { host: 'details.default.svc.cluster.local', virtualService: 'istio-system/b' },
      { host: 'productpage.default.svc.cluster.local', virtualService: 'default/a' },
      { host: 'reviews.other.svc.cluster.local', virtualService: 'default/a' },
    ]);
  });

  test('a VirtualService for another gateway, a bare name meaning another namespace, or the sidecars only (no gateways, or mesh) is ignored', () => {
    const other = vs('default', 'other', ['default/admin-gateway'], [['ratings']]);
    const bareElsewhere = vs('shop', 'bare', ['bookinfo-gateway'], [['ratings']]);
    const meshOnly = vs('default', 'reviews', undefined, [['reviews']]);
    const meshNamed = vs('default', 'reviews-mesh', ['mesh'], [['reviews']]);
    expect(entryRoutes([other, bareElsewhere, meshOnly, meshNamed], ['default/bookinfo-gateway'])).toEqual([]);
    expect(gatewayRef('bookinfo-gateway', 'shop')).toBe('shop/bookinfo-gateway');
    expect(gatewayRef('istio-system/gw', 'shop')).toBe('istio-system/gw');
  });

  test('routes without a destination host, a delegate-only rule, or a missing http section give nothing', () => {
    const odd: VirtualServiceObject[] = [
      {
        metadata: { namespace: 'default', name: 'x' },
        spec: { gateways: ['bookinfo-gateway'], http: [{ route: [{ destination: null }] }, null, { route: null }] },
      },
      { metadata: { namespace: 'default', name: 'y' }, spec: { gateways: ['bookinfo-gateway'] } },
    ];
    expect(entryRoutes(odd, ['default/bookinfo-gateway'])).toEqual([]);
  });
});

describe('VirtualServiceReader: the API out of reach', () => {
  test('a refused connection is a retryable upstream error naming the call', async () => {
    // A port that was free a moment ago and is now closed: nothing listens on it.
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const reader = new VirtualServiceReader({ kubeconfig: kc, requestTimeoutMs: 2_000 });
    const err = await reader.routes(['default/bookinfo-gateway']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).message).toMatch(/^list VirtualServices failed: /);
    expect((err as UpstreamError).retryable).toBe(true);
  });
});
