import { formatDuration, parseDuration } from '../../shared/core/duration';

describe('parseDuration', () => {
  test.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['2d', 172_800_000],
    [30, 30_000],
  ] as const)('%s → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test.each(['', '5', 'm5', '5 minutes', '-1s', 'abc'])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeNull();
  });

  test('formatDuration round-trips', () => {
    for (const ms of [1000, 90_000, 5_400_000, 250, 86_400_000 + 61_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
