import { ValidationError } from '../../../shared/core/errors';

/** The problems of the ValidationError `run` throws; fails the test if it throws anything else or nothing. */
export function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).code).toBe('INPUT.INVALID');
    return (err as ValidationError).problems;
  }
  throw new Error('expected a ValidationError, but nothing was thrown');
}
