import { decide } from '../../../shared/core/decide';
import type { MeshState, RegionHealth, ScopedRouting } from '../../../shared/core/types';
import { statusView } from '../../../shared/engine/status';
import { HZ, SH, T0, configOf, hzDrained2, identity2, policy2, tick } from '../core/fixtures';
import { World } from './harness';

/**
 * Status with service scopes: the hosts routed apart from the default, intended next to
 * confirmed, and per-service health. States are built directly (the decision that produces
 * scopes is tested with the core); what is checked here is what status makes of them.
 */

const policy = policy2();
const REVIEWS = 'reviews.default.svc.cluster.local';
const DETAILS = 'details.default.svc.cluster.local';
const scoped = (m = hzDrained2): ScopedRouting => ({ [REVIEWS]: { matrix: m, config: configOf(policy, m) } });

function baseline(): MeshState {
  const s = decide(policy, null, tick, T0).state;
  // The mesh confirmed the baseline (as the plan's mesh step does).
  return { ...s, meshConfirmed: { matrix: identity2, config: configOf(policy, identity2), planId: 'p-1', at: T0, decidedAt: T0 } };
}

function withScopes(intended: ScopedRouting | undefined, confirmed: ScopedRouting | undefined): MeshState {
  const s = baseline();
  return {
    ...s,
    applied: { matrix: identity2, at: T0 + 1000, ...(intended ? { scopes: intended } : {}) },
    meshConfirmed: { ...s.meshConfirmed!, ...(confirmed ? { scopes: confirmed } : {}) },
  };
}

const degraded: RegionHealth = { status: 'DEGRADED', since: T0 + 5000, clearSince: null, hold: 60_000, causes: ['cms|hz-reviews-5xx'] };

describe('statusView: service scopes', () => {
  test('a state without scopes or service health: no scopes or serviceHealth keys at all (the status of today)', () => {
    const view = statusView(policy, baseline(), 3, [], [], T0);
    expect(view).not.toHaveProperty('scopes');
    expect(view).not.toHaveProperty('serviceHealth');
    expect(view.shifting).toBe(false);
    // Empty maps are the same as none.
    const empty = statusView(policy, { ...withScopes({}, {}), serviceHealth: { [HZ]: {} } }, 3, [], [], T0);
    expect(empty).not.toHaveProperty('scopes');
    expect(empty).not.toHaveProperty('serviceHealth');
  });

  test('a scope the mesh confirmed: intended and confirmed with matrix and mode, not shifting; the default stays as it is', () => {
    const view = statusView(policy, withScopes(scoped(), scoped()), 3, [], [], T0);
    expect(view.scopes).toEqual({
      [REVIEWS]: {
        intended: { matrix: hzDrained2, mode: 'distribute' },
        confirmed: { matrix: hzDrained2, mode: 'distribute' },
        shifting: false,
      },
    });
    expect(view.matrix).toEqual(identity2);
    expect(view.config?.mode).toBe('failover');
    expect(view.shifting).toBe(false);
  });

  test('a scope decided but not yet on the mesh: that scope and the status are shifting, though the default matrix is confirmed', () => {
    const view = statusView(policy, withScopes(scoped(), undefined), 3, [], [], T0);
    expect(view.scopes?.[REVIEWS]).toEqual({ intended: { matrix: hzDrained2, mode: 'distribute' }, confirmed: null, shifting: true });
    expect(view.intended?.matrix).toEqual(view.matrix);
    expect(view.shifting).toBe(true);
  });

  test('a scope whose matrix differs between intended and confirmed is shifting; one being removed shows intended null', () => {
    const half = { [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } };
    const view = statusView(
      policy,
      withScopes(scoped(hzDrained2), { ...scoped(half), [DETAILS]: { matrix: hzDrained2, config: configOf(policy, hzDrained2) } }),
      3,
      [],
      [],
      T0,
    );
    expect(view.scopes?.[REVIEWS]).toMatchObject({ intended: { matrix: hzDrained2 }, confirmed: { matrix: half }, shifting: true });
    expect(view.scopes?.[DETAILS]).toEqual({ intended: null, confirmed: { matrix: hzDrained2, mode: 'distribute' }, shifting: true });
    expect(Object.keys(view.scopes ?? {})).toEqual([DETAILS, REVIEWS]);
    expect(view.shifting).toBe(true);
  });

  test('an override or drill naming a scoped service shows it; one naming none has no service key', () => {
    const override = { id: 'ovr-1', drain: [HZ], force: false, reason: 'r', actor: 'alice', createdAt: T0, expiresAt: T0 + 3_600_000 };
    const drill = {
      id: 'drill-1',
      region: HZ,
      severity: 'down' as const,
      actor: 'bob',
      startedAt: T0,
      endsAt: T0 + 900_000,
      reason: 'game day',
    };
    const named = statusView(
      policy,
      { ...baseline(), override: { ...override, service: 'reviews' }, drill: { ...drill, service: 'reviews' } } as MeshState,
      3,
      [],
      [],
      T0,
    );
    expect(named.override).toMatchObject({ id: 'ovr-1', service: 'reviews', drain: [HZ] });
    expect(named.drill).toMatchObject({ id: 'drill-1', region: HZ, service: 'reviews' });
    const plain = statusView(policy, { ...baseline(), override, drill }, 3, [], [], T0);
    expect(plain.override).not.toHaveProperty('service');
    expect(plain.drill).not.toHaveProperty('service');
  });

  test('per-service health per region, with since as ISO and causes', () => {
    const view = statusView(policy, { ...baseline(), serviceHealth: { [HZ]: { reviews: degraded }, [SH]: {} } }, 3, [], [], T0);
    expect(view.serviceHealth).toEqual({
      [HZ]: { reviews: { status: 'DEGRADED', since: new Date(T0 + 5000).toISOString(), causes: ['cms|hz-reviews-5xx'] } },
    });
  });
});

describe('engine status: scopes from the stored state', () => {
  let w: World;
  beforeEach(() => {
    w = new World();
  });
  afterEach(() => w.cleanup());

  test('the engine reads scopes and service health from the state row it loads', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    const before = await engine.status();
    expect(before).not.toHaveProperty('scopes');
    expect(before.shifting).toBe(false);
    const { version, state } = await w.store.load(w.policy.name);
    const m = hzDrained2;
    const base = state!;
    await w.store.commit(
      w.policy.name,
      version,
      {
        ...base,
        applied: { matrix: identity2, at: T0, scopes: { [REVIEWS]: { matrix: m, config: configOf(w.policy, m) } } },
        serviceHealth: { [HZ]: { reviews: degraded } },
      },
      null,
      [],
    );
    const after = await engine.status();
    expect(after.scopes?.[REVIEWS]).toMatchObject({ intended: { matrix: m, mode: 'distribute' }, confirmed: null, shifting: true });
    expect(after.serviceHealth?.[HZ]?.reviews?.status).toBe('DEGRADED');
    expect(after.shifting).toBe(true);
  });
});
