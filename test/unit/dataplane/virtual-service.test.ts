import type { HttpRouteSpec } from '../../../lab/dataplane/config-source';
import { SeededRandom } from '../../../lab/dataplane/prng';
import { selectRoute } from '../../../lab/dataplane/router';
import { bookinfoOutlierDetection } from './support/in-memory-config';
import { failoverPolicy, labFixture, percentOf } from './support/lab-fixture';

const reviewsSubsets = { v1: { version: 'v1' }, v2: { version: 'v2' }, v3: { version: 'v3' } };

/** Bookinfo's "route by end-user" sample: jason sees v2, everyone else v1. */
const jasonToV2: HttpRouteSpec[] = [
  { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
  { route: [{ destination: { host: 'reviews.default.svc.cluster.local', subset: 'v1' } }] },
];

describe('VirtualService routing', () => {
  test('a header match sends jason to reviews v2 (served in cn-shanghai) and everyone else to v1', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    config.setPolicy('reviews', { ...failoverPolicy, subsets: reviewsSubsets });
    config.routes.set('reviews', jasonToV2);

    const jason = dataPlane.send('gw-hangzhou', 300, { 'End-User': 'jason' });
    const others = dataPlane.send('gw-hangzhou', 300, { 'end-user': 'mary' });
    const anonymous = dataPlane.send('gw-hangzhou', 300);

    expect(jason.byService.reviews).toEqual({ 'cn-shanghai': 300 });
    expect(jason.served['cn-shanghai/reviews/v2']).toBe(300);
    for (const r of [others, anonymous]) expect(r.byService.reviews).toEqual({ 'cn-hangzhou': 300 });
    expect(jason.failed + others.failed + anonymous.failed).toBe(0);
  });

  test('the subset is its own cluster: with v2 selected, a healthy local v1 is never used', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, { localityLb: { enabled: true }, outlierDetection: bookinfoOutlierDetection });
    config.setPolicy('reviews', { localityLb: { enabled: true }, outlierDetection: bookinfoOutlierDetection, subsets: reviewsSubsets });
    config.routes.set('reviews', [{ route: [{ destination: { host: 'reviews', subset: 'v2' } }] }]);

    const r = dataPlane.send('gw-hangzhou', 200);

    expect(r.served['cn-shanghai/reviews/v2']).toBe(200);
    expect(r.served['cn-hangzhou/reviews/v1']).toBeUndefined();
  });

  test('weighted destinations split 80/20', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    config.setPolicy('reviews', { ...failoverPolicy, subsets: reviewsSubsets });
    config.routes.set('reviews', [
      {
        route: [
          { destination: { host: 'reviews', subset: 'v1' }, weight: 80 },
          { destination: { host: 'reviews', subset: 'v2' }, weight: 20 },
        ],
      },
    ]);

    const r = dataPlane.send('gw-hangzhou', 3000);

    const v2 = percentOf(r.byService.reviews, 'cn-shanghai');
    expect(v2).toBeGreaterThan(17);
    expect(v2).toBeLessThan(23);
  });

  test('no matching route answers 404, an undefined subset or a subset with no pods answers 503', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    config.setPolicy('productpage', { ...failoverPolicy, subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } } });
    // On the entry service the gateway answers with the hop's own status.
    config.routes.set('productpage', [
      { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'productpage', subset: 'v1' } }] },
    ]);
    const noRoute = dataPlane.send('gw-hangzhou', 10);
    config.routes.set('productpage', [{ route: [{ destination: { host: 'productpage', subset: 'v9' } }] }]);
    const unknownSubset = dataPlane.send('gw-hangzhou', 10);
    config.routes.set('productpage', [{ route: [{ destination: { host: 'productpage', subset: 'v2' } }] }]);
    const emptySubset = dataPlane.send('gw-hangzhou', 10);
    // One hop down, productpage turns its dependency's failure into its own 500.
    config.routes.delete('productpage');
    config.setPolicy('reviews', { ...failoverPolicy, subsets: reviewsSubsets });
    config.routes.set('reviews', [{ route: [{ destination: { host: 'reviews', subset: 'v3' } }] }]);
    const emptyDownstream = dataPlane.send('gw-hangzhou', 10);

    expect(noRoute).toMatchObject({ failed: 10, statuses: { 404: 10 }, served: {}, noUpstream: {} });
    expect(unknownSubset).toMatchObject({ failed: 10, statuses: { 503: 10 }, served: {}, noUpstream: { productpage: 10 } });
    expect(emptySubset).toMatchObject({ failed: 10, statuses: { 503: 10 }, served: {}, noUpstream: { productpage: 10 } });
    expect(emptyDownstream).toMatchObject({
      failed: 10,
      statuses: { 500: 10 },
      noUpstream: { reviews: 10 },
      errors: { 'cn-hangzhou/productpage/v1': 10 },
    });
  });
});

describe('selectRoute', () => {
  const routes: HttpRouteSpec[] = [
    {
      match: [{ headers: { 'x-canary': { prefix: 'yes' } } }, { headers: { cookie: { regex: '.*tier=gold.*' } } }],
      route: [{ destination: { host: 'reviews', subset: 'v3' } }],
    },
    {
      match: [{ headers: { 'end-user': { exact: 'jason' }, 'x-region': { exact: 'east' } } }],
      route: [{ destination: { host: 'reviews', subset: 'v2' } }],
    },
    { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
  ];

  test.each([
    [{ 'x-canary': 'yes-please' }, 'v3'],
    [{ cookie: 'a=1; tier=gold; b=2' }, 'v3'],
    [{ cookie: 'tier=silver' }, 'v1'],
    [{ 'end-user': 'jason', 'x-region': 'east' }, 'v2'],
    [{ 'end-user': 'jason' }, 'v1'],
    [{ 'x-canary': 'no' }, 'v1'],
  ] as const)('%j → %s', (headers, subset) => {
    expect(selectRoute(routes, headers, new SeededRandom(1))).toEqual({ host: 'reviews', subset });
  });

  test('a regex is a full match, not a search', () => {
    const r: HttpRouteSpec[] = [
      { match: [{ headers: { 'end-user': { regex: 'jas' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
    ];
    expect(selectRoute(r, { 'end-user': 'jason' }, new SeededRandom(1))).toBeNull();
    expect(selectRoute(r, { 'end-user': 'jas' }, new SeededRandom(1))).toEqual({ host: 'reviews', subset: 'v2' });
  });
});
