import { decide, initialState } from '../../../shared/core/decide';
import type { MeshState } from '../../../shared/core/types';
import { T0, policy2 } from './fixtures';

/** decide copies the previous state before working on it: the copy must be exact and independent. */
test('the previous state is never changed, and a key spelled __proto__ stays an own key of the copy', () => {
  const p = policy2();
  // As a state read back from the store is: JSON.parse makes __proto__ an own key.
  const text = JSON.stringify({ ...initialState(p), scale: { 'c-x/ns/app': { replicas: 2 } } }).replace('"c-x/ns/app"', '"__proto__"');
  const prev = JSON.parse(text) as MeshState;
  expect(Object.keys(prev.scale)).toEqual(['__proto__']);
  const d = decide(p, prev, { kind: 'tick' }, T0);
  expect(JSON.stringify(prev)).toBe(text);
  expect(Object.getPrototypeOf(d.state.scale)).toBe(Object.prototype);
  expect(Object.keys(d.state.scale)).toContain('__proto__');
  expect(Object.getOwnPropertyDescriptor(d.state.scale, '__proto__')?.value).toEqual({ replicas: 2 });
  expect(d.state.scale).not.toBe(prev.scale);
});
