import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { main } from '../../cli/main';
import { MESH_SCOPE } from '../../lab/k8s/control-plane';
import { DEPLOYMENTS, DESTINATION_RULES, NODES, WORKLOAD_ENTRIES } from '../../lab/k8s/resources';
import { startLab, type Lab } from '../../lab/world';
import type { ReadinessReport } from '../../shared/readiness/checks';
import { fastLabFiles, waitFor } from './lab-fixture';

/**
 * `regionshift doctor` and `GET /v1/readiness` against the lab, through the same adapters and SDKs
 * as against the cloud: every precondition is broken in the twins (or the policy) and the matching
 * row goes to fail, then passes again once it is restored.
 */
let lab: Lab;
let dir: string;
let policyFile: string;

beforeAll(async () => {
  lab = await startLab({ ...fastLabFiles(), background: false });
  dir = mkdtempSync(path.join(tmpdir(), 'regionshift-doctor-'));
  policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, lab.policyYaml);
  // The first tick puts the mesh in failover mode with locality LB on.
  await waitFor('locality LB on the mesh', () => lab.controlPlane.asm.servedLocalityLb()?.enabled === true, 30_000);
}, 60_000);
afterAll(async () => {
  await lab.stop();
});

async function doctor(
  args: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<{ code: number; report: ReadinessReport; stderr: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['doctor', ...args, '--json'], { log: (s) => out.push(s), error: (s) => err.push(s) }, env);
  return { code, report: JSON.parse(out.join('\n')) as ReadinessReport, stderr: err };
}

const statusOf = (r: ReadinessReport) => Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
const rowOf = (r: ReadinessReport, id: string) => r.checks.find((c) => c.id === id)!;

const ALL_PASS = {
  outlierDetection: 'pass',
  handMadeLocalityLb: 'pass',
  localityLabels: 'pass',
  workloadEntryLocality: 'pass',
  localityLbEnabled: 'pass',
  capacity: 'pass',
  failoverReach: 'pass',
  signalCoverage: 'pass',
  // regionshift does not read CMS/EventBridge rules: the row says what to check by hand.
  cloudAlarmWiring: 'warn',
  stateTables: 'pass',
  clusterAccess: 'pass',
  executor: 'pass',
  // The example acknowledges that ASM's control plane shares cn-hangzhou's fate; the functions' region (FC_REGION) is set below.
  'control-plane-placement': 'warn',
};

test('the lab as started: every check passes (exit 0) and the CLI prints a row per check', async () => {
  const { code, report } = await doctor(['--policy', policyFile]);
  expect(statusOf(report)).toEqual(ALL_PASS);
  expect(code).toBe(0);
  expect(report.status).toBe('warn');
  const text: string[] = [];
  expect(await main(['doctor', '--policy', policyFile], { log: (s) => text.push(s), error: (s) => text.push(s) }, process.env)).toBe(0);
  expect(text[0]).toBe('readiness of bookinfo: WARN');
  expect(text.filter((l) => /^(PASS|WARN|FAIL) {2}/.test(l))).toHaveLength(Object.keys(ALL_PASS).length);
}, 60_000);

test('a DestinationRule without outlierDetection fails its row (exit 1), and passes once restored', async () => {
  const store = lab.controlPlane.store;
  const before = store.get(MESH_SCOPE, DESTINATION_RULES, 'default', 'reviews');
  const spec = before.spec as { trafficPolicy: { outlierDetection?: unknown } };
  store.update(MESH_SCOPE, DESTINATION_RULES, 'default', 'reviews', (cur) => ({
    ...cur,
    spec: { ...(cur.spec as object), trafficPolicy: { ...spec.trafficPolicy, outlierDetection: undefined } },
  }));
  try {
    const { code, report } = await doctor(['--policy', policyFile]);
    expect(code).toBe(1);
    expect(report.status).toBe('fail');
    expect(rowOf(report, 'outlierDetection')).toMatchObject({ status: 'fail', message: expect.stringContaining('default/reviews') });
    expect(rowOf(report, 'outlierDetection').fix).toMatch(/outlierDetection/);
  } finally {
    store.update(MESH_SCOPE, DESTINATION_RULES, 'default', 'reviews', (cur) => ({
      ...cur,
      spec: { ...(cur.spec as object), trafficPolicy: spec.trafficPolicy },
    }));
  }
  expect(rowOf((await doctor(['--policy', policyFile])).report, 'outlierDetection').status).toBe('pass');
}, 60_000);

test('a hand-made localityLbSetting on a rule fails with ASM (it overrides the mesh-wide one)', async () => {
  const store = lab.controlPlane.store;
  const original = store.get(MESH_SCOPE, DESTINATION_RULES, 'default', 'details').spec as { trafficPolicy: Record<string, unknown> };
  store.update(MESH_SCOPE, DESTINATION_RULES, 'default', 'details', (cur) => ({
    ...cur,
    spec: {
      ...(cur.spec as object),
      trafficPolicy: {
        ...original.trafficPolicy,
        loadBalancer: { localityLbSetting: { enabled: true, failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] } },
      },
    },
  }));
  try {
    const { code, report } = await doctor(['--policy', policyFile]);
    expect(code).toBe(1);
    expect(rowOf(report, 'handMadeLocalityLb')).toMatchObject({ status: 'fail', message: expect.stringContaining('default/details') });
  } finally {
    store.update(MESH_SCOPE, DESTINATION_RULES, 'default', 'details', (cur) => ({
      ...cur,
      spec: { ...(cur.spec as object), trafficPolicy: original.trafficPolicy },
    }));
  }
  expect(statusOf((await doctor(['--policy', policyFile])).report)).toEqual(ALL_PASS);
}, 60_000);

test('a node stripped of its region label fails localityLabels, and passes once relabelled', async () => {
  const store = lab.controlPlane.store;
  const node = store.get('c-shanghai', NODES, '', 'node-cn-shanghai-e');
  const labels = { ...node.metadata.labels };
  const { ['topology.kubernetes.io/region']: _gone, ...stripped } = labels;
  store.update('c-shanghai', NODES, '', 'node-cn-shanghai-e', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: stripped } }));
  try {
    const { code, report } = await doctor(['--policy', policyFile]);
    expect(code).toBe(1);
    expect(rowOf(report, 'localityLabels')).toMatchObject({
      status: 'fail',
      message: 'c-shanghai/node-cn-shanghai-e has no topology.kubernetes.io/region',
    });
  } finally {
    store.update('c-shanghai', NODES, '', 'node-cn-shanghai-e', (cur) => ({ ...cur, metadata: { ...cur.metadata, labels } }));
  }
  expect(rowOf((await doctor(['--policy', policyFile])).report, 'localityLabels').status).toBe('pass');
}, 60_000);

test('a WorkloadEntry without a locality fails workloadEntryLocality (exit 1); given one, it passes; a bad locality is refused by the twin', async () => {
  const mesh = lab.controlPlane.k8sUrl(MESH_SCOPE);
  // An operator's own token on the mesh's API server (RBAC reduced to a grant: this one may do anything).
  lab.controlPlane.access.grant('doctor-test-operator', { subject: 'operator' });
  const auth = { authorization: 'Bearer doctor-test-operator', 'content-type': 'application/json' };
  const base = `${mesh}/apis/networking.istio.io/v1beta1/namespaces/vms/workloadentries`;
  // Over HTTP, as kubectl would create it: the twin validates the body as Istio's webhook does.
  const created = await fetch(base, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      apiVersion: 'networking.istio.io/v1beta1',
      kind: 'WorkloadEntry',
      metadata: { name: 'reviews-vm' },
      spec: { address: '10.1.2.3', labels: { app: 'reviews' } },
    }),
  });
  expect(created.status).toBe(201);
  try {
    const { code, report } = await doctor(['--policy', policyFile]);
    expect(code).toBe(1);
    expect(rowOf(report, 'workloadEntryLocality')).toMatchObject({
      status: 'fail',
      message: 'vms/reviews-vm has no locality',
      fix: expect.stringContaining('spec.locality'),
    });
    const listed = (await (await fetch(`${mesh}/apis/networking.istio.io/v1/workloadentries`, { headers: auth })).json()) as {
      items: Array<{ metadata: { name: string } }>;
    };
    expect(listed.items.map((i) => i.metadata.name)).toEqual(['reviews-vm']);

    const badPatch = await fetch(`${base}/reviews-vm`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { locality: 'cn-shanghai/a/b/c' } }),
    });
    expect(badPatch.status).toBe(422);
    expect(((await badPatch.json()) as { message: string }).message).toContain('spec.locality');

    lab.controlPlane.store.update(MESH_SCOPE, WORKLOAD_ENTRIES, 'vms', 'reviews-vm', (cur) => ({
      ...cur,
      spec: { ...(cur.spec as object), locality: 'cn-shanghai/cn-shanghai-e' },
    }));
    const fixed = await doctor(['--policy', policyFile]);
    expect(rowOf(fixed.report, 'workloadEntryLocality')).toMatchObject({
      status: 'pass',
      message: '1 WorkloadEntry(s), each with a locality in a declared region',
    });
    expect(statusOf(fixed.report)).toEqual(ALL_PASS);
    expect(fixed.code).toBe(0);
  } finally {
    const gone = await fetch(`${base}/reviews-vm`, { method: 'DELETE', headers: auth });
    expect(gone.status).toBe(200);
  }
  lab.controlPlane.access.revoke('doctor-test-operator');
  expect(lab.controlPlane.store.list(MESH_SCOPE, WORKLOAD_ENTRIES)).toEqual([]);
  expect(rowOf((await doctor(['--policy', policyFile])).report, 'workloadEntryLocality')).toMatchObject({
    status: 'pass',
    message: expect.stringContaining('no WorkloadEntry'),
  });
}, 60_000);

test('locality LB switched off in ASM fails localityLbEnabled, and passes once switched on', async () => {
  lab.controlPlane.asm.setLocalityLbEnabled(false);
  try {
    const { code, report } = await doctor(['--policy', policyFile]);
    expect(code).toBe(1);
    expect(rowOf(report, 'localityLbEnabled')).toMatchObject({ status: 'fail', message: expect.stringContaining('disabled') });
  } finally {
    lab.controlPlane.asm.setLocalityLbEnabled(true);
  }
  expect(rowOf((await doctor(['--policy', policyFile])).report, 'localityLbEnabled').status).toBe('pass');
}, 60_000);

test('a max too low to absorb a drain fails capacity; the policy as it was passes', async () => {
  const policy = parseYaml(lab.policyYaml) as {
    scaling: { deployments: Array<{ name: string; regions: Record<string, { max: number }> }> };
  };
  // Draining hangzhou sends all reviews to v2 in shanghai: 2 replicas x 2 (twice the traffic) x 1.2 headroom = 5.
  policy.scaling.deployments.find((d) => d.name === 'reviews-v2')!.regions['cn-shanghai']!.max = 4;
  const lowered = path.join(dir, 'lowered.yaml');
  writeFileSync(lowered, stringifyYaml(policy));
  const { code, report } = await doctor(['--policy', lowered]);
  expect(code).toBe(1);
  expect(rowOf(report, 'capacity')).toMatchObject({
    status: 'fail',
    message: 'draining cn-hangzhou: c-shanghai/default/reviews-v2 in cn-shanghai needs 5 replicas, max 4',
  });
  expect(rowOf((await doctor(['--policy', policyFile])).report, 'capacity').status).toBe('pass');
}, 60_000);

test('a deployment gone from its cluster fails clusterAccess, and passes once it is back', async () => {
  const store = lab.controlPlane.store;
  const gone = store.delete('c-hangzhou', DEPLOYMENTS, 'default', 'details-v1');
  try {
    const { code, report } = await doctor(['--policy', policyFile]);
    expect(code).toBe(1);
    expect(rowOf(report, 'clusterAccess')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('c-hangzhou/default/details-v1'),
    });
  } finally {
    store.create('c-hangzhou', DEPLOYMENTS, 'default', {
      metadata: { name: gone.metadata.name, labels: gone.metadata.labels },
      spec: gone.spec,
    });
  }
  expect(rowOf((await doctor(['--policy', policyFile])).report, 'clusterAccess').status).toBe('pass');
}, 60_000);

test('an executor name FC does not know fails the executor row (GetFunction 404); nothing is invoked', async () => {
  const { code, report } = await doctor(['--policy', policyFile], { ...process.env, REGIONSHIFT_EXECUTOR_FUNCTION: 'no-such-executor' });
  expect(code).toBe(1);
  expect(rowOf(report, 'executor')).toMatchObject({ status: 'fail', message: expect.stringContaining('FunctionNotFound') });
  expect(rowOf((await doctor(['--policy', policyFile])).report, 'executor').status).toBe('pass');
}, 60_000);

test('GET /v1/readiness answers the same rows to the read token, and 401 without it', async () => {
  const url = `${lab.hostUrl}/control/v1/readiness`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${lab.secrets.readToken}` } });
  expect(res.status).toBe(200);
  const report = (await res.json()) as ReadinessReport;
  expect(statusOf(report)).toEqual(ALL_PASS);
  // The control function knows its own region (the FC context's, as s.yaml deploys it): the row
  // places the functions instead of warning that FC_REGION is unset.
  expect(rowOf(report, 'control-plane-placement').message).toContain('functions in cn-beijing');
  expect(rowOf(report, 'control-plane-placement').message).toContain('shared fate acknowledged for cn-hangzhou');
  expect(rowOf(report, 'control-plane-placement').message).not.toContain('unset');
  lab.controlPlane.asm.setLocalityLbEnabled(false);
  try {
    const broken = (await (await fetch(url, { headers: { authorization: `Bearer ${lab.secrets.readToken}` } })).json()) as ReadinessReport;
    expect(rowOf(broken, 'localityLbEnabled').status).toBe('fail');
  } finally {
    lab.controlPlane.asm.setLocalityLbEnabled(true);
  }
  expect((await fetch(url)).status).toBe(401);
}, 60_000);

test('control-plane-placement: functions in a steered region fail the row (exit 1); outside, only the acknowledged ASM region warns', async () => {
  const inside = await doctor(['--policy', policyFile], { ...process.env, FC_REGION: 'cn-shanghai' });
  expect(inside.code).toBe(1);
  expect(rowOf(inside.report, 'control-plane-placement')).toMatchObject({
    status: 'fail',
    message: expect.stringContaining('functions in cn-shanghai'),
  });
  const outside = await doctor(['--policy', policyFile], { ...process.env, FC_REGION: 'cn-beijing' });
  expect(rowOf(outside.report, 'control-plane-placement')).toMatchObject({
    status: 'warn',
    message: expect.stringContaining('shared fate acknowledged for cn-hangzhou'),
  });
});
