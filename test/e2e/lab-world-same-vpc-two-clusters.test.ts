import { NODES } from '../../lab/k8s/resources';
import type { Lab } from '../../lab/world';
import { controlCall, sendRequests, share, waitFor } from './lab-fixture';
import { runBannerLoop, servedShare, startWorld } from './lab-world-fixture';

/**
 * The whole lab on ASM's same-VPC two-cluster Bookinfo (examples/topologies/same-vpc-two-clusters.yaml
 * and its policy, lab time knobs turned down): the functions run against a region with two
 * clusters, put the mesh in failover mode, and the data plane keeps each caller in its zone;
 * the banner's fault (reviews down in cn-hangzhou, both clusters) drains cn-hangzhou into
 * cn-shanghai, which runs all of Bookinfo.
 */

let lab: Lab;

beforeAll(async () => {
  lab = await startWorld('same-vpc-two-clusters');
});
afterAll(async () => {
  await lab.stop();
});

test("the product runs against two clusters in one region: failover mode, reviews from the caller's zone (m1c1), none from m1c2", async () => {
  expect(lab.controlPlane.store.scopes).toEqual(expect.arrayContaining(['m1c1', 'm1c2', 'm2c1']));
  expect(lab.controlPlane.store.list('m1c2', NODES).map((n) => n.metadata.name)).toEqual(['node-cn-hangzhou-h', 'node-cn-hangzhou-i']);
  await waitFor(
    'failover mode',
    async () => ((await controlCall(lab, 'GET', '/v1/status')).json as { config: { mode: string } | null }).config?.mode === 'failover',
    30_000,
  );

  const r = await sendRequests(lab, 'gw-hangzhou', 1000);

  expect(r.failed).toBe(0);
  expect(share(r, 'reviews', 'cn-hangzhou')).toBe(100);
  expect(r.served['cn-hangzhou/reviews/v3']).toBeUndefined();
});

test("the banner's fault drains cn-hangzhou into cn-shanghai; hangzhou's gateway fails < 5% once settled; no drift alert", async () => {
  const run = await runBannerLoop(lab, 'same-vpc-two-clusters');
  expect(run.before).toEqual({ 'gw-hangzhou': 0, 'gw-shanghai': 0 });
  expect(run.drift).toEqual([]);
  expect(run.loop).toEqual({ region: 'cn-hangzhou', service: 'reviews', gateway: 'gw-hangzhou' });
  expect(run.after.matrix?.['cn-hangzhou']).toEqual({ 'cn-shanghai': 100 });
  expect(run.after.refused).toEqual([]);
  expect(run.failedAfter).toBeLessThan(5);
  expect(servedShare(run.served, 'reviews')).toEqual({ 'cn-shanghai': 100 });
}, 90_000);
