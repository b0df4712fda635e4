import type { Input, Plan } from '../../../shared/core/types';
import {
  AM,
  HZ,
  M,
  S,
  SH,
  T0,
  cause,
  command,
  deploymentKey,
  fire,
  hzDrained2,
  identity2,
  mesh,
  notify,
  planId,
  policy2,
  scaleDown,
  scaleUp,
  scaling,
  started,
  tick,
  view,
} from './fixtures';

const T1 = T0 + 10 * M;

describe('scaling around a mesh change', () => {
  const m50 = { [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } };
  test.each<[string, Input, Plan['steps']]>([
    [
      'an elective shift (DEGRADED) waits for the new replicas to be ready',
      fire('am-1', HZ, 'degraded', AM),
      [scaleUp(SH, 2, 4, true), mesh(policy2(), m50), scaleDown(HZ, 2, 1, T1 + 15 * M)],
    ],
    [
      'a manual drain waits for readiness too',
      command({ kind: 'override', drain: [HZ], actor: 'alice' }),
      [scaleUp(SH, 2, 5, true), mesh(policy2(), hzDrained2), scaleDown(HZ, 2, 1, T1 + 15 * M)],
    ],
    [
      'draining a DOWN region does not wait (it scales concurrently)',
      fire('cms-1', HZ, 'down'),
      [scaleUp(SH, 2, 5, false), mesh(policy2(), hzDrained2), scaleDown(HZ, 2, 1, T1 + 15 * M)],
    ],
  ])('%s: scale-up before the mesh step, scale-down after it, delayed', (_name, input, steps) => {
    const d = started(policy2());
    expect(d.feed(T1, input).plan.steps.filter((s) => s.kind !== 'notify')).toEqual(steps);
  });

  test('a delayed scale-down is taken as done at notBefore; traffic coming back later scales up again first', () => {
    const p = policy2();
    const d = started(p);
    d.feed(T1, command({ kind: 'override', drain: [HZ], actor: 'alice' }));
    expect(d.feed(T1 + 15 * M - S, tick).state.scale[deploymentKey(HZ)]).toEqual({
      replicas: 2,
      pendingDown: { to: 1, notBefore: T1 + 15 * M, planId: planId(2) },
    });
    expect(d.feed(T1 + 15 * M, tick).state.scale[deploymentKey(HZ)]).toEqual({ replicas: 1 });
    const back = d.feed(T1 + 20 * M, command({ kind: 'clearOverride', actor: 'alice' }));
    expect(back.plan).toEqual<Plan>({
      id: planId(4),
      at: T1 + 20 * M,
      trigger: 'command clearOverride by alice',
      reasons: ['override ovr-2 cleared by alice', 'layer normal'],
      before: view(p, hzDrained2),
      after: view(p, identity2),
      steps: [scaleUp(HZ, 1, 2, true), mesh(p, identity2), scaleDown(SH, 5, 2, T1 + 35 * M)],
      refused: [],
    });
  });

  test('traffic returning before notBefore cancels the pending scale-down (the executor skips the delayed step)', () => {
    const p = policy2();
    const d = started(p);
    d.feed(T1, command({ kind: 'override', drain: [HZ], actor: 'alice' }));
    const back = d.feed(T1 + 5 * M, command({ kind: 'clearOverride', actor: 'alice' }));
    expect(back.plan.steps).toEqual([mesh(p, identity2), scaleDown(SH, 5, 2, T1 + 20 * M)]);
    expect(back.state.scale[deploymentKey(HZ)]).toEqual({ replicas: 2 });
    // Past the old notBefore nothing scales cn-hangzhou down.
    const later = d.feed(T1 + 16 * M, tick);
    expect(later.plan.steps).toEqual([]);
    expect(later.state.scale[deploymentKey(HZ)]).toEqual({ replicas: 2 });
  });

  test('a DOWN region is never scaled to zero, even with min 0', () => {
    const p = policy2({ scaling: scaling([HZ, SH], { [HZ]: { min: 0 } }) });
    const d = started(p);
    const { plan } = d.feed(T1, fire('cms-1', HZ, 'down'));
    const line = `cn-hangzhou HEALTHY → DOWN: down signals meet quorum (1/1 distinct sources/rules) [${cause('cms-1')}]`;
    expect(plan.steps).toEqual([scaleUp(SH, 2, 5, false), mesh(p, hzDrained2), scaleDown(HZ, 2, 1, T1 + 15 * M), notify('critical', line)]);
  });
});
