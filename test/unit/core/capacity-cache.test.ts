import { capacityShortfall, capacityShortfalls, scaleNeeds } from '../../../shared/core/capacity';
import { initialState } from '../../../shared/core/decide';
import type { TrafficMatrix } from '../../../shared/core/types';
import { HZ, SH, hzDrained2, identity2, policy2 } from './fixtures';

/**
 * decide asks for the scale needs of several matrices per decision; what they read from the
 * policy alone (normal inbound shares, deployment keys) is derived once per policy object. These
 * pin that the derived part never outlives what it was derived from, and that the shortfall of
 * several targets at once is the shortfall of each, concatenated, each deployment once.
 */
describe('scale needs derived once per policy', () => {
  const half: TrafficMatrix = { [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } };

  test('a policy whose normal matrix or scaling is replaced is derived again', () => {
    const p = policy2();
    const state = initialState(p);
    const first = scaleNeeds(p, state, hzDrained2);
    // The same object given another normal matrix: what is normal (and needs no extra replicas) changes.
    const moved = policy2();
    scaleNeeds(moved, state, hzDrained2);
    moved.normal = hzDrained2;
    expect(scaleNeeds(moved, state, hzDrained2)).not.toEqual(first);
    expect(scaleNeeds(moved, state, hzDrained2)).toEqual(scaleNeeds({ ...moved }, state, hzDrained2));
    const bigger = {
      ...p,
      scaling: {
        ...p.scaling,
        deployments: p.scaling.deployments.map((d) => ({
          ...d,
          regions: Object.fromEntries(Object.entries(d.regions).map(([r, c]) => [r, { ...c, max: c.max + 7 }])),
        })),
      },
    };
    expect(scaleNeeds(bigger, state, hzDrained2).map((n) => n.max)).toEqual(first.map((n) => n.max + 7));
    // And the first policy still answers as it did.
    expect(scaleNeeds(p, state, hzDrained2)).toEqual(first);
  });

  test('the replicas read from the state are never cached', () => {
    const p = policy2();
    const state = initialState(p);
    const before = scaleNeeds(p, state, identity2);
    const key = before[0]?.key as string;
    state.scale[key] = { replicas: 9 };
    expect(scaleNeeds(p, state, identity2)[0]?.current).toBe(9);
  });

  test.each([
    ['both targets short', [hzDrained2, half]],
    ['one target short', [identity2, hzDrained2]],
    ['none short', [identity2, identity2]],
  ] as const)(
    'capacityShortfalls over several targets = each capacityShortfall, concatenated, first entry per deployment (%s)',
    (_name, tos) => {
      // max 2 everywhere: a drain of cn-hangzhou cannot fit in cn-shanghai.
      const p = policy2();
      const tight = {
        ...p,
        scaling: {
          ...p.scaling,
          deployments: p.scaling.deployments.map((d) => ({
            ...d,
            regions: Object.fromEntries(Object.entries(d.regions).map(([r, c]) => [r, { ...c, max: 2 }])),
          })),
        },
      };
      const state = initialState(tight);
      const each = tos.flatMap((to) => capacityShortfall(tight, state, identity2, to));
      const expected = each.filter((n, i) => each.findIndex((o) => o.key === n.key) === i);
      expect(capacityShortfalls(tight, state, identity2, tos)).toEqual(expected);
      if (tos[1] === hzDrained2) expect(expected.length).toBeGreaterThan(0);
    },
  );
});
