import { readFileSync } from 'node:fs';

/**
 * CloudMonitor refuses a `SilenceTime` below 3,600 s (its minimum; default 86,400 s): a template
 * with 300 would fail PutResourceMetricRule, and whoever fixed it by hand would not know that a
 * continuously firing rule then repeats at most hourly. Every template carries a valid one.
 */

const SILENCE_MIN_S = 3600;
const doc = JSON.parse(readFileSync('infra/cms/alarm-templates.json', 'utf8')) as { rules: Array<Record<string, string>> };

test('the templates list rules', () => {
  expect(doc.rules.length).toBeGreaterThan(0);
});

test.each(doc.rules.map((r) => [r.RuleId, r] as const))('%s: SilenceTime is whole seconds, at least 3600', (_id, rule) => {
  const text = rule.SilenceTime;
  expect(text).toMatch(/^\d+$/);
  expect(Number(text)).toBeGreaterThanOrEqual(SILENCE_MIN_S);
});
