import { jest } from '@jest/globals';
import fc from 'fast-check';
import { decide, initialState } from '../../../shared/core/decide';
import { sameJson } from '../../../shared/core/json-equal';
import type { MeshState } from '../../../shared/core/types';
import { HZ, M, T0, fire, policy2 } from './fixtures';

/** decide's "did anything change" check: sameJson must answer exactly what comparing JSON texts answers. */
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(undefined, null, true, false, 0, -0, 1, NaN, Infinity, -Infinity, '', '0', '__proto__', 'a'),
    fc.integer({ min: -3, max: 3 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', '1', '0', '__proto__'), tie('value'), { maxKeys: 4 }),
  ),
})).value;

test('sameJson(a, b) is JSON.stringify(a) === JSON.stringify(b), on random values and on a value against its edited copy', () => {
  fc.assert(
    fc.property(jsonish, jsonish, (a, b) => sameJson(a, b) === (JSON.stringify(a) === JSON.stringify(b))),
    { numRuns: 3000 },
  );
  // Near misses are rare between independent values: also each value against a reparsed copy of itself (key order kept, undefined dropped).
  fc.assert(
    fc.property(jsonish, (a) => {
      const text = JSON.stringify(a);
      const copy: unknown = text === undefined ? undefined : JSON.parse(text);
      return sameJson(a, copy) === (JSON.stringify(copy) === text);
    }),
    { numRuns: 2000 },
  );
});

test('key order counts, as it does in JSON text', () => {
  expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
  expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  expect(sameJson([undefined], [null])).toBe(true);
  expect(sameJson({ d: new Date(0) }, { d: '1970-01-01T00:00:00.000Z' })).toBe(true);
});

/**
 * The check costs no serialisation when a decision plans steps (it used to serialise the whole
 * state up front on every decision, ≈ 10 KB at 20 regions × 10 deployments), and still takes a
 * new seq exactly when the state changed.
 */
test('decide serialises no state on a decision that plans steps; seq moves only when the state changed', () => {
  const p = policy2();
  const settled = decide(p, decide(p, null, { kind: 'tick' }, T0).state, { kind: 'tick' }, T0 + M).state;
  const stringify = jest.spyOn(JSON, 'stringify');
  try {
    const down = decide(p, settled, fire('k1', HZ, 'down', { at: T0 + 2 * M }), T0 + 2 * M);
    expect(down.plan.steps.length).toBeGreaterThan(0);
    const serialisedState = stringify.mock.calls.filter(([v]) => typeof v === 'object' && v !== null && 'health' in v && 'seq' in v);
    expect(serialisedState).toEqual([]);
  } finally {
    stringify.mockRestore();
  }
  const quiet = decide(p, settled, { kind: 'tick' }, T0 + 2 * M);
  expect({ steps: quiet.plan.steps.length, seq: quiet.state.seq }).toEqual({ steps: 0, seq: settled.seq });
  // A state from before a region was added: its health is filled in before the comparison's
  // starting point is taken (as it always was), so that alone takes no seq.
  const older = structuredClone(settled) as MeshState;
  delete older.health[HZ];
  const filled = decide(p, older, { kind: 'tick' }, T0 + 2 * M);
  expect({ seq: filled.state.seq, health: filled.state.health[HZ]?.status }).toEqual({ seq: settled.seq, health: 'HEALTHY' });
  // …and a real change on top of it still does.
  const paused = decide(p, older, { kind: 'command', command: { kind: 'pause', actor: 'test', reason: 'x' } }, T0 + 2 * M);
  expect(paused.state.seq).toBe(settled.seq + 1);
  expect(initialState(p).seq).toBe(0);
});
