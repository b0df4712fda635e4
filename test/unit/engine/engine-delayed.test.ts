import type { Engine } from '../../../shared/engine/engine';
import type { PlanRecord } from '../../../shared/ports/state-store';
import { downSignal, HZ, World } from './harness';

let w: World;
beforeEach(() => {
  w = new World();
});
afterEach(() => w.cleanup());

const MIN = 60_000;

async function drained(engine: Engine): Promise<{ id: string; t0: number }> {
  await w.baseline(engine);
  const t0 = w.clock.now();
  const [out] = await engine.ingest([downSignal(w.clock)], 'alarm');
  return { id: out!.plan.id, t0 };
}

/** Tick once a minute until `until` (virtual time), as the scheduler's timer does. */
async function tickEveryMinute(engine: Engine, until: number): Promise<Array<Awaited<ReturnType<Engine['tick']>>>> {
  const ticks = [];
  while (w.clock.now() + MIN <= until) {
    w.clock.advance(MIN);
    ticks.push(await engine.tick());
  }
  return ticks;
}

describe('delayed scale-down', () => {
  it('runs on the first tick after notBefore, not before, and finishes the plan', async () => {
    const engine = w.engine();
    const { id, t0 } = await drained(engine);
    const rec = (await w.store.getPlan('bookinfo', id)) as PlanRecord;
    const step = rec.plan.steps[2];
    expect(step).toMatchObject({ kind: 'scale', cluster: 'c-hangzhou', to: 1, notBefore: t0 + 15 * MIN });

    const before = await tickEveryMinute(engine, t0 + 14 * MIN);
    expect(before.flatMap((t) => t.resumed)).toEqual([]);
    expect(w.scaler.scaledTo(HZ)).toEqual([]);

    w.clock.set(t0 + 15 * MIN);
    const tick = await engine.tick();
    expect(tick.resumed).toEqual([id]);
    expect(w.scaler.scaledTo(HZ)).toEqual([1]);
    const done = (await w.store.getPlan('bookinfo', id)) as PlanRecord;
    expect(done.status).toBe('done');
    expect(done.outcomes[2]).toEqual({ status: 'done', at: t0 + 15 * MIN, attempts: 1 });
    expect((await w.store.load('bookinfo')).state?.scale[HZ]).toEqual({ replicas: 1 });
  });

  it('is skipped as superseded when hangzhou got its traffic back before notBefore', async () => {
    const engine = w.engine();
    const { id, t0 } = await drained(engine);
    w.clock.advance(MIN);
    await engine.ingest([downSignal(w.clock, { status: 'resolved' })], 'alarm');

    // Hold 5m, then recovery steps 25/50/100% two minutes apart: healthy again well before 15m.
    await tickEveryMinute(engine, t0 + 14 * MIN);
    const { state } = await w.store.load('bookinfo');
    expect(state?.health['cn-hangzhou']?.status).toBe('HEALTHY');
    expect(state?.scale[HZ]).toEqual({ replicas: 2 });
    expect(w.mesh.lastApplied?.mode).toBe('failover');

    w.clock.set(t0 + 15 * MIN);
    await engine.tick();
    const rec = (await w.store.getPlan('bookinfo', id)) as PlanRecord;
    expect(rec.status).toBe('done');
    expect(rec.outcomes[2]).toMatchObject({ status: 'skipped', error: expect.stringContaining('cancelled') });
    expect(w.scaler.scaledTo(HZ)).toEqual([]);
    expect(w.scaler.status(HZ)).toEqual({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
  });
});
