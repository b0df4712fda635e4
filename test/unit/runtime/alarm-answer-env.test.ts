import { PolicyError } from '../../../shared/core/errors';
import { parseRuntimeEnv } from '../../../shared/runtime/config';

/** REGIONSHIFT_ALARM_ANSWER: `first` (the product) or `after-steps` (the alarm-latency benchmark's baseline). */
const base = { REGIONSHIFT_POLICY: 'x: 1', REGIONSHIFT_ALARM_TOKEN: 'a'.repeat(16), REGIONSHIFT_CONTROL_SECRET: 'c'.repeat(16) };

test("unset or empty is the product's default; either mode is read as given", () => {
  expect(parseRuntimeEnv(base).REGIONSHIFT_ALARM_ANSWER).toBeUndefined();
  expect(parseRuntimeEnv({ ...base, REGIONSHIFT_ALARM_ANSWER: '' }).REGIONSHIFT_ALARM_ANSWER).toBeUndefined();
  expect(parseRuntimeEnv({ ...base, REGIONSHIFT_ALARM_ANSWER: 'first' }).REGIONSHIFT_ALARM_ANSWER).toBe('first');
  expect(parseRuntimeEnv({ ...base, REGIONSHIFT_ALARM_ANSWER: 'after-steps' }).REGIONSHIFT_ALARM_ANSWER).toBe('after-steps');
});

test.each(['later', 'FIRST', 'true'])('REGIONSHIFT_ALARM_ANSWER=%s is refused naming the variable and the choices', (v) => {
  expect(() => parseRuntimeEnv({ ...base, REGIONSHIFT_ALARM_ANSWER: v })).toThrow(PolicyError);
  expect(() => parseRuntimeEnv({ ...base, REGIONSHIFT_ALARM_ANSWER: v })).toThrow(/REGIONSHIFT_ALARM_ANSWER: must be first or after-steps/);
});
