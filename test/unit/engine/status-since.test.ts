import { decide } from '../../../shared/core/decide';
import { statusView } from '../../../shared/engine/status';
import { HZ, SH, T0, fire, policy2, tick } from '../core/fixtures';

/** `since` in the status: when a region last changed status, or null when it never has (never the 1970 epoch). */
describe('statusView health since', () => {
  const policy = policy2();

  test('no state yet: every region HEALTHY with since null', () => {
    const view = statusView(policy, null, 0, [], [], T0);
    expect(view.health[HZ]).toEqual({ status: 'HEALTHY', since: null, causes: [] });
    expect(view.health[SH]).toEqual({ status: 'HEALTHY', since: null, causes: [] });
  });

  test('a region that went DOWN has its time; the one that never changed stays null', () => {
    const first = decide(policy, null, tick, T0);
    expect(statusView(policy, first.state, 1, [], [], T0).health[HZ]?.since).toBeNull();
    const down = decide(policy, first.state, fire('hz-5xx', HZ, 'down', { at: T0 + 60_000 }), T0 + 60_000);
    const view = statusView(policy, down.state, 2, [], [], T0 + 60_000);
    expect(view.health[HZ]).toMatchObject({ status: 'DOWN', since: new Date(T0 + 60_000).toISOString() });
    expect(view.health[SH]).toMatchObject({ status: 'HEALTHY', since: null });
    expect(JSON.stringify(view)).not.toContain('1970-01-01');
  });
});
