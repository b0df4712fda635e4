import { parsePolicy } from '../../../shared/core/policy';
import type { MeshConfig, MeshState, TrafficMatrix } from '../../../shared/core/types';
import type { DecisionOutcome } from '../../../shared/engine/api';
import { checkDrift, driftRepairSupersededBy, scopesDifference, type DriftDeps } from '../../../shared/engine/drift';
import type { ExecutorDeps } from '../../../shared/engine/executor';
import { bookinfoPolicy, downSignal, World } from './harness';

/**
 * The drift module on its own: detect, then reapply / adopt / alert, with the engine left out
 * (its `adopt` is a function given here). The engine's drift table (engine-drift.test.ts) runs
 * the same through a tick.
 */

const byHand: MeshConfig = {
  mode: 'distribute',
  localityLbSetting: {
    distribute: [
      { from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 90, 'cn-shanghai/*': 10 } },
      { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
    ],
  },
};
const byHandMatrix: TrafficMatrix = { 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 }, 'cn-shanghai': { 'cn-shanghai': 100 } };
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

async function world(drift: 'reapply' | 'adopt' | 'alert'): Promise<World> {
  const { regionIds: _r, ...raw } = bookinfoPolicy();
  w = new World(parsePolicy({ ...raw, drift }));
  await w.baseline(w.engine());
  w.clock.advance(60_000);
  return w;
}

function deps(adopted: TrafficMatrix[] = []): DriftDeps {
  const exec: ExecutorDeps = {
    meshName: 'bookinfo',
    policy: w.policy,
    store: w.store,
    meshControl: w.mesh,
    scaler: w.scaler,
    notifier: w.notifier,
    clock: w.clock,
    owner: 'fc-drift',
    budgetMs: 20_000,
    log: (l) => w.log.push(l),
    random: () => 0.5,
  };
  return {
    exec,
    audit: { store: w.store, clock: w.clock, log: exec.log },
    adopt: async (matrix) => {
      adopted.push(matrix);
      // The decision this stands for overrules the adoption: it records nothing.
      return { plan: { id: 'bookinfo-000009' }, explain: ['t', 'layer normal'] } as unknown as DecisionOutcome;
    },
  };
}

const deadline = () => w.clock.now() + 30_000;

describe('checkDrift', () => {
  it('the applied config live: nothing to do, no audit line, no alert', async () => {
    await world('reapply');
    expect(await checkDrift(deps(), deadline())).toBeNull();
    expect(w.mesh.applied).toHaveLength(1);
    expect(w.notifier.sent).toEqual([]);
  });

  it('a plan whose mesh step is still open is not drift: the mesh is not even read', async () => {
    await world('reapply');
    w.mesh.failNext(1000, 'throttle');
    const outcome = await w.engine({ budgetMs: 2_000, random: () => 0.5 }).ingest([downSignal(w.clock)], 'cms');
    expect(outcome[0]?.committed).toBe(true);
    expect((await w.store.listOpenPlans('bookinfo')).length).toBe(1);
    w.mesh.changeByHand(byHand);
    const reads = w.mesh.attempts.read;
    expect(await checkDrift(deps(), deadline())).toBeNull();
    expect(w.mesh.attempts.read).toBe(reads);
  });

  it('a mesh that cannot be read: no verdict, logged, the next tick tries again', async () => {
    await world('reapply');
    w.mesh.changeByHand(byHand);
    w.mesh.failNext(1, 'throttle', 'read');
    expect(await checkDrift(deps(), deadline())).toBeNull();
    expect(w.log.some((l) => l.msg === 'drift check could not read the mesh')).toBe(true);
    expect(w.mesh.applied).toHaveLength(1);
  });

  it('reapply: the applied config goes back, a drift line is audited and a warning sent', async () => {
    await world('reapply');
    w.mesh.changeByHand(byHand);
    expect(await checkDrift(deps(), deadline())).toBe('reapplied');
    expect(w.mesh.liveConfig).toEqual({ enabled: true, config: failover });
    const drift = (await w.store.listEvents('bookinfo', { limit: 50 })).filter((e) => e.kind === 'drift');
    expect(drift).toHaveLength(1);
    expect(w.notifier.sent.map((n) => n.level)).toEqual(['warning']);
  });

  it('reapply that fails for good: alerted critical, left for the next tick', async () => {
    await world('reapply');
    w.mesh.changeByHand(byHand);
    w.mesh.failNext(1, 'reject');
    expect(await checkDrift(deps(), deadline())).toBe('reapply failed');
    expect(w.notifier.sent.map((n) => n.level)).toEqual(['critical']);
    expect(w.mesh.liveConfig.config).toEqual(byHand);
  });

  it('adopt: the live matrix is handed to the decision; overruled when the state does not take it', async () => {
    await world('adopt');
    w.mesh.changeByHand(byHand);
    const adopted: TrafficMatrix[] = [];
    expect(await checkDrift(deps(adopted), deadline())).toBe('adopt overruled');
    expect(adopted).toEqual([byHandMatrix]);
    expect(w.notifier.sent[0]?.text).toContain('plan bookinfo-000009 moves it back');
  });

  it('alert: nothing is changed, the operator is told', async () => {
    await world('alert');
    w.mesh.changeByHand(byHand);
    expect(await checkDrift(deps(), deadline())).toBe('alerted');
    expect(w.mesh.applied).toHaveLength(1);
    expect(w.notifier.sent[0]?.text).toContain('left as is (drift: alert)');
  });
});

describe('driftRepairSupersededBy', () => {
  const m: TrafficMatrix = { a: { a: 100 } };
  const repairing = { matrix: m, at: 1000 };
  const state = (over: Partial<MeshState>) => ({ applied: repairing, meshConfirmed: null, ...over }) as MeshState;
  it.each<[string, MeshState | null, string | null]>([
    ['the state unreadable: still wanted', null, null],
    [
      'the same applied, confirmed as of it: still wanted',
      state({ meshConfirmed: { matrix: m, config: failover, planId: null, at: 1500, decidedAt: 1000 } }),
      null,
    ],
    ['a newer decision applied', state({ applied: { matrix: m, at: 2000 } }), 'a newer plan was decided'],
    ['another matrix at the same time', state({ applied: { matrix: { a: { b: 100 } }, at: 1000 } }), 'a newer plan was decided'],
    [
      'a newer decision confirmed on the mesh',
      state({ meshConfirmed: { matrix: m, config: failover, planId: 'p', at: 3000, decidedAt: 2000 } }),
      'a newer plan was confirmed on the mesh',
    ],
  ])('%s', (_name, s, why) => {
    expect(driftRepairSupersededBy(repairing, s)).toBe(why);
  });
});

describe('scopesDifference', () => {
  it('names hosts changed, missing and not ours; null when they match', () => {
    expect(scopesDifference({ a: failover, c: failover }, { a: byHand, b: byHand })).toBe('a changed, b missing, c not applied by us');
    expect(scopesDifference({ a: failover }, { a: failover })).toBeNull();
  });
});
