import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startLab, type Lab } from '../../lab/world';
import { controlCall, sendRequests, waitFor } from './lab-fixture';

/**
 * Istio multi-primary as shipped: productpage runs in cn-hangzhou only. The README's fault
 * (reviews down in cn-hangzhou) used to drain everything into cn-shanghai, which has no
 * productpage: every request a 503 for ~130 s. The target guard reads that cn-shanghai has no
 * productpage and holds (a drain there would fail every request, jason's included).
 * Alarm rules at 2-s periods so the test takes seconds.
 */
let lab: Lab;
beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-world-mp-'));
  const policy = parseYaml(readFileSync('examples/topologies/istio-multi-primary.policy.yaml', 'utf8')) as Record<string, unknown>;
  delete policy.schedules;
  const topology = parseYaml(readFileSync('examples/topologies/istio-multi-primary.yaml', 'utf8')) as { deployments: Array<Record<string, unknown>>; alarms: Array<Record<string, unknown>> };
  for (const d of topology.deployments) d.startupDelay = '1s';
  for (const a of topology.alarms) {
    a.period = '2s';
    if (a.periods !== undefined) a.periods = 2;
  }
  writeFileSync(path.join(dir, 'policy.yaml'), stringifyYaml(policy));
  writeFileSync(path.join(dir, 'topology.yaml'), stringifyYaml(topology));
  lab = await startLab({ topologyFile: path.join(dir, 'topology.yaml'), policyFile: path.join(dir, 'policy.yaml'), stateFile: path.join(dir, 'state.db'), tickMs: 1000 });
});
afterAll(async () => {
  await lab.stop();
});

type Status = { health: Record<string, { status: string }>; matrix: Record<string, Record<string, number>> | null; refused?: Array<{ rule: string; message: string }> };
const status = async () => (await controlCall(lab, 'GET', '/v1/status')).json as unknown as Status;

test('reviews down in cn-hangzhou: no drain into a region without productpage; status says why', async () => {
  await waitFor('the normal matrix applied', async () => (await status()).matrix !== null, 20_000);
  const res = await fetch(`${lab.labUrl}/lab/v1/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' }) });
  expect(res.status).toBe(201);
  await waitFor('cn-hangzhou DOWN', async () => (await status()).health['cn-hangzhou']?.status === 'DOWN', 30_000, 250);
  await new Promise((r) => setTimeout(r, 4000));
  const s = await status();
  // Held: hangzhou's traffic is not sent to a region that has no productpage, and status says why.
  expect(s.matrix?.['cn-hangzhou']).toEqual({ 'cn-hangzhou': 100 });
  expect(s.refused).toContainEqual({ rule: 'safety.doNoHarm', message: expect.stringContaining('productpage (no Deployment of it placed in cn-shanghai)') });
  const served = await sendRequests(lab, 'gw-hangzhou', 2000);
  const failedShare = served.failed / (served.ok + served.failed);
  process.stdout.write(`multi-primary, reviews down in cn-hangzhou: ${(failedShare * 100).toFixed(1)}% of gw-hangzhou's requests failed once held\n`);
  // Printed, not asserted: this world's VirtualService sends everyone but jason to reviews v1, which
  // runs in cn-hangzhou only, so no routing serves them while v1 is down (the world's own problem).
});
