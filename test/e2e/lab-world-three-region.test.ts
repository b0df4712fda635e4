import type { Lab } from '../../lab/world';
import { sendRequests, waitFor } from './lab-fixture';
import {
  failedPercent,
  injectFault,
  runBannerLoop,
  servedShare,
  settled,
  startWorld,
  worldStatus,
  type LoopRun,
} from './lab-world-fixture';

/**
 * examples/topologies/three-region as shipped (lab time knobs turned down): the storefront
 * policy's quorum of 2 needs two distinct sources, and the world raises two for a reviews fault
 * (a CloudMonitor 5xx-ratio callback and an Alertmanager webhook from its Prometheus rule), so
 * the banner's loop drains cn-hangzhou. With three regions the world also survives a whole
 * region down (its gateway included): the other two keep serving.
 */
let lab: Lab;
let run: LoopRun;
beforeAll(async () => {
  lab = await startWorld('three-region');
  run = await runBannerLoop(lab, 'three-region');
}, 90_000);
afterAll(async () => {
  await lab.stop();
});

test('steady state: every gateway served, no drift alert', () => {
  expect(run.before).toEqual({ 'gw-hangzhou': 0, 'gw-shanghai': 0, 'gw-beijing': 0 });
  expect(run.drift).toEqual([]);
});

test("the banner's fault: two sources agree (quorum 2), cn-hangzhou is drained; its gateway fails < 5% once settled", async () => {
  expect(run.loop).toEqual({ region: 'cn-hangzhou', service: 'reviews', gateway: 'gw-hangzhou' });
  const signals = ((await worldStatus(lab)) as unknown as { activeSignals: Array<{ source: string; region: string; severity: string }> })
    .activeSignals;
  expect(
    signals
      .filter((s) => s.region === 'cn-hangzhou' && s.severity === 'down')
      .map((s) => s.source)
      .sort(),
  ).toEqual(['alertmanager', 'cms']);
  const row = run.after.matrix?.['cn-hangzhou'] ?? {};
  expect(row['cn-hangzhou'] ?? 0).toBe(0);
  expect(Object.values(row).reduce((a, b) => a + b, 0)).toBe(100);
  expect(run.failedAfter).toBeLessThan(5);
  expect(servedShare(run.served, 'productpage')['cn-hangzhou'] ?? 0).toBe(0);
});

test('then a whole region down (cn-beijing, its gateway included): held by minServingRegions; cn-hangzhou and cn-shanghai keep serving, < 5% failed', async () => {
  await injectFault(lab, { kind: 'region-down', region: 'cn-beijing' });
  await waitFor('cn-beijing DOWN', async () => (await worldStatus(lab)).health['cn-beijing']?.status === 'DOWN', 30_000, 250);
  const s = await settled(lab);
  // cn-hangzhou stays drained, and not into cn-beijing; cn-beijing is not drained as well: that
  // would leave one region serving (safety.minServingRegions: 2), and status says so.
  expect(s.matrix?.['cn-hangzhou']?.['cn-beijing'] ?? 0).toBe(0);
  expect(s.matrix?.['cn-hangzhou']?.['cn-hangzhou'] ?? 0).toBe(0);
  expect(s.refused).toContainEqual(expect.objectContaining({ rule: 'safety.minServingRegions' }));
  const hz = await sendRequests(lab, 'gw-hangzhou', 1000);
  const sh = await sendRequests(lab, 'gw-shanghai', 1000);
  process.stdout.write(
    `world three-region, cn-beijing wholly down: gw-hangzhou ${failedPercent(hz).toFixed(2)}%, gw-shanghai ${failedPercent(sh).toFixed(2)}% failed; matrix ${JSON.stringify(s.matrix)}\n`,
  );
  expect(failedPercent(hz)).toBeLessThan(5);
  expect(failedPercent(sh)).toBeLessThan(5);
}, 60_000);
