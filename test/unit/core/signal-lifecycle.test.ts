import fc from 'fast-check';
import { decide } from '../../../shared/core/decide';
import type { Input, MeshState, Signal } from '../../../shared/core/types';
import { HZ, M, S, SH, T0, fire, policy2, resolve, started, tick } from './fixtures';

/**
 * The lifecycle of one alarm: a resolve leaves a tombstone, so a firing stamped at or before it
 * (a retry, an at-least-once redelivery) no longer re-opens the alarm; a repeat of an active alarm
 * keeps it alive whatever its time; the per-region cap never lapses a `down` for `degraded` ones.
 */

const p = policy2({ detection: { rules: [] } });
const active = (state: MeshState | null) => Object.keys(state?.signals ?? {});

describe('a late ALERT after its OK', () => {
  test.each(['cms', 'ack'])('%s: ALERT(t-60s) → OK(t-5s) → the same ALERT again stays resolved (out of order)', (source) => {
    const now = T0 + 30 * M;
    const d = started(p);
    d.feed(now, fire('k-1', HZ, 'down', { source, at: now - 60 * S }));
    expect(d.health[HZ]).toBe('DOWN');
    d.feed(now + S, resolve('k-1', HZ, 'down', { source, at: now - 5 * S }));
    expect(active(d.state)).toEqual([]);
    const resolved = JSON.stringify(d.state);
    const late = d.feed(now + 2 * S, fire('k-1', HZ, 'down', { source, at: now - 60 * S }));
    // Nothing changes: the region's hold (clearSince) runs on, it is not drained again.
    expect(JSON.stringify(d.state)).toBe(resolved);
    expect(d.state?.health[HZ]?.clearSince).toBe(now + S);
    expect(late.ignored).toEqual([expect.objectContaining({ key: 'k-1', status: 'firing', reason: 'out-of-order' })]);
    expect(late.plan.steps).toEqual([]);
    // A firing stamped at the same instant as the resolve is no newer than it: ignored too.
    d.feed(now + 3 * S, fire('k-1', HZ, 'down', { source, at: now - 5 * S }));
    expect(active(d.state)).toEqual([]);
    // A new firing, stamped after the resolve, is a new outage.
    d.feed(now + 4 * S, fire('k-1', HZ, 'down', { source, at: now + 3 * S }));
    expect(active(d.state)).toEqual(['k-1']);
    expect(d.health[HZ]).toBe('DOWN');
  });

  test('an OK delivered before its ALERT leaves a tombstone: the ALERT arriving after it is ignored', () => {
    const d = started(p);
    const now = T0 + 30 * M;
    d.feed(now, resolve('k-1', HZ, 'down', { at: now - 5 * S }));
    expect(d.state?.tombstones).toEqual({ 'k-1': { region: HZ, resolvedAt: now - 5 * S } });
    d.feed(now + S, fire('k-1', HZ, 'down', { at: now - 60 * S }));
    expect(active(d.state)).toEqual([]);
    expect(d.health[HZ]).toBe('HEALTHY');
  });

  test('tombstones are pruned past detection.maxAge and the field goes away when none is left', () => {
    const d = started(p);
    const now = T0 + 30 * M;
    d.feed(now, fire('k-1', HZ, 'down', { at: now }));
    d.feed(now + S, resolve('k-1', HZ, 'down', { at: now + S }));
    d.feed(now + S + 60 * M, tick);
    expect(d.state?.tombstones).toEqual({ 'k-1': { region: HZ, resolvedAt: now + S } });
    d.feed(now + 2 * S + 60 * M, tick);
    expect(d.state).not.toHaveProperty('tombstones');
  });

  test('tombstones are capped per region like signals: the oldest resolves go first', () => {
    const small = policy2({ detection: { rules: [], maxSignalsPerRegion: 3 } });
    const d = started(small);
    const now = T0 + 30 * M;
    for (let i = 0; i < 5; i++) d.feed(now + i * S, resolve(`k-${i}`, HZ, 'down', { at: now + i * S }));
    d.feed(now + 10 * S, resolve('s-1', SH, 'down', { at: now + 10 * S }));
    expect(Object.keys(d.state?.tombstones ?? {}).sort()).toEqual(['k-2', 'k-3', 'k-4', 's-1']);
  });

  test('a state row without tombstones (written before they existed) reads fine and stays without them', () => {
    const d = started(p);
    const row = JSON.parse(JSON.stringify(d.state)) as MeshState;
    expect(row).not.toHaveProperty('tombstones');
    const next = decide(p, row, tick, T0 + M);
    expect(next.state).not.toHaveProperty('tombstones');
    const fired = decide(p, row, fire('k-1', HZ, 'down', { at: T0 + M }) as Input, T0 + M);
    expect(fired.state.signals['k-1']).toBeDefined();
  });
});

describe('at-least-once deliveries in any order', () => {
  // 16 senders, 450 ALERT/OK pairs each delivered at least once in random order (the load).
  test('for any interleaving and duplication of an ALERT/OK pair, the alarm ends inactive iff its OK was delivered', () => {
    const delivery = fc.record({ ok: fc.boolean(), dt: fc.integer({ min: 0, max: 20 * S }) });
    fc.assert(
      fc.property(fc.array(delivery, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 55 * S }), (deliveries, gap) => {
        const start = T0 + 30 * M;
        const alertAt = start - 60 * S;
        const okAt = alertAt + gap;
        let state: MeshState | null = decide(p, null, tick, start).state;
        let now = start;
        for (const d of deliveries) {
          now += d.dt;
          const s: Signal = {
            key: 'k-1',
            source: 'cms',
            rule: 'cms-5xx',
            region: HZ,
            severity: 'down',
            status: d.ok ? 'resolved' : 'firing',
            at: d.ok ? okAt : alertAt,
            ttl: 10 * M,
          };
          state = decide(p, state, { kind: 'signal', signal: s }, now).state;
        }
        const okDelivered = deliveries.some((d) => d.ok);
        expect(active(state).includes('k-1')).toBe(!okDelivered);
      }),
      { numRuns: 500, seed: 17 },
    );
  });

  test('450 pairs from 16 senders, each alarm delivered twice, in a shuffled order: no resolved alarm is left active', () => {
    const wide = policy2({ detection: { rules: [], maxSignalsPerRegion: 500 } });
    const start = T0 + 30 * M;
    const deliveries: Signal[] = [];
    for (let i = 0; i < 450; i++) {
      const base: Signal = {
        key: `c${i % 16}-a${i}`,
        source: 'cms',
        rule: 'cms-5xx',
        region: i % 2 ? HZ : SH,
        severity: 'down',
        status: 'firing',
        at: start - 60 * S + (i % 30) * S,
        ttl: 10 * M,
      };
      const ok: Signal = { ...base, status: 'resolved', at: base.at + 10 * S };
      deliveries.push(base, ok, base, ok);
    }
    // A fixed pseudo-random shuffle (deterministic: the test never depends on chance).
    let seed = 17;
    for (let i = deliveries.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [deliveries[i], deliveries[j]] = [deliveries[j] as Signal, deliveries[i] as Signal];
    }
    let state = decide(wide, null, tick, start).state;
    // Delivered as webhook batches of 8 alarms, 100 ms apart.
    for (let i = 0; i < deliveries.length; i += 8) {
      state = decide(wide, state, { kind: 'signals', signals: deliveries.slice(i, i + 8) }, start + i * 100).state;
    }
    expect(active(state)).toEqual([]);
  });
});

describe('the per-region cap', () => {
  test('100 newer degraded signals never lapse an active down: the least severe go first', () => {
    const d = started(p);
    const now = T0 + 30 * M;
    d.feed(now, fire('critical', HZ, 'down', { at: now }));
    let last = d.feed(now + S, tick);
    for (let i = 0; i < 101; i++) last = d.feed(now + S + i * 100, fire(`warn-${i}`, HZ, 'degraded', { at: now + S + i * 100 }));
    expect(d.state?.signals.critical).toBeDefined();
    expect(d.health[HZ]).toBe('DOWN');
    expect(active(d.state)).toHaveLength(100);
    expect(last.lapsed).toEqual([{ key: 'warn-1', region: HZ, at: now + S + 100 }]);
  });

  test('with more downs than the cap, the oldest down lapses (the row stays bounded) and the region stays down', () => {
    const small = policy2({ detection: { rules: [], maxSignalsPerRegion: 2 } });
    const d = started(small);
    const now = T0 + 30 * M;
    d.feed(now, fire('w', HZ, 'degraded', { at: now }));
    d.feed(now + S, fire('d-1', HZ, 'down', { at: now + S }));
    const second = d.feed(now + 2 * S, fire('d-2', HZ, 'down', { at: now + 2 * S }));
    expect(second.lapsed).toEqual([{ key: 'w', region: HZ, at: now }]);
    const third = d.feed(now + 3 * S, fire('d-3', HZ, 'down', { at: now + 3 * S }));
    expect(third.lapsed).toEqual([{ key: 'd-1', region: HZ, at: now + S }]);
    expect(active(d.state).sort()).toEqual(['d-2', 'd-3']);
    expect(d.health[HZ]).toBe('DOWN');
  });
});

describe('signal keys from input are own properties only', () => {
  test.each(['__proto__', 'constructor', 'toString'])('a signal keyed %s is an ordinary signal, and its resolve clears it', (key) => {
    const d = started(p);
    const now = T0 + 30 * M;
    d.feed(now, fire(key, HZ, 'down', { at: now }));
    expect(Object.hasOwn(d.state?.signals ?? {}, key)).toBe(true);
    expect(d.health[HZ]).toBe('DOWN');
    const round = JSON.parse(JSON.stringify(d.state)) as MeshState;
    expect(Object.hasOwn(round.signals, key)).toBe(true);
    d.feed(now + S, resolve(key, HZ, 'down', { at: now + S }));
    expect(Object.hasOwn(d.state?.signals ?? {}, key)).toBe(false);
    expect(Object.hasOwn(d.state?.tombstones ?? {}, key)).toBe(true);
    d.feed(now + 2 * S, fire(key, HZ, 'down', { at: now }));
    expect(active(d.state)).toEqual([]);
  });
});
