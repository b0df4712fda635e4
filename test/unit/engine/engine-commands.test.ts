import type { ControlCommand } from '../../../shared/core/types';
import type { PlanRecord } from '../../../shared/ports/state-store';
import { HZ, SH, World } from './harness';

let w: World;
beforeEach(() => {
  w = new World();
});
afterEach(() => w.cleanup());

/** An elective shift: half of hangzhou's traffic to shanghai, so shanghai must grow first. */
const halfToShanghai: ControlCommand = {
  kind: 'override',
  actor: 'sre',
  reason: 'maintenance',
  matrix: { 'cn-hangzhou': { 'cn-hangzhou': 50, 'cn-shanghai': 50 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
};

describe('dry run', () => {
  it('decides and explains but commits, applies and records nothing', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    const { version } = await w.store.load('bookinfo');
    const events = (await engine.history({ limit: 100 })).length;

    const out = await engine.command(halfToShanghai, { dryRun: true });

    expect(out).toMatchObject({ committed: false, executed: 0, handedOff: false });
    expect(out.plan.steps.map((s) => s.kind)).toEqual(['scale', 'mesh', 'scale']);
    expect(out.explain.join('\n')).toContain('mesh → distribute');
    expect((await w.store.load('bookinfo')).version).toBe(version);
    expect(await engine.history({ limit: 100 })).toHaveLength(events);
    expect(await w.store.listOpenPlans('bookinfo')).toEqual([]);
    expect(w.mesh.applied).toHaveLength(1);
    expect(w.scaler.scaleCalls).toEqual([]);
  });
});

describe('handoff of a plan that waits for readiness', () => {
  it('is committed and handed off, not run inline; execute() then scales, waits for ready pods and shifts', async () => {
    const handedOff: string[] = [];
    const engine = w.engine({ handoff: async (id) => void handedOff.push(id) });
    await w.baseline(engine);

    const out = await engine.command(halfToShanghai, { dryRun: false });

    expect(out).toMatchObject({ committed: true, executed: 0, handedOff: true });
    expect(handedOff).toEqual([out.plan.id]);
    expect(out.plan.steps[0]).toMatchObject({ kind: 'scale', cluster: 'c-shanghai', from: 2, to: 4, waitReady: true });
    expect(w.scaler.scaleCalls).toEqual([]);
    expect(w.mesh.applied).toHaveLength(1);

    const t = w.clock.now();
    const rec = (await engine.execute(out.plan.id)) as PlanRecord;
    expect(w.scaler.scaledTo(SH)).toEqual([4]);
    // The shift went out only once the new pods were ready (readiness takes 20s in this world).
    expect(w.mesh.applied[1]?.at).toBe(t + 20_000);
    expect(w.mesh.lastApplied).toEqual(out.plan.after?.config);
    expect(rec.outcomes.map((o) => o.status)).toEqual(['done', 'done', 'pending']);
    expect(rec.plan.steps[2]).toMatchObject({ kind: 'scale', cluster: 'c-hangzhou', to: 1 });
    expect(w.scaler.scaledTo(HZ)).toEqual([]);
  });

  it('a failed handoff does not fail the command: an alert says so and the next tick runs the plan', async () => {
    const engine = w.engine({ handoff: async () => Promise.reject(new Error('InvokeFunction throttled')) });
    await w.baseline(engine);

    const out = await engine.command(halfToShanghai, { dryRun: false });

    expect(out).toMatchObject({ committed: true, executed: 0, handedOff: false });
    expect(w.notifier.at('warning').map((n) => n.text)).toEqual([
      expect.stringContaining('could not be handed to the executor (InvokeFunction throttled)'),
    ]);
    w.clock.advance(60_000);
    const tick = await engine.tick();
    expect(tick.resumed).toEqual([out.plan.id]);
    expect(w.scaler.scaledTo(SH)).toEqual([4]);
    expect(w.mesh.lastApplied).toEqual(out.plan.after?.config);
  });

  it('without a handoff function the same plan runs inline', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    const out = await engine.command(halfToShanghai, { dryRun: false });
    expect(out).toMatchObject({ committed: true, executed: 2, handedOff: false });
    expect(w.mesh.lastApplied?.mode).toBe('distribute');
  });

  it('a DOWN drain is never handed off: it does not wait for readiness', async () => {
    const handedOff: string[] = [];
    const engine = w.engine({ handoff: async (id) => void handedOff.push(id) });
    await w.baseline(engine);
    const [out] = await engine.ingest(
      [{ key: 'k', source: 'cms', region: 'cn-hangzhou', severity: 'down', status: 'firing', at: w.clock.now(), ttl: 600_000 }],
      'alarm',
    );
    expect(out).toMatchObject({ committed: true, handedOff: false });
    expect(handedOff).toEqual([]);
    expect(w.mesh.lastApplied?.mode).toBe('distribute');
  });
});
