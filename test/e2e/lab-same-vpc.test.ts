import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NODES } from '../../lab/k8s/resources';
import { startLab, type Lab } from '../../lab/world';
import { controlCall, sendRequests, share, waitFor } from './lab-fixture';

/**
 * The whole lab on ASM's same-VPC two-cluster Bookinfo (examples/topologies/same-vpc-two-clusters.yaml
 * and its policy): the functions run against a region with two clusters, put the mesh in failover
 * mode, and the data plane keeps each caller in its zone.
 */

let lab: Lab;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-same-vpc-'));
  lab = await startLab({
    topologyFile: 'examples/topologies/same-vpc-two-clusters.yaml',
    policyFile: 'examples/topologies/same-vpc-two-clusters.policy.yaml',
    stateFile: path.join(dir, 'state.db'),
    tickMs: 1000,
  });
});
afterAll(async () => {
  await lab.stop();
});

test('the product runs against two clusters in one region: failover mode, reviews from the caller\'s zone (m1c1), none from m1c2', async () => {
  expect(lab.controlPlane.store.scopes).toEqual(expect.arrayContaining(['m1c1', 'm1c2', 'm2c1']));
  expect(lab.controlPlane.store.list('m1c2', NODES).map((n) => n.metadata.name)).toEqual(['node-cn-hangzhou-h', 'node-cn-hangzhou-i']);
  await waitFor('failover mode', async () => ((await controlCall(lab, 'GET', '/v1/status')).json as { config: { mode: string } | null }).config?.mode === 'failover', 30_000);

  const r = await sendRequests(lab, 'gw-hangzhou', 1000);

  expect(r.failed).toBe(0);
  expect(share(r, 'reviews', 'cn-hangzhou')).toBe(100);
  expect(r.served['cn-hangzhou/reviews/v3']).toBeUndefined();
});
