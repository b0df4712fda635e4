import type { MeshConfig, TrafficMatrix } from '../../../shared/core/types';
import { ASM_UPDATE_DELAY_MS } from '../../contract/mesh-control-lab';
import { asmTwinWorld, bookinfoPolicy, HeldClock, throttledOnceAfter, World } from './harness';

/**
 * A drift repair (policy drift: reapply) overtaken while it waits for ASM, with the real adapter
 * over HTTP against the ASM twin and the SQLite store:
 *
 *   D (tick): live ≠ applied ─ Update(failover) ─ poll (updating) ─ … held …       ─ poll ─ ?
 *   B:            override 90/10 ─ commit ─ wait D's rollout ─ Update(B) ─ poll … done
 *
 * D's poll is held (its adapter's clock parks it) from its first poll until B's update is sent,
 * so B commits and overwrites the repair before D looks again whatever the machine's speed. ASM
 * never reports D's config after that: without the superseded check the repair polled to
 * updateTimeout, alerted, and its retry could re-send the older config over B's.
 */

const POLL_MS = 3_000;
const UPDATE_TIMEOUT_MS = 60_000;
/** The scheduler function's time for one tick (its budget); the drift check shares it. */
const TICK_BUDGET_MS = 590_000;
const OVERRIDE: TrafficMatrix = { 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 }, 'cn-shanghai': { 'cn-shanghai': 100 } };

const w = asmTwinWorld(bookinfoPolicy({ drift: 'reapply' }), {
  pollMs: POLL_MS,
  updateTimeoutMs: UPDATE_TIMEOUT_MS,
  budgetMs: TICK_BUDGET_MS,
});

test('a drift repair whose config a newer plan replaced while it polled ends at its next poll: no timeout, no alert, no stale re-send', async () => {
  await w.engine('fc-scheduler').tick();
  expect(w.updates()).toHaveLength(1);
  // Someone switches locality LB off in the console, once the baseline's rollout is over.
  w.clock.advance(ASM_UPDATE_DELAY_MS);
  w.cp.asm.setLocalityLbEnabled(false);

  const held = new HeldClock(w.clock);
  held.hold();
  const d = w.engine('fc-drift', held);
  // When D's tick ends, on the virtual clock (B goes on polling its own rollout after it).
  const tickD = d.tick().then((r) => ({ ...r, endedAt: w.clock.now() }));
  await held.parked;
  expect(w.updates()).toHaveLength(2);
  const tUpdateD = (w.updates()[1] as { at: number }).at;
  // Released the moment the twin accepts B's UpdateMeshFeature.
  const real = w.cp.asm.handle.bind(w.cp.asm);
  w.cp.asm.handle = (req) => {
    const reply = real(req);
    if (w.updates().length === 3) held.open();
    return reply;
  };

  const outB = await w.engine('fc-b').command({ kind: 'override', matrix: OVERRIDE, force: true, actor: 'sre' }, { dryRun: false });
  const { drift, endedAt } = await tickD;
  const took = endedAt - tUpdateD;
  process.stdout.write(
    `drift repair: ended ${took} ms (virtual) after its UpdateMeshFeature as '${drift}'; ${w.updates().length} UpdateMeshFeature in all\n`,
  );

  expect(drift).toBe('reapply superseded');
  // It ended at the poll after B's update (B first waited out the repair's 5 s rollout), well
  // inside the 60 s updateTimeout it used to poll to.
  expect(took).toBeLessThanOrEqual(ASM_UPDATE_DELAY_MS + 2 * POLL_MS);
  // No alert and no notification above info for a repair a newer plan made moot.
  const events = await w.file.open().listEvents('bookinfo', { limit: 200 });
  expect(events.filter((e) => e.kind === 'alert')).toEqual([]);
  expect(w.notifier.sent.filter((n) => n.level !== 'info')).toEqual([]);
  expect(w.log).toContainEqual(expect.objectContaining({ msg: 'drift re-apply superseded', why: 'a newer plan was decided' }));
  // The older config was never sent again: the mesh serves B's override, as the state says.
  expect(w.updates()).toHaveLength(3);
  expect(w.cp.asm.servedLocalityLb()?.distribute?.length).toBeGreaterThan(0);
  const { state } = await w.file.open().load('bookinfo');
  expect(state?.meshConfirmed?.planId).toBe(outB.plan.id);
});

test('a drift repair retried after a backoff in which a newer plan took over is not re-sent', async () => {
  const w = new World(bookinfoPolicy({ drift: 'reapply' }), { readyDelayMs: 0 });
  try {
    await w.baseline(w.engine({ owner: 'fc-scheduler' }));
    w.clock.advance(60_000);
    const byHand: MeshConfig = {
      mode: 'distribute',
      localityLbSetting: {
        distribute: [
          { from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 50, 'cn-shanghai/*': 50 } },
          { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
        ],
      },
    };
    w.mesh.changeByHand(byHand);
    const b = w.engine({ owner: 'fc-b' });
    // The repair's first UpdateMeshFeature is throttled; before its retry, B commits and applies its own matrix.
    const throttledOnce = throttledOnceAfter(w.mesh, () =>
      b.command({ kind: 'override', matrix: OVERRIDE, force: true, actor: 'sre' }, { dryRun: false }),
    );
    const appliedBefore = w.mesh.applied.length;
    const { drift } = await w.engine({ owner: 'fc-drift', meshControl: throttledOnce, random: () => 0.5 }).tick();
    expect(drift).toBe('reapply superseded');
    // B's apply only: the repair's older failover config never reached the mesh.
    expect(w.mesh.applied.slice(appliedBefore).map((x) => x.config.mode)).toEqual(['distribute']);
    expect(w.mesh.lastApplied?.mode).toBe('distribute');
    expect(w.notifier.sent.filter((n) => n.level !== 'info')).toEqual([]);
  } finally {
    await w.cleanup();
  }
});
