import type { PlanRecord } from '../../../shared/ports/state-store';
import { downSignal, HZ, World } from './harness';

let w: World;
beforeEach(() => {
  w = new World();
});
afterEach(() => w.cleanup());

describe('a notification that cannot be sent', () => {
  it('is journalled as failed, alerted once (not on every tick), and does not hold up the delayed scale-down', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    w.clock.advance(60_000);
    w.notifier.failNext(1);
    const [out] = await engine.ingest([downSignal(w.clock)], 'alarm');
    const planId = out!.plan.id;

    let rec = (await w.store.getPlan('bookinfo', planId)) as PlanRecord;
    expect(rec.outcomes.map((o) => o.status)).toEqual(['done', 'done', 'pending', 'failed']);
    expect(rec.outcomes[3]?.error).toContain('webhook unreachable (fake)');
    expect(rec.status).toBe('pending');
    const alerts = async () => (await engine.history({ limit: 100 })).filter((e) => e.kind === 'alert').map((e) => e.summary);
    expect(await alerts()).toEqual([
      expect.stringMatching(new RegExp(`^plan ${planId} step 4 \\(notify\\) failed.*webhook unreachable \\(fake\\)`)),
    ]);

    // Ticks before and after the scale-down falls due: no second alert, the scale-down runs, the plan ends.
    await engine.tick();
    w.clock.advance(15 * 60_000);
    await engine.tick();
    await engine.tick();
    expect(w.scaler.scaledTo(HZ)).toEqual([1]);
    rec = (await w.store.getPlan('bookinfo', planId)) as PlanRecord;
    expect(rec.outcomes.map((o) => o.status)).toEqual(['done', 'done', 'done', 'failed']);
    expect(rec.status).toBe('done');
    expect(await alerts()).toHaveLength(1);
    const steps = (await engine.history({ limit: 100 })).filter((e) => e.kind === 'step' && e.planId === planId).map((e) => e.summary);
    expect(steps).toContain('step 4/4 (notify critical) failed');
    expect(steps).not.toContain('step 4/4 (notify critical) done');
  });
});
