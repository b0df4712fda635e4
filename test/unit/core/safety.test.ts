import type { Plan, TrafficMatrix } from '../../../shared/core/types';
import {
  AM,
  BJ,
  Driver,
  H,
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
  identity3,
  mesh,
  notify,
  planId,
  policy2,
  policy3,
  resolve,
  scaleDown,
  scaleUp,
  scaling,
  started,
  tick,
  view,
} from './fixtures';

const T1 = T0 + 10 * M;
const downLine = (region: string, key: string) =>
  `${region} HEALTHY → DOWN: down signals meet quorum (1/1 distinct sources/rules) [${cause(key)}]`;
const degradedLine = (region: string, key: string) =>
  `${region} HEALTHY → DEGRADED: degraded signals active [${cause(key, AM.source, AM.rule)}]`;
const iso = (t: number) => new Date(t).toISOString();

describe('safety.minServingRegions', () => {
  test('both regions DOWN, neither measurably better: the last good matrix stays (do no harm), with a critical notify, once', () => {
    const p = policy2();
    const d = started(p);
    d.feed(T1, fire('cms-1', HZ, 'down'));
    const both = d.feed(T1 + M, fire('cms-2', SH, 'down'));
    // Both graded down with no magnitude: each counts as failing everything, so neither is a target.
    const hzWhy = `${SH} DOWN, 100% failing is not measurably better than ${HZ} DOWN, 100% failing`;
    const shWhy = `${HZ} DOWN, 100% failing is not measurably better than ${SH} DOWN, 100% failing`;
    const refused = [
      {
        rule: 'safety.doNoHarm',
        message: `${HZ} is DOWN but shifting would not help: ${hzWhy}; keeping its traffic and Envoy's fallback in place`,
      },
      {
        rule: 'safety.doNoHarm',
        message: `${SH} is DOWN but shifting would not help: ${shWhy}; keeping its traffic and Envoy's fallback in place`,
      },
      // hangzhou's traffic is in shanghai since the first drain: it does not move back into a region as sick.
      { rule: 'safety.doNoHarm', message: `shifting would not help: the traffic from ${HZ} stays where it is served now (${shWhy})` },
    ];
    expect(both.plan).toEqual<Plan>({
      id: planId(3),
      at: T1 + M,
      trigger: 'signal cms-2 firing',
      reasons: ['signal cms-2: cn-shanghai down from cms (rule cms-5xx)', downLine(SH, 'cms-2'), 'layer normal'],
      before: view(p, hzDrained2),
      after: null,
      steps: [
        notify('critical', downLine(SH, 'cms-2')),
        notify('critical', `refused safety.doNoHarm: ${refused[0]?.message}`),
        notify('critical', `refused safety.doNoHarm: ${refused[1]?.message}`),
        notify('critical', refused[2]?.message as string),
      ],
      refused,
    });
    // The refusal is recorded on every plan while it lasts; the alert is not repeated every tick.
    const later = d.feed(T1 + 2 * M, tick);
    expect(later.plan).toEqual<Plan>({ ...emptyPlan(p, 4, T1 + 2 * M, 'tick', ['layer normal'], hzDrained2), refused });
  });
});

describe('safety.maxDrainedRegions', () => {
  test('three regions, two DOWN, at most one drained by automation', () => {
    const p = policy3({ safety: { maxDrainedRegions: 1 } });
    const d = started(p);
    d.feed(T1, fire('cms-1', HZ, 'down'));
    const hzDrained3: TrafficMatrix = { [HZ]: { [BJ]: 100 }, [SH]: { [SH]: 100 }, [BJ]: { [BJ]: 100 } };
    const message = 'cn-shanghai is DOWN but cn-hangzhou already drained (max 1 at once)';
    const second = d.feed(T1 + M, fire('cms-2', SH, 'down'));
    expect(second.plan).toEqual<Plan>({
      id: planId(3),
      at: T1 + M,
      trigger: 'signal cms-2 firing',
      reasons: ['signal cms-2: cn-shanghai down from cms (rule cms-5xx)', downLine(SH, 'cms-2'), 'layer normal'],
      before: view(p, hzDrained3),
      after: null,
      steps: [notify('critical', downLine(SH, 'cms-2')), notify('critical', `refused safety.maxDrainedRegions: ${message}`)],
      refused: [{ rule: 'safety.maxDrainedRegions', message }],
    });
  });
});

describe('safety.maxStepPercent and safety.stepInterval', () => {
  const night = { name: 'hz-maintenance', cron: '0 0 22 * * *', timezone: 'Asia/Shanghai', duration: '2h', drain: [HZ] };
  const open = Date.parse('2024-06-03T22:00:00+08:00');
  const m50: TrafficMatrix = { [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } };
  const layer = `layer schedule (hz-maintenance until ${iso(open + 2 * 3_600_000)})`;

  test('an elective shift of 100 points goes in 50-point steps, the second only after stepInterval', () => {
    const p = policy2({ schedules: [night] });
    const d = started(p, open - 3_600_000);
    expect(d.feed(open, tick).plan).toEqual<Plan>({
      id: planId(2),
      at: open,
      trigger: 'tick',
      reasons: [layer],
      before: view(p, identity2),
      after: view(p, m50),
      steps: [scaleUp(SH, 2, 4, true), mesh(p, m50), scaleDown(HZ, 2, 1, open + 15 * M)],
      refused: [
        { rule: 'safety.maxStepPercent', message: 'shift of 100 points limited to 50 this step; the rest follows after stepInterval' },
      ],
    });
    expect(d.feed(open + 45 * S, tick).plan).toEqual<Plan>({
      ...emptyPlan(p, 3, open + 45 * S, 'tick', [layer], m50),
      refused: [{ rule: 'safety.stepInterval', message: 'last elective step 45s ago; stepInterval 60s' }],
    });
    expect(d.feed(open + M, tick).plan).toEqual<Plan>({
      id: planId(3),
      at: open + M,
      trigger: 'tick',
      reasons: [layer],
      before: view(p, m50),
      after: view(p, hzDrained2),
      steps: [scaleUp(SH, 4, 5, true), mesh(p, hzDrained2)],
      refused: [],
    });
  });

  test('capacity: an elective shift whose target needs more than max replicas is refused as a whole', () => {
    const p = policy2({ schedules: [night], scaling: scaling([HZ, SH], { [SH]: { max: 4 } }) });
    const d = started(p, open - 3_600_000);
    const refused = d.feed(open, tick);
    expect(refused.plan).toEqual<Plan>({
      ...emptyPlan(p, 2, open, 'tick', [layer], identity2),
      refused: [{ rule: 'capacity', message: 'productpage-v1 in cn-shanghai needs 5 replicas, max 4' }],
    });
    expect(refused.state.lastElectiveAt).toBeNull();
  });
});

describe('capacity', () => {
  test('a DOWN drain proceeds even when the target cannot carry it, with a critical capacity notify', () => {
    const p = policy2({ scaling: scaling([HZ, SH], { [SH]: { max: 4 } }) });
    const d = started(p);
    const { plan } = d.feed(T1, fire('cms-1', HZ, 'down'));
    expect(plan).toEqual<Plan>({
      id: planId(2),
      at: T1,
      trigger: 'signal cms-1 firing',
      reasons: ['signal cms-1: cn-hangzhou down from cms (rule cms-5xx)', downLine(HZ, 'cms-1'), 'layer normal'],
      before: view(p, identity2),
      after: view(p, hzDrained2),
      steps: [
        scaleUp(SH, 2, 4, false),
        mesh(p, hzDrained2),
        scaleDown(HZ, 2, 1, T1 + 15 * M),
        notify('critical', downLine(HZ, 'cms-1')),
        notify('critical', 'capacity short while draining: productpage-v1 in cn-shanghai needs 5, max 4'),
      ],
      refused: [],
    });
  });

  test('a shift that lightens an overloaded region is not refused for capacity: recovery runs to the end', () => {
    const p = policy2({ scaling: scaling([HZ, SH], { [SH]: { max: 3 } }) });
    const d = started(p);
    d.feed(T1, fire('cms-1', HZ, 'down'));
    d.feed(T1 + M, resolve('cms-1', HZ, 'down'));
    const plans: Plan[] = [];
    for (let now = T1 + 2 * M; now <= T1 + 20 * M; now += M) plans.push(d.feed(now, tick).plan);
    expect(plans.flatMap((pl) => pl.refused)).toEqual([]);
    expect(plans.filter((pl) => pl.after).map((pl) => pl.after?.matrix)).toEqual([
      { [HZ]: { [HZ]: 25, [SH]: 75 }, [SH]: { [SH]: 100 } },
      { [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } },
      identity2,
    ]);
  });
});

describe('safety.cooldown', () => {
  const pin: TrafficMatrix = { [HZ]: { [HZ]: 80, [SH]: 20 }, [SH]: { [SH]: 100 } };
  const shed: TrafficMatrix = { [HZ]: { [HZ]: 40, [SH]: 60 }, [SH]: { [SH]: 100 } };

  test('an elective change within 30s of the last change is refused; escalation to DOWN is not', () => {
    const p = policy2();
    const d = started(p);
    d.feed(T1, command({ kind: 'override', matrix: pin, actor: 'alice' }));
    const early = d.feed(T1 + 10 * S, fire('am-1', HZ, 'degraded', AM));
    const layer = `layer override (ovr-2 until ${iso(T1 + 3_600_000)})`;
    expect(early.plan).toEqual<Plan>({
      id: planId(3),
      at: T1 + 10 * S,
      trigger: 'signal am-1 firing',
      reasons: ['signal am-1: cn-hangzhou degraded from alertmanager (rule am-errors)', degradedLine(HZ, 'am-1'), layer],
      before: view(p, pin),
      after: null,
      steps: [notify('warning', degradedLine(HZ, 'am-1'))],
      refused: [{ rule: 'safety.cooldown', message: 'last mesh change 10s ago; cooldown 30s' }],
    });
    expect(d.feed(T1 + 30 * S, tick).plan).toEqual<Plan>({
      id: planId(4),
      at: T1 + 30 * S,
      trigger: 'tick',
      reasons: [layer],
      before: view(p, pin),
      after: view(p, shed),
      steps: [scaleUp(SH, 3, 4, true), mesh(p, shed), scaleDown(HZ, 2, 1, T1 + 30 * S + 15 * M)],
      refused: [],
    });
    const escalate = d.feed(T1 + 40 * S, fire('cms-1', HZ, 'down'));
    const line = `cn-hangzhou DEGRADED → DOWN: down signals meet quorum (1/1 distinct sources/rules) [${cause('cms-1')}]`;
    expect(escalate.plan).toEqual<Plan>({
      id: planId(5),
      at: T1 + 40 * S,
      trigger: 'signal cms-1 firing',
      reasons: ['signal cms-1: cn-hangzhou down from cms (rule cms-5xx)', line, layer],
      before: view(p, shed),
      after: view(p, hzDrained2),
      steps: [scaleUp(SH, 4, 5, false), mesh(p, hzDrained2), notify('critical', line)],
      refused: [],
    });
  });
});

describe('safety.freezeWindows', () => {
  // 10:00–14:00 Asia/Shanghai; T0 is 10:00 there.
  const freeze = { freezeWindows: [{ cron: '0 0 10 * * *', timezone: 'Asia/Shanghai', duration: '4h' }] };

  test('an elective shift is refused inside a freeze window while a DOWN drain still runs (and does not carry it along)', () => {
    const p = policy3({ safety: freeze });
    const d = started(p);
    const refusal = { rule: 'safety.freezeWindows', message: 'inside a freeze window: no elective shift' };
    const degraded = d.feed(T0 + M, fire('am-1', BJ, 'degraded', { ...AM, ttl: 6 * H }));
    expect(degraded.plan).toEqual<Plan>({
      id: planId(2),
      at: T0 + M,
      trigger: 'signal am-1 firing',
      reasons: ['signal am-1: cn-beijing degraded from alertmanager (rule am-errors)', degradedLine(BJ, 'am-1'), 'layer normal'],
      before: view(p, identity3),
      after: null,
      steps: [notify('warning', degradedLine(BJ, 'am-1'))],
      refused: [refusal],
    });
    // cn-hangzhou fails over to cn-beijing first, but cn-beijing is DEGRADED: the drain goes to
    // the healthy cn-shanghai; cn-beijing's own (elective) shedding stays refused.
    const drained: TrafficMatrix = { [HZ]: { [SH]: 100 }, [SH]: { [SH]: 100 }, [BJ]: { [BJ]: 100 } };
    const down = d.feed(T0 + 2 * M, fire('cms-1', HZ, 'down', { ttl: 6 * H }));
    expect(down.plan).toEqual<Plan>({
      id: planId(3),
      at: T0 + 2 * M,
      trigger: 'signal cms-1 firing',
      reasons: ['signal cms-1: cn-hangzhou down from cms (rule cms-5xx)', downLine(HZ, 'cms-1'), 'layer normal'],
      before: view(p, identity3),
      after: view(p, drained),
      steps: [scaleUp(SH, 2, 5, false), mesh(p, drained), scaleDown(HZ, 2, 1, T0 + 17 * M), notify('critical', downLine(HZ, 'cms-1'))],
      refused: [refusal],
    });
    // The window closes at 14:00: the elective rest follows.
    const after = d.feed(T0 + 4 * H, tick);
    expect(after.plan.refused).toEqual([]);
    expect(after.plan.after?.matrix).toEqual({ [HZ]: { [SH]: 100 }, [SH]: { [SH]: 100 }, [BJ]: { [SH]: 50, [BJ]: 50 } });
  });
});

describe('paused', () => {
  test('a signal changes health but not the mesh; resume applies', () => {
    const p = policy2();
    const d = started(p);
    expect(d.feed(T1, command({ kind: 'pause', reason: 'investigating', actor: 'bob' })).plan).toEqual(
      emptyPlan(p, 2, T1, 'command pause by bob', ['automation paused by bob: investigating', 'layer normal'], identity2),
    );
    const down = d.feed(T1 + M, fire('cms-1', HZ, 'down'));
    expect(down.plan).toEqual<Plan>({
      id: planId(3),
      at: T1 + M,
      trigger: 'signal cms-1 firing',
      reasons: ['signal cms-1: cn-hangzhou down from cms (rule cms-5xx)', downLine(HZ, 'cms-1'), 'layer normal'],
      before: view(p, identity2),
      after: null,
      steps: [notify('critical', downLine(HZ, 'cms-1'))],
      refused: [
        { rule: 'paused', message: 'automation paused by bob; not applying cn-hangzhou→{cn-shanghai:100} cn-shanghai→{cn-shanghai:100}' },
      ],
    });
    expect(d.health).toEqual({ [HZ]: 'DOWN', [SH]: 'HEALTHY' });
    expect(d.applied).toEqual(identity2);
    expect(d.feed(T1 + 2 * M, command({ kind: 'resume', actor: 'bob' })).plan).toEqual<Plan>({
      id: planId(4),
      at: T1 + 2 * M,
      trigger: 'command resume by bob',
      reasons: ['automation resumed by bob', 'layer normal'],
      before: view(p, identity2),
      after: view(p, hzDrained2),
      steps: [scaleUp(SH, 2, 5, false), mesh(p, hzDrained2), scaleDown(HZ, 2, 1, T1 + 17 * M)],
      refused: [],
    });
  });

  test('before anything was applied, a paused mesh gets nothing', () => {
    const p = policy2();
    const d = new Driver(p);
    const { plan } = d.feed(T0, command({ kind: 'pause', actor: 'bob' }));
    expect(plan.after).toBeNull();
    expect(plan.steps).toEqual([]);
    expect(plan.refused).toEqual([
      { rule: 'paused', message: 'automation paused by bob; not applying cn-hangzhou→{cn-hangzhou:100} cn-shanghai→{cn-shanghai:100}' },
    ]);
  });
});
