import type { Lab } from '../../lab/world';
import { runBannerLoop, servedShare, startWorld, type LoopRun } from './lab-world-fixture';

/**
 * examples/topologies/cross-region-two-clusters (the ASM multi-region Bookinfo, the default
 * world's shape) as shipped, with the lab's time knobs turned down (lab-world-fixture): the
 * banner's loop, reviews down in cn-hangzhou, drains cn-hangzhou into cn-shanghai, which runs
 * all of Bookinfo, and hangzhou's readers are served there.
 */
let lab: Lab;
let run: LoopRun;
beforeAll(async () => {
  lab = await startWorld('cross-region-two-clusters');
  run = await runBannerLoop(lab, 'cross-region-two-clusters');
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
  expect(servedShare(run.served, 'productpage')).toEqual({ 'cn-shanghai': 100 });
});
