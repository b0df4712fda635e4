import { begin, initialState } from '../../../shared/core/decide';
import { assessHealth, rememberMeasured } from '../../../shared/core/decide-health';
import { expireLapsed, takeInput } from '../../../shared/core/decide-input';
import { keptRefusals, limitMove, meshStep, recordDecision } from '../../../shared/core/decide-move';
import { chooseTarget } from '../../../shared/core/decide-target';
import type { MeshState, Signal, TrafficMatrix } from '../../../shared/core/types';
import {
  BJ,
  H,
  HZ,
  M,
  S,
  SH,
  T0,
  command,
  configOf,
  fire,
  hzDrained2,
  identity2,
  planId,
  policy2,
  policy3,
  signal,
  started,
  stamped,
} from './fixtures';

/**
 * Each phase of `decide` on its own (decide.ts lists them): what it takes, what it returns, what
 * it writes into the draft. The whole decision is covered by the other tables; these pin each
 * phase's contract so a phase cannot quietly take over another's job.
 */

const p = policy2();
/** The state after the first decision (normal matrix applied at T0) and one more input. */
function stateAfter(...inputs: Array<[number, ReturnType<typeof fire>]>): MeshState {
  const d = started(p);
  for (const [at, input] of inputs) d.feed(at, input);
  return d.state as MeshState;
}
const down = (key: string, region: string) => signal(key, region, 'down', 'firing', { at: T0 });

describe('begin', () => {
  test('no state: the initial state, seq 1 and its plan id, nothing changed yet', () => {
    const b = begin(p, null);
    expect(b.draft).toEqual(initialState(p));
    expect([b.seq, b.planId]).toEqual([1, planId(1)]);
    expect(b.changed()).toBe(false);
    b.draft.seq = 7;
    expect(b.changed()).toBe(true);
  });

  test("a region the policy added gets health in the draft, not in the caller's state, and does not count as a change", () => {
    const prev = stateAfter();
    const b = begin(policy3(), prev);
    expect(b.draft.health[BJ]?.status).toBe('HEALTHY');
    expect(prev.health[BJ]).toBeUndefined();
    expect(b.changed()).toBe(false);
    expect(b.seq).toBe(prev.seq + 1);
  });
});

describe('takeInput', () => {
  test('a firing signal enters the draft; the trigger names it; nothing manual', () => {
    const draft = begin(p, stateAfter()).draft;
    const t = takeInput(p, draft, stamped(fire('cms-1', HZ, 'down'), T0 + M), T0 + M, '2');
    expect(t.trigger).toBe('signal cms-1 firing');
    expect(Object.keys(draft.signals)).toEqual(['cms-1']);
    expect([t.manual, t.commandRefused, t.refused]).toEqual([false, false, []]);
  });

  test('a delivery of 25 signals: 20 lines, the other 5 only counted', () => {
    const draft = begin(p, stateAfter()).draft;
    const signals = Array.from({ length: 25 }, (_, i) => signal(`cms-${i}`, HZ, 'degraded', 'resolved', { at: T0 + M }));
    const t = takeInput(p, draft, { kind: 'signals', signals }, T0 + M, '2');
    expect(t.trigger).toBe('25 signals (0 firing, 25 resolved) from cms');
    expect(t.notes).toHaveLength(20);
    expect(t.signalNotesOver).toBe(5);
  });

  test('an override carried out is manual; a clear with a wrong id is refused and not manual', () => {
    const draft = begin(p, stateAfter()).draft;
    const o = takeInput(p, draft, command({ kind: 'override', matrix: hzDrained2, actor: 'ops' }), T0 + M, '2');
    expect([o.manual, o.commandRefused, o.trigger]).toEqual([true, false, 'command override by ops']);
    expect(draft.override?.id).toBe('ovr-2');
    const c = takeInput(p, draft, command({ kind: 'clearOverride', id: 'ovr-99', actor: 'ops' }), T0 + M, '3');
    expect([c.manual, c.commandRefused]).toEqual([false, true]);
    expect(c.refused.length).toBeGreaterThan(0);
    expect(draft.override?.id).toBe('ovr-2');
  });

  test('adopt: applied and confirmed as read, kept as an override with the default TTL', () => {
    const draft = begin(p, stateAfter()).draft;
    const t = takeInput(p, draft, { kind: 'adopt', matrix: hzDrained2, actor: 'drift' }, T0 + M, '4');
    expect(t.manual).toBe(true);
    expect(draft.applied).toEqual({ matrix: hzDrained2, at: T0 + M });
    expect(draft.meshConfirmed?.config).toEqual(configOf(p, hzDrained2));
    expect(draft.override).toMatchObject({ id: 'ovr-4', matrix: hzDrained2, expiresAt: T0 + M + p.overrides.defaultTtl });
  });
});

describe('expireLapsed', () => {
  test('a signal past its TTL is dropped and its region cleared as of its end, not as of now', () => {
    const draft = begin(p, stateAfter([T0 + S, fire('cms-1', HZ, 'down')])).draft;
    const s = draft.signals['cms-1'] as Signal;
    const end = (s.seenAt ?? s.at) + s.ttl;
    const e = expireLapsed(p, draft, end + 5 * M, []);
    expect(draft.signals).toEqual({});
    expect(e.clearedAt).toEqual({ [HZ]: end });
    expect(e.notes).toEqual(['signal cms-1 expired after its TTL (600s) without a resolve']);
  });

  test('a signal still within its TTL stays; a region resolved by the input is cleared as of now', () => {
    const draft = begin(p, stateAfter([T0 + S, fire('cms-1', HZ, 'down')])).draft;
    const e = expireLapsed(p, draft, T0 + 2 * M, [SH]);
    expect(Object.keys(draft.signals)).toEqual(['cms-1']);
    expect(e.clearedAt).toEqual({ [SH]: T0 + 2 * M });
    expect(e.notes).toEqual([]);
  });

  test('an expired override is dropped; signals over the per-region cap lapse, the least severe first', () => {
    const capped = policy2({ detection: { maxSignalsPerRegion: 2 } });
    const draft = begin(capped, stateAfter()).draft;
    draft.override = { id: 'ovr-1', matrix: hzDrained2, force: false, reason: 'x', actor: 'ops', createdAt: T0, expiresAt: T0 + M };
    draft.signals = { a: down('a', HZ), b: signal('b', HZ, 'degraded', 'firing', { at: T0 }), c: down('c', HZ) };
    const e = expireLapsed(capped, draft, T0 + M, []);
    expect(draft.override).toBeNull();
    expect(Object.keys(draft.signals).sort()).toEqual(['a', 'c']);
    expect(e.lapsed).toEqual([{ key: 'b', region: HZ, at: T0 }]);
    expect(e.notes[0]).toBe('override ovr-1 expired');
  });
});

describe('assessHealth', () => {
  test('a down signal takes its region DOWN: one transition, its text naming the cause, a critical notification', () => {
    const draft = begin(p, stateAfter()).draft;
    draft.signals = { 'cms-1': down('cms-1', HZ) };
    const h = assessHealth(p, draft, T0 + M, {}, new Map());
    expect(h.transitions.map((t) => [t.region, t.from, t.to])).toEqual([[HZ, 'HEALTHY', 'DOWN']]);
    expect(h.texts[0]).toContain('cms-1 (cms, rule cms-5xx)');
    expect(h.notify).toEqual([{ kind: 'notify', level: 'critical', message: h.texts[0] }]);
    expect(draft.health[HZ]?.status).toBe('DOWN');
    expect(h.active.map((s) => s.key)).toEqual(['cms-1']);
  });

  test('no signals, all healthy: no transition, nothing to say', () => {
    const draft = begin(p, stateAfter()).draft;
    expect(assessHealth(p, draft, T0 + M, {}, new Map())).toEqual({ active: [], transitions: [], texts: [], notify: [] });
  });

  test('rememberMeasured: a sick region keeps the worst error share measured; a healthy one forgets it', () => {
    const draft = begin(p, stateAfter()).draft;
    (draft.health[HZ] as MeshState['health'][string]).status = 'DEGRADED';
    (draft.health[SH] as MeshState['health'][string]).measured = 0.4;
    const m = (key: string, value: number): Signal => ({
      ...signal(key, HZ, 'degraded', 'firing', { at: T0 }),
      measure: { kind: 'errorShare', value, metric: 'cms-5xx' },
    });
    rememberMeasured(p, draft, [m('a', 0.2), m('b', 0.35)]);
    expect(draft.health[HZ]?.measured).toBe(0.35);
    expect(draft.health[SH]?.measured).toBeUndefined();
  });
});

describe('chooseTarget', () => {
  test('HZ DOWN on the normal matrix: drain it; the drained matrix is also the urgent base', () => {
    const state = stateAfter([T0 + S, fire('cms-1', HZ, 'down')]);
    // Reading the state only: the target phase never writes it.
    const copy = structuredClone(state);
    const c = chooseTarget(p, state, T0 + M, [down('cms-1', HZ)], undefined, true);
    expect(state).toEqual(copy);
    // The previous decision already drained it: current is the drained matrix, so nothing moves.
    expect([c.current, c.target, c.drainBase]).toEqual([hzDrained2, hzDrained2, hzDrained2]);
    expect(c.reasons).toEqual(['layer normal']);
  });

  test('a DOWN region not yet drained: target and drain base leave it; current is what is applied', () => {
    const state = stateAfter();
    (state.health[HZ] as MeshState['health'][string]).status = 'DOWN';
    const c = chooseTarget(p, state, T0 + M, [down('cms-1', HZ)], undefined, true);
    expect(c.current).toEqual(identity2);
    expect(c.target).toEqual(hzDrained2);
    expect(c.drainBase).toEqual(hzDrained2);
    expect(c.refused).toEqual([]);
  });

  test('every region DOWN: the health response drains neither (neither is better) and says so, notified only when health changed', () => {
    const state = stateAfter();
    for (const r of [HZ, SH]) (state.health[r] as MeshState['health'][string]).status = 'DOWN';
    const c = chooseTarget(p, state, T0 + M, [down('a', HZ), down('b', SH)], undefined, true);
    expect(c.target).toEqual(identity2);
    expect(c.refused.map((r) => r.rule)).toEqual(['safety.doNoHarm', 'safety.doNoHarm']);
    expect(c.notify.map((n) => n.kind === 'notify' && n.message)).toEqual(c.refused.map((r) => `refused ${r.rule}: ${r.message}`));
    expect(chooseTarget(p, state, T0 + M, [down('a', HZ), down('b', SH)], undefined, false).notify).toEqual([]);
  });

  test('a forced override that would leave fewer than minServingRegions serving: the safety floor keeps the current matrix', () => {
    const floor2 = policy2({ safety: { minServingRegions: 2, maxDrainedRegions: 0 } });
    const state = stateAfter();
    state.override = { id: 'ovr-1', matrix: hzDrained2, force: true, reason: 'x', actor: 'ops', createdAt: T0, expiresAt: T0 + H };
    const c = chooseTarget(floor2, state, T0 + M, [], undefined, false);
    expect(c.target).toEqual(identity2);
    expect(c.reasons).toEqual([
      'layer override (ovr-1 until 2024-06-03T03:00:00.000Z)',
      'override ovr-1 is forced: the target guard does not apply (break-glass)',
    ]);
    expect(c.refused.map((r) => r.rule)).toEqual(['safety.minServingRegions']);
    expect(c.notify).toEqual([
      { kind: 'notify', level: 'critical', message: 'all regions look down: monitoring may be broken; keeping the last good matrix' },
    ]);
  });

  test('before the first decision: no current matrix, the target is the normal one', () => {
    const c = chooseTarget(p, initialState(p), T0, [], undefined, false);
    expect([c.current, c.drainBase]).toEqual([null, null]);
    expect(c.target).toEqual(identity2);
  });
});

describe('limitMove', () => {
  const half: TrafficMatrix = { [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } };
  const ask = (o: Partial<Parameters<typeof limitMove>[3]> = {}) => ({
    current: identity2,
    target: hzDrained2,
    drainBase: identity2,
    manual: false,
    drillAborted: false,
    ...o,
  });

  test('nothing to move: nothing applied, nothing refused', () => {
    expect(limitMove(p, stateAfter(), T0 + H, ask({ target: identity2 }))).toEqual({
      applied: null,
      urgent: false,
      elective: false,
      refused: [],
    });
  });

  test('a drain of a DOWN region is urgent and goes whole, whatever the rate limits', () => {
    const m = limitMove(p, stateAfter(), T0 + S, ask({ drainBase: hzDrained2 }));
    expect(m).toEqual({ applied: hzDrained2, urgent: true, elective: false, refused: [] });
  });

  test('an elective shift is limited to maxStepPercent and starts the step interval', () => {
    const m = limitMove(p, stateAfter(), T0 + H, ask());
    expect(m.applied).toEqual(half);
    expect([m.urgent, m.elective]).toEqual([false, true]);
    expect(m.refused.map((r) => r.rule)).toEqual(['safety.maxStepPercent']);
  });

  test("inside the cooldown an elective shift is held; an operator's change is not", () => {
    const held = limitMove(p, stateAfter(), T0 + S, ask());
    expect([held.applied, held.elective, held.refused.map((r) => r.rule)]).toEqual([null, false, ['safety.cooldown']]);
    expect(limitMove(p, stateAfter(), T0 + S, ask({ manual: true })).applied).toEqual(hzDrained2);
  });

  test('paused: nothing applied unless the operator asks; an urgent drain waits too', () => {
    const state = stateAfter();
    state.paused = { actor: 'ops', at: T0, reason: 'maintenance' };
    const m = limitMove(p, state, T0 + H, ask({ drainBase: hzDrained2 }));
    expect([m.applied, m.refused.map((r) => r.rule)]).toEqual([null, ['paused']]);
    expect(limitMove(p, state, T0 + H, ask({ manual: true })).applied).toEqual(hzDrained2);
  });
});

describe('meshStep', () => {
  const move = (applied: TrafficMatrix | null, o: { urgent?: boolean; elective?: boolean } = {}) => ({
    applied,
    urgent: o.urgent ?? false,
    elective: o.elective ?? false,
    refused: [],
  });

  test('no move and no scope change: no step, the draft untouched', () => {
    const draft = begin(p, stateAfter()).draft;
    const copy = structuredClone(draft);
    expect(meshStep(p, draft, T0 + M, 'x', identity2, move(null), null)).toEqual({ matrix: null, config: null, steps: [], notify: [] });
    expect(draft).toEqual(copy);
  });

  test('an elective move: scale-ups before the mesh step, the rendered config, applied and both times recorded', () => {
    const draft = begin(p, stateAfter()).draft;
    const m = meshStep(p, draft, T0 + H, 'x', identity2, move(hzDrained2, { elective: true }), null);
    expect(m.config).toEqual(configOf(p, hzDrained2));
    const kinds = m.steps.map((s) => s.kind);
    expect(kinds.indexOf('mesh')).toBeGreaterThan(kinds.indexOf('scale'));
    expect(m.steps.find((s) => s.kind === 'scale')).toMatchObject({ waitReady: true });
    expect(draft.applied).toEqual({ matrix: hzDrained2, at: T0 + H });
    expect([draft.lastChangeAt, draft.lastElectiveAt]).toEqual([T0 + H, T0 + H]);
  });

  test('an urgent move scales without waiting and does not start the step interval', () => {
    const draft = begin(p, stateAfter()).draft;
    const m = meshStep(p, draft, T0 + H, 'x', identity2, move(hzDrained2, { urgent: true }), null);
    expect(m.steps.find((s) => s.kind === 'scale')).toMatchObject({ waitReady: false });
    expect([draft.lastChangeAt, draft.lastElectiveAt]).toEqual([T0 + H, null]);
  });
});

describe('recordDecision', () => {
  const base = { seq: 9, steps: 0, refused: [], commandRefused: false, now: T0 + M, trigger: 'tick' };

  test('seq is taken when there are steps or the state changed, not otherwise', () => {
    for (const [steps, changed, seq] of [
      [0, false, 1],
      [1, false, 9],
      [0, true, 9],
    ] as const) {
      const draft = begin(p, stateAfter()).draft;
      recordDecision(draft, { ...base, steps, changed: () => changed });
      expect(draft.seq).toBe(seq);
    }
  });

  test('refusals are kept with their first time while the same rules are refused; a refused command keeps none', () => {
    const draft = begin(p, stateAfter()).draft;
    const refused = [{ rule: 'safety.cooldown', message: 'a' }];
    recordDecision(draft, { ...base, changed: () => false, refused });
    expect(draft.lastRefusals).toEqual({ at: T0 + M, trigger: 'tick', refused });
    recordDecision(draft, { ...base, changed: () => false, refused: [{ rule: 'safety.cooldown', message: 'b' }], now: T0 + 2 * M });
    expect(draft.lastRefusals?.at).toBe(T0 + M);
    recordDecision(draft, { ...base, changed: () => false, refused: [], commandRefused: true });
    expect(draft.lastRefusals?.at).toBe(T0 + M);
    recordDecision(draft, { ...base, changed: () => false, refused: [] });
    expect(draft.lastRefusals).toBeNull();
  });

  test('keptRefusals: other rules start a new entry', () => {
    const prev = { at: T0, trigger: 'tick', refused: [{ rule: 'paused', message: 'p' }] };
    expect(keptRefusals(prev, [{ rule: 'capacity', message: 'c' }], T0 + M, 'tick')?.at).toBe(T0 + M);
  });
});
