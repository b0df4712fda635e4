import type { PlanRecord } from '../../../shared/ports/state-store';
import { CrashingStateStore, ProcessDied } from '../../../lab/fakes';
import { downSignal, World } from './harness';

let w: World;
beforeEach(() => {
  w = new World();
});
afterEach(() => w.cleanup());

/**
 * Instance A dies right after journaling the scale step; the scheduler (instance B) finds the
 * plan once A's lease has lapsed and finishes it:
 *
 *   A: commit ─ lease(t0..t0+budget+30s) ─ scale ✓ recorded ─ ✗ dies (lease still held)
 *   B: tick at t0+10s: lease live → leaves it
 *   B: tick after the lease: lease taken ─ scale (done, not rerun) ─ mesh ✓ once
 */
describe('crash safety', () => {
  it('a plan whose executor died mid-way is resumed at the mesh step once its lease lapses, and applied exactly once', async () => {
    const scheduler = w.engine({ owner: 'fc-scheduler', budgetMs: 20_000 });
    await w.baseline(scheduler);
    const dying = new CrashingStateStore(w.store, (c) => c.op === 'recordStep' && c.index === 0 && c.outcome.status === 'done');
    const a = w.engine({ owner: 'fc-a', store: dying, budgetMs: 20_000 });
    const t0 = w.clock.now();

    await expect(a.ingest([downSignal(w.clock)], 'alarm')).rejects.toBeInstanceOf(ProcessDied);
    expect(dying.crashed).toBe(true);

    const [open] = await w.store.listOpenPlans('bookinfo');
    const id = (open as PlanRecord).plan.id;
    expect(open).toMatchObject({ status: 'pending', leaseOwner: 'fc-a', leaseUntil: t0 + 20_000 + 30_000 });
    expect(open?.outcomes.map((o) => o.status)).toEqual(['done', 'pending', 'pending', 'pending']);
    expect(w.mesh.applied).toHaveLength(1);

    w.clock.advance(10_000);
    const early = await scheduler.tick();
    expect(early.resumed).toEqual([]);
    expect(w.mesh.applied).toHaveLength(1);
    expect((await w.store.getPlan('bookinfo', id))?.leaseOwner).toBe('fc-a');

    w.clock.set(t0 + 50_001);
    const scalesBefore = w.scaler.scaleCalls.length;
    const late = await scheduler.tick();
    expect(late.resumed).toEqual([id]);
    expect(w.mesh.applied).toHaveLength(2);
    expect(w.mesh.lastApplied?.mode).toBe('distribute');
    // The journaled scale step was not run again.
    expect(w.scaler.scaleCalls.length).toBe(scalesBefore);
    const rec = (await w.store.getPlan('bookinfo', id)) as PlanRecord;
    expect(rec.outcomes.map((o) => o.status)).toEqual(['done', 'done', 'pending', 'done']);
    expect(rec.leaseOwner).toBeNull();

    // Later ticks do not apply it again.
    w.clock.advance(60_000);
    await scheduler.tick();
    expect(w.mesh.applied).toHaveLength(2);
  });

  it('an executor that read the plan before another finished it does not run it again', async () => {
    // B reads the plan (pending), then A runs it to the end and releases the lease, then B
    // takes the now free lease: B must see that the plan is done, not replay its stale copy.
    //
    //   B: getPlan (pending) ─────────────────────── acquireLease ✓ ─ ? replays steps
    //   A:        ─ lease ─ scale ─ mesh ─ done ─ release
    const a = w.engine({ owner: 'fc-a', handoff: async () => undefined });
    await w.baseline(a);
    // An elective shift: its first step waits for readiness, so `command` hands it off.
    const out = await a.command(
      {
        kind: 'override',
        matrix: { 'cn-hangzhou': { 'cn-hangzhou': 50, 'cn-shanghai': 50 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
        actor: 'sre',
      },
      { dryRun: false },
    );
    expect(out.handedOff).toBe(true);
    const id = out.plan.id;

    let releaseB: () => void = () => undefined;
    const bMayTakeLease = new Promise<void>((r) => (releaseB = r));
    const slowStore = new Proxy(w.store, {
      get(target, prop, receiver) {
        if (prop === 'acquireLease') {
          return async (...args: Parameters<typeof target.acquireLease>) => {
            await bMayTakeLease;
            return target.acquireLease(...args);
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
      },
    });
    const b = w.engine({ owner: 'fc-b', store: slowStore });

    const bRun = b.execute(id);
    const aRec = await a.execute(id);
    expect(aRec?.outcomes.map((o) => o.status)).toEqual(['done', 'done', 'pending']);
    const applies = w.mesh.applied.length;
    const scales = w.scaler.scaleCalls.length;
    releaseB();
    await bRun;

    expect(w.mesh.applied.length).toBe(applies);
    expect(w.scaler.scaleCalls.length).toBe(scales);
  });
});
