import { decide, initialState } from '../../../shared/core/decide';
import type { Input, MeshState } from '../../../shared/core/types';
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
  deploymentKey,
  emptyPlan,
  fire,
  hzDrained2,
  identity2,
  mesh,
  notify,
  planId,
  policy2,
  policy3,
  resolve,
  scaleDown,
  scaleUp,
  stamped,
  started,
  tick,
  view,
} from './fixtures';

describe('the first decision and the empty plan', () => {
  test('an empty state gets the normal matrix, rendered as failover mode', () => {
    const p = policy2();
    const d = decide(p, null, tick, T0);
    expect(d.plan).toEqual({
      id: planId(1),
      at: T0,
      trigger: 'tick',
      reasons: ['layer normal'],
      before: null,
      after: view(p, identity2),
      steps: [mesh(p, identity2)],
      refused: [],
    });
    expect(d.state).toEqual({ ...initialState(p), applied: { matrix: identity2, at: T0 }, lastChangeAt: T0, seq: 1 });
  });

  test.each<[string, Input, number]>([
    ['the same tick again', tick, T0],
    ['a tick a minute later', tick, T0 + M],
    ['a resolve for a signal that is not active, already remembered', resolve('cms-9', HZ, 'down', { at: T0 }), T0 + M],
  ])('%s changes nothing: the empty plan, the same state', (_name, input, now) => {
    const p = policy2();
    // The resolve's tombstone is already there (a resolve of an inactive signal is remembered once).
    const ticked = decide(p, null, tick, T0);
    const first = input.kind === 'signal' ? decide(p, ticked.state, resolve('cms-9', HZ, 'down', { at: T0 }), T0) : ticked;
    const again = decide(p, first.state, stamped(input, now), now);
    const reasons = input.kind === 'signal' ? ['resolve for cms-9, which is not active: nothing to do', 'layer normal'] : ['layer normal'];
    const trigger = input.kind === 'signal' ? 'signal cms-9 resolved' : 'tick';
    expect(again.plan).toEqual(emptyPlan(p, first.state.seq + 1, now, trigger, reasons, identity2));
    expect(again.state).toStrictEqual(first.state);
    expect(again.explain).toEqual([`${new Date(now).toISOString()} ${trigger}`, ...reasons.map((r) => `  ${r}`), '  no change']);
  });

  test('decide does not mutate the state it is given', () => {
    const p = policy2();
    const first = decide(p, null, tick, T0);
    const frozen = structuredClone(first.state);
    decide(p, first.state, stamped(fire('cms-1', HZ, 'down'), T0 + M), T0 + M);
    expect(first.state).toStrictEqual(frozen);
  });
});

describe('the same firing signal twice', () => {
  test.each<[string, number]>([
    ['at the same instant', 0],
    ['a minute later (well within half its TTL)', M],
  ])('%s changes nothing', (_name, later) => {
    const p = policy2();
    const d = started(p);
    const first = d.feed(T0 + 10 * M, fire('cms-1', HZ, 'down'));
    expect(first.plan.after?.matrix).toEqual(hzDrained2);
    const second = d.feed(T0 + 10 * M + later, fire('cms-1', HZ, 'down'));
    expect(second.plan).toEqual(
      emptyPlan(p, 3, T0 + 10 * M + later, 'signal cms-1 firing', ['signal cms-1 already active (duplicate)', 'layer normal'], hzDrained2),
    );
    expect(second.state).toStrictEqual(first.state);
  });

  test('a second DEGRADED signal for the region does not compound the shed; its key joins the causes', () => {
    const p = policy2();
    const d = started(p);
    const first = d.feed(T0 + 10 * M, fire('am-1', HZ, 'degraded', { source: 'alertmanager', rule: 'am-errors' }));
    const second = d.feed(T0 + 11 * M, fire('cms-2', HZ, 'degraded'));
    expect(first.plan.after?.matrix).toEqual({ [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } });
    expect(second.plan.after).toBeNull();
    expect(second.plan.steps).toEqual([]);
    expect(second.state.health[HZ]).toEqual({
      status: 'DEGRADED',
      since: T0 + 10 * M,
      clearSince: null,
      hold: 5 * M,
      causes: ['am-1', 'cms-2'],
    });
  });
});

describe('explain', () => {
  test('a DOWN transition names the signal key, its source and detection rule, and the health rule that fired', () => {
    const p = policy2();
    const d = started(p);
    const { explain } = d.feed(T0 + 10 * M, fire('cms-1', HZ, 'down'));
    expect(explain).toEqual([
      '2024-06-03T02:10:00.000Z signal cms-1 firing',
      '  signal cms-1: cn-hangzhou down from cms (rule cms-5xx)',
      '  cn-hangzhou HEALTHY → DOWN: down signals meet quorum (1/1 distinct sources/rules) [cms-1 (cms, rule cms-5xx)]',
      '  layer normal',
      '  scale c-shanghai/bookinfo/productpage-v1 2 → 5',
      '  mesh → distribute: cn-hangzhou→{cn-shanghai:100} cn-shanghai→{cn-shanghai:100}',
      '  scale c-hangzhou/bookinfo/productpage-v1 2 → 1 not before 2024-06-03T02:25:00.000Z',
      '  notify critical: cn-hangzhou HEALTHY → DOWN: down signals meet quorum (1/1 distinct sources/rules) [cms-1 (cms, rule cms-5xx)]',
    ]);
  });

  test('with quorum 2 the explain names both sources', () => {
    const p = policy2({ detection: { quorum: 2 } });
    const d = started(p);
    const one = d.feed(T0 + 10 * M, fire('cms-1', HZ, 'down'));
    expect(one.explain).toEqual([
      '2024-06-03T02:10:00.000Z signal cms-1 firing',
      '  signal cms-1: cn-hangzhou down from cms (rule cms-5xx)',
      '  layer normal',
      '  no change',
    ]);
    const two = d.feed(T0 + 11 * M, fire('am-1', HZ, 'down', { source: 'alertmanager', rule: 'am-errors' }));
    expect(two.explain.slice(0, 3)).toEqual([
      '2024-06-03T02:11:00.000Z signal am-1 firing',
      '  signal am-1: cn-hangzhou down from alertmanager (rule am-errors)',
      '  cn-hangzhou HEALTHY → DOWN: down signals meet quorum (2/2 distinct sources/rules) [am-1 (alertmanager, rule am-errors), cms-1 (cms, rule cms-5xx)]',
    ]);
  });
});

describe('ids', () => {
  test('an override that changes no traffic still takes a fresh id: a later override never reuses it', () => {
    const p = policy2();
    const d = started(p);
    const pin = d.feed(T0 + M, command({ kind: 'override', matrix: identity2, ttl: H, actor: 'alice' }));
    expect(pin.plan.steps).toEqual([]);
    const firstId = pin.state.override?.id;
    d.feed(T0 + 2 * M, command({ kind: 'clearOverride', actor: 'alice' }));
    const again = d.feed(T0 + 3 * M, command({ kind: 'override', matrix: identity2, ttl: H, actor: 'bob' }));
    expect(firstId).toBe('ovr-2');
    expect(again.state.override?.id).toBe('ovr-4');
    // The clear of the first override, replayed, must not clear the second one.
    const stale = d.feed(T0 + 4 * M, command({ kind: 'clearOverride', id: 'ovr-2', actor: 'alice' }));
    expect(stale.plan.refused).toEqual([{ rule: 'override.notFound', message: 'override ovr-2 is not the active one (ovr-4)' }]);
    expect(stale.state.override?.id).toBe('ovr-4');
  });
});

describe('determinism', () => {
  /** A long mixed sequence in three regions: signals, relapses, a drill, an override, pause and resume. */
  const sequence: Array<[number, Input]> = [
    [T0, tick],
    [T0 + 1 * M, fire('cms-1', HZ, 'down')],
    [T0 + 1 * M + 5 * S, fire('am-1', BJ, 'degraded', { source: 'alertmanager', rule: 'am-errors' })],
    [T0 + 2 * M, tick],
    [T0 + 3 * M, resolve('cms-1', HZ, 'down')],
    [T0 + 4 * M, tick],
    [T0 + 5 * M, resolve('am-1', BJ, 'degraded')],
    ...Array.from({ length: 30 }, (_, i): [number, Input] => [T0 + (6 + i) * M, tick]),
    [T0 + 36 * M, fire('cms-2', SH, 'degraded')],
    [T0 + 37 * M, command({ kind: 'override', drain: [BJ], ttl: 20 * M, actor: 'alice', reason: 'maintenance' })],
    [T0 + 38 * M, command({ kind: 'pause', actor: 'bob' })],
    [T0 + 39 * M, fire('cms-3', HZ, 'down')],
    [T0 + 40 * M, command({ kind: 'resume', actor: 'bob' })],
    ...Array.from({ length: 40 }, (_, i): [number, Input] => [T0 + (41 + i) * M, tick]),
    [T0 + 81 * M, resolve('cms-3', HZ, 'down')],
    [T0 + 81 * M, resolve('cms-2', SH, 'degraded')],
    ...Array.from({ length: 30 }, (_, i): [number, Input] => [T0 + (82 + i) * M, tick]),
  ];

  function runAll(roundTrip: boolean): string[] {
    const p = policy3({ response: { redistribute: 'proportional' }, safety: { maxDrainedRegions: 2 } });
    let state: MeshState | null = null;
    return sequence.map(([now, input]) => {
      const d = decide(p, state, stamped(input, now), now);
      // The store keeps the state as JSON: a state read back must decide exactly the same.
      state = roundTrip ? (JSON.parse(JSON.stringify(d.state)) as MeshState) : d.state;
      return JSON.stringify({ plan: d.plan, explain: d.explain });
    });
  }

  test('the same inputs give byte-identical plans, also when the state goes through JSON between inputs', () => {
    const a = runAll(false);
    const b = runAll(false);
    const c = runAll(true);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    // The sequence exercised the interesting paths (a drain, a stepped return, a pause refusal).
    const all = a.join('\n');
    expect(all).toContain('"mode":"distribute"');
    expect(all).toContain('"rule":"paused"');
    expect(all).toContain('recovery complete');
  });
});

describe('state bookkeeping', () => {
  test('a DOWN drain records the replicas it asked for and the delayed scale-down', () => {
    const p = policy2();
    const d = new Driver(p);
    d.feed(T0, tick);
    const down = d.feed(T0 + 10 * M, fire('cms-1', HZ, 'down'));
    expect(down.state.scale).toEqual({
      [deploymentKey(HZ)]: { replicas: 2, pendingDown: { to: 1, notBefore: T0 + 25 * M, planId: planId(2) } },
      [deploymentKey(SH)]: { replicas: 5 },
    });
    expect(down.plan.steps).toEqual([
      scaleUp(SH, 2, 5, false),
      mesh(p, hzDrained2),
      scaleDown(HZ, 2, 1, T0 + 25 * M),
      notify('critical', 'cn-hangzhou HEALTHY → DOWN: down signals meet quorum (1/1 distinct sources/rules) [cms-1 (cms, rule cms-5xx)]'),
    ]);
  });
});
