import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startLab, type Lab } from '../../lab/world';
import { controlCall, waitFor, type Served } from './lab-fixture';

/**
 * What each document's reader sees, counted as the document counts it: which reviews version
 * answered (v1 = cn-hangzhou, v2 = cn-shanghai in Bookinfo), over 2,000 requests, within ±3
 * points. Each scenario runs its examples/topologies file and policy (without the policy's
 * schedules, so the result holds at any hour; pods ready 1 s after a scale-up), with background traffic off; faults and scaling go
 * through the twins' APIs and the test waits on conditions, not sleeps.
 */
const N = 2000;

function labFiles(name: string): { topologyFile: string; policyFile: string; stateFile: string } {
  const dir = mkdtempSync(path.join(tmpdir(), `regionshift-doc-${name}-`));
  const policy = parseYaml(readFileSync(`examples/topologies/${name}.policy.yaml`, 'utf8')) as Record<string, unknown>;
  delete policy.schedules;
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, stringifyYaml(policy));
  // Pods ready 1 s after a scale-up, so a scenario that scales back waits a second, not twenty.
  const topology = parseYaml(readFileSync(`examples/topologies/${name}.yaml`, 'utf8')) as { deployments: Array<Record<string, unknown>> };
  for (const d of topology.deployments) d.startupDelay = '1s';
  const topologyFile = path.join(dir, 'topology.yaml');
  writeFileSync(topologyFile, stringifyYaml(topology));
  return { topologyFile, policyFile, stateFile: path.join(dir, 'state.db') };
}

async function send(
  lab: Lab,
  gateway: string,
  headers: Record<string, string> = {},
): Promise<Served & { statuses: Record<string, number> }> {
  const res = await fetch(`${lab.labUrl}/lab/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ gateway, count: N, headers }),
  });
  if (res.status !== 200) throw new Error(`lab requests answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Served & { statuses: Record<string, number> };
}

/** Percent of the requests whose reviews answer came from each version (`v1`, `v2`, ...), whole-number rounded for the message only. */
function reviewsVersions(s: Served): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [key, n] of Object.entries(s.served)) {
    const [, service, version] = key.split('/');
    if (service === 'reviews' && version) counts[version] = (counts[version] ?? 0) + n;
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(counts).map(([v, n]) => [v, (100 * n) / total]));
}

const within3 = (actual: number | undefined, expected: number) => Math.abs((actual ?? 0) - expected) <= 3;

describe('cross-region, two clusters (ASM multi-region locality load balancing)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ ...labFiles('cross-region-two-clusters'), background: false });
  });
  afterAll(async () => {
    await lab.stop();
  });
  const reviewsLocality = () => lab.controlPlane.routing.trafficPolicy('reviews').localityLb;

  test('healthy: hangzhou readers see reviews-v1, shanghai readers reviews-v2', async () => {
    const hz = await send(lab, 'gw-hangzhou');
    const sh = await send(lab, 'gw-shanghai');
    expect({ hz: reviewsVersions(hz), sh: reviewsVersions(sh), failed: hz.failed + sh.failed }).toEqual({
      hz: { v1: 100 },
      sh: { v2: 100 },
      failed: 0,
    });
  });

  test('failover: reviews-v1 scaled to 0 in hangzhou, every hangzhou reader sees reviews-v2', async () => {
    const res = await fetch(`${lab.labUrl}/lab/v1/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'reviews', version: 'v1' }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    expect(lab.controlPlane.routing.replicas('c-hangzhou', 'default', 'reviews-v1')).toEqual({ desired: 0, ready: 0 });
    const hz = await send(lab, 'gw-hangzhou');
    expect({ failed: hz.failed, versions: reviewsVersions(hz) }).toEqual({ failed: 0, versions: { v2: 100 } });
    expect((await fetch(`${lab.labUrl}/lab/v1/faults/${id}`, { method: 'DELETE' })).status).toBe(200);
    await waitFor(
      'reviews-v1 ready again',
      () => lab.controlPlane.routing.replicas('c-hangzhou', 'default', 'reviews-v1')?.ready === 2,
      30_000,
    );
  });

  test('90/10 distribute: ~10% at each hop, so ~19% of hangzhou readers see a shanghai reviews (0.1 + 0.9 × 0.1)', async () => {
    const matrix = { 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 }, 'cn-shanghai': { 'cn-shanghai': 100 } };
    expect((await controlCall(lab, 'POST', '/v1/overrides', { matrix, ttl: '30m', reason: 'documents: 90/10 distribute' })).status).toBe(
      200,
    );
    await waitFor(
      'distribute 90/10 live on the mesh',
      () => (reviewsLocality()?.distribute?.[0]?.to as Record<string, number> | undefined)?.['cn-shanghai'] === 10,
      30_000,
    );
    const hz = await send(lab, 'gw-hangzhou');
    expect(hz.failed).toBe(0);
    const productpageInShanghai = (100 * (hz.byService.productpage?.['cn-shanghai'] ?? 0)) / N;
    const v2 = reviewsVersions(hz).v2;
    const compounded = 100 * (0.1 + 0.9 * 0.1);
    // Printed so the measured figure is on record next to the computed one (docs/lab.md quotes it).
    process.stdout.write(
      `90/10 distribute, ${N} hangzhou requests: productpage in shanghai ${productpageInShanghai.toFixed(1)}%, reviews-v2 (shanghai) ${v2?.toFixed(1)}% (computed ${compounded}%)\n`,
    );
    expect({ productpage: within3(productpageInShanghai, 10), reviewsV2: within3(v2, compounded) }).toEqual({
      productpage: true,
      reviewsV2: true,
    });
    const override = (await controlCall(lab, 'GET', '/v1/status')).json.override as { id: string };
    expect((await controlCall(lab, 'DELETE', `/v1/overrides/${override.id}`)).status).toBe(200);
  });
});

describe('locality preference (Istio locality failover: own zone, then own region)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ ...labFiles('locality-preference'), background: false });
  });
  afterAll(async () => {
    await lab.stop();
  });

  test("every reader is served from their own zone: hangzhou zone h sees v1 (never zone i's v3), shanghai sees v2", async () => {
    const hz = await send(lab, 'gw-hangzhou');
    const sh = await send(lab, 'gw-shanghai');
    expect({ hz: reviewsVersions(hz), sh: reviewsVersions(sh), failed: hz.failed + sh.failed }).toEqual({
      hz: { v1: 100 },
      sh: { v2: 100 },
      failed: 0,
    });
  });
});

describe('Istio multi-primary with .global hosts (multicluster version routing)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ ...labFiles('istio-multi-primary'), background: false });
  });
  afterAll(async () => {
    await lab.stop();
  });

  test("the document's objects are on the mesh, applied through the twin's admission", () => {
    expect(lab.controlPlane.routing.serviceEntry?.('reviews.default.global')?.endpoints).toEqual([
      { address: 'c-shanghai', labels: { cluster: 'cluster2' } },
    ]);
    expect(lab.controlPlane.routing.httpRoutes('reviews')).toHaveLength(2);
  });

  test('jason sees reviews v2 and v3 50/50, both from cluster2; everyone else sees v1', async () => {
    const jason = await send(lab, 'gw-hangzhou', { 'end-user': 'jason' });
    const others = await send(lab, 'gw-hangzhou', { 'end-user': 'mary' });
    const anonymous = await send(lab, 'gw-hangzhou');
    const j = reviewsVersions(jason);
    process.stdout.write(`multi-primary, ${N} jason requests: v2 ${j.v2?.toFixed(1)}%, v3 ${j.v3?.toFixed(1)}%\n`);
    expect({ failed: jason.failed, v2: within3(j.v2, 50), v3: within3(j.v3, 50), v1: j.v1 ?? 0 }).toEqual({
      failed: 0,
      v2: true,
      v3: true,
      v1: 0,
    });
    expect(
      Object.keys(jason.served)
        .filter((k) => k.includes('/reviews/'))
        .every((k) => k.startsWith('cn-shanghai/')),
    ).toBe(true);
    expect({ others: reviewsVersions(others), anonymous: reviewsVersions(anonymous), failed: others.failed + anonymous.failed }).toEqual({
      others: { v1: 100 },
      anonymous: { v1: 100 },
      failed: 0,
    });
  });
});

describe('three regions (the storefront policy)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ ...labFiles('three-region'), background: false });
  });
  afterAll(async () => {
    await lab.stop();
  });

  test("each region's readers see their own region's reviews: v1 hangzhou, v2 shanghai, v3 beijing", async () => {
    const got: Record<string, Record<string, number>> = {};
    let failed = 0;
    for (const gw of ['gw-hangzhou', 'gw-shanghai', 'gw-beijing']) {
      const r = await send(lab, gw);
      got[gw] = reviewsVersions(r);
      failed += r.failed;
    }
    expect({ got, failed }).toEqual({
      got: { 'gw-hangzhou': { v1: 100 }, 'gw-shanghai': { v2: 100 }, 'gw-beijing': { v3: 100 } },
      failed: 0,
    });
  });
});
