import { PolicyError } from '../../../shared/core/errors';
import { parseRuntimeEnv } from '../../../shared/runtime/config';

/** REGIONSHIFT_POLL_MS: the lab's short wait polls; unset in the cloud, where the adapters' defaults hold. */
const base = { REGIONSHIFT_POLICY: 'x: 1', REGIONSHIFT_ALARM_TOKEN: 'a'.repeat(16), REGIONSHIFT_CONTROL_SECRET: 'c'.repeat(16) };

test('unset (or empty, as s.yaml passes an unset variable) leaves the adapters their defaults', () => {
  expect(parseRuntimeEnv(base).REGIONSHIFT_POLL_MS).toBeUndefined();
  expect(parseRuntimeEnv({ ...base, REGIONSHIFT_POLL_MS: '' }).REGIONSHIFT_POLL_MS).toBeUndefined();
  expect(parseRuntimeEnv({ ...base, REGIONSHIFT_POLL_MS: '100' }).REGIONSHIFT_POLL_MS).toBe(100);
});

test.each(['5', '-1', 'fast', '1.5', '600000'])('REGIONSHIFT_POLL_MS=%s is refused naming the variable', (v) => {
  expect(() => parseRuntimeEnv({ ...base, REGIONSHIFT_POLL_MS: v })).toThrow(PolicyError);
  expect(() => parseRuntimeEnv({ ...base, REGIONSHIFT_POLL_MS: v })).toThrow(/REGIONSHIFT_POLL_MS/);
});
