import type { Policy } from '../../../shared/core/policy';
import type { ControlCommand, Plan, RegionHealth, TrafficMatrix } from '../../../shared/core/types';
import {
  AM,
  Driver,
  HZ,
  M,
  S,
  SH,
  T0,
  cause,
  command,
  emptyPlan,
  fire,
  hzDrained2,
  identity2,
  mesh,
  notify,
  planId,
  policy2,
  scaleDown,
  scaleUp,
  started,
  tick,
  view,
} from './fixtures';

/** Drills are allowed on weekdays 10:00–18:00 in Asia/Shanghai; T0 is Monday 10:00 there. */
const drillWindow = { allowedWindows: [{ cron: '0 0 10 * * 1-5', timezone: 'Asia/Shanghai', duration: '8h' }] };
const drillPolicy = (extra: Record<string, unknown> = {}) => policy2({ drills: drillWindow, ...extra });
const drill = (duration: number, region = HZ): ControlCommand => ({ kind: 'drill', region, duration, actor: 'alice' });
const T1 = T0 + 10 * M;
const drillDown = `cn-hangzhou HEALTHY → DOWN: drill: synthetic down signal [drill|drill-2 (drill, rule drill)]`;

describe('a drill is refused', () => {
  const shDegraded: TrafficMatrix = { [HZ]: { [HZ]: 100 }, [SH]: { [HZ]: 50, [SH]: 50 } };
  test.each<[string, Policy, number, (d: Driver) => void, ControlCommand, TrafficMatrix, { rule: string; message: string }, string?]>([
    [
      'while a region is unhealthy',
      drillPolicy(),
      T1,
      (d) => d.feed(T0 + 5 * M, fire('am-1', SH, 'degraded', AM)),
      drill(15 * M),
      shDegraded,
      { rule: 'drill.unhealthy', message: 'refused while cn-shanghai is DEGRADED' },
    ],
    // The refusal names the window (cron, time zone, duration) and when it next opens: Monday 10:00 Shanghai.
    [
      'outside the allowed windows (a Saturday)',
      drillPolicy(),
      Date.parse('2024-06-08T04:00:00Z'),
      () => undefined,
      drill(15 * M),
      identity2,
      {
        rule: 'drill.window',
        message:
          'outside drills.allowedWindows: drills run only in "0 0 10 * * 1-5" (Asia/Shanghai) for 8h; the next window opens at 2024-06-10T02:00:00Z',
      },
    ],
    [
      'outside the allowed windows (a weekday, 18:00 local)',
      drillPolicy(),
      Date.parse('2024-06-03T10:00:00Z'),
      () => undefined,
      drill(15 * M),
      identity2,
      {
        rule: 'drill.window',
        message:
          'outside drills.allowedWindows: drills run only in "0 0 10 * * 1-5" (Asia/Shanghai) for 8h; the next window opens at 2024-06-04T02:00:00Z',
      },
    ],
    [
      'outside both of two allowed windows: each is named, the sooner opening given',
      policy2({ drills: { allowedWindows: [drillWindow.allowedWindows[0], { cron: '0 30 1 * * 6', timezone: 'UTC', duration: '90m' }] } }),
      Date.parse('2024-06-08T00:00:00Z'),
      () => undefined,
      drill(15 * M),
      identity2,
      {
        rule: 'drill.window',
        message:
          'outside drills.allowedWindows: drills run only in "0 0 10 * * 1-5" (Asia/Shanghai) for 8h, "0 30 1 * * 6" (UTC) for 1h30m; the next window opens at 2024-06-08T01:30:00Z',
      },
    ],
    [
      'over drills.maxDuration',
      drillPolicy(),
      T1,
      () => undefined,
      drill(61 * M),
      identity2,
      { rule: 'drill.maxDuration', message: 'duration exceeds drills.maxDuration (3600s)' },
    ],
    // A drill is an elective shift (design §3.3): none inside a freeze window.
    [
      'inside a freeze window',
      drillPolicy({ safety: { freezeWindows: [{ cron: '0 0 10 * * *', timezone: 'Asia/Shanghai', duration: '1h' }] } }),
      T1,
      () => undefined,
      drill(15 * M),
      identity2,
      { rule: 'safety.freezeWindows', message: 'inside a freeze window: no drill' },
    ],
    // Health on top of a human's matrix could drain the only region the operator left serving.
    [
      'while a manual override is active',
      drillPolicy(),
      T1,
      (d) => d.feed(T0 + M, command({ kind: 'override', drain: [SH], ttl: 60 * M, reason: 'shanghai maintenance', actor: 'bob' })),
      drill(15 * M, HZ),
      { [HZ]: { [HZ]: 100 }, [SH]: { [HZ]: 100 } },
      { rule: 'drill.override', message: 'override ovr-2 is active; clear it before a drill' },
      'layer override (ovr-2 until 2024-06-03T03:01:00.000Z)',
    ],
    [
      'while automation is paused',
      drillPolicy(),
      T1,
      (d) => d.feed(T0 + M, command({ kind: 'pause', actor: 'bob' })),
      drill(15 * M),
      identity2,
      { rule: 'paused', message: 'automation is paused; drills are refused' },
    ],
  ])('%s', (_name, p, at, setup, cmd, applied, refusal, layer = 'layer normal') => {
    const d = new Driver(p);
    d.feed(Math.min(at, T0), tick);
    setup(d);
    const before = structuredClone(d.state);
    const { plan, state } = d.feed(at, command(cmd));
    const seq = (before?.seq ?? 0) + 1;
    expect(plan).toEqual<Plan>({ ...emptyPlan(p, seq, at, 'command drill by alice', [layer], applied), refused: [refusal] });
    expect(state).toStrictEqual(before);
  });
});

describe('a running drill', () => {
  test('makes the region DOWN through the real path, scaling included — also under quorum 2', () => {
    const p = drillPolicy({ detection: { quorum: 2 } });
    const d = started(p);
    const { plan, state } = d.feed(T1, command(drill(15 * M)));
    expect(plan).toEqual<Plan>({
      id: planId(2),
      at: T1,
      trigger: 'command drill by alice',
      reasons: ['drill drill-2: cn-hangzhou down for 900s by alice', drillDown, 'layer normal'],
      before: view(p, identity2),
      after: view(p, hzDrained2),
      steps: [scaleUp(SH, 2, 5, false), mesh(p, hzDrained2), scaleDown(HZ, 2, 1, T1 + 15 * M), notify('critical', drillDown)],
      refused: [],
    });
    expect(state.drill).toEqual({
      id: 'drill-2',
      region: HZ,
      severity: 'down',
      actor: 'alice',
      startedAt: T1,
      endsAt: T1 + 15 * M,
      reason: '',
    });
  });

  test('is aborted by a real signal anywhere and reverted at once, without waiting for cooldown or step limits', () => {
    const p = drillPolicy();
    const d = started(p);
    d.feed(T1, command(drill(15 * M)));
    const abort = d.feed(T1 + 10 * S, fire('am-1', SH, 'degraded', AM));
    const shDegraded: TrafficMatrix = { [HZ]: { [HZ]: 100 }, [SH]: { [HZ]: 50, [SH]: 50 } };
    const line = `cn-shanghai HEALTHY → DEGRADED: degraded signals active [${cause('am-1', AM.source, AM.rule)}]`;
    expect(abort.plan).toEqual<Plan>({
      id: planId(3),
      at: T1 + 10 * S,
      trigger: 'signal am-1 firing',
      reasons: [
        'drill drill-2 aborted: real signal am-1 fired in cn-shanghai; cn-hangzhou reverted',
        'signal am-1: cn-shanghai degraded from alertmanager (rule am-errors)',
        line,
        'layer normal',
      ],
      before: view(p, hzDrained2),
      after: view(p, shDegraded),
      steps: [scaleUp(HZ, 2, 4, true), mesh(p, shDegraded), scaleDown(SH, 5, 1, T1 + 10 * S + 15 * M), notify('warning', line)],
      refused: [],
    });
    expect(abort.state.drill).toBeNull();
    expect(abort.state.health[HZ]).toEqual<RegionHealth>({
      status: 'HEALTHY',
      since: T1 + 10 * S,
      clearSince: null,
      hold: 5 * M,
      causes: [],
    });
  });

  test('a real DOWN signal in the drilled region keeps it drained, now for real', () => {
    const p = drillPolicy();
    const d = started(p);
    d.feed(T1, command(drill(15 * M)));
    const real = d.feed(T1 + M, fire('cms-1', HZ, 'down'));
    const line = `cn-hangzhou HEALTHY → DOWN: down signals meet quorum (1/1 distinct sources/rules) [${cause('cms-1')}]`;
    expect(real.plan.after).toBeNull();
    expect(real.plan.steps).toEqual([notify('critical', line)]);
    expect(real.state.drill).toBeNull();
    expect(real.state.health[HZ]).toEqual<RegionHealth>({
      status: 'DOWN',
      since: T1 + M,
      clearSince: null,
      hold: 5 * M,
      causes: ['cms-1'],
    });
  });

  test('the abortDrill command reverts at once (10s after the drill started)', () => {
    const p = drillPolicy();
    const d = started(p);
    d.feed(T1, command(drill(15 * M)));
    const abort = d.feed(T1 + 10 * S, command({ kind: 'abortDrill', id: 'drill-2', actor: 'alice' }));
    expect(abort.plan).toEqual<Plan>({
      id: planId(3),
      at: T1 + 10 * S,
      trigger: 'command abortDrill by alice',
      reasons: ['drill drill-2 aborted by alice; cn-hangzhou reverted', 'layer normal'],
      before: view(p, hzDrained2),
      after: view(p, identity2),
      steps: [mesh(p, identity2), scaleDown(SH, 5, 2, T1 + 10 * S + 15 * M)],
      refused: [],
    });
  });

  test('ends by itself after its duration; the region then recovers through the normal path', () => {
    const p = drillPolicy();
    const d = started(p);
    d.feed(T1, command(drill(15 * M)));
    expect(d.feed(T1 + 15 * M - S, tick).state.drill).not.toBeNull();
    const ended = d.feed(T1 + 15 * M, tick);
    expect(ended.plan).toEqual(
      emptyPlan(
        p,
        3,
        T1 + 15 * M,
        'tick',
        ['drill drill-2 ended; cn-hangzhou recovers through the normal path', 'layer normal'],
        hzDrained2,
      ),
    );
    expect(ended.state.drill).toBeNull();
    expect(ended.state.health[HZ]).toEqual<RegionHealth>({
      status: 'DOWN',
      since: T1,
      clearSince: T1 + 15 * M,
      hold: 5 * M,
      causes: ['drill|drill-2'],
    });
    expect(d.feed(T1 + 20 * M, tick).plan.after).toEqual(view(p, { [HZ]: { [HZ]: 25, [SH]: 75 }, [SH]: { [SH]: 100 } }));
  });
});
