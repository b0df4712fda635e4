import type { Policy } from '../../../shared/core/policy';
import type { Plan, RegionHealth, TrafficMatrix } from '../../../shared/core/types';
import {
  AM,
  BJ,
  HZ,
  M,
  S,
  SH,
  T0,
  cause,
  deploymentKey,
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
  started,
  tick,
  view,
} from './fixtures';

const T1 = T0 + 10 * M;
const m50: TrafficMatrix = { [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } };
const m30: TrafficMatrix = { [HZ]: { [HZ]: 30, [SH]: 70 }, [SH]: { [SH]: 100 } };
const m25: TrafficMatrix = { [HZ]: { [HZ]: 25, [SH]: 75 }, [SH]: { [SH]: 100 } };
const downLine = (region: string, causes: string, of = '1/1', from = 'HEALTHY') =>
  `${region} ${from} → DOWN: down signals meet quorum (${of} distinct sources/rules) [${causes}]`;

describe('a DOWN signal drains the region at once', () => {
  test('two regions: scale-up before the mesh step without waiting, delayed scale-down after it, a critical notify', () => {
    const p = policy2();
    const d = started(p);
    const { plan } = d.feed(T1, fire('cms-1', HZ, 'down'));
    expect(plan).toEqual<Plan>({
      id: planId(2),
      at: T1,
      trigger: 'signal cms-1 firing',
      reasons: ['signal cms-1: cn-hangzhou down from cms (rule cms-5xx)', downLine(HZ, cause('cms-1')), 'layer normal'],
      before: view(p, identity2),
      after: view(p, hzDrained2),
      steps: [
        scaleUp(SH, 2, 5, false),
        mesh(p, hzDrained2),
        scaleDown(HZ, 2, 1, T1 + 15 * M),
        notify('critical', downLine(HZ, cause('cms-1'))),
      ],
      refused: [],
    });
    expect(plan.after?.config).toEqual({
      mode: 'distribute',
      localityLbSetting: {
        distribute: [
          { from: 'cn-hangzhou/*', to: { 'cn-shanghai/*': 100 } },
          { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
        ],
      },
    });
  });

  test('right after another mesh change (within the cooldown) the drain still runs', () => {
    const p = policy2();
    const d = started(p);
    const { plan } = d.feed(T0 + 5 * S, fire('cms-1', HZ, 'down'));
    expect(plan.refused).toEqual([]);
    expect(plan.after).toEqual(view(p, hzDrained2));
  });

  test.each<[string, Policy, TrafficMatrix, object[]]>([
    [
      "three regions: the traffic follows cn-hangzhou's failover order (cn-beijing first)",
      policy3(),
      { [HZ]: { [BJ]: 100 }, [SH]: { [SH]: 100 }, [BJ]: { [BJ]: 100 } },
      [scaleUp(BJ, 2, 5, false)],
    ],
    [
      'three regions, redistribute proportional: spread over the healthy regions',
      policy3({ response: { redistribute: 'proportional' } }),
      { [HZ]: { [SH]: 50, [BJ]: 50 }, [SH]: { [SH]: 100 }, [BJ]: { [BJ]: 100 } },
      [scaleUp(SH, 2, 4, false), scaleUp(BJ, 2, 4, false)],
    ],
  ])('%s', (_name, p, drained, ups) => {
    const d = started(p);
    const { plan } = d.feed(T1, fire('cms-1', HZ, 'down'));
    expect(plan).toEqual<Plan>({
      id: planId(2),
      at: T1,
      trigger: 'signal cms-1 firing',
      reasons: ['signal cms-1: cn-hangzhou down from cms (rule cms-5xx)', downLine(HZ, cause('cms-1')), 'layer normal'],
      before: view(p, identity3),
      after: view(p, drained),
      steps: [
        ...(ups as Plan['steps']),
        mesh(p, drained),
        scaleDown(HZ, 2, 1, T1 + 15 * M),
        notify('critical', downLine(HZ, cause('cms-1'))),
      ],
      refused: [],
    });
  });

  // Proportional means "in proportion to the healthy regions' normal (inbound) shares", not to
  // what the drained row happens to send them already.
  test.each<[string, Record<string, unknown>, string, TrafficMatrix]>([
    [
      "normal 80/20: cn-hangzhou's 80 points split 0.4 : 0.333 between cn-shanghai and cn-beijing",
      { normal: { [HZ]: { [HZ]: 80, [SH]: 20 }, [SH]: { [SH]: 100 }, [BJ]: { [BJ]: 100 } } },
      HZ,
      { [HZ]: { [SH]: 64, [BJ]: 36 }, [SH]: { [SH]: 100 }, [BJ]: { [BJ]: 100 } },
    ],
    [
      'cn-hangzhou carries twice the load: a drained cn-shanghai sends it two thirds',
      {
        regions: {
          [HZ]: { load: 2, clusters: [{ id: 'c-hangzhou' }] },
          [SH]: { clusters: [{ id: 'c-shanghai' }] },
          [BJ]: { clusters: [{ id: 'c-beijing' }] },
        },
      },
      SH,
      { [HZ]: { [HZ]: 100 }, [SH]: { [HZ]: 67, [BJ]: 33 }, [BJ]: { [BJ]: 100 } },
    ],
  ])('proportional: %s', (_name, extra, region, drained) => {
    const p = policy3({ response: { redistribute: 'proportional' }, ...extra });
    const d = started(p);
    const { plan } = d.feed(T1, fire('cms-1', region, 'down'));
    expect(plan.after).toEqual(view(p, drained));
  });
});

describe('DEGRADED keeps degradedShare of its intended share', () => {
  const degradedLine = `cn-hangzhou HEALTHY → DEGRADED: degraded signals active [${cause('am-1', AM.source, AM.rule)}]`;

  test('degradedShare 50 → 50/50, an elective shift: scale-up waits for readiness', () => {
    const p = policy2();
    const d = started(p);
    const { plan } = d.feed(T1, fire('am-1', HZ, 'degraded', AM));
    expect(plan).toEqual<Plan>({
      id: planId(2),
      at: T1,
      trigger: 'signal am-1 firing',
      reasons: ['signal am-1: cn-hangzhou degraded from alertmanager (rule am-errors)', degradedLine, 'layer normal'],
      before: view(p, identity2),
      after: view(p, m50),
      steps: [scaleUp(SH, 2, 4, true), mesh(p, m50), scaleDown(HZ, 2, 1, T1 + 15 * M), notify('warning', degradedLine)],
      refused: [],
    });
  });

  test('degradedShare 30 → 30/70, reached in two steps of at most 50 points', () => {
    const p = policy2({ response: { degradedShare: 30 } });
    const d = started(p);
    const first = d.feed(T1, fire('am-1', HZ, 'degraded', AM));
    expect(first.plan).toEqual<Plan>({
      id: planId(2),
      at: T1,
      trigger: 'signal am-1 firing',
      reasons: ['signal am-1: cn-hangzhou degraded from alertmanager (rule am-errors)', degradedLine, 'layer normal'],
      before: view(p, identity2),
      after: view(p, m50),
      steps: [scaleUp(SH, 2, 4, true), mesh(p, m50), scaleDown(HZ, 2, 1, T1 + 15 * M), notify('warning', degradedLine)],
      refused: [
        { rule: 'safety.maxStepPercent', message: 'shift of 70 points limited to 50 this step; the rest follows after stepInterval' },
      ],
    });
    const second = d.feed(T1 + M, tick);
    expect(second.plan).toEqual<Plan>({
      id: planId(3),
      at: T1 + M,
      trigger: 'tick',
      reasons: ['layer normal'],
      before: view(p, m50),
      after: view(p, m30),
      steps: [scaleUp(SH, 4, 5, true), mesh(p, m30)],
      refused: [],
    });
  });
});

describe('quorum', () => {
  test('quorum 2: one source alone does not make the region DOWN, a repeat from the same source and rule neither, a second distinct source does', () => {
    const p = policy2({ detection: { quorum: 2 } });
    const d = started(p);
    const one = d.feed(T1, fire('cms-1', HZ, 'down'));
    expect(one.plan).toEqual(
      emptyPlan(p, 2, T1, 'signal cms-1 firing', ['signal cms-1: cn-hangzhou down from cms (rule cms-5xx)', 'layer normal'], identity2),
    );
    const sameVoter = d.feed(T1 + S, fire('cms-2', HZ, 'down'));
    expect(sameVoter.plan.after).toBeNull();
    expect(d.health).toEqual({ [HZ]: 'HEALTHY', [SH]: 'HEALTHY' });
    const line = downLine(HZ, [cause('am-1', AM.source, AM.rule), cause('cms-1'), cause('cms-2')].join(', '), '2/2');
    const two = d.feed(T1 + 2 * S, fire('am-1', HZ, 'down', AM));
    expect(two.plan).toEqual<Plan>({
      id: planId(4),
      at: T1 + 2 * S,
      trigger: 'signal am-1 firing',
      reasons: ['signal am-1: cn-hangzhou down from alertmanager (rule am-errors)', line, 'layer normal'],
      before: view(p, identity2),
      after: view(p, hzDrained2),
      steps: [scaleUp(SH, 2, 5, false), mesh(p, hzDrained2), scaleDown(HZ, 2, 1, T1 + 2 * S + 15 * M), notify('critical', line)],
      refused: [],
    });
  });
});

describe('recovery', () => {
  /** cn-hangzhou DOWN at T1 on cms-1 (TTL 10m), drained. */
  function downAtT1() {
    const p = policy2();
    const d = started(p);
    d.feed(T1, fire('cms-1', HZ, 'down'));
    return { p, d };
  }

  test('25/50/100 only after holdFor, each step after stepHold; the pending scale-down of the returning region is cancelled', () => {
    const { p, d } = downAtT1();
    const resolved = d.feed(T1 + M, resolve('cms-1', HZ, 'down'));
    expect(resolved.plan).toEqual(emptyPlan(p, 3, T1 + M, 'signal cms-1 resolved', ['signal cms-1 resolved', 'layer normal'], hzDrained2));
    expect(resolved.state.health[HZ]).toEqual<RegionHealth>({
      status: 'DOWN',
      since: T1,
      clearSince: T1 + M,
      hold: 5 * M,
      causes: ['cms-1'],
    });

    expect(d.feed(T1 + 6 * M - S, tick).plan).toEqual(emptyPlan(p, 4, T1 + 6 * M - S, 'tick', ['layer normal'], hzDrained2));

    const r1 = 'cn-hangzhou DOWN → RECOVERING(step 1): all signals clear for 300s [cms-1]';
    expect(d.feed(T1 + 6 * M, tick).plan).toEqual<Plan>({
      id: planId(4),
      at: T1 + 6 * M,
      trigger: 'tick',
      reasons: [r1, 'layer normal'],
      before: view(p, hzDrained2),
      after: view(p, m25),
      steps: [mesh(p, m25), notify('info', r1)],
      refused: [],
    });

    expect(d.feed(T1 + 8 * M - S, tick).plan.steps).toEqual([]);

    const r2 = 'cn-hangzhou RECOVERING → RECOVERING(step 2): recovery step 2/3 [cms-1]';
    expect(d.feed(T1 + 8 * M, tick).plan).toEqual<Plan>({
      id: planId(5),
      at: T1 + 8 * M,
      trigger: 'tick',
      reasons: [r2, 'layer normal'],
      before: view(p, m25),
      after: view(p, m50),
      steps: [mesh(p, m50), scaleDown(SH, 5, 4, T1 + 23 * M), notify('info', r2)],
      refused: [],
    });

    // The last step (100%) is held too: the region is RECOVERING at its full share first.
    const r3 = 'cn-hangzhou RECOVERING → RECOVERING(step 3): recovery step 3/3 [cms-1]';
    const full = d.feed(T1 + 10 * M, tick);
    expect(full.plan).toEqual<Plan>({
      id: planId(6),
      at: T1 + 10 * M,
      trigger: 'tick',
      reasons: [r3, 'layer normal'],
      before: view(p, m50),
      after: view(p, identity2),
      steps: [mesh(p, identity2), scaleDown(SH, 5, 2, T1 + 25 * M), notify('info', r3)],
      refused: [],
    });
    // Traffic came back to cn-hangzhou before its delayed scale-down (due T1+15m) ran.
    expect(full.state.scale).toEqual({
      [deploymentKey(HZ)]: { replicas: 2 },
      [deploymentKey(SH)]: { replicas: 5, pendingDown: { to: 2, notBefore: T1 + 25 * M, planId: planId(6) } },
    });

    const r4 = 'cn-hangzhou RECOVERING → HEALTHY: recovery complete [cms-1]';
    const healthy = d.feed(T1 + 12 * M, tick);
    expect(healthy.plan).toEqual<Plan>({
      id: planId(7),
      at: T1 + 12 * M,
      trigger: 'tick',
      reasons: [r4, 'layer normal'],
      before: view(p, identity2),
      after: null,
      steps: [notify('info', r4)],
      refused: [],
    });
    expect(healthy.state.health[HZ]).toStrictEqual<RegionHealth>({
      status: 'HEALTHY',
      since: T1 + 12 * M,
      clearSince: null,
      hold: 5 * M,
      causes: [],
    });
  });

  test('TTL: a firing signal with no resolve lapses after its TTL; the hold counts from the lapse, not from the next tick', () => {
    const { p, d } = downAtT1();
    expect(d.feed(T1 + 10 * M - S, tick).plan.reasons).toEqual(['layer normal']);
    const lapsed = d.feed(T1 + 12 * M, tick);
    expect(lapsed.plan).toEqual(
      emptyPlan(p, 3, T1 + 12 * M, 'tick', ['signal cms-1 expired after its TTL (600s) without a resolve', 'layer normal'], hzDrained2),
    );
    expect(lapsed.state.signals).toEqual({});
    expect(lapsed.state.health[HZ]).toEqual<RegionHealth>({
      status: 'DOWN',
      since: T1,
      clearSince: T1 + 10 * M,
      hold: 5 * M,
      causes: ['cms-1'],
    });
    expect(d.feed(T1 + 15 * M - S, tick).plan.after).toBeNull();
    expect(d.feed(T1 + 15 * M, tick).plan.after).toEqual(view(p, m25));
  });

  test('a relapse during recovery goes straight back to DOWN (drained at once) and doubles the hold', () => {
    const { p, d } = downAtT1();
    d.feed(T1 + M, resolve('cms-1', HZ, 'down'));
    d.feed(T1 + 6 * M, tick);
    expect(d.health[HZ]).toBe('RECOVERING');
    const relapse = d.feed(T1 + 6 * M + 10 * S, fire('cms-2', HZ, 'down'));
    const line = `cn-hangzhou RECOVERING → DOWN: relapse during recovery; next hold 600s [${cause('cms-2')}]`;
    expect(relapse.plan).toEqual<Plan>({
      id: planId(5),
      at: T1 + 6 * M + 10 * S,
      trigger: 'signal cms-2 firing',
      reasons: ['signal cms-2: cn-hangzhou down from cms (rule cms-5xx)', line, 'layer normal'],
      before: view(p, m25),
      after: view(p, hzDrained2),
      steps: [mesh(p, hzDrained2), notify('critical', line)],
      refused: [],
    });
    expect(relapse.state.health[HZ]).toEqual<RegionHealth>({
      status: 'DOWN',
      since: T1 + 6 * M + 10 * S,
      clearSince: null,
      hold: 10 * M,
      causes: ['cms-2'],
    });
    d.feed(T1 + 7 * M, resolve('cms-2', HZ, 'down'));
    expect(d.feed(T1 + 17 * M - S, tick).plan.after).toBeNull();
    expect(d.feed(T1 + 17 * M, tick).plan.after).toEqual(view(p, m25));
  });

  test('repeated relapses double the hold up to maxHold; a calm maxHold later the hold is back to holdFor', () => {
    const p = policy2({ recovery: { holdFor: '5m', maxHold: '30m' } });
    const d = started(p);
    let t = T1;
    d.feed(t, fire('k0', HZ, 'down'));
    const holds: number[] = [];
    for (let i = 1; i <= 4; i++) {
      const hold = d.state?.health[HZ]?.hold as number;
      d.feed(t + M, resolve(`k${i - 1}`, HZ, 'down'));
      expect(d.feed(t + M + hold - S, tick).state.health[HZ]?.status).toBe('DOWN');
      expect(d.feed(t + M + hold, tick).state.health[HZ]?.status).toBe('RECOVERING');
      t = t + M + hold + 10 * S;
      d.feed(t, fire(`k${i}`, HZ, 'down'));
      holds.push(d.state?.health[HZ]?.hold as number);
    }
    expect(holds).toEqual([10 * M, 20 * M, 30 * M, 30 * M]);
    // Recover fully, then stay calm for maxHold: past flapping is forgotten.
    d.feed(t + M, resolve('k4', HZ, 'down'));
    const recoveredAt = t + M + 30 * M + 3 * 2 * M;
    for (let now = t + M; now <= recoveredAt; now += M) d.feed(now, tick);
    expect(d.state?.health[HZ]).toEqual<RegionHealth>({
      status: 'HEALTHY',
      since: recoveredAt,
      clearSince: null,
      hold: 30 * M,
      causes: [],
    });
    d.feed(recoveredAt + 30 * M, tick);
    expect(d.state?.health[HZ]?.hold).toBe(5 * M);
  });
});
