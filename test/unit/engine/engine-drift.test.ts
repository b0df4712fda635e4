import { parsePolicy } from '../../../shared/core/policy';
import type { MeshConfig } from '../../../shared/core/types';
import { bookinfoPolicy, downSignal, World } from './harness';

const byHand: MeshConfig = {
  mode: 'distribute',
  localityLbSetting: {
    distribute: [
      { from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 90, 'cn-shanghai/*': 10 } },
      { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
    ],
  },
};
const failover: MeshConfig = {
  mode: 'failover',
  localityLbSetting: {
    failover: [
      { from: 'cn-hangzhou', to: 'cn-shanghai' },
      { from: 'cn-shanghai', to: 'cn-hangzhou' },
    ],
  },
};

let w: World;
afterEach(() => w.cleanup());

async function driftedWorld(drift: 'reapply' | 'adopt' | 'alert') {
  const base = bookinfoPolicy();
  w = new World(parsePolicy({ ...stripDerived(base), drift }));
  const engine = w.engine();
  await w.baseline(engine);
  w.clock.advance(60_000);
  w.mesh.changeByHand(byHand);
  return engine;
}

/** The raw policy back from a parsed one (regionIds is derived, not an input field). */
function stripDerived(p: ReturnType<typeof bookinfoPolicy>): Record<string, unknown> {
  const { regionIds: _r, ...rest } = p;
  return rest;
}

const driftEvents = async () => (await w.store.listEvents('bookinfo', { limit: 100 })).filter((e) => e.kind === 'drift');

describe('drift: the live mesh config changed by hand', () => {
  it('no drift: a tick that finds the applied config live does nothing', async () => {
    w = new World();
    const engine = w.engine();
    await w.baseline(engine);
    w.clock.advance(60_000);
    expect(await engine.tick()).toMatchObject({ drift: null, resumed: [] });
    expect(w.mesh.applied).toHaveLength(1);
    expect(await driftEvents()).toEqual([]);
  });

  it("reapply within the tick's deadline: the mesh is told when the invocation's time is up", async () => {
    await driftedWorld('reapply');
    const asked: Array<number | undefined> = [];
    const apply = w.mesh.apply.bind(w.mesh);
    w.mesh.apply = ((config: MeshConfig, opts?: { deadline?: number }) => (
      asked.push(opts?.deadline),
      apply(config)
    )) as typeof w.mesh.apply;
    const deadline = w.clock.now() + 50_000;
    expect((await w.engine({ budgetMs: 600_000, deadline }).tick()).drift).toBe('reapplied');
    expect(asked).toEqual([deadline]);
  });

  it('reapply: the expected config is applied again and the drift is logged and notified', async () => {
    const engine = await driftedWorld('reapply');
    const tick = await engine.tick();
    expect(tick.drift).toBe('reapplied');
    expect(w.mesh.applied.map((a) => a.config)).toEqual([failover, failover]);
    expect(w.mesh.liveConfig).toEqual({ enabled: true, config: failover });
    const [event] = await driftEvents();
    expect(event).toMatchObject({
      actor: 'scheduler',
      detail: { live: { enabled: true, config: byHand }, expected: failover, action: 'reapply' },
    });
    expect(w.notifier.at('warning').map((n) => n.text)).toEqual([expect.stringContaining('re-applied')]);
    // Once re-applied there is nothing more to do.
    w.clock.advance(60_000);
    expect((await engine.tick()).drift).toBeNull();
  });

  it('reapply also covers locality LB switched off by hand', async () => {
    const engine = await driftedWorld('reapply');
    w.mesh.changeByHand(null, false);
    expect((await engine.tick()).drift).toBe('reapplied');
    expect(w.mesh.liveConfig).toEqual({ enabled: true, config: failover });
  });

  it('adopt: the live matrix becomes the applied one, without a mesh call, and stays', async () => {
    const engine = await driftedWorld('adopt');
    const tick = await engine.tick();
    expect({ drift: tick.drift, applied: (await w.store.load('bookinfo')).state?.applied?.matrix, applies: w.mesh.attempts.apply }).toEqual(
      {
        drift: 'adopted',
        applied: { 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
        applies: 1,
      },
    );
  });

  it('adopt: a hand edit that sends traffic back to a DOWN region is recorded, overruled and undone at once', async () => {
    w = new World(parsePolicy({ ...stripDerived(bookinfoPolicy()), drift: 'adopt' }));
    const engine = w.engine();
    await w.baseline(engine);
    await engine.ingest([downSignal(w.clock)], 'alarm');
    const drain = w.mesh.lastApplied;
    expect(drain?.mode).toBe('distribute');
    w.clock.advance(60_000);
    w.mesh.changeByHand(failover);

    const tick = await engine.tick();

    expect(tick.drift).toBe('adopt overruled');
    expect(w.mesh.liveConfig).toEqual({ enabled: true, config: drain });
    expect(w.mesh.applied).toHaveLength(3);
    const events = await w.store.listEvents('bookinfo', { limit: 100 });
    const adopt = events.find((e) => e.kind === 'decision' && e.actor === 'drift');
    expect((adopt?.detail as { reasons: string[] }).reasons[0]).toContain('adopted the live mesh config');
    expect(events.filter((e) => e.kind === 'drift')).toHaveLength(1);
    expect(w.notifier.at('warning').map((n) => n.text)).toEqual([expect.stringContaining('overruled')]);
    expect((await w.store.load('bookinfo')).state?.applied?.matrix).toEqual({
      'cn-hangzhou': { 'cn-shanghai': 100 },
      'cn-shanghai': { 'cn-shanghai': 100 },
    });
  });

  it('adopt: a config finer than regions cannot be adopted and is only alerted', async () => {
    const engine = await driftedWorld('adopt');
    w.mesh.changeByHand({
      mode: 'distribute',
      localityLbSetting: { distribute: [{ from: 'cn-hangzhou/cn-hangzhou-h/*', to: { 'cn-shanghai/*': 100 } }] },
    });
    const { version } = await w.store.load('bookinfo');
    expect((await engine.tick()).drift).toBe('alerted');
    expect((await w.store.load('bookinfo')).version).toBe(version);
    expect(w.mesh.attempts.apply).toBe(1);
    expect(w.notifier.sent.map((n) => n.text)).toEqual([expect.stringContaining('cannot adopt')]);
  });

  it('alert: only an alert, the mesh and the state are left alone', async () => {
    const engine = await driftedWorld('alert');
    const { version } = await w.store.load('bookinfo');
    const tick = await engine.tick();
    expect(tick.drift).toBe('alerted');
    expect(w.mesh.attempts.apply).toBe(1);
    expect((await w.store.load('bookinfo')).version).toBe(version);
    expect(await driftEvents()).toHaveLength(1);
    const alerts = (await w.store.listEvents('bookinfo', { limit: 100 })).filter((e) => e.kind === 'alert');
    expect(alerts).toHaveLength(1);
    expect(w.notifier.sent.map((n) => n.text)).toEqual([expect.stringContaining('left as is')]);
  });
});
