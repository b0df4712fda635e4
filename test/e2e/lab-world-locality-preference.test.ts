import type { Lab } from '../../lab/world';
import { runBannerLoop, servedShare, startWorld, type LoopRun } from './lab-world-fixture';

/**
 * examples/topologies/locality-preference as shipped (lab time knobs turned down): in
 * cn-hangzhou reviews-v1 runs in zone h only and reviews-v3 in zone i only; the gateway enters
 * in zone h, so healthy readers see v1. The banner's fault takes reviews down in both zones of
 * cn-hangzhou: the region is DOWN and drained into cn-shanghai, which runs all of Bookinfo.
 */
let lab: Lab;
let run: LoopRun;
beforeAll(async () => {
  lab = await startWorld('locality-preference');
  run = await runBannerLoop(lab, 'locality-preference');
}, 90_000);
afterAll(async () => {
  await lab.stop();
});

test('steady state: every gateway served, no drift alert', () => {
  expect(run.before).toEqual({ 'gw-hangzhou': 0, 'gw-shanghai': 0 });
  expect(run.drift).toEqual([]);
});

test("the banner's fault drains cn-hangzhou into cn-shanghai; hangzhou's gateway fails < 5% once settled", () => {
  expect(run.loop).toEqual({ region: 'cn-hangzhou', service: 'reviews', gateway: 'gw-hangzhou' });
  expect(run.after.matrix?.['cn-hangzhou']).toEqual({ 'cn-shanghai': 100 });
  expect(run.after.refused).toEqual([]);
  expect(run.failedAfter).toBeLessThan(5);
  // Neither zone's reviews serves: v3 in zone i is down too, so the drain, not the zone, serves.
  expect(servedShare(run.served, 'reviews')).toEqual({ 'cn-shanghai': 100 });
});
