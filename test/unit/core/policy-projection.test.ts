import { decide } from '../../../shared/core/decide';
import { projectMatrix, projectOntoPolicy } from '../../../shared/core/policy-projection';
import type { MeshState, TrafficMatrix } from '../../../shared/core/types';
import { BJ, HZ, M, SH, T0, command, configOf, deploymentKey, fire, notify, policy2, policy3, started, tick } from './fixtures';

/**
 * State committed under one policy, decided under another: what the policy no longer declares is
 * dropped (and said so), so the decision never trips over a region, a service or a deployment
 * that is gone.
 */

/** Three regions, cn-beijing DOWN and drained, an override draining it, its scale entry grown. */
function threeRegionState(): MeshState {
  const d = started(policy3());
  d.feed(T0 + M, fire('cms|bj', BJ, 'down'));
  d.feed(T0 + 2 * M, command({ kind: 'override', actor: 'sre', drain: [BJ], reason: 'bj maintenance', ttl: 3_600_000 }));
  const state = d.state as MeshState;
  if (state.health[BJ]?.status !== 'DOWN' || !state.override) throw new Error('fixture: bj not drained');
  // As the executor records it once the mesh step returned.
  state.meshConfirmed = {
    matrix: state.applied?.matrix as TrafficMatrix,
    config: configOf(policy3(), state.applied?.matrix as TrafficMatrix),
    planId: 'bookinfo-000002',
    at: T0 + M,
    decidedAt: T0 + M,
  };
  return state;
}

describe('projectMatrix', () => {
  test.each<[string, TrafficMatrix, TrafficMatrix]>([
    [
      'rows and columns of a removed region go; a row left empty serves itself',
      { [HZ]: { [BJ]: 100 }, [SH]: { [SH]: 50, [BJ]: 50 }, [BJ]: { [BJ]: 100 } },
      { [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } },
    ],
    [
      'a row is renormalised over the regions left (largest remainder)',
      { [HZ]: { [HZ]: 50, [SH]: 25, [BJ]: 25 }, [SH]: { [SH]: 100 }, [BJ]: { [BJ]: 100 } },
      { [HZ]: { [HZ]: 67, [SH]: 33 }, [SH]: { [SH]: 100 } },
    ],
    ['a region added gets a row of its own', { [HZ]: { [HZ]: 100 } }, { [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } }],
  ])('%s', (_what, m, expected) => {
    expect(projectMatrix(m, [HZ, SH])).toEqual(expected);
  });
});

describe('projectOntoPolicy', () => {
  test('a state that fits the policy is the same object, with no note', () => {
    const state = started(policy2()).state;
    expect(projectOntoPolicy(policy2(), state)).toEqual({ state, notes: [] });
    expect(projectOntoPolicy(policy2(), state).state).toBe(state);
    expect(projectOntoPolicy(policy2(), null)).toEqual({ state: null, notes: [] });
  });

  test('three regions onto two: every trace of cn-beijing goes, each named in a note', () => {
    const prev = threeRegionState();
    const before = JSON.stringify(prev);
    const { state, notes } = projectOntoPolicy(policy2(), prev);
    expect(JSON.stringify(prev)).toBe(before); // the stored state is not touched
    expect(notes).toEqual([
      'policy changed: region cn-beijing removed; its health is dropped',
      'policy changed: 1 active signal of a removed region dropped (cms|bj)',
      `policy changed: deployment ${deploymentKey(BJ)} no longer scaled; its scale entry is dropped`,
      'policy changed: override ovr-3 cleared: it names removed region cn-beijing',
      'policy changed: the applied mesh config names other regions than the policy declares; it is rendered and applied afresh for cn-hangzhou, cn-shanghai',
    ]);
    const confirmed = { [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } };
    expect(state).toEqual({
      ...prev,
      signals: {},
      health: { [HZ]: prev.health[HZ], [SH]: prev.health[SH] },
      override: null,
      applied: null,
      scale: { [deploymentKey(HZ)]: prev.scale[deploymentKey(HZ)], [deploymentKey(SH)]: prev.scale[deploymentKey(SH)] },
      meshConfirmed: { ...prev.meshConfirmed, matrix: confirmed, config: configOf(policy2(), confirmed) },
    });
  });

  test('the decision after it re-renders the mesh for the regions left, the notes first and notified', () => {
    const prev = threeRegionState();
    const d = decide(policy2(), prev, tick, T0 + 3 * M);
    expect(d.plan.reasons.slice(0, 5)).toEqual(projectOntoPolicy(policy2(), prev).notes);
    expect(d.plan.before).toBeNull();
    expect(d.plan.after?.matrix).toEqual({ [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } });
    expect(d.plan.steps.find((s) => s.kind === 'mesh')).toEqual({
      kind: 'mesh',
      config: configOf(policy2(), { [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } }),
      matrix: { [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } },
    });
    expect(d.plan.steps.at(-1)).toEqual(
      notify('warning', "policy changed: region cn-beijing removed; its health is dropped (+4 more, see the plan's reasons)"),
    );
    expect(d.explain[1]).toBe('  policy changed: region cn-beijing removed; its health is dropped');
    expect(d.state.seq).toBe(prev.seq + 1);
    expect(Object.keys(d.state.health)).toEqual([HZ, SH]);
    // Nothing is left to project: the next decision is an ordinary one.
    expect(projectOntoPolicy(policy2(), d.state).notes).toEqual([]);
  });

  test('a state with nothing left to act on but a dropped scale entry still records the note in a plan', () => {
    const prev = started(policy2()).state as MeshState;
    const withGone = { ...prev, scale: { ...prev.scale, 'c-hangzhou/bookinfo/retired-v1': { replicas: 4 } } };
    const d = decide(policy2(), withGone, tick, T0 + M);
    expect(d.plan.reasons[0]).toBe(
      'policy changed: deployment c-hangzhou/bookinfo/retired-v1 no longer scaled; its scale entry is dropped',
    );
    expect(d.plan.steps).toEqual([
      notify('warning', 'policy changed: deployment c-hangzhou/bookinfo/retired-v1 no longer scaled; its scale entry is dropped'),
    ]);
    expect(d.state.scale).toEqual(prev.scale);
    expect(d.state.seq).toBe(prev.seq + 1);
    expect(d.plan.id).toBe(`bookinfo-${String(prev.seq + 1).padStart(6, '0')}`);
  });

  test("two regions onto three: the applied matrix lacks cn-beijing's row, so the config is rendered afresh", () => {
    const prev = started(policy2()).state as MeshState;
    const d = decide(policy3(), prev, tick, T0 + M);
    expect(d.plan.reasons[0]).toBe(
      'policy changed: the applied mesh config names other regions than the policy declares; it is rendered and applied afresh for cn-hangzhou, cn-shanghai, cn-beijing',
    );
    expect(d.plan.after?.matrix).toEqual({ [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 }, [BJ]: { [BJ]: 100 } });
    expect(Object.keys(d.state.health)).toEqual([HZ, SH, BJ]);
  });
});

describe('scoped services renamed', () => {
  const scopes = (services: string[]) => ({
    scopes: { entry: ['productpage'], services: Object.fromEntries(services.map((s) => [s, {}])) },
  });
  const REVIEWS = 'reviews.default.svc.cluster.local';

  test('reviews renamed to reviews-v2: its health, clock, override and per-host rule go', () => {
    const before = policy2(scopes(['productpage', 'reviews']));
    const d = started(before);
    d.feed(T0 + M, command({ kind: 'override', actor: 'sre', service: 'reviews', drain: [HZ], reason: 'canary', ttl: 3_600_000 }));
    const prev = d.state as MeshState;
    expect(Object.keys(prev.applied?.scopes ?? {})).toEqual([REVIEWS]);
    const after = policy2(scopes(['productpage', 'reviews-v2']));
    const { state, notes } = projectOntoPolicy(after, prev);
    expect(notes).toEqual([
      'policy changed: scoped service reviews removed; its health per region is dropped',
      'policy changed: override ovr-2 cleared: it names service reviews, no longer scoped',
      `policy changed: the applied mesh config has per-host rules for ${REVIEWS}, no longer scoped; it is rendered and applied afresh for cn-hangzhou, cn-shanghai`,
    ]);
    expect(Object.keys(state?.serviceHealth?.[HZ] ?? {})).toEqual(['productpage']);
    expect(state?.scopeClock?.[REVIEWS]).toBeUndefined();
    expect(state?.override).toBeNull();
    const next = decide(after, prev, tick, T0 + 2 * M);
    expect(next.plan.after?.scopes ?? {}).toEqual({});
    expect(Object.keys(next.state.serviceHealth?.[HZ] ?? {}).sort()).toEqual(['productpage', 'reviews-v2']);
  });
});
