import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { simulate } from '../../../cli/simulate';
import { loadScenario } from '../../../cli/simulate-scenario';
import { loadPolicyYaml } from '../../../shared/core/policy';

/** A raw CMS callback names no region: the scenario says which region's URL it came in on. */

const policy = loadPolicyYaml(readFileSync('examples/bookinfo.yaml', 'utf8'));
const scenario = (raw: string) =>
  loadScenario(`start: 2026-11-03T02:15:00Z
steps:
  - { at: 0s, tick: true }
  - at: 30s
    raw: ${raw}
`);
const lastHealth = (raw: string) => simulate(policy, scenario(raw), resolve('examples/scenarios')).at(-1)?.health;

test('the URL region places the callback, whatever the body says', () => {
  expect(lastHealth('{ kind: cms-callback, file: ../../events/alarms/cms-callback-alert.txt, urlRegion: cn-shanghai }')).toEqual({
    'cn-hangzhou': 'HEALTHY',
    'cn-shanghai': 'DOWN',
  });
  expect(lastHealth('{ kind: cms-callback, file: ../../events/alarms/cms-callback-alert.txt, urlRegion: cn-hangzhou }')).toEqual({
    'cn-hangzhou': 'DOWN',
    'cn-shanghai': 'HEALTHY',
  });
});

test('without a URL region the callback is unmatched and changes nothing', () => {
  const records = simulate(
    policy,
    scenario('{ kind: cms-callback, file: ../../events/alarms/cms-callback-alert.txt }'),
    resolve('examples/scenarios'),
  );
  expect(records.at(-1)).toMatchObject({
    health: { 'cn-hangzhou': 'HEALTHY', 'cn-shanghai': 'HEALTHY' },
    changed: false,
    input: { raw: 'cms-callback', unmatched: expect.stringContaining('without a callback URL naming a region') },
  });
});

test('a URL region the policy does not declare, or on a payload that has no URL, is refused naming it', () => {
  expect(() =>
    simulate(
      policy,
      scenario('{ kind: cms-callback, file: ../../events/alarms/cms-callback-alert.txt, urlRegion: cn-beijing }'),
      resolve('examples/scenarios'),
    ),
  ).toThrow('raw.urlRegion: unknown region cn-beijing (declared: cn-hangzhou, cn-shanghai)');
  expect(() => scenario('{ kind: cms-eventbridge, file: ../../events/alarms/cms-eventbridge-alarm.json, urlRegion: cn-hangzhou }')).toThrow(
    'urlRegion: only cms-callback and alertmanager payloads arrive on a URL',
  );
});
