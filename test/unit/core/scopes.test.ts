import { composeMatrices } from '../../../shared/core/scopes';
import type { Input, Step, TrafficMatrix } from '../../../shared/core/types';
import { CLUSTER, Driver, HZ, M, S, SH, T0, command, fire, identity2, policy2, policyProblems, signal, started, tick } from './fixtures';

const host = (s: string) => `${s}.default.svc.cluster.local`;
const REVIEWS = host('reviews');
const PRODUCTPAGE = host('productpage');
const hzDrained: TrafficMatrix = { [HZ]: { [SH]: 100 }, [SH]: { [SH]: 100 } };
const m9010: TrafficMatrix = { [HZ]: { [HZ]: 90, [SH]: 10 }, [SH]: { [SH]: 100 } };

const SCOPES = { entry: ['productpage'], services: { productpage: {}, reviews: {}, details: {}, ratings: {} } };

/** Bookinfo in two regions with the four services scoped; productpage-v1 and reviews-v1 scaled per service. */
function scopedPolicy(extra: Record<string, unknown> = {}, scopes: Record<string, unknown> = {}) {
  const regions = (n: number) => Object.fromEntries([HZ, SH].map((r) => [r, { normalReplicas: n, min: 1, max: 8 }]));
  return policy2({
    scopes: { ...SCOPES, ...scopes },
    scaling: {
      deployments: [
        { name: 'productpage-v1', namespace: 'default', service: 'productpage', regions: regions(2) },
        { name: 'reviews-v1', namespace: 'default', service: 'reviews', regions: regions(2) },
      ],
    },
    ...extra,
  });
}

const svcFire = (key: string, region: string, service: string, severity: 'down' | 'degraded' = 'down'): Input => ({
  kind: 'signal',
  signal: { ...signal(key, region, severity, 'firing'), service },
});
const svcResolve = (key: string, region: string, service: string, severity: 'down' | 'degraded' = 'down'): Input => ({
  kind: 'signal',
  signal: { ...signal(key, region, severity, 'resolved'), service },
});

const meshStep = (steps: Step[]) => steps.find((s): s is Extract<Step, { kind: 'mesh' }> => s.kind === 'mesh');

describe('policy scopes: validation', () => {
  const problems = policyProblems;

  test('an entry, a rule, a schedule or a deployment naming an unscoped service is an error naming the field', () => {
    const got = problems(() =>
      policy2({
        scopes: { entry: ['productpag'], services: { productpage: {}, reviews: {} } },
        detection: { rules: [{ name: 'r', service: 'review' }] },
        schedules: [{ name: 's', cron: '0 0 22 * * *', duration: '1h', drain: [HZ], service: 'ratings' }],
        scaling: {
          deployments: [{ name: 'd', namespace: 'default', service: 'details', regions: { [HZ]: { normalReplicas: 1, max: 2 } } }],
        },
      }),
    );
    expect(got).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^scopes\.entry\[0\]: productpag is not a scoped service/),
        expect.stringMatching(/^detection\.rules\[0\]\.service: review is not a scoped service/),
        expect.stringMatching(/^schedules\[0\]\.service: ratings is not a scoped service/),
        expect.stringMatching(/^scaling\.deployments\[0\]\.service: details is not a scoped service/),
      ]),
    );
  });

  test('a schedule naming a service without scopes, two services on one host, an empty entry list', () => {
    expect(
      problems(() => policy2({ schedules: [{ name: 's', cron: '0 0 22 * * *', duration: '1h', drain: [HZ], service: 'reviews' }] })),
    ).toEqual(['schedules[0].service: names service reviews, but the policy declares no scopes']);
    expect(problems(() => policy2({ scopes: { entry: ['a'], services: { a: {}, b: { host: 'a.default.svc.cluster.local' } } } }))).toEqual([
      'scopes.services.b: host a.default.svc.cluster.local is already the host of a',
    ]);
    expect(problems(() => policy2({ scopes: { entry: [], services: { a: {} } } }))).toEqual([
      'scopes.entry: name at least one entry service',
    ]);
    expect(problems(() => policy2({ scopes: { entry: ['a'], services: { a: {} }, shiftAt: 'entry-hop' } }))[0]).toMatch(
      /^scopes\.shiftAt: must be one of entry, every-hop/,
    );
  });

  test('defaults: namespace default, shiftAt entry', () => {
    const p = scopedPolicy();
    expect(p.scopes?.namespace).toBe('default');
    expect(p.scopes?.shiftAt).toBe('entry');
  });
});

describe('health per (region, service)', () => {
  test("a reviews fault in cn-hangzhou drains reviews' host only; the default and the other hosts stay local", () => {
    const p = scopedPolicy();
    const d = started(p);
    const plan = d.feed(T0 + 10 * S, svcFire('rv', HZ, 'reviews')).plan;
    expect(d.state?.health[HZ]?.status).toBe('HEALTHY');
    expect(d.state?.serviceHealth?.[HZ]?.reviews?.status).toBe('DOWN');
    expect(d.state?.serviceHealth?.[HZ]?.productpage?.status).toBe('HEALTHY');
    expect(plan.after?.matrix).toEqual(identity2);
    expect(Object.keys(plan.after?.scopes ?? {})).toEqual([REVIEWS]);
    expect(plan.after?.scopes?.[REVIEWS]?.matrix).toEqual(hzDrained);
    expect(plan.after?.scopes?.[REVIEWS]?.config.mode).toBe('distribute');
    const m = meshStep(plan.steps);
    expect(m?.scopes).toEqual(plan.after?.scopes);
    expect(d.state?.applied?.scopes).toEqual(plan.after?.scopes);
    // Capacity: cn-shanghai's reviews-v1 takes hangzhou's reviews traffic; productpage is untouched.
    const scales = plan.steps.filter((s) => s.kind === 'scale');
    expect(scales).toEqual([
      { kind: 'scale', cluster: CLUSTER[SH], namespace: 'default', deployment: 'reviews-v1', region: SH, from: 2, to: 5, waitReady: false },
      expect.objectContaining({ deployment: 'reviews-v1', region: HZ, to: 1 }),
    ]);
    expect(plan.reasons.join('\n')).toContain('cn-hangzhou/reviews HEALTHY → DOWN');
  });

  test('a signal naming an unscoped service, or none, is region-level: a region DOWN drains every scope (the default)', () => {
    const p = scopedPolicy();
    const d = started(p);
    const plan = d.feed(T0 + 10 * S, { kind: 'signal', signal: { ...signal('x', HZ, 'down', 'firing'), service: 'mysql' } }).plan;
    expect(d.state?.health[HZ]?.status).toBe('DOWN');
    expect(plan.after?.matrix).toEqual(hzDrained);
    expect(plan.after?.scopes).toEqual({});
  });

  test('the service recovers through the same state machine: hold, then 25/50/100 on its host only', () => {
    const p = scopedPolicy();
    const d = started(p);
    d.feed(T0 + 10 * S, svcFire('rv', HZ, 'reviews'));
    d.feed(T0 + 20 * S, svcResolve('rv', HZ, 'reviews'));
    const first = d.feed(T0 + 20 * S + 5 * M, tick).plan;
    expect(d.state?.serviceHealth?.[HZ]?.reviews?.status).toBe('RECOVERING');
    expect(first.after?.matrix).toEqual(identity2);
    expect(first.after?.scopes?.[REVIEWS]?.matrix).toEqual({ [HZ]: { [HZ]: 25, [SH]: 75 }, [SH]: { [SH]: 100 } });
    expect(d.feed(T0 + 20 * S + 7 * M, tick).plan.after?.scopes?.[REVIEWS]?.matrix).toEqual({
      [HZ]: { [HZ]: 50, [SH]: 50 },
      [SH]: { [SH]: 100 },
    });
    // The last step gives 100% back: the host follows the default again and leaves the scopes.
    expect(d.feed(T0 + 20 * S + 9 * M, tick).plan.after?.scopes).toEqual({});
    const done = d.feed(T0 + 20 * S + 11 * M, tick).plan;
    expect(d.state?.serviceHealth?.[HZ]?.reviews?.status).toBe('HEALTHY');
    expect(done.steps.filter((x) => x.kind === 'mesh')).toEqual([]);
    expect(d.state?.applied?.scopes).toEqual({});
  });

  test('without scopes nothing changes: a reviews signal drains the whole region as before', () => {
    const p = policy2();
    const d = started(p);
    const plan = d.feed(T0 + 10 * S, svcFire('rv', HZ, 'reviews')).plan;
    expect(plan.after).toEqual({ matrix: hzDrained, config: expect.anything() });
    expect(d.state?.serviceHealth).toBeUndefined();
    expect(meshStep(plan.steps)).not.toHaveProperty('scopes');
  });
});

describe('entry shifts', () => {
  const sched = { name: 'evening', cron: '0 0 2 * * *', timezone: 'UTC', duration: '1h', matrix: { [HZ]: { [HZ]: 90, [SH]: 10 } } };

  test('a 90/10 schedule with shiftAt entry moves the entry host only; every other host stays local (failover)', () => {
    const p = scopedPolicy({ schedules: [sched] });
    const d = new Driver(p);
    const plan = d.feed(T0 + 1 * S, tick).plan;
    expect(plan.after?.matrix).toEqual(identity2);
    expect(plan.after?.config.mode).toBe('failover');
    expect(plan.after?.scopes).toEqual({ [PRODUCTPAGE]: { matrix: m9010, config: expect.objectContaining({ mode: 'distribute' }) } });
  });

  test('end to end, an entry shift moves 10% with one cross-region hop; every-hop compounds it', () => {
    // hangzhou → productpage (entry) → reviews: the share of hangzhou requests served by shanghai's reviews.
    const entry = composeMatrices(m9010, identity2, [HZ, SH]);
    const everyHop = composeMatrices(m9010, m9010, [HZ, SH]);
    expect(entry[HZ]?.[SH]).toBe(10);
    expect(everyHop[HZ]?.[SH]).toBe(19);
    // At the 25% recovery stage: local end to end is 25% with entry shifts, ~6% per hop.
    const r25: TrafficMatrix = { [HZ]: { [HZ]: 25, [SH]: 75 }, [SH]: { [SH]: 100 } };
    expect(composeMatrices(r25, identity2, [HZ, SH])[HZ]?.[HZ]).toBe(25);
    expect(composeMatrices(r25, r25, [HZ, SH])[HZ]?.[HZ]).toBe(6);
  });

  test('shiftAt every-hop renders the shift on the default, as before scopes', () => {
    const p = scopedPolicy({ schedules: [sched] }, { shiftAt: 'every-hop' });
    const plan = new Driver(p).feed(T0 + 1 * S, tick).plan;
    expect(plan.after?.matrix).toEqual(m9010);
    expect(plan.after?.scopes).toEqual({});
  });

  test('a region DEGRADED sheds at the entry host only; a region DOWN drains the default', () => {
    const p = scopedPolicy();
    const d = started(p);
    const deg = d.feed(T0 + 10 * S, fire('a', HZ, 'degraded')).plan;
    expect(deg.after?.matrix).toEqual(identity2);
    expect(deg.after?.scopes?.[PRODUCTPAGE]?.matrix).toEqual({ [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } });
    const down = d.feed(T0 + 20 * S, fire('b', HZ, 'down')).plan;
    expect(down.after?.matrix).toEqual(hzDrained);
    expect(down.after?.scopes).toEqual({});
  });

  test('after a region DOWN the default returns in one move; the entry host steps the users back 25/50/100', () => {
    const p = scopedPolicy({ safety: { maxStepPercent: 25 } });
    const d = started(p);
    d.feed(T0 + 10 * S, fire('a', HZ, 'down'));
    d.feed(T0 + 20 * S, { kind: 'signal', signal: signal('a', HZ, 'down', 'resolved') });
    const back = d.feed(T0 + 20 * S + 5 * M, tick).plan;
    expect(d.state?.health[HZ]?.status).toBe('RECOVERING');
    expect(back.after?.matrix).toEqual(identity2);
    expect(back.after?.scopes).toEqual({
      [PRODUCTPAGE]: { matrix: { [HZ]: { [HZ]: 25, [SH]: 75 }, [SH]: { [SH]: 100 } }, config: expect.anything() },
    });
  });

  test('a schedule naming a service shifts that host only; a service override likewise', () => {
    const p = scopedPolicy({ schedules: [{ ...sched, service: 'ratings' }] });
    const plan = new Driver(p).feed(T0 + 1 * S, tick).plan;
    expect(plan.after?.matrix).toEqual(identity2);
    expect(Object.keys(plan.after?.scopes ?? {})).toEqual([host('ratings')]);
    expect(plan.reasons.join('\n')).toContain('service ratings (ratings.default.svc.cluster.local) → schedule evening');

    const q = scopedPolicy();
    const d = started(q);
    const o = d.feed(T0 + 10 * S, command({ kind: 'override', drain: [HZ], service: 'details', reason: 'bad build', actor: 'ops' })).plan;
    expect(o.after?.matrix).toEqual(identity2);
    expect(o.after?.scopes).toEqual({ [host('details')]: { matrix: hzDrained, config: expect.anything() } });
    expect(o.reasons[0]).toContain('of service details');
    const bad = d.feed(T0 + 20 * S, command({ kind: 'override', drain: [HZ], service: 'detail', reason: 'x', actor: 'ops' })).plan;
    expect(bad.refused).toEqual([{ rule: 'override.service', message: expect.stringContaining('detail is not a scoped service') }]);
  });

  test('a mesh-wide drain override reaches every scope (the default)', () => {
    const p = scopedPolicy();
    const d = started(p);
    const o = d.feed(T0 + 10 * S, command({ kind: 'override', drain: [HZ], reason: 'maintenance', actor: 'ops' })).plan;
    expect(o.after?.matrix).toEqual(hzDrained);
    expect(o.after?.scopes).toEqual({});
  });

  test('a service drill fails that (region, service) and its abort reverts it at once', () => {
    const p = scopedPolicy();
    const d = started(p);
    const start = d.feed(
      T0 + 10 * S,
      command({ kind: 'drill', region: HZ, service: 'reviews', duration: 10 * M, reason: 'game day', actor: 'ops' }),
    ).plan;
    expect(start.after?.matrix).toEqual(identity2);
    expect(start.after?.scopes?.[REVIEWS]?.matrix).toEqual(hzDrained);
    const abort = d.feed(T0 + 20 * S, command({ kind: 'abortDrill', actor: 'ops' })).plan;
    expect(d.state?.serviceHealth?.[HZ]?.reviews?.status).toBe('HEALTHY');
    expect(abort.after?.scopes).toEqual({});
  });

  test('a service drill is refused while that service is unhealthy in any region', () => {
    const p = scopedPolicy();
    const d = started(p);
    d.feed(T0 + 10 * S, svcFire('rv', SH, 'reviews', 'degraded'));
    const refused = d.feed(
      T0 + 20 * S,
      command({ kind: 'drill', region: HZ, service: 'reviews', duration: 10 * M, reason: 'game day', actor: 'ops' }),
    ).plan;
    expect(refused.refused).toEqual([{ rule: 'drill.unhealthy', message: 'refused while cn-shanghai/reviews is DEGRADED' }]);
    expect(d.state?.drill).toBeNull();
  });
});

describe('safety per scope', () => {
  test('never drain a service everywhere: the refusal names the service', () => {
    const p = scopedPolicy();
    const d = started(p);
    d.feed(T0 + 10 * S, svcFire('rv-hz', HZ, 'reviews'));
    const plan = d.feed(T0 + 20 * S, svcFire('rv-sh', SH, 'reviews')).plan;
    // Both down with no magnitude: neither is measurably better, so neither takes the other's traffic (do no harm).
    expect(plan.refused).toContainEqual({
      rule: 'safety.doNoHarm',
      message: expect.stringMatching(
        /^service reviews: cn-shanghai is DOWN but shifting would not help: cn-hangzhou DOWN, 100% failing is not measurably better/,
      ),
    });
    expect(d.state?.applied?.scopes?.[REVIEWS]?.matrix).toEqual(hzDrained);
  });

  test('stepInterval and cooldown hold per scope: an elective step in reviews does not block one in ratings', () => {
    const p = scopedPolicy();
    const d = started(p);
    const rv = d.feed(T0 + 10 * S, svcFire('rv', HZ, 'reviews', 'degraded')).plan;
    expect(rv.after?.scopes?.[REVIEWS]?.matrix).toEqual({ [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } });
    // 5s later (inside the 30s cooldown and the 1m stepInterval of reviews): ratings degrades and moves.
    const ra = d.feed(T0 + 15 * S, svcFire('ra', HZ, 'ratings', 'degraded')).plan;
    expect(ra.refused).toEqual([]);
    expect(ra.after?.scopes?.[host('ratings')]?.matrix).toEqual({ [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } });
    // reviews' own next elective step (its recovery) is held by reviews' cooldown.
    expect(d.state?.scopeClock?.[REVIEWS]?.lastElectiveAt).toBe(T0 + 10 * S);
  });

  test("a scope's elective step is held by its own cooldown", () => {
    // The default changed nothing here: the refusal can only come from reviews' own clock.
    const p = scopedPolicy({ safety: { cooldown: '5m', stepInterval: '5m' } });
    const d = started(p);
    d.feed(T0 + 10 * S, svcFire('rv', HZ, 'reviews'));
    d.feed(T0 + 20 * S, svcResolve('rv', HZ, 'reviews'));
    // Hold 5m from T0+20s: at T0+5m20s reviews is RECOVERING (25%), its drain at T0+10s 5m10s
    // old: allowed. 2m later the 50% step is held by reviews' own 5m cooldown.
    expect(d.feed(T0 + 20 * S + 5 * M, tick).plan.after?.scopes?.[REVIEWS]?.matrix).toEqual({
      [HZ]: { [HZ]: 25, [SH]: 75 },
      [SH]: { [SH]: 100 },
    });
    const held = d.feed(T0 + 20 * S + 7 * M, tick).plan;
    expect(held.refused).toContainEqual({
      rule: 'safety.cooldown',
      message: 'service reviews: last change of reviews.default.svc.cluster.local 120s ago; cooldown 300s',
    });
  });
});
