import { decide } from '../../../shared/core/decide';
import type { Input, Signal } from '../../../shared/core/types';
import { H, HZ, M, S, SH, T0, fire, policy2, policy3, resolve, signal, started } from './fixtures';

/**
 * An alarm acts with the time its source stamped, not the time it arrived: a resolve older than
 * the firing it would clear, an alarm older than detection.maxAge or further ahead than
 * detection.clockSkew change nothing and are reported as ignored.
 */

const p = policy2({ detection: { rules: [] } });
const batch = (signals: Signal[]): Input => ({ kind: 'signals', signals });

describe('alarm time', () => {
  test('an OK stamped 10 minutes before the active ALERT does not clear it (out of order)', () => {
    const d = started(p);
    d.feed(T0 + 20 * M, fire('cms-1', HZ, 'down', { at: T0 + 19 * M }));
    expect(d.health[HZ]).toBe('DOWN');
    const late = d.feed(T0 + 21 * M, resolve('cms-1', HZ, 'down', { at: T0 + 9 * M }));
    expect(Object.keys(d.state?.signals ?? {})).toEqual(['cms-1']);
    expect(late.ignored).toEqual([expect.objectContaining({ key: 'cms-1', reason: 'out-of-order' })]);
    expect(late.plan.reasons[0]).toMatch(/^resolve for cms-1 stamped .* is older than its firing .*: ignored$/);
    // An OK stamped after the ALERT clears it as before.
    d.feed(T0 + 22 * M, resolve('cms-1', HZ, 'down', { at: T0 + 21 * M }));
    expect(d.state?.signals).toEqual({});
  });

  test('an ALERT stamped 30 days ago is stale: no state change, reported as ignored', () => {
    const d = started(p);
    const before = JSON.stringify(d.state);
    const now = T0 + 10 * M;
    const stale = d.feed(now, fire('cms-1', HZ, 'down', { at: now - 30 * 24 * H }));
    expect(JSON.stringify(stale.state)).toBe(before);
    expect(stale.plan.steps).toEqual([]);
    expect(stale.ignored).toEqual([expect.objectContaining({ key: 'cms-1', reason: 'stale', at: now - 30 * 24 * H })]);
    expect(stale.plan.reasons[0]).toMatch(/stale, ignored/);
    expect(d.health[HZ]).toBe('HEALTHY');
  });

  test('an ALERT stamped a year ahead is stale; one within clockSkew (5m by default) is taken', () => {
    const d = started(p);
    const now = T0 + 10 * M;
    const ahead = d.feed(now, fire('cms-1', HZ, 'down', { at: now + 365 * 24 * H }));
    expect(ahead.ignored).toEqual([expect.objectContaining({ reason: 'future' })]);
    expect(d.health[HZ]).toBe('HEALTHY');
    d.feed(now + S, fire('cms-1', HZ, 'down', { at: now + 4 * M }));
    expect(d.health[HZ]).toBe('DOWN');
  });

  test("maxAge is the policy's: 90 minutes old is stale by default, fresh under maxAge 2h", () => {
    const now = T0 + 10 * M;
    expect(decide(p, started(p).state, fire('cms-1', HZ, 'down', { at: now - 90 * M }), now).ignored).toHaveLength(1);
    const lax = policy2({ detection: { maxAge: '2h' } });
    const d = started(lax);
    expect(d.feed(now, fire('cms-1', HZ, 'down', { at: now - 90 * M })).ignored).toBeUndefined();
    expect(d.health[HZ]).toBe('DOWN');
  });

  test('a repeat of an active firing keeps it alive whatever its time (Alertmanager repeats the original startsAt)', () => {
    const d = started(p);
    const startsAt = T0 + 5 * M;
    d.feed(T0 + 6 * M, fire('am-1', HZ, 'down', { at: startsAt, ttl: 10 * M }));
    // Two hours on, re-sent every 4 minutes with the same startsAt: still active, and its time kept.
    for (let t = T0 + 10 * M; t <= T0 + 2 * H; t += 4 * M) d.feed(t, fire('am-1', HZ, 'down', { at: startsAt, ttl: 10 * M }));
    expect(d.state?.signals['am-1']).toMatchObject({ at: startsAt });
    expect(d.health[HZ]).toBe('DOWN');
    // The TTL counts from the last notification that refreshed it, not from startsAt.
    const seen = d.state?.signals['am-1']?.seenAt as number;
    expect(seen).toBeGreaterThan(T0 + 2 * H - 10 * M);
    d.feed(seen + 10 * M - S, { kind: 'tick' });
    expect(d.state?.signals['am-1']).toBeDefined();
    d.feed(seen + 10 * M, { kind: 'tick' });
    expect(d.state?.signals['am-1']).toBeUndefined();
  });
});

describe('a batch of signals', () => {
  test('is one decision: one plan, every signal applied, stale ones reported', () => {
    const d = started(p);
    const now = T0 + 10 * M;
    const out = d.feed(
      now,
      batch([
        signal('cms-1', HZ, 'down', 'firing', { at: now }),
        signal('cms-2', SH, 'degraded', 'firing', { at: now }),
        signal('cms-3', SH, 'down', 'firing', { at: now - 2 * H }),
      ]),
    );
    expect(out.plan.trigger).toBe('3 signals (3 firing, 0 resolved) from cms');
    expect(Object.keys(d.state?.signals ?? {}).sort()).toEqual(['cms-1', 'cms-2']);
    expect(out.ignored?.map((i) => [i.key, i.reason])).toEqual([['cms-3', 'stale']]);
    expect(d.health).toEqual({ [HZ]: 'DOWN', [SH]: 'DEGRADED' });
  });

  test("of 3,000 signals keeps the plan's reasons short: 20 signal lines and a count", () => {
    const d = started(p);
    const now = T0 + 10 * M;
    const out = d.feed(
      now,
      batch(Array.from({ length: 3000 }, (_, i) => signal(`am-${i}`, i % 2 ? HZ : SH, 'degraded', 'firing', { at: now }))),
    );
    expect(out.plan.reasons.filter((r) => r.startsWith('signal am-'))).toHaveLength(20);
    expect(out.plan.reasons).toContain('… and 2980 more signal notes');
    expect(JSON.stringify(out.plan).length).toBeLessThan(32 * 1024);
  });
});

describe('detection.maxSignalsPerRegion', () => {
  test('among signals of one severity, the least recently heard of a region lapse first; other regions keep theirs', () => {
    const small = policy2({ detection: { maxSignalsPerRegion: 3 } });
    const d = started(small);
    for (let i = 0; i < 5; i++) d.feed(T0 + (i + 1) * M, fire(`hz-${i}`, HZ, 'degraded'));
    d.feed(T0 + 6 * M, fire('sh-0', SH, 'degraded'));
    const last = d.feed(T0 + 7 * M, fire('hz-5', HZ, 'degraded'));
    expect(Object.keys(d.state?.signals ?? {}).sort()).toEqual(['hz-3', 'hz-4', 'hz-5', 'sh-0']);
    expect(last.lapsed).toEqual([{ key: 'hz-2', region: HZ, at: T0 + 3 * M }]);
    expect(last.plan.reasons).toContain(
      '1 least severe, oldest signals of cn-hangzhou lapsed: more than detection.maxSignalsPerRegion (3) active (first: hz-2)',
    );
    expect(d.state?.health[HZ]?.causes).toEqual(['hz-3', 'hz-4', 'hz-5']);
  });
});

describe('the policy bounds the state row', () => {
  test('regions × maxSignalsPerRegion over 1,000 is refused, naming the field', () => {
    expect(() => policy2({ detection: { maxSignalsPerRegion: 501 } })).toThrow(/detection.maxSignalsPerRegion: must be <= 500/);
    expect(() => policy3({ detection: { maxSignalsPerRegion: 400 } })).toThrow(
      /detection.maxSignalsPerRegion: 400 × 3 regions exceeds 1000 active signals/,
    );
    expect(policy3({ detection: { maxSignalsPerRegion: 300 } }).detection.maxSignalsPerRegion).toBe(300);
  });
});
