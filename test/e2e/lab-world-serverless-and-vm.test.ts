import { DEPLOYMENTS } from '../../lab/k8s/resources';
import type { Lab } from '../../lab/world';
import { waitFor } from './lab-fixture';
import { runBannerLoop, servedShare, startWorld, type LoopRun } from './lab-world-fixture';

/**
 * examples/topologies/serverless-and-vm as shipped (lab time knobs turned down): cn-hangzhou's
 * reviews run on ASK (ECI pods) and a VM, cn-shanghai's reviews-v2 on an external cluster
 * (idc-shanghai) whose kubeconfig the policy reads from IDC_SHANGHAI_KUBECONFIG. The lab sets
 * that variable to its twin's kubeconfig, so the drain's scale-up of reviews-v2 there works with
 * nothing set by hand.
 */
let lab: Lab;
let run: LoopRun;
const replicas = (cluster: string, name: string) =>
  (lab.controlPlane.store.get(cluster, DEPLOYMENTS, 'default', name).spec as { replicas: number }).replicas;
beforeAll(async () => {
  delete process.env.IDC_SHANGHAI_KUBECONFIG;
  lab = await startWorld('serverless-and-vm');
  run = await runBannerLoop(lab, 'serverless-and-vm');
}, 90_000);
afterAll(async () => {
  await lab.stop();
});

test("the lab sets the external cluster's kubeconfig variable for the functions and the doctor command", () => {
  expect(lab.kubeconfigEnv).toEqual([{ cluster: 'idc-shanghai', variable: 'IDC_SHANGHAI_KUBECONFIG' }]);
  const kubeconfig = JSON.parse(lab.doctorEnv.IDC_SHANGHAI_KUBECONFIG ?? 'null') as { clusters: Array<{ cluster: { server: string } }> };
  expect(kubeconfig.clusters[0]?.cluster.server).toBe(`${lab.controlPlane.baseUrl}/k8s/idc-shanghai`);
});

test('steady state: every gateway served, no drift alert', () => {
  expect(run.before).toEqual({ 'gw-hangzhou': 0, 'gw-shanghai': 0 });
  expect(run.drift).toEqual([]);
});

test("the banner's fault drains cn-hangzhou into cn-shanghai, scaling reviews-v2 on the external cluster first; hangzhou fails < 5%", async () => {
  expect(run.loop).toEqual({ region: 'cn-hangzhou', service: 'reviews', gateway: 'gw-hangzhou' });
  expect(run.after.matrix?.['cn-hangzhou']).toEqual({ 'cn-shanghai': 100 });
  expect(run.failedAfter).toBeLessThan(5);
  expect(servedShare(run.served, 'reviews')).toEqual({ 'cn-shanghai': 100 });
  // Twice the load in cn-shanghai: reviews-v2 on idc-shanghai scaled above its 2 normal replicas,
  // through the kubeconfig the lab put in IDC_SHANGHAI_KUBECONFIG.
  await waitFor('reviews-v2 scaled on idc-shanghai', () => replicas('idc-shanghai', 'reviews-v2') > 2, 10_000);
  expect(replicas('c-shanghai', 'productpage-v1')).toBeGreaterThan(2);
});
