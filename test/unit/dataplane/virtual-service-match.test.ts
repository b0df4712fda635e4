import type { HttpRouteSpec } from '../../../lab/dataplane/config-source';
import { SeededRandom } from '../../../lab/dataplane/prng';
import { matchEntryHolds, selectRoute } from '../../../lab/dataplane/router';
import { parseTopologyYaml } from '../../../lab/topology/schema';
import { readFileSync } from 'node:fs';
import { failoverPolicy, labFixture } from './support/lab-fixture';

/**
 * Istio's HTTPMatchRequest semantics: the conditions of one match entry AND, the entries OR, the
 * first route that matches wins; `uri` exact/prefix/regex read the request path (exact and regex
 * without the query string, as Envoy's path rules do). A condition the lab does not evaluate is
 * never a match-all.
 */
const reviewsSubsets = { v1: { version: 'v1' }, v2: { version: 'v2' }, v3: { version: 'v3' } };
const to = (subset: string) => [{ destination: { host: 'reviews', subset } }];
const pick = (routes: HttpRouteSpec[], path: string, headers: Record<string, string> = {}) =>
  selectRoute(routes, headers, new SeededRandom(1), path)?.subset ?? null;

describe('uri matches', () => {
  test.each([
    [{ exact: '/reviews/0' }, '/reviews/0', true],
    [{ exact: '/reviews/0' }, '/reviews/0?x=1', true],
    [{ exact: '/reviews/0' }, '/reviews/01', false],
    [{ prefix: '/reviews/' }, '/reviews/7', true],
    [{ prefix: '/reviews/' }, '/ratings/7', false],
    [{ regex: '/reviews/[0-9]+' }, '/reviews/42', true],
    [{ regex: '/reviews/[0-9]+' }, '/reviews/42?page=2', true],
    [{ regex: '/reviews' }, '/reviews/42', false],
  ] as const)('uri %j against %s → %s', (uri, path, expected) => {
    expect(matchEntryHolds({ uri }, { path, headers: {} })).toBe(expected);
  });

  test('ignoreUriCase makes exact and prefix case-insensitive', () => {
    expect(matchEntryHolds({ uri: { prefix: '/Reviews' } }, { path: '/reviews/1', headers: {} })).toBe(false);
    expect(matchEntryHolds({ uri: { prefix: '/Reviews' }, ignoreUriCase: true }, { path: '/reviews/1', headers: {} })).toBe(true);
    expect(matchEntryHolds({ uri: { exact: '/REVIEWS/1' }, ignoreUriCase: true }, { path: '/reviews/1', headers: {} })).toBe(true);
  });

  test('a uri match is not a match-all: a route for another path is skipped', () => {
    const routes: HttpRouteSpec[] = [{ match: [{ uri: { prefix: '/api/v2' } }], route: to('v2') }, { route: to('v1') }];
    expect(pick(routes, '/reviews/0')).toBe('v1');
    expect(pick(routes, '/api/v2/reviews')).toBe('v2');
  });
});

describe('match entry semantics', () => {
  const routes: HttpRouteSpec[] = [
    // One entry, two conditions: both must hold.
    { match: [{ headers: { 'end-user': { exact: 'jason' } }, uri: { prefix: '/ratings/v2/' } }], route: to('v3') },
    // Two entries: either one.
    { match: [{ uri: { exact: '/reviews/1' } }, { headers: { 'x-canary': { exact: 'on' } } }], route: to('v2') },
    { route: to('v1') },
  ];

  test.each([
    ['/ratings/v2/1', { 'end-user': 'jason' }, 'v3'],
    ['/reviews/0', { 'end-user': 'jason' }, 'v1'],
    ['/ratings/v2/1', {}, 'v1'],
    ['/reviews/1', {}, 'v2'],
    ['/reviews/0', { 'x-canary': 'on' }, 'v2'],
    // Both the first and the second route would match: the first wins.
    ['/ratings/v2/1', { 'end-user': 'jason', 'x-canary': 'on' }, 'v3'],
  ] as const)('%s %j → %s', (path, headers, subset) => {
    expect(pick(routes, path, headers)).toBe(subset);
  });

  test('withoutHeaders excludes a request carrying the header', () => {
    const r: HttpRouteSpec[] = [{ match: [{ withoutHeaders: { 'end-user': { exact: 'jason' } } }], route: to('v2') }, { route: to('v1') }];
    expect(pick(r, '/', { 'end-user': 'mary' })).toBe('v2');
    expect(pick(r, '/', { 'end-user': 'jason' })).toBe('v1');
  });

  test('a condition the lab does not evaluate (authority, gateways, ...) never matches, so it is not a match-all', () => {
    const r: HttpRouteSpec[] = [{ match: [{ unmodelled: ['authority'] }], route: to('v2') }, { route: to('v1') }];
    expect(pick(r, '/reviews/0')).toBe('v1');
  });
});

describe('match semantics through the data plane', () => {
  test("the entry hop sees the client path; downstream hops see Bookinfo's /reviews/0", () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    config.setPolicy('reviews', { ...failoverPolicy, subsets: reviewsSubsets });
    // jason AND a /reviews/ path: v2 (served in shanghai). On the old code the uri was ignored and
    // the /ratings route matched everyone, sending all traffic to shanghai.
    config.routes.set('reviews', [
      { match: [{ uri: { prefix: '/ratings/' } }], route: to('v2') },
      { match: [{ headers: { 'end-user': { exact: 'jason' } }, uri: { exact: '/reviews/0' } }], route: to('v2') },
      { route: to('v1') },
    ]);
    const jason = dataPlane.send('gw-hangzhou', 200, { 'end-user': 'jason' });
    const mary = dataPlane.send('gw-hangzhou', 200, { 'end-user': 'mary' });
    expect(jason.served['cn-shanghai/reviews/v2']).toBe(200);
    expect(mary.served['cn-hangzhou/reviews/v1']).toBe(200);

    // On the entry service, a uri match reads the client's path.
    config.setPolicy('productpage', { ...failoverPolicy, subsets: { v1: { version: 'v1' } } });
    config.routes.set('productpage', [
      { match: [{ uri: { exact: '/productpage' } }], route: [{ destination: { host: 'productpage', subset: 'v1' } }] },
    ]);
    expect(dataPlane.send('gw-hangzhou', 10).statuses).toEqual({ 200: 10 });
    expect(dataPlane.send('gw-hangzhou', 10, {}, '/login').statuses).toEqual({ 404: 10 });
  });
});

describe('.global hosts through a ServiceEntry', () => {
  /** The multicluster version-routing document: reviews v1 in cluster1, v2 and v3 in cluster2. Here v2 runs in both, so the two models differ. */
  function fixture() {
    const topo = parseTopologyYaml(
      readFileSync('lab/topology/bookinfo.yaml', 'utf8').replace(
        '  - { cluster: c-hangzhou, name: ratings-v1,',
        '  - { cluster: c-hangzhou, name: reviews-v2, service: reviews, version: v2, replicas: 2 }\n  - { cluster: c-hangzhou, name: ratings-v1,',
      ),
    );
    const f = labFixture({ topology: topo });
    f.config.setPolicyEverywhere(topo, failoverPolicy);
    f.config.setPolicy('reviews', { ...failoverPolicy, subsets: reviewsSubsets });
    f.config.setPolicy('reviews.default.global', {
      localityLb: null,
      outlierDetection: null,
      subsets: { v2: { cluster: 'cluster2' }, v3: { cluster: 'cluster2' } },
    });
    f.config.routes.set('reviews', [
      {
        match: [{ headers: { 'end-user': { exact: 'jason' } } }],
        route: [{ destination: { host: 'reviews.default.global', subset: 'v2' } }],
      },
      { route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'v1' } }] },
    ]);
    return f;
  }

  test("the subset selects the ServiceEntry endpoint (the remote gateway), and only that cluster's pods serve", () => {
    const { config, dataPlane } = fixture();
    config.serviceEntries.set('reviews.default.global', {
      hosts: ['reviews.default.global'],
      endpoints: [{ address: 'c-shanghai', labels: { cluster: 'cluster2' } }],
    });
    const jason = dataPlane.send('gw-hangzhou', 400, { 'end-user': 'jason' });
    // Resolved by its first label, hangzhou's own v2 pods (closer, preferred by locality) would answer.
    expect(jason.served).toMatchObject({ 'cn-shanghai/reviews/v2': 400 });
    expect(jason.served['cn-hangzhou/reviews/v2']).toBeUndefined();
    expect(dataPlane.send('gw-hangzhou', 100).served['cn-hangzhou/reviews/v1']).toBe(100);
  });

  test('without a ServiceEntry the .global host has no upstream (503), it is not the local service', () => {
    const { dataPlane } = fixture();
    // Few enough that productpage's outlier detection (5 consecutive 5xx) ejects no pod yet.
    const jason = dataPlane.send('gw-hangzhou', 4, { 'end-user': 'jason' });
    expect(jason.noUpstream).toEqual({ 'reviews.default.global': 4 });
    expect(Object.keys(jason.served).filter((k) => k.includes('/reviews/'))).toEqual([]);
  });

  test('a subset whose labels no endpoint carries has no upstream', () => {
    const { config, dataPlane } = fixture();
    config.serviceEntries.set('reviews.default.global', {
      hosts: ['reviews.default.global'],
      endpoints: [{ address: 'c-shanghai', labels: { cluster: 'cluster3' } }],
    });
    expect(dataPlane.send('gw-hangzhou', 4, { 'end-user': 'jason' }).noUpstream).toEqual({ 'reviews.default.global': 4 });
  });
});

describe('POST /lab/v1/requests carries the path', () => {
  test("the path reaches the entry hop's uri match; a path not starting with / is a 400 naming it", async () => {
    const { createServer } = await import('node:http');
    const { labApiHandler } = await import('../../../lab/dataplane/api');
    const f = labFixture();
    f.config.setPolicyEverywhere(f.topology, failoverPolicy);
    f.config.setPolicy('productpage', { ...failoverPolicy, subsets: { v1: { version: 'v1' } } });
    f.config.routes.set('productpage', [
      { match: [{ uri: { prefix: '/productpage' } }], route: [{ destination: { host: 'productpage', subset: 'v1' } }] },
    ]);
    const handle = labApiHandler({ topology: f.topology, dataPlane: f.dataPlane, faults: f.faults });
    const server = createServer((req, res) => void handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const post = async (body: unknown) => {
      const res = await fetch(`${base}/lab/v1/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as { statuses?: Record<string, number>; error?: { message: string } } };
    };
    try {
      expect((await post({ gateway: 'gw-hangzhou', count: 5 })).json.statuses).toEqual({ 200: 5 });
      expect((await post({ gateway: 'gw-hangzhou', count: 5, path: '/productpage?u=1' })).json.statuses).toEqual({ 200: 5 });
      expect((await post({ gateway: 'gw-hangzhou', count: 5, path: '/static/x.css' })).json.statuses).toEqual({ 404: 5 });
      const bad = await post({ gateway: 'gw-hangzhou', count: 5, path: 'productpage' });
      expect({ status: bad.status, message: bad.json.error?.message }).toEqual({ status: 400, message: 'path: must start with /' });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
