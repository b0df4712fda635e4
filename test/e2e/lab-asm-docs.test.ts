import { readFileSync } from 'node:fs';
import { K8sClusterScaler } from '../../shared/adapters/scaler-k8s';
import { KubeconfigResolver } from '../../shared/adapters/kubeconfig';
import { loadPolicyYaml } from '../../shared/core/policy';
import { labBanner } from '../../lab/banner';
import { startLab, type Lab } from '../../lab/world';
import { controlCall, fastLabFiles, sendRequests, share, waitFor } from './lab-fixture';

/**
 * The ASM multi-region documents' checks ("curl 10 times and count"), made exact: regionshift and
 * the real SDKs drive the lab's ASM and Kubernetes twins over HTTP; the data plane routes by what
 * the twins hold. Background traffic and alarms are off so each behaviour is seen on its own.
 */
let lab: Lab;

/**
 * Short periods, so the suite waits on conditions rather than on the clock: the ASM twin finishes
 * an update in 300 ms (1.5 s by default) and the functions poll it and the Kubernetes twin every
 * 100 ms (3 s / 2 s by default). A mesh step still waiting when a newer plan replaces its config
 * ends skipped at its next poll; 10 s (1 m by default) bounds any other wait on the mesh (a drift
 * re-apply) that stopping the lab would wait for.
 */
const ASM_UPDATE_DELAY_MS = 300;

beforeAll(async () => {
  lab = await startLab({
    ...fastLabFiles(),
    background: false,
    asmUpdateDelayMs: ASM_UPDATE_DELAY_MS,
    pollMs: 100,
    policy: { mesh: { updateTimeout: '10s' } },
  });
});
afterAll(async () => {
  await lab.stop();
});

const reviewsLocality = () => lab.controlPlane.routing.trafficPolicy('reviews').localityLb;

test('a freshly started lab already serves the seeded failover mode: its first requests are local, not split 50/50', async () => {
  // No wait: whatever regionshift's first tick applied, the lab's first requests already go local.
  expect(reviewsLocality()?.failover).toEqual([
    { from: 'cn-hangzhou', to: 'cn-shanghai' },
    { from: 'cn-shanghai', to: 'cn-hangzhou' },
  ]);
  const hz = await sendRequests(lab, 'gw-hangzhou', 500);
  expect({ failed: hz.failed, reviewsLocal: share(hz, 'reviews', 'cn-hangzhou') }).toEqual({ failed: 0, reviewsLocal: 100 });
});

test('all healthy: regionshift puts the mesh in failover mode and local reviews are preferred', async () => {
  await waitFor('failover mode on the mesh', () => (reviewsLocality()?.failover?.length ?? 0) > 0);
  const hz = await sendRequests(lab, 'gw-hangzhou', 1000);
  const sh = await sendRequests(lab, 'gw-shanghai', 1000);
  expect({ hzFailed: hz.failed, shFailed: sh.failed }).toEqual({ hzFailed: 0, shFailed: 0 });
  // reviews v1 runs only in hangzhou and v2 only in shanghai: the version shows who served.
  expect(share(hz, 'reviews', 'cn-hangzhou')).toBe(100);
  expect(share(sh, 'reviews', 'cn-shanghai')).toBe(100);
  expect(Object.keys(hz.served).filter((k) => k.includes('/reviews/'))).toEqual(['cn-hangzhou/reviews/v1']);
});

test("a 90/10 distribute override sends ~10% of hangzhou's requests to shanghai", async () => {
  const matrix = { 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 }, 'cn-shanghai': { 'cn-shanghai': 100 } };
  const res = await controlCall(lab, 'POST', '/v1/overrides', { matrix, ttl: '30m', reason: 'ASM docs: 90/10 distribute' });
  expect(res.status).toBe(200);
  // As ASM's examples write it: bare regions.
  await waitFor(
    'distribute 90/10 live on the mesh',
    () => (reviewsLocality()?.distribute?.[0]?.to as Record<string, number> | undefined)?.['cn-shanghai'] === 10,
    30_000,
  );
  const hz = await sendRequests(lab, 'gw-hangzhou', 2000);
  expect(hz.failed).toBe(0);
  // The gateway's requests: where productpage (the entry service) served them.
  expect(Math.abs(share(hz, 'productpage', 'cn-shanghai') - 10)).toBeLessThanOrEqual(3);
  const override = (await controlCall(lab, 'GET', '/v1/status')).json.override as { id: string };
  expect((await controlCall(lab, 'DELETE', `/v1/overrides/${override.id}`)).status).toBe(200);
  await waitFor('failover mode again', () => (reviewsLocality()?.failover?.length ?? 0) > 0, 30_000);
});

test('failover on and reviews-v1 scaled to 0 in hangzhou: every hangzhou request gets reviews from shanghai', async () => {
  const resolver = new KubeconfigResolver({ sources: { 'c-hangzhou': { from: 'yaml', yaml: lab.controlPlane.kubeconfig('c-hangzhou') } } });
  const scaler = new K8sClusterScaler({ kubeconfigs: resolver.provider, pollIntervalMs: 50 });
  const ref = { cluster: 'c-hangzhou', namespace: 'default', name: 'reviews-v1' };
  await scaler.scale(ref, 0);
  expect(await scaler.get(ref)).toEqual({ replicas: 0, readyReplicas: 0, availableReplicas: 0 });
  const hz = await sendRequests(lab, 'gw-hangzhou', 2000);
  expect(hz.failed).toBe(0);
  expect(share(hz, 'reviews', 'cn-shanghai')).toBe(100);
  await scaler.scale(ref, 2);
  expect(await scaler.waitReady(ref, 2, Date.now() + 10_000)).toBe(true);
  const back = await sendRequests(lab, 'gw-hangzhou', 500);
  expect(share(back, 'reviews', 'cn-hangzhou')).toBe(100);
});

test('a scale-to-zero fault from the lab API scales reviews-v1 to 0 through the control plane, and back when cleared', async () => {
  const res = await fetch(`${lab.labUrl}/lab/v1/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'reviews', version: 'v1' }),
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  expect(lab.controlPlane.routing.replicas('c-hangzhou', 'default', 'reviews-v1')).toEqual({ desired: 0, ready: 0 });
  const hz = await sendRequests(lab, 'gw-hangzhou', 1000);
  expect({ failed: hz.failed, reviewsInShanghai: share(hz, 'reviews', 'cn-shanghai') }).toEqual({ failed: 0, reviewsInShanghai: 100 });
  expect((await fetch(`${lab.labUrl}/lab/v1/faults/${id}`, { method: 'DELETE' })).status).toBe(200);
  expect(lab.controlPlane.routing.replicas('c-hangzhou', 'default', 'reviews-v1')?.desired).toBe(2);
  await waitFor(
    'reviews-v1 ready again',
    () => lab.controlPlane.routing.replicas('c-hangzhou', 'default', 'reviews-v1')?.ready === 2,
    10_000,
  );
});

test('the banner npm start prints works against this lab: its fault commands, the status call and the dashboard link', async () => {
  const text = labBanner({
    hostUrl: lab.hostUrl,
    labUrl: lab.labUrl,
    controlUrl: lab.controlUrl,
    meshUrl: lab.controlPlane.baseUrl,
    logFile: lab.logFile,
    secrets: lab.secrets,
    functions: lab.host.functions,
    tickMs: lab.tickMs,
    policy: loadPolicyYaml(lab.policyYaml),
    now: Date.now(),
    outlierDetection: lab.outlierDetection,
  });
  const post = /curl -XPOST (\S+) -H '([^:]+): ([^']+)' -d '([^']+)'/.exec(text);
  const del = /curl -XDELETE (\S+)\/<id/.exec(text);
  const status = /curl -H 'authorization: ([^']+)' (\S+)/.exec(text);
  const dashboard = /dashboard\s+(\S+)/.exec(text);
  if (!post?.[1] || !post[2] || !post[3] || !del?.[1] || !status?.[1] || !status[2] || !dashboard?.[1])
    throw new Error(`banner without its commands:\n${text}`);
  const created = await fetch(post[1], { method: 'POST', headers: { [post[2]]: post[3] }, body: post[4] });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  expect((await fetch(`${del[1]}/${id}`, { method: 'DELETE' })).status).toBe(200);
  const st = await fetch(status[2], { headers: { authorization: status[1] } });
  expect(st.status).toBe(200);
  expect(((await st.json()) as { mesh: string }).mesh).toBe('bookinfo');
  // The link carries the read token in its fragment, as the lab page's button does.
  const link = new URL(dashboard[1]);
  expect(decodeURIComponent(link.hash.slice('#token='.length))).toBe(lab.secrets.readToken);
  expect((await fetch(link)).status).toBe(200);
  // The test lab runs the example policy without its schedules.
  expect(text).toContain('schedules (at ');
  expect(text).toMatch(/schedules \(at [^)]+\):\n {4}none\n/);
});

test('the outlier rule the banner and the README state is the one every seeded DestinationRule carries', async () => {
  const od = lab.outlierDetection;
  expect(od).toEqual({ consecutive5xxErrors: 5, interval: '5s', baseEjectionTime: '30s', maxEjectionPercent: 100 });
  for (const host of ['productpage', 'reviews', 'ratings', 'details'])
    expect(lab.controlPlane.routing.trafficPolicy(host).outlierDetection).toEqual(od);
  const text = labBanner({
    hostUrl: lab.hostUrl,
    labUrl: lab.labUrl,
    controlUrl: lab.controlUrl,
    meshUrl: lab.controlPlane.baseUrl,
    logFile: lab.logFile,
    secrets: lab.secrets,
    functions: lab.host.functions,
    tickMs: lab.tickMs,
    policy: loadPolicyYaml(lab.policyYaml),
    now: Date.now(),
    outlierDetection: od,
  });
  const line = /outlier rule\s+(.*)/.exec(text)?.[1] ?? '';
  // The lab's values first, each as seeded, then the documents' rule it departs from.
  expect(
    line.startsWith(
      Object.entries(od)
        .map(([k, v]) => `${k} ${String(v)}`)
        .join(', ') + ';',
    ),
  ).toBe(true);
  expect(line).toContain("the documents' rule is consecutive5xxErrors 1, interval 1s, baseEjectionTime 1m");
  // The README's lab section states the same values, and the documents' ones.
  const readme = readFileSync('README.md', 'utf8').replace(/\s+/g, ' ');
  expect(readme).toContain(
    `\`${Object.entries(od)
      .map(([k, v]) => `${k}: ${String(v)}`)
      .join(', ')}\``,
  );
  expect(readme).toContain('`consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m`');
});
