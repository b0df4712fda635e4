import { entryLines } from '../../cli/control-render';
import { statusView } from '../../shared/engine/status';
import type { EntryRead, EntryRoute, Input, TrafficMatrix } from '../../shared/core/types';
import { Driver, HZ, M, S, SH, T0, fire, identity2, policy2, policyProblems } from './core/fixtures';

/**
 * Policy `scopes.entryFrom`: the entry services derived from the gateways' VirtualServices (read
 * by the runtime, passed in on ticks) are treated exactly like named ones; a read that fails or
 * names no scoped service keeps the last derived set, and with none the elective shift is refused.
 */

const host = (s: string) => `${s}.default.svc.cluster.local`;
const PRODUCTPAGE = host('productpage');
const REVIEWS = host('reviews');
const m9010: TrafficMatrix = { [HZ]: { [HZ]: 90, [SH]: 10 }, [SH]: { [SH]: 100 } };
const hzDrained: TrafficMatrix = { [HZ]: { [SH]: 100 }, [SH]: { [SH]: 100 } };
const SERVICES = { productpage: {}, reviews: {}, details: {}, ratings: {} };
const GATEWAY = 'default/bookinfo-gateway';
// 02:00 UTC daily, and the fixtures' T0 is 02:00 UTC: the schedule is on at T0 + a few seconds, whatever the hour the test runs.
const sched = { name: 'evening', cron: '0 0 2 * * *', timezone: 'UTC', duration: '1h', matrix: { [HZ]: { [HZ]: 90, [SH]: 10 } } };

const named = (extra: Record<string, unknown> = {}) => policy2({ scopes: { entry: ['productpage'], services: SERVICES }, ...extra });
const derived = (extra: Record<string, unknown> = {}) =>
  policy2({ scopes: { entryFrom: { gateways: [GATEWAY] }, services: SERVICES }, ...extra });

const routes = (...r: Array<[string, string]>): EntryRoute[] => r.map(([h, vs]) => ({ host: h, virtualService: vs }));
const read = (...r: Array<[string, string]>): Input => ({ kind: 'tick', entry: { ok: true, routes: routes(...r) } });
const failed = (error: string): Input => ({ kind: 'tick', entry: { ok: false, error } satisfies EntryRead });
const bookinfo = read([PRODUCTPAGE, 'default/bookinfo']);

const problems = policyProblems;

describe('scopes.entryFrom: validation', () => {
  test('entry and entryFrom are exclusive; one of them is required; each names its field', () => {
    expect(problems(() => policy2({ scopes: { entry: ['productpage'], entryFrom: { gateways: [GATEWAY] }, services: SERVICES } }))).toEqual(
      [expect.stringMatching(/^scopes\.entryFrom: set either scopes\.entry .* or scopes\.entryFrom .*not both$/)],
    );
    expect(problems(() => policy2({ scopes: { services: SERVICES } }))).toEqual([
      expect.stringMatching(/^scopes\.entry: name at least one entry service, or set scopes\.entryFrom/),
    ]);
  });

  test('a gateway is <namespace>/<name>, at least one, none twice', () => {
    expect(problems(() => derived({ scopes: { entryFrom: { gateways: ['bookinfo-gateway'] }, services: SERVICES } }))).toEqual([
      expect.stringMatching(/^scopes\.entryFrom\.gateways\[0\]: must be <namespace>\/<gateway name>/),
    ]);
    expect(problems(() => derived({ scopes: { entryFrom: { gateways: [] }, services: SERVICES } }))).toEqual([
      expect.stringMatching(/^scopes\.entryFrom\.gateways: name at least one gateway/),
    ]);
    expect(problems(() => derived({ scopes: { entryFrom: { gateways: [GATEWAY, GATEWAY] }, services: SERVICES } }))).toEqual([
      'scopes.entryFrom.gateways[1]: default/bookinfo-gateway is listed twice',
    ]);
    expect(derived().scopes?.entryFrom).toEqual({ gateways: [GATEWAY] });
  });
});

describe('scopes.entryFrom: the derived entry is a named entry', () => {
  test('the 90/10 schedule lands on the derived entry host exactly as on a named one', () => {
    const a = new Driver(named({ schedules: [sched] })).feed(T0 + 1 * S, { kind: 'tick' }).plan;
    const d = new Driver(derived({ schedules: [sched] }));
    const b = d.feed(T0 + 1 * S, bookinfo).plan;
    expect(b.after).toEqual(a.after);
    expect(b.after?.matrix).toEqual(identity2);
    expect(b.after?.scopes?.[PRODUCTPAGE]?.matrix).toEqual(m9010);
    expect(b.refused).toEqual([]);
    expect(d.state?.entry).toEqual({ services: ['productpage'], from: ['default/bookinfo'], since: T0 + 1 * S, problem: null });
    expect(b.reasons).toContain(`entry services derived from default/bookinfo (gateways ${GATEWAY}): productpage`);
  });

  test('a signal between ticks (no read) decides with the recorded set', () => {
    const d = new Driver(derived());
    d.feed(T0 + 1 * S, bookinfo);
    const deg = d.feed(T0 + 10 * S, fire('a', HZ, 'degraded')).plan;
    expect(deg.after?.matrix).toEqual(identity2);
    expect(deg.after?.scopes?.[PRODUCTPAGE]?.matrix).toEqual({ [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } });
  });

  test('the same read again changes nothing in the state (no write every tick)', () => {
    const d = new Driver(derived({ schedules: [sched] }));
    d.feed(T0 + 1 * S, bookinfo);
    const before = JSON.stringify(d.state);
    const again = d.feed(T0 + 2 * S, bookinfo);
    expect(again.plan.steps).toEqual([]);
    expect(JSON.stringify({ ...again.state, seq: 0 })).toEqual(JSON.stringify({ ...JSON.parse(before), seq: 0 }));
  });

  test('the routes move to another scoped service: the entry moves with them', () => {
    const d = new Driver(derived({ schedules: [sched] }));
    d.feed(T0 + 1 * S, bookinfo);
    const moved = d.feed(T0 + 2 * M, read([REVIEWS, 'default/bookinfo'], ['unscoped.other.svc.cluster.local', 'default/bookinfo'])).plan;
    expect(d.state?.entry?.services).toEqual(['reviews']);
    expect(moved.reasons.join('\n')).toContain('reviews (were productpage)');
    expect(Object.keys(moved.after?.scopes ?? {})).toEqual([REVIEWS]);
  });
});

describe('scopes.entryFrom: never a guess', () => {
  test('no read yet: the elective shift is refused with the reason; a region DOWN still drains every scope', () => {
    const d = new Driver(derived({ schedules: [sched] }));
    const first = d.feed(T0 + 1 * S, { kind: 'tick' }).plan;
    expect(first.after?.matrix).toEqual(identity2);
    expect(first.after?.scopes).toEqual({});
    expect(first.refused).toEqual([
      {
        rule: 'scopes.entryFrom',
        message: expect.stringMatching(
          /^no entry service is known \(the gateways' VirtualServices were not read yet\): the schedule evening shift is not applied at any hop; a region DOWN still drains every scope$/,
        ),
      },
    ]);
    const down = d.feed(T0 + 10 * S, fire('b', HZ, 'down')).plan;
    expect(down.after?.matrix).toEqual(hzDrained);
  });

  test('a failed read keeps the last derived set, records why, and leaves the routing alone', () => {
    const d = new Driver(derived({ schedules: [sched] }));
    d.feed(T0 + 1 * S, bookinfo);
    const applied = d.state?.applied;
    const bad = d.feed(T0 + 2 * M, failed('list VirtualServices failed: Network: connect ECONNREFUSED 127.0.0.1:1'));
    expect(bad.plan.steps).toEqual([]);
    expect(d.state?.applied).toEqual(applied);
    expect(d.state?.entry).toEqual({
      services: ['productpage'],
      from: ['default/bookinfo'],
      since: T0 + 1 * S,
      problem: {
        message: `could not read the VirtualServices of gateways ${GATEWAY}: list VirtualServices failed: Network: connect ECONNREFUSED 127.0.0.1:1`,
        since: T0 + 2 * M,
      },
    });
    expect(bad.plan.reasons.join('\n')).toContain('keeping the entry services derived before (productpage)');
    // The same failure again writes nothing; a good read clears the problem.
    const state = JSON.stringify(d.state?.entry);
    d.feed(T0 + 3 * M, failed('list VirtualServices failed: Network: connect ECONNREFUSED 127.0.0.1:1'));
    expect(JSON.stringify(d.state?.entry)).toBe(state);
    d.feed(T0 + 4 * M, bookinfo);
    expect(d.state?.entry?.problem).toBeNull();
    expect(d.state?.entry?.since).toBe(T0 + 1 * S);
  });

  test('a read naming no scoped service, or no route, keeps the set; with none known the shift is refused naming why', () => {
    const d = new Driver(derived({ schedules: [sched] }));
    const none = d.feed(T0 + 1 * S, read(['web.shop.svc.cluster.local', 'shop/web'])).plan;
    expect(d.state?.entry?.services).toEqual([]);
    expect(none.refused).toEqual([
      { rule: 'scopes.entryFrom', message: expect.stringContaining(`route to no scoped service (hosts: web.shop.svc.cluster.local)`) },
    ]);
    expect(none.after?.scopes).toEqual({});
    d.feed(T0 + 2 * S, bookinfo);
    const empty = d.feed(T0 + 3 * S, read()).plan;
    expect(d.state?.entry?.services).toEqual(['productpage']);
    expect(d.state?.entry?.problem?.message).toBe(`no VirtualService bound to gateways ${GATEWAY} routes anywhere`);
    expect(empty.steps).toEqual([]);
  });

  test('a policy naming entry ignores reads and drops a derived set left from an entryFrom policy', () => {
    const d = new Driver(derived());
    d.feed(T0 + 1 * S, bookinfo);
    const n = new Driver(named(), d.state);
    n.feed(T0 + 2 * S, read([REVIEWS, 'default/bookinfo']));
    expect(n.state?.entry).toBeUndefined();
  });
});

describe('scopes.entryFrom: status and CLI say where the entry set came from', () => {
  test('derived: the VirtualServices, the gateways, since when, and a read not used', () => {
    const p = derived();
    const d = new Driver(p);
    d.feed(T0 + 1 * S, bookinfo);
    d.feed(T0 + 2 * M, failed('list VirtualServices failed: 403 Forbidden: no'));
    const v = statusView(p, d.state, 3, [], [], T0 + 3 * M);
    expect(v.entry).toEqual({
      source: 'virtualservices',
      services: ['productpage'],
      gateways: [GATEWAY],
      from: ['default/bookinfo'],
      since: new Date(T0 + 1 * S).toISOString(),
      problem: {
        message: `could not read the VirtualServices of gateways ${GATEWAY}: list VirtualServices failed: 403 Forbidden: no`,
        since: new Date(T0 + 2 * M).toISOString(),
      },
    });
    expect(entryLines(v)).toEqual([
      `entry services: productpage  (derived from VirtualService default/bookinfo bound to gateway ${GATEWAY}, since ${new Date(T0 + 1 * S).toISOString()})`,
      `  latest read not used (since ${new Date(T0 + 2 * M).toISOString()}): could not read the VirtualServices of gateways ${GATEWAY}: list VirtualServices failed: 403 Forbidden: no`,
    ]);
    expect(entryLines(statusView(p, null, 0, [], [], T0))).toEqual([
      `entry services: none known  (scopes.entryFrom, gateway ${GATEWAY}): elective shifts are refused until one is derived`,
    ]);
  });

  test('named in the policy; no scopes, no entry line', () => {
    expect(entryLines(statusView(named(), null, 0, [], [], T0))).toEqual([
      'entry services: productpage  (named in the policy, scopes.entry)',
    ]);
    expect(statusView(policy2(), null, 0, [], [], T0).entry).toBeUndefined();
  });
});
