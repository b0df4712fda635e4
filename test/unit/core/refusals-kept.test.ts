import { decide } from '../../../shared/core/decide';
import { command, fire, HZ, M, T0, hzDrained2, identity2, policy2, tick } from './fixtures';

/** The latest decision's refusals, as the core keeps them in the state (status reads them from there). */
describe('lastRefusals in the decision state', () => {
  const p = policy2();
  const base = decide(p, null, tick, T0).state;
  const paused = decide(p, base, command({ kind: 'pause', reason: 'freeze', actor: 'alice' }), T0 + M).state;

  test('a decision that refuses keeps its refusals with when and why; the same rules later keep that entry; one that refuses nothing clears it', () => {
    const refused = decide(p, paused, fire('cms-1', HZ, 'down', { at: T0 + 2 * M }), T0 + 2 * M);
    expect(refused.state.lastRefusals).toEqual({ at: T0 + 2 * M, trigger: 'signal cms-1 firing', refused: refused.plan.refused });
    expect(refused.plan.refused.map((r) => r.rule)).toEqual(['paused']);

    const again = decide(p, refused.state, tick, T0 + 5 * M);
    expect(again.plan.refused.map((r) => r.rule)).toEqual(['paused']);
    expect(again.state).toStrictEqual(refused.state);

    const resumed = decide(p, again.state, command({ kind: 'resume', actor: 'alice' }), T0 + 6 * M);
    expect(resumed.plan.refused).toEqual([]);
    expect(resumed.state.lastRefusals).toBeNull();
    expect(resumed.state.applied?.matrix).toEqual(hzDrained2);
  });

  // While paused, a refused clearOverride (wrong id) used to count as an operator's change and
  // applied the pending drain behind the pause.
  test('a command refused outright leaves the state as it was, kept refusals included (paused: no drain rides along)', () => {
    const refused = decide(p, paused, fire('cms-1', HZ, 'down', { at: T0 + 2 * M }), T0 + 2 * M).state;
    const wrong = decide(p, refused, command({ kind: 'clearOverride', id: 'ovr-nope', actor: 'bob' }), T0 + 3 * M);
    expect(wrong.plan.refused).not.toEqual([]);
    expect(wrong.state).toStrictEqual(refused);
  });

  test('a state without the field (written before it existed) gains nothing while nothing is refused', () => {
    const { lastRefusals: _dropped, meshConfirmed: _alsoDropped, ...older } = base;
    const d = decide(p, older, tick, T0 + M);
    expect(d.state).toStrictEqual(older);
    expect(d.state.applied?.matrix).toEqual(identity2);
  });

  test('adopting the live config records it as what the mesh has', () => {
    const d = decide(p, base, { kind: 'adopt', matrix: hzDrained2, actor: 'drift' }, T0 + M);
    expect(d.state.meshConfirmed).toEqual({
      matrix: hzDrained2,
      config: expect.objectContaining({ mode: 'distribute' }),
      planId: null,
      at: T0 + M,
      decidedAt: T0 + M,
    });
  });
});
