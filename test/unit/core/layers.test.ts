import type { Plan, TrafficMatrix } from '../../../shared/core/types';
import {
  BJ,
  Driver,
  H,
  HZ,
  M,
  S,
  SH,
  T0,
  command,
  emptyPlan,
  fire,
  hzDrained2,
  identity2,
  mesh,
  planId,
  policy2,
  policy3,
  scaleDown,
  scaleUp,
  started,
  tick,
  view,
} from './fixtures';

const m50: TrafficMatrix = { [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } };
const m9010: TrafficMatrix = { [HZ]: { [HZ]: 90, [SH]: 10 }, [SH]: { [SH]: 100 } };
const iso = (t: number) => new Date(t).toISOString();

describe('schedules', () => {
  // 22:00–06:00 in Asia/Shanghai (UTC+8): the window crosses midnight there.
  const p = policy2({ schedules: [{ name: 'night', cron: '0 0 22 * * *', timezone: 'Asia/Shanghai', duration: '8h', matrix: m50 }] });
  const at = (local: string) => Date.parse(`${local}+08:00`);
  const open = at('2024-06-03T22:00:00');
  const closes = at('2024-06-04T06:00:00');
  const layer = `layer schedule (night until ${iso(closes)})`;

  test("before 22:00 normal, at 22:00 the schedule's matrix, at 05:59 still, at 06:00 back to normal", () => {
    const d = new Driver(p);
    d.feed(at('2024-06-03T21:00:00'), tick);
    const rows: Array<[number, Plan]> = [
      [at('2024-06-03T21:59:59'), emptyPlan(p, 2, at('2024-06-03T21:59:59'), 'tick', ['layer normal'], identity2)],
      [
        open,
        {
          id: planId(2),
          at: open,
          trigger: 'tick',
          reasons: [layer],
          before: view(p, identity2),
          after: view(p, m50),
          steps: [scaleUp(SH, 2, 4, true), mesh(p, m50), scaleDown(HZ, 2, 1, open + 15 * M)],
          refused: [],
        },
      ],
      [at('2024-06-04T05:59:00'), emptyPlan(p, 3, at('2024-06-04T05:59:00'), 'tick', [layer], m50)],
      [
        closes,
        {
          id: planId(4),
          at: closes,
          trigger: 'tick',
          reasons: ['layer normal'],
          before: view(p, m50),
          after: view(p, identity2),
          // cn-hangzhou's delayed scale-down to 1 ran at 22:15; the traffic coming back needs 2 again.
          steps: [scaleUp(HZ, 1, 2, true), mesh(p, identity2), scaleDown(SH, 4, 2, closes + 15 * M)],
          refused: [],
        },
      ],
    ];
    for (const [now, expected] of rows) expect(d.feed(now, tick).plan).toEqual(expected);
  });
});

describe('manual overrides', () => {
  const T1 = T0 + 10 * M;
  const until = (t: number) => iso(t);

  test.each<[string, Record<string, unknown>, TrafficMatrix, Plan['steps']]>([
    [
      "drain form: cn-hangzhou's traffic follows its failover order, at once, scale-up waiting for readiness",
      { drain: [HZ] },
      hzDrained2,
      [scaleUp(SH, 2, 5, true), mesh(policy2(), hzDrained2), scaleDown(HZ, 2, 1, T1 + 15 * M)],
    ],
    ['matrix form: 90/10', { matrix: m9010 }, m9010, [scaleUp(SH, 2, 3, true), mesh(policy2(), m9010)]],
  ])('%s', (_name, form, matrix, steps) => {
    const p = policy2();
    const d = started(p);
    const { plan, state } = d.feed(T1, command({ kind: 'override', ...form, ttl: H, reason: 'maintenance', actor: 'alice' }));
    expect(plan).toEqual<Plan>({
      id: planId(2),
      at: T1,
      trigger: 'command override by alice',
      reasons: [`override ovr-2 by alice until ${until(T1 + H)}`, `layer override (ovr-2 until ${until(T1 + H)})`],
      before: view(p, identity2),
      after: view(p, matrix),
      steps,
      refused: [],
    });
    expect(state.override).toEqual({
      id: 'ovr-2',
      ...form,
      force: false,
      reason: 'maintenance',
      actor: 'alice',
      createdAt: T1,
      expiresAt: T1 + H,
    });
  });

  test('expiry: after its ttl the lower layer is back', () => {
    const p = policy2();
    const d = started(p);
    d.feed(T1, command({ kind: 'override', matrix: m9010, ttl: 30 * M, actor: 'alice' }));
    expect(d.feed(T1 + 30 * M - S, tick).plan.after).toBeNull();
    const expired = d.feed(T1 + 30 * M, tick);
    expect(expired.plan).toEqual<Plan>({
      id: planId(3),
      at: T1 + 30 * M,
      trigger: 'tick',
      reasons: ['override ovr-2 expired', 'layer normal'],
      before: view(p, m9010),
      after: view(p, identity2),
      steps: [mesh(p, identity2), scaleDown(SH, 3, 2, T1 + 45 * M)],
      refused: [],
    });
    expect(expired.state.override).toBeNull();
  });

  test('clear by id: the lower layer at once, however far it is', () => {
    const p = policy2();
    const d = started(p);
    d.feed(T1, command({ kind: 'override', drain: [HZ], actor: 'alice' }));
    const cleared = d.feed(T1 + 10 * S, command({ kind: 'clearOverride', id: 'ovr-2', actor: 'alice' }));
    expect(cleared.plan).toEqual<Plan>({
      id: planId(3),
      at: T1 + 10 * S,
      trigger: 'command clearOverride by alice',
      reasons: ['override ovr-2 cleared by alice', 'layer normal'],
      before: view(p, hzDrained2),
      after: view(p, identity2),
      steps: [mesh(p, identity2), scaleDown(SH, 5, 2, T1 + 10 * S + 15 * M)],
      refused: [],
    });
  });

  test.each<[string, Record<string, unknown>, { rule: string; message: string }]>([
    [
      'a wrong id is refused',
      { kind: 'clearOverride', id: 'ovr-9', actor: 'bob' },
      { rule: 'override.notFound', message: 'override ovr-9 is not the active one (ovr-2)' },
    ],
    [
      'a ttl over maxTtl (72h) is refused',
      { kind: 'override', drain: [SH], ttl: 73 * H, actor: 'bob' },
      { rule: 'override.maxTtl', message: 'ttl 262800s exceeds the maximum 259200s' },
    ],
  ])('%s and changes nothing', (_name, cmd, refusal) => {
    const p = policy2();
    const d = started(p);
    d.feed(T1, command({ kind: 'override', matrix: m9010, ttl: H, actor: 'alice' }));
    const before = structuredClone(d.state);
    const { plan, state } = d.feed(T1 + M, command(cmd as never));
    const trigger = `command ${String(cmd.kind)} by bob`;
    expect(plan).toEqual<Plan>({
      ...emptyPlan(p, 3, T1 + M, trigger, [`layer override (ovr-2 until ${until(T1 + H)})`], m9010),
      refused: [refusal],
    });
    expect(state).toStrictEqual(before);
  });

  describe('health applies on top of an override unless it is forced', () => {
    const shDrained: TrafficMatrix = { [HZ]: { [HZ]: 100 }, [SH]: { [HZ]: 100 } };
    function shDown() {
      const p = policy2();
      const d = started(p);
      d.feed(T1, fire('cms-1', SH, 'down'));
      expect(d.applied).toEqual(shDrained);
      return { p, d };
    }

    test('a non-force override cannot route to a DOWN region', () => {
      const { p, d } = shDown();
      const { plan } = d.feed(T1 + M, command({ kind: 'override', matrix: m50, ttl: H, actor: 'alice' }));
      expect(plan).toEqual<Plan>({
        id: planId(3),
        at: T1 + M,
        trigger: 'command override by alice',
        reasons: [`override ovr-3 by alice until ${until(T1 + M + H)}`, `layer override (ovr-3 until ${until(T1 + M + H)})`],
        before: view(p, shDrained),
        after: null,
        steps: [],
        refused: [],
      });
      expect(d.applied).toEqual(shDrained);
    });

    test('a force override can (break-glass)', () => {
      const { p, d } = shDown();
      const { plan } = d.feed(T1 + M, command({ kind: 'override', matrix: m50, ttl: H, force: true, actor: 'alice' }));
      expect(plan).toEqual<Plan>({
        id: planId(3),
        at: T1 + M,
        trigger: 'command override by alice',
        reasons: [
          `override ovr-3 by alice until ${until(T1 + M + H)} (force: health response bypassed)`,
          `layer override (ovr-3 until ${until(T1 + M + H)})`,
          'override ovr-3 is forced: the target guard does not apply (break-glass)',
        ],
        before: view(p, shDrained),
        after: view(p, m50),
        steps: [scaleUp(SH, 2, 4, true), mesh(p, m50), scaleDown(HZ, 5, 1, T1 + M + 15 * M)],
        refused: [],
      });
      // A later signal for the DOWN region does not undo the forced matrix.
      expect(d.feed(T1 + 2 * M, fire('cms-2', SH, 'down')).plan.steps).toEqual([]);
      expect(d.applied).toEqual(m50);
    });

    test('a drain override stacked on a DOWN region still leaves one region serving', () => {
      const { d } = shDown();
      const { plan } = d.feed(T1 + M, command({ kind: 'override', drain: [HZ], ttl: H, actor: 'alice' }));
      expect(plan.after).toBeNull();
      expect(d.applied).toEqual(shDrained);
    });
  });
});

describe('layers stack', () => {
  test("a drain override during a schedule drains from the schedule's matrix, keeping the rest of it", () => {
    const night: TrafficMatrix = { [HZ]: { [HZ]: 60, [BJ]: 40 }, [SH]: { [SH]: 100 }, [BJ]: { [BJ]: 100 } };
    const p = policy3({ schedules: [{ name: 'night', cron: '0 0 22 * * *', timezone: 'Asia/Shanghai', duration: '8h', matrix: night }] });
    const open = Date.parse('2024-06-03T22:00:00+08:00');
    const d = started(p, open);
    expect(d.applied).toEqual(night);
    // cn-shanghai fails over to cn-hangzhou first; cn-hangzhou keeps the schedule's 60/40.
    const { plan } = d.feed(open + M, command({ kind: 'override', drain: [SH], ttl: H, actor: 'alice' }));
    expect(plan.after?.matrix).toEqual({ [HZ]: { [HZ]: 60, [BJ]: 40 }, [SH]: { [HZ]: 100 }, [BJ]: { [BJ]: 100 } });
  });
});
