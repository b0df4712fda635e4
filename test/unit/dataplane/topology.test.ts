import { ValidationError } from '../../../shared/core/errors';
import { topologyProblems } from './support/topology-problems';
import { loadDefaultTopology, parseTopology, parseTopologyYaml, type TopologyInput } from '../../../lab/topology/schema';

const minimal = (): TopologyInput => ({
  account: '1700000000000001',
  regions: [{ name: 'cn-hangzhou', displayName: 'China (Hangzhou)', cluster: 'c-hangzhou', zones: ['cn-hangzhou-h'] }],
  services: [
    { name: 'productpage', versions: ['v1'] },
    { name: 'reviews', versions: ['v1'] },
  ],
  calls: [{ from: 'productpage', to: ['reviews'] }],
  deployments: [{ cluster: 'c-hangzhou', name: 'productpage-v1', service: 'productpage', version: 'v1', replicas: 1 }],
  gateways: [{ name: 'gw-hangzhou', region: 'cn-hangzhou', zone: 'cn-hangzhou-h', entry: 'productpage' }],
});

const problems = topologyProblems;

describe('topology', () => {
  test('the default is Bookinfo in two regions as in the ASM docs', () => {
    const t = loadDefaultTopology();
    expect(t.regions.map((r) => [r.name, r.clusters.map((c) => c.name).join()])).toEqual([
      ['cn-hangzhou', 'c-hangzhou'],
      ['cn-shanghai', 'c-shanghai'],
    ]);
    expect(t.deployments.map((d) => `${d.cluster}/${d.namespace}/${d.name}`)).toEqual([
      'c-hangzhou/default/productpage-v1',
      'c-hangzhou/default/details-v1',
      'c-hangzhou/default/reviews-v1',
      'c-hangzhou/default/ratings-v1',
      'c-shanghai/default/productpage-v1',
      'c-shanghai/default/details-v1',
      'c-shanghai/default/reviews-v2',
      'c-shanghai/default/ratings-v1',
    ]);
    expect(t.calls).toEqual([
      { from: 'productpage', to: ['details', 'reviews'] },
      { from: 'reviews', versions: ['v2', 'v3'], to: ['ratings'] },
    ]);
    expect(t.gateways.map((g) => [g.name, g.region, g.entry])).toEqual([
      ['gw-hangzhou', 'cn-hangzhou', 'productpage'],
      ['gw-shanghai', 'cn-shanghai', 'productpage'],
    ]);
    expect(t.deployments.find((d) => d.name === 'reviews-v1')?.startupDelay).toBe(20_000);
  });

  test('defaults fill in namespace, labels, startup delay and network', () => {
    const t = parseTopology(minimal());
    expect(t.deployments[0]).toEqual({
      cluster: 'c-hangzhou',
      namespace: 'default',
      name: 'productpage-v1',
      service: 'productpage',
      version: 'v1',
      labels: {},
      replicas: 1,
      startupDelay: 10_000,
    });
    expect(t.network).toEqual({ sameZoneMs: 0.2, crossZoneMs: 1, crossRegionMs: 25 });
  });

  test.each([
    [
      'unknown cluster',
      (t: TopologyInput) => {
        t.deployments[0]!.cluster = 'c-beijing';
      },
      'topology deployments.0.cluster: unknown cluster c-beijing',
    ],
    [
      'unknown version',
      (t: TopologyInput) => {
        t.deployments[0]!.version = 'v2';
      },
      'topology deployments.0.version: productpage has no version v2',
    ],
    [
      'zone outside the region',
      (t: TopologyInput) => {
        t.gateways[0]!.zone = 'cn-shanghai-e';
      },
      'topology gateways.0.zone: zone cn-shanghai-e is not in cn-hangzhou',
    ],
    [
      'call to an unknown service',
      (t: TopologyInput) => {
        t.calls = [{ from: 'productpage', to: ['cart'] }];
      },
      'topology calls.0.to.0: unknown service cart',
    ],
    [
      'call cycle',
      (t: TopologyInput) => {
        t.calls = [
          { from: 'productpage', to: ['reviews'] },
          { from: 'reviews', to: ['productpage'] },
        ];
      },
      'topology calls: call cycle productpage → reviews → productpage',
    ],
    [
      'bad duration',
      (t: TopologyInput) => {
        t.deployments[0]!.startupDelay = 'later';
      },
      'topology deployments.0.startupDelay: not a duration: "later" (use 30s, 5m, 250ms)',
    ],
    [
      'duplicate deployment',
      (t: TopologyInput) => {
        t.deployments.push({ ...t.deployments[0]! });
      },
      'topology deployments.1.name: duplicate deployment c-hangzhou/default/productpage-v1',
    ],
    [
      'alarm on an unknown deployment',
      (t: TopologyInput) => {
        t.alarms = [{ id: 'r1', kind: 'ready-replicas-zero', name: 'x', cluster: 'c-hangzhou', deployment: 'reviews-v9' }];
      },
      'topology alarms.0.deployment: unknown deployment c-hangzhou/default/reviews-v9',
    ],
    [
      'non-numeric account',
      (t: TopologyInput) => {
        t.account = 'me';
      },
      'topology account: must be a numeric account id',
    ],
    [
      'probe of an unknown service',
      (t: TopologyInput) => {
        t.probes = [{ service: 'cart', region: 'cn-hangzhou' }];
      },
      'topology probes.0.service: unknown service cart',
    ],
    [
      'probe in an unknown region',
      (t: TopologyInput) => {
        t.probes = [{ service: 'reviews', region: 'cn-beijing', rps: 1 }];
      },
      'topology probes.0.region: unknown region cn-beijing',
    ],
    [
      'probe at 0 rps',
      (t: TopologyInput) => {
        t.probes = [{ service: 'reviews', region: 'cn-hangzhou', rps: 0 }];
      },
      'topology probes.0.rps: Too small: expected number to be >0',
    ],
    [
      'duplicate probe',
      (t: TopologyInput) => {
        t.probes = [
          { service: 'reviews', region: 'cn-hangzhou' },
          { service: 'reviews', region: 'cn-hangzhou', rps: 5 },
        ];
      },
      'topology probes.1: duplicate probe of reviews in cn-hangzhou',
    ],
  ])('%s is refused with its path', (_name, mutate, expected) => {
    const t = minimal();
    mutate(t);
    expect(problems(t)).toEqual([expected]);
  });

  test('probes default to every service an error-ratio rule watches, in every region, at 2 rps', () => {
    expect(loadDefaultTopology().probes).toEqual([
      { service: 'reviews', region: 'cn-hangzhou', rps: 2 },
      { service: 'reviews', region: 'cn-shanghai', rps: 2 },
      { service: 'productpage', region: 'cn-hangzhou', rps: 2 },
      { service: 'productpage', region: 'cn-shanghai', rps: 2 },
    ]);
    // No error-ratio rule, no probes; a ready-replicas rule watches pods, not traffic.
    expect(parseTopology(minimal()).probes).toEqual([]);
    const withRules = minimal();
    withRules.alarms = [
      { id: 'r1', kind: 'ready-replicas-zero', name: 'pp-unavailable', cluster: 'c-hangzhou', deployment: 'productpage-v1' },
      { id: 'r2', kind: 'error-ratio', name: 'reviews-5xx', service: 'reviews', region: 'cn-hangzhou', thresholdPercent: 10 },
    ];
    expect(parseTopology(withRules).probes).toEqual([{ service: 'reviews', region: 'cn-hangzhou', rps: 2 }]);
    // Listed probes replace the default; `[]` turns them off.
    expect(parseTopology({ ...withRules, probes: [{ service: 'productpage', region: 'cn-hangzhou', rps: 0.5 }] }).probes).toEqual([
      { service: 'productpage', region: 'cn-hangzhou', rps: 0.5 },
    ]);
    expect(parseTopology({ ...withRules, probes: [] }).probes).toEqual([]);
  });

  test('YAML that is not a topology names every problem at once', () => {
    expect(() => parseTopologyYaml('account: "1"\nregions: []\n')).toThrow(ValidationError);
    try {
      parseTopologyYaml('account: "1"\nregions: []\n');
    } catch (err) {
      expect((err as ValidationError).problems).toEqual([
        'topology regions: Too small: expected array to have >=1 items',
        'topology services: Invalid input: expected array, received undefined',
        'topology deployments: Invalid input: expected array, received undefined',
        'topology gateways: Invalid input: expected array, received undefined',
      ]);
    }
  });

  test('the old `serviceEntries:` short form is refused with its path and where ServiceEntries go now; the istio: form is read', () => {
    const old = {
      ...minimal(),
      serviceEntries: [
        { name: 'reviews-vms', namespace: 'vms', service: 'reviews', workloadSelector: { labels: { 'vm-pool': 'reviews' } } },
      ],
    } as unknown as TopologyInput;
    let caught: unknown;
    try {
      parseTopology(old);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const lines = (caught as ValidationError).problems;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^topology serviceEntries: no longer read: declare each ServiceEntry as Istio writes it, under istio: \(kind: ServiceEntry/,
    );
    // An empty list is refused too: the key itself is gone, so a file carrying it is edited once, not half-read.
    expect(() => parseTopology({ ...minimal(), serviceEntries: [] } as unknown as TopologyInput)).toThrow(
      /topology serviceEntries: no longer read/,
    );
    const istio = parseTopology({
      ...minimal(),
      istio: [
        {
          kind: 'ServiceEntry',
          metadata: { name: 'reviews-vms', namespace: 'vms' },
          spec: { hosts: ['reviews.default.svc.cluster.local'], workloadSelector: { labels: { 'vm-pool': 'reviews' } } },
        },
      ],
    });
    expect(istio.istio.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['ServiceEntry vms/reviews-vms']);
  });
});
