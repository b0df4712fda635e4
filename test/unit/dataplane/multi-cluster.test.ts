import { readFileSync } from 'node:fs';
import { topologyProblems } from './support/topology-problems';
import type { LocalityLbSettingInput } from '../../../shared/core/mesh-validation';
import { LabDataPlane } from '../../../lab/dataplane/engine';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { labApiHandler } from '../../../lab/dataplane/api';
import { FaultBook, deploymentsForFault, faultSpecSchema, faultTargetProblems } from '../../../lab/dataplane/faults';
import { layoutEndpoints } from '../../../lab/dataplane/locality-lb';
import type { Pod } from '../../../lab/dataplane/endpoints';
import { MESH_SCOPE, startLabControlPlane, type LabControlPlane } from '../../../lab/k8s/control-plane';
import { parseTopology, parseTopologyYaml, type Topology, type TopologyInput } from '../../../lab/topology/schema';
import { seed } from '../../../lab/world';
import { bookinfoOutlierDetection } from './support/in-memory-config';
import { T0, percentOf } from './support/lab-fixture';
import { ManualClock } from './support/manual-clock';

/**
 * Several clusters per region, zones with subzones, and endpoints beyond ACK pods (ECI pods on
 * virtual nodes, external clusters, VMs as WorkloadEntries), against the real Kubernetes/ASM
 * twins over loopback: the data plane reads what the twins hold, as in the lab.
 */

const TOKEN = 'multi-cluster-token';
const SAME_VPC = 'examples/topologies/same-vpc-two-clusters.yaml';
const SERVERLESS_AND_VM = 'examples/topologies/serverless-and-vm.yaml';
const failoverBothWays: LocalityLbSettingInput = {
  enabled: true,
  failover: [
    { from: 'cn-hangzhou', to: 'cn-shanghai' },
    { from: 'cn-shanghai', to: 'cn-hangzhou' },
  ],
};

interface TwinLab {
  topology: Topology;
  cp: LabControlPlane;
  faults: FaultBook;
  dataPlane: LabDataPlane;
  k8s(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; json: Record<string, unknown> }>;
}

const open: LabControlPlane[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((cp) => cp.stop()));
});

async function twinLab(file: string, meshWide: LocalityLbSettingInput | null): Promise<TwinLab> {
  const topology = parseTopologyYaml(readFileSync(file, 'utf8'));
  const clock = new ManualClock(T0);
  const cp = await startLabControlPlane({
    clusters: topology.regions.flatMap((r) => r.clusters.map((c) => c.name)),
    token: TOKEN,
    accessKeyId: 'ak',
    accessKeySecret: 'sk',
    meshId: 'bookinfo-mesh',
    clock,
    ...(meshWide ? { asmInitialLocalityLb: meshWide } : {}),
  });
  open.push(cp);
  seed(cp, topology, { ...bookinfoOutlierDetection });
  const faults = new FaultBook(clock);
  const dataPlane = new LabDataPlane({ topology, config: cp.routing, clock, seed: 11, faults });
  const k8s = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(
      `${cp.k8sUrl(path.startsWith('/mesh') ? MESH_SCOPE : (path.split('/')[1] ?? ''))}${path.slice(path.indexOf('/', 1))}`,
      {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': contentType },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      },
    );
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { topology, cp, faults, dataPlane, k8s };
}

const problems = topologyProblems;

const base = (): TopologyInput => ({
  account: '1700000000000001',
  regions: [
    {
      name: 'cn-hangzhou',
      displayName: 'China (Hangzhou)',
      clusters: ['m1c1', { name: 'm1c2', kind: 'ask' }],
      zones: ['cn-hangzhou-h', { name: 'cn-hangzhou-i', subzones: ['rack-1'] }],
    },
  ],
  services: [{ name: 'reviews', versions: ['v1'] }],
  deployments: [
    { cluster: 'm1c1', name: 'reviews-v1', service: 'reviews', version: 'v1', replicas: 1 },
    { cluster: 'm1c2', name: 'reviews-v1', service: 'reviews', version: 'v1', replicas: 1, zones: ['cn-hangzhou-i'], subzone: 'rack-1' },
  ],
  gateways: [{ name: 'gw', region: 'cn-hangzhou', zone: 'cn-hangzhou-h', entry: 'reviews' }],
});

describe('topology: clusters, zones and subzones, strict keys', () => {
  test('a region lists several clusters with kinds; zones may carry subzones; a deployment names its cluster and subzone', () => {
    const t = parseTopology(base());
    expect(t.regions[0]).toEqual({
      name: 'cn-hangzhou',
      displayName: 'China (Hangzhou)',
      clusters: [
        { name: 'm1c1', kind: 'ack' },
        { name: 'm1c2', kind: 'ask' },
      ],
      zones: ['cn-hangzhou-h', 'cn-hangzhou-i'],
      subzones: { 'cn-hangzhou-i': ['rack-1'] },
    });
    expect(t.deployments[1]).toMatchObject({ cluster: 'm1c2', subzone: 'rack-1' });
    // The parsed form parses again to itself (tests and tools re-parse a loaded topology).
    expect(parseTopology(t).regions).toEqual(t.regions);
  });

  test.each([
    [
      'cluster and clusters at once',
      (t: TopologyInput) => {
        (t.regions[0] as Record<string, unknown>).cluster = 'm1c1';
      },
      'topology regions.0.clusters: give either cluster or clusters, not both',
    ],
    [
      'neither cluster nor clusters',
      (t: TopologyInput) => {
        delete (t.regions[0] as Record<string, unknown>).clusters;
      },
      'topology regions.0.clusters: required (or cluster, for one)',
    ],
    [
      'a typo in a region key',
      (t: TopologyInput) => {
        (t.regions[0] as Record<string, unknown>).zone = 'x';
      },
      'topology regions.0.zone: unknown field',
    ],
    [
      'clusters on a deployment',
      (t: TopologyInput) => {
        (t.deployments[0] as Record<string, unknown>).clusters = ['m1c1'];
      },
      'topology deployments.0.clusters: unknown field',
    ],
    [
      'an unknown top-level key',
      (t: TopologyInput) => {
        (t as Record<string, unknown>).vms = [];
      },
      'topology vms: unknown field',
    ],
    [
      'an unknown cluster kind',
      (t: TopologyInput) => {
        (t.regions[0]!.clusters as unknown[])[1] = { name: 'm1c2', kind: 'eks' };
      },
      'topology regions.0.clusters.1.kind: Invalid option: expected one of "ack"|"ask"|"external"',
    ],
    [
      'a cluster in two regions',
      (t: TopologyInput) => {
        t.regions.push({ name: 'cn-shanghai', displayName: 'Shanghai', clusters: ['m1c1'], zones: ['cn-shanghai-e'] });
      },
      'topology regions.1.clusters.0: cluster m1c1 is already in cn-hangzhou',
    ],
    [
      'a subzone its zone lacks',
      (t: TopologyInput) => {
        t.deployments[1]!.zones = ['cn-hangzhou-h'];
      },
      'topology deployments.1.subzone: zone cn-hangzhou-h has no subzone rack-1',
    ],
    [
      'a VM in an unknown zone',
      (t: TopologyInput) => {
        t.workloadEntries = [{ name: 'vm', service: 'reviews', version: 'v1', address: '10.0.0.1', locality: 'cn-hangzhou/cn-hangzhou-x' }];
      },
      'topology workloadEntries.0.locality: zone cn-hangzhou-x is not in cn-hangzhou',
    ],
    [
      'a VM locality with four parts',
      (t: TopologyInput) => {
        t.workloadEntries = [{ name: 'vm', service: 'reviews', version: 'v1', address: '10.0.0.1', locality: 'a/b/c/d' }];
      },
      'topology workloadEntries.0.locality: must be region/zone or region/zone/subzone',
    ],
    [
      'a VM of an unknown group',
      (t: TopologyInput) => {
        t.workloadEntries = [
          { name: 'vm', group: 'g', service: 'reviews', version: 'v1', address: '10.0.0.1', locality: 'cn-hangzhou/cn-hangzhou-h' },
        ];
      },
      'topology workloadEntries.0.group: unknown workload group default/g',
    ],
  ])('%s is refused with its path', (_name, mutate, expected) => {
    const t = base();
    mutate(t);
    expect(problems(t)).toEqual([expected]);
  });

  test('both example topologies parse', () => {
    for (const f of [SAME_VPC, SERVERLESS_AND_VM]) expect(() => parseTopologyYaml(readFileSync(f, 'utf8'))).not.toThrow();
  });
});

describe('failover priorities with subzones (Istio applyLocalityFailover without failoverPriority)', () => {
  const pod = (id: string, region: string, zone: string, subzone?: string): Pod => ({
    id,
    cluster: 'c',
    namespace: 'default',
    deployment: id,
    service: 'reviews',
    version: 'v1',
    region,
    zone,
    ...(subzone ? { subzone } : {}),
    labels: {},
    servedKey: `${region}/reviews/v1`,
  });
  const pods = [
    pod('other-region', 'cn-beijing', 'cn-beijing-a'),
    pod('failover-region', 'cn-shanghai', 'cn-shanghai-e'),
    pod('same-region', 'cn-hangzhou', 'cn-hangzhou-i'),
    pod('same-zone', 'cn-hangzhou', 'cn-hangzhou-h', 'rack-2'),
    pod('same-subzone', 'cn-hangzhou', 'cn-hangzhou-h', 'rack-1'),
  ];
  const policy = {
    localityLb: { enabled: true, failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] },
    outlierDetection: bookinfoOutlierDetection,
    subsets: {},
  };

  test('P0 region+zone+subzone, P1 region+zone, P2 region, P3 the failover region, P4 the rest', () => {
    const layout = layoutEndpoints({ region: 'cn-hangzhou', zone: 'cn-hangzhou-h', subzone: 'rack-1' }, pods, policy);
    expect(layout.mode).toBe('failover');
    expect(layout.levels.map((l) => l.hosts.map((h) => h.id))).toEqual([
      ['same-subzone'],
      ['same-zone'],
      ['same-region'],
      ['failover-region'],
      ['other-region'],
    ]);
  });

  test('a caller with no subzone: same-zone endpoints with a subzone are P1, behind none (compacted away)', () => {
    const layout = layoutEndpoints({ region: 'cn-hangzhou', zone: 'cn-hangzhou-h' }, pods, policy);
    expect(layout.levels.map((l) => l.hosts.map((h) => h.id))).toEqual([
      ['same-zone', 'same-subzone'],
      ['same-region'],
      ['failover-region'],
      ['other-region'],
    ]);
  });

  test('distribute patterns match the subzone segment', () => {
    const layout = layoutEndpoints({ region: 'cn-hangzhou', zone: 'cn-hangzhou-h', subzone: 'rack-1' }, pods, {
      ...policy,
      localityLb: { enabled: true, distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/cn-hangzhou-h/rack-2': 100 } }] },
    });
    expect(layout.levels.map((l) => l.groups.map((g) => [g.locality, g.weight]))).toEqual([[['cn-hangzhou/cn-hangzhou-h/rack-2', 100]]]);
  });
});

describe('ASM same-VPC multi-cluster Bookinfo (reviews v1/v2 in m1c1, v3 in m1c2, one region)', () => {
  test('locality off on the reviews DestinationRule (mesh-wide on): v1:v2:v3 each 33±3% over 3,000 requests; productpage stays local', async () => {
    const lab = await twinLab(SAME_VPC, failoverBothWays);
    // Over HTTP, as kubectl or the product would patch it.
    const patched = await lab.k8s(
      'PATCH',
      '/mesh/apis/networking.istio.io/v1/namespaces/default/destinationrules/reviews',
      { spec: { trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: false } } } } },
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);

    const r = lab.dataPlane.send('gw-hangzhou', 3000);

    expect(r.failed).toBe(0);
    expect(r.byService.productpage).toEqual({ 'cn-hangzhou': 3000 });
    const byVersion: Record<string, number> = {};
    for (const [key, n] of Object.entries(r.served)) {
      const [, service, version] = key.split('/');
      if (service === 'reviews') byVersion[version as string] = (byVersion[version as string] ?? 0) + n;
    }
    for (const v of ['v1', 'v2', 'v3']) {
      expect(percentOf(byVersion, v)).toBeGreaterThanOrEqual(30);
      expect(percentOf(byVersion, v)).toBeLessThanOrEqual(36);
    }
    console.log(
      `locality off: reviews v1 ${percentOf(byVersion, 'v1').toFixed(1)}%, v2 ${percentOf(byVersion, 'v2').toFixed(1)}%, v3 ${percentOf(byVersion, 'v3').toFixed(1)}% of ${r.count}`,
    );
  });

  test("locality on (mesh-wide failover, outlier detection): productpage in m1c1's zone gets v1 and v2 only, never m1c2's v3", async () => {
    const lab = await twinLab(SAME_VPC, failoverBothWays);

    const r = lab.dataPlane.send('gw-hangzhou', 3000);

    expect(r.failed).toBe(0);
    expect(r.served['cn-hangzhou/reviews/v3']).toBeUndefined();
    expect(r.byService.reviews).toEqual({ 'cn-hangzhou': 3000 });
    expect(percentOf({ v1: r.served['cn-hangzhou/reviews/v1'] ?? 0, v2: r.served['cn-hangzhou/reviews/v2'] ?? 0 }, 'v1')).toBeGreaterThan(
      46,
    );
  });

  test("reviews v1 and v2 scaled to 0 in m1c1: the same region's other cluster (m1c2, v3) takes reviews before cn-shanghai", async () => {
    const lab = await twinLab(SAME_VPC, failoverBothWays);
    // m1c2's pods sit on its cn-hangzhou-i node, where the data plane places them (the zones the topology gives).
    const v3 = (await lab.k8s('GET', '/m1c2/api/v1/pods?labelSelector=version%3Dv3')).json.items as Array<{
      metadata: { name: string };
      spec: { nodeName: string };
    }>;
    expect(v3.map((p) => [p.metadata.name, p.spec.nodeName])).toEqual([['reviews-v3-0', 'node-cn-hangzhou-i']]);
    for (const d of ['reviews-v1', 'reviews-v2']) {
      const res = await lab.k8s(
        'PATCH',
        `/m1c1/apis/apps/v1/namespaces/default/deployments/${d}`,
        { spec: { replicas: 0 } },
        'application/merge-patch+json',
      );
      expect(res.status).toBe(200);
    }

    const r = lab.dataPlane.send('gw-hangzhou', 1000);

    expect(r.failed).toBe(0);
    expect(r.served).toMatchObject({ 'cn-hangzhou/reviews/v3': 1000 });
    expect(r.byService.reviews).toEqual({ 'cn-hangzhou': 1000 });
  });

  test("a fault narrowed to a cluster hits only that cluster's endpoints; a cluster outside the region is refused by name", async () => {
    const lab = await twinLab(SAME_VPC, failoverBothWays);
    await lab.k8s(
      'PATCH',
      '/mesh/apis/networking.istio.io/v1/namespaces/default/destinationrules/reviews',
      { spec: { trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: false } }, outlierDetection: null } } },
      'application/merge-patch+json',
    );
    const spec = faultSpecSchema.parse({ kind: 'error-rate', region: 'cn-hangzhou', service: 'reviews', cluster: 'm1c2', rate: 1 });
    expect(faultTargetProblems(lab.topology, spec)).toEqual([]);
    lab.faults.inject(spec);

    const r = lab.dataPlane.send('gw-hangzhou', 1200);

    expect(Object.keys(r.errors).filter((k) => k.startsWith('cn-hangzhou/reviews'))).toEqual(['cn-hangzhou/reviews/v3']);
    expect(r.errors['cn-hangzhou/reviews/v3']).toBe(r.served['cn-hangzhou/reviews/v3']);
    expect(r.errors['cn-hangzhou/reviews/v3']).toBeGreaterThan(100);
    expect(r.errors['cn-shanghai/reviews/v3']).toBeUndefined();
    expect(
      faultTargetProblems(lab.topology, faultSpecSchema.parse({ kind: 'error-rate', region: 'cn-hangzhou', cluster: 'm2c1', rate: 1 })),
    ).toEqual(['cluster: m2c1 is not a cluster of cn-hangzhou (m1c1, m1c2)']);
    expect(faultSpecSchema.safeParse({ kind: 'error-rate', region: 'cn-hangzhou', rate: 1, clusters: ['m1c2'] }).success).toBe(false);
  });
});

test('the lab API takes a fault narrowed to a cluster (201, listed with it) and refuses a cluster outside the region (400 naming the field, nothing injected); scale-to-zero scales only that cluster', async () => {
  const lab = await twinLab(SAME_VPC, failoverBothWays);
  const handle = labApiHandler({ topology: lab.topology, dataPlane: lab.dataPlane, faults: lab.faults, onError: () => undefined });
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lab/v1/faults`;
  const post = async (body: unknown) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as { fault?: Record<string, unknown>; error?: { message: string } } };
  };
  try {
    const bad = await post({ kind: 'latency', region: 'cn-hangzhou', cluster: 'm2c1', latencyMs: 50 });
    expect(bad.status).toBe(400);
    expect(bad.json.error?.message).toBe('cluster: m2c1 is not a cluster of cn-hangzhou (m1c1, m1c2)');
    const typo = await post({ kind: 'latency', region: 'cn-hangzhou', clusterName: 'm1c2', latencyMs: 50 });
    expect(typo.status).toBe(400);
    expect(typo.json.error?.message).toContain('clusterName');
    expect(lab.faults.list()).toEqual([]);

    const ok = await post({ kind: 'latency', region: 'cn-hangzhou', cluster: 'm1c2', latencyMs: 50 });
    expect(ok.status).toBe(201);
    expect(ok.json.fault).toMatchObject({ kind: 'latency', region: 'cn-hangzhou', cluster: 'm1c2', service: null });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  expect(deploymentsForFault(lab.topology, { kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'ratings', cluster: 'm1c2' })).toEqual([
    { cluster: 'm1c2', namespace: 'default', name: 'ratings-v1', replicas: 1 },
  ]);
  expect(
    deploymentsForFault(lab.topology, { kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'ratings' }).map((d) => d.cluster),
  ).toEqual(['m1c1', 'm1c2']);
});

describe('serverless (ASK virtual nodes), external cluster and VM WorkloadEntries', () => {
  test('the Kubernetes twin serves virtual nodes, subzone labels, WorkloadEntries, WorkloadGroups and ServiceEntries over HTTP', async () => {
    const lab = await twinLab(SERVERLESS_AND_VM, null);
    type Item = { metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec: Record<string, unknown> };
    const items = async (path: string) => (await lab.k8s('GET', path)).json.items as Item[];

    const virtual = await items('/ask-hangzhou/api/v1/nodes');
    expect(virtual.map((n) => [n.metadata.name, n.metadata.labels])).toEqual([
      [
        'virtual-kubelet-cn-hangzhou-h',
        { 'topology.kubernetes.io/region': 'cn-hangzhou', 'topology.kubernetes.io/zone': 'cn-hangzhou-h', type: 'virtual-kubelet' },
      ],
      [
        'virtual-kubelet-cn-hangzhou-i',
        { 'topology.kubernetes.io/region': 'cn-hangzhou', 'topology.kubernetes.io/zone': 'cn-hangzhou-i', type: 'virtual-kubelet' },
      ],
    ]);
    expect(virtual[0]?.spec).toEqual({ taints: [{ key: 'virtual-kubelet.io/provider', value: 'alibabacloud', effect: 'NoSchedule' }] });
    expect((await items('/c-hangzhou/api/v1/nodes')).every((n) => n.metadata.labels?.type === undefined)).toBe(true);
    expect((await items('/idc-shanghai/api/v1/nodes')).map((n) => n.metadata.name)).toEqual([
      'node-cn-shanghai-e-rack-1',
      'node-cn-shanghai-e-rack-2',
      'node-cn-shanghai-f',
    ]);
    expect((await items('/idc-shanghai/api/v1/nodes'))[0]?.metadata.labels?.['topology.istio.io/subzone']).toBe('rack-1');

    const entries = await items('/mesh/apis/networking.istio.io/v1/workloadentries');
    expect(entries.map((e) => [e.metadata.namespace, e.metadata.name, e.spec])).toEqual([
      [
        'default',
        'reviews-v3-vm-1',
        { address: '10.0.8.11', labels: { app: 'reviews', version: 'v3' }, locality: 'cn-hangzhou/cn-hangzhou-i', weight: 2 },
      ],
      [
        'vms',
        'reviews-v3-vm-2',
        {
          address: '10.1.8.12',
          labels: { app: 'reviews', version: 'v3', 'vm-pool': 'reviews' },
          locality: 'cn-shanghai/cn-shanghai-e/rack-2',
        },
      ],
    ]);
    expect((await items('/mesh/apis/networking.istio.io/v1/namespaces/default/workloadgroups')).map((g) => g.spec)).toEqual([
      { metadata: { labels: { app: 'reviews', version: 'v3' } }, template: {} },
    ]);
    expect(
      (await items('/mesh/apis/networking.istio.io/v1beta1/namespaces/vms/serviceentries')).map((s) => s.spec.workloadSelector),
    ).toEqual([{ labels: { 'vm-pool': 'reviews' } }]);
  });

  test('Pods are served read-only, derived from the Deployments: ECI pods on virtual nodes, external pods on their rack, readiness by startup delay', async () => {
    const lab = await twinLab(SERVERLESS_AND_VM, null);
    type PodItem = { metadata: { name: string; labels: Record<string, string> }; spec: { nodeName?: string }; status: { phase: string } };
    const pods = async (path: string) =>
      ((await lab.k8s('GET', path)).json.items as PodItem[]).map((p) => [p.metadata.name, p.spec.nodeName, p.status.phase]);

    expect(await pods('/ask-hangzhou/api/v1/namespaces/default/pods')).toEqual([
      ['reviews-v1-0', 'virtual-kubelet-cn-hangzhou-h', 'Running'],
      ['reviews-v1-1', 'virtual-kubelet-cn-hangzhou-i', 'Running'],
    ]);
    expect(await pods('/idc-shanghai/api/v1/pods?labelSelector=app%3Dreviews')).toEqual([
      ['reviews-v2-0', 'node-cn-shanghai-e-rack-1', 'Running'],
      ['reviews-v2-1', 'node-cn-shanghai-e-rack-1', 'Running'],
    ]);
    const one = await lab.k8s('GET', '/ask-hangzhou/api/v1/namespaces/default/pods/reviews-v1-1');
    expect(one.status).toBe(200);
    expect((one.json.metadata as { labels: Record<string, string> }).labels).toEqual({ app: 'reviews', version: 'v1' });
    expect((await lab.k8s('GET', '/ask-hangzhou/api/v1/namespaces/default/pods/reviews-v1-7')).status).toBe(404);
    expect((await lab.k8s('DELETE', '/ask-hangzhou/api/v1/namespaces/default/pods/reviews-v1-0')).status).toBe(405);

    // A scale-up: the new ECI pod waits out its startup delay (30s; the clock has not moved).
    expect(
      (
        await lab.k8s(
          'PATCH',
          '/ask-hangzhou/apis/apps/v1/namespaces/default/deployments/reviews-v1',
          { spec: { replicas: 3 } },
          'application/merge-patch+json',
        )
      ).status,
    ).toBe(200);
    expect((await pods('/ask-hangzhou/api/v1/pods'))[2]).toEqual(['reviews-v1-2', 'virtual-kubelet-cn-hangzhou-h', 'Pending']);
  });

  test("locality off: reviews spread by endpoint weight over ECI pods, the external cluster's pods and both VMs (7,000 requests)", async () => {
    const lab = await twinLab(SERVERLESS_AND_VM, null);

    const r = lab.dataPlane.send('gw-hangzhou', 7000);

    expect(r.failed).toBe(0);
    const reviews = Object.fromEntries(Object.entries(r.served).filter(([k]) => k.includes('/reviews/')));
    // Endpoints: 2 ECI pods (v1), 2 external pods (v2), VM-1 weight 2 (v3, hangzhou), VM-2 weight 1 (v3, shanghai): 7 shares.
    const expected: Record<string, number> = {
      'cn-hangzhou/reviews/v1': 2 / 7,
      'cn-shanghai/reviews/v2': 2 / 7,
      'cn-hangzhou/reviews/v3': 2 / 7,
      'cn-shanghai/reviews/v3': 1 / 7,
    };
    expect(Object.keys(reviews).sort()).toEqual(Object.keys(expected).sort());
    for (const [k, share] of Object.entries(expected)) {
      expect(Math.abs(percentOf(reviews, k) - 100 * share)).toBeLessThanOrEqual(2.5);
    }
    console.log(
      `weights 1,1,1,1,2,1: ${Object.keys(reviews)
        .map((k) => `${k} ${percentOf(reviews, k).toFixed(1)}%`)
        .join(', ')}`,
    );
  });

  test("WorkloadEntries and ServiceEntries changed over HTTP change the endpoints on the next batch; only the ServiceEntry admits a VM outside the service's namespace", async () => {
    const lab = await twinLab(SERVERLESS_AND_VM, null);
    const seDeleted = await lab.k8s('DELETE', '/mesh/apis/networking.istio.io/v1/namespaces/vms/serviceentries/reviews-vms');
    expect(seDeleted.status).toBe(200);
    expect(lab.dataPlane.send('gw-hangzhou', 700).served['cn-shanghai/reviews/v3']).toBeUndefined();

    const weDeleted = await lab.k8s('DELETE', '/mesh/apis/networking.istio.io/v1/namespaces/default/workloadentries/reviews-v3-vm-1');
    expect(weDeleted.status).toBe(200);
    expect(lab.dataPlane.send('gw-hangzhou', 700).served['cn-hangzhou/reviews/v3']).toBeUndefined();

    const created = await lab.k8s('POST', '/mesh/apis/networking.istio.io/v1/namespaces/default/workloadentries', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'WorkloadEntry',
      metadata: { name: 'reviews-v3-vm-9' },
      spec: { address: '10.0.8.19', labels: { app: 'reviews', version: 'v3' }, locality: 'cn-shanghai/cn-shanghai-f' },
    });
    expect(created.status).toBe(201);
    const after = lab.dataPlane.send('gw-hangzhou', 700);
    expect(after.served['cn-shanghai/reviews/v3']).toBeGreaterThan(50);
  });

  test("locality on (failover): gw-shanghai's reviews stay in cn-shanghai (external pods on rack-1, the VM on rack-2); none in cn-hangzhou", async () => {
    const lab = await twinLab(SERVERLESS_AND_VM, failoverBothWays);

    const r = lab.dataPlane.send('gw-shanghai', 2000);

    expect(r.failed).toBe(0);
    expect(r.byService.reviews).toEqual({ 'cn-shanghai': 2000 });
    expect(r.served['cn-shanghai/reviews/v2']).toBeGreaterThan(0);
    expect(r.served['cn-shanghai/reviews/v3']).toBeGreaterThan(0);
  });

  test("a fault narrowed to one workload (a VM) fails only that VM's answers", async () => {
    const lab = await twinLab(SERVERLESS_AND_VM, null);
    await lab.k8s(
      'PATCH',
      '/mesh/apis/networking.istio.io/v1/namespaces/default/destinationrules/reviews',
      { spec: { trafficPolicy: { outlierDetection: null } } },
      'application/merge-patch+json',
    );
    const spec = faultSpecSchema.parse({
      kind: 'error-rate',
      region: 'cn-hangzhou',
      service: 'reviews',
      workload: 'reviews-v3-vm-1',
      rate: 1,
    });
    expect(faultTargetProblems(lab.topology, spec)).toEqual([]);
    expect(faultTargetProblems(lab.topology, { ...spec, workload: 'reviews-v3-vm-7' })).toEqual([
      'workload: no deployment or workload entry named reviews-v3-vm-7',
    ]);
    lab.faults.inject(spec);

    const r = lab.dataPlane.send('gw-hangzhou', 1400);

    expect(Object.keys(r.errors).filter((k) => k.includes('/reviews/'))).toEqual(['cn-hangzhou/reviews/v3']);
    expect(r.errors['cn-hangzhou/reviews/v3']).toBe(r.served['cn-hangzhou/reviews/v3']);
    expect(r.errors['cn-hangzhou/reviews/v3']).toBeGreaterThan(250);
    // A workload fault never takes the region's gateway down.
    expect(lab.faults.gatewayDown('cn-hangzhou')).toBe(false);
  });
});
