import type { PlanRecord } from '../../../shared/ports/state-store';
import { downSignal, HZ, SH, World } from './harness';

let w: World;
beforeEach(() => {
  w = new World();
});
afterEach(() => w.cleanup());

describe('a DOWN signal', () => {
  it('commits one plan, scales shanghai up before draining hangzhou in one mesh call, and journals every step', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    w.clock.advance(60_000);
    const t0 = w.clock.now();
    const [out] = await engine.ingest([downSignal(w.clock)], 'alarm');

    expect(out?.committed).toBe(true);
    expect(out?.handedOff).toBe(false);
    const plan = out!.plan;
    expect(
      plan.steps.map((s) => (s.kind === 'scale' ? `scale ${s.cluster} ${s.from}->${s.to}${s.notBefore ? ' delayed' : ''}` : s.kind)),
    ).toEqual(['scale c-shanghai 2->5', 'mesh', 'scale c-hangzhou 2->1 delayed', 'notify']);

    // The mesh got the drain as one distribute config, after the scale-up.
    expect(w.mesh.applied).toHaveLength(2);
    expect(w.mesh.lastApplied).toEqual({
      mode: 'distribute',
      localityLbSetting: {
        distribute: [
          { from: 'cn-hangzhou/*', to: { 'cn-shanghai/*': 100 } },
          { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
        ],
      },
    });
    expect(w.scaler.scaledTo(SH)).toEqual([5]);
    // The scale-down of hangzhou waits for scaleDownDelay; the DOWN notification does not wait for it.
    expect(w.scaler.scaledTo(HZ)).toEqual([]);
    expect(w.notifier.at('critical').map((n) => n.text)).toEqual([expect.stringContaining('cn-hangzhou HEALTHY → DOWN')]);

    const rec = (await w.store.getPlan('bookinfo', plan.id)) as PlanRecord;
    expect(rec.status).toBe('pending');
    expect(rec.outcomes.map((o) => o.status)).toEqual(['done', 'done', 'pending', 'done']);
    expect(rec.outcomes[1]).toEqual({ status: 'done', at: t0, attempts: 1 });
    expect(rec.dueAt).toBe(t0 + 15 * 60_000);
    expect(rec.leaseOwner).toBeNull();

    const history = await engine.history({ limit: 10 });
    const mine = history.filter((e) => e.at === t0).reverse();
    // The three steps that ran are audited too (the timeline reads their outcomes from the log); the delayed scale-down is not yet.
    expect(mine.map((e) => [e.kind, e.actor, e.planId])).toEqual([
      ['signal', 'alarm', undefined],
      ['decision', 'alarm', plan.id],
      ['step', 'fc-a', plan.id],
      ['step', 'fc-a', plan.id],
      ['step', 'fc-a', plan.id],
    ]);
    expect(mine.slice(2).map((e) => (e.detail as { index: number; status: string }).index)).toEqual([0, 1, 3]);
    expect(mine[0]?.summary).toBe('cms|hz-5xx firing (cn-hangzhou down)');
    expect((mine[1]?.detail as { reasons: string[] }).reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/^cn-hangzhou HEALTHY → DOWN: .*cms\|hz-5xx/)]),
    );
    expect((await engine.status()).health['cn-hangzhou']?.status).toBe('DOWN');
  });
});
