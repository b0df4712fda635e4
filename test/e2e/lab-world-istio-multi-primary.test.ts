import type { Lab } from '../../lab/world';
import { failedPercent, runBannerLoop, servedShare, startWorld, type LoopRun } from './lab-world-fixture';

/**
 * examples/topologies/istio-multi-primary as shipped (lab time knobs turned down): cluster1
 * (cn-hangzhou) runs Bookinfo with reviews-v1; cluster2 (cn-shanghai) runs reviews v2/v3 (jason's,
 * through `reviews.default.global`) and a standby productpage, details and reviews-v1. The
 * banner's fault (reviews down in cn-hangzhou) drains cn-hangzhou into cluster2 and its readers
 * are served there, jason's still by v2/v3. Without the standby copy, the target guard held
 * cn-hangzhou (no productpage in cn-shanghai) and 100% of gw-hangzhou's requests failed.
 */
let lab: Lab;
let run: LoopRun;
beforeAll(async () => {
  lab = await startWorld('istio-multi-primary');
  run = await runBannerLoop(lab, 'istio-multi-primary');
}, 90_000);
afterAll(async () => {
  await lab.stop();
});

test('steady state: the gateway served, no drift alert', () => {
  expect(run.before).toEqual({ 'gw-hangzhou': 0 });
  expect(run.drift).toEqual([]);
});

test("reviews down in cn-hangzhou: drained into cluster2; hangzhou's gateway fails < 5% once settled, jason still sees v2/v3", async () => {
  expect(run.loop).toEqual({ region: 'cn-hangzhou', service: 'reviews', gateway: 'gw-hangzhou' });
  expect(run.after.matrix?.['cn-hangzhou']).toEqual({ 'cn-shanghai': 100 });
  expect(run.after.refused).toEqual([]);
  expect(run.failedAfter).toBeLessThan(5);
  expect(servedShare(run.served, 'productpage')).toEqual({ 'cn-shanghai': 100 });
  expect(servedShare(run.served, 'reviews')).toEqual({ 'cn-shanghai': 100 });
  const res = await fetch(`${lab.labUrl}/lab/v1/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ gateway: 'gw-hangzhou', count: 1000, headers: { 'end-user': 'jason' } }),
  });
  const jason = (await res.json()) as Parameters<typeof failedPercent>[0];
  process.stdout.write(
    `world istio-multi-primary, drained: jason ${failedPercent(jason).toFixed(2)}% failed, served ${JSON.stringify(jason.served)}\n`,
  );
  expect(failedPercent(jason)).toBeLessThan(5);
  expect(
    Object.keys(jason.served)
      .filter((k) => k.includes('/reviews/'))
      .sort(),
  ).toEqual(['cn-shanghai/reviews/v2', 'cn-shanghai/reviews/v3']);
});
