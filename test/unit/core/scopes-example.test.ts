import { readFileSync, readdirSync } from 'node:fs';
import { simulate } from '../../../cli/simulate';
import { summarizeExpectations } from '../../../cli/simulate-expect';
import { loadScenario } from '../../../cli/simulate-scenario';
import { decide } from '../../../shared/core/decide';
import { loadPolicyYaml } from '../../../shared/core/policy';

const policy = loadPolicyYaml(readFileSync('examples/bookinfo-scoped.yaml', 'utf8'));
const DIR = 'examples/scenarios/scoped';

describe('examples/bookinfo-scoped.yaml', () => {
  test('validates, with the four Bookinfo services scoped and productpage as the entry', () => {
    expect(policy.scopes).toEqual({
      namespace: 'default',
      shiftAt: 'entry',
      entry: ['productpage'],
      services: { productpage: {}, reviews: {}, details: {}, ratings: {} },
    });
  });

  test.each(readdirSync(DIR).filter((f) => f.endsWith('.yaml')))('scenario %s meets every expectation it states', (file) => {
    const records = simulate(policy, loadScenario(readFileSync(`${DIR}/${file}`, 'utf8')), DIR);
    const summary = summarizeExpectations(records);
    expect(summary.failed).toBe(0);
    expect(summary.met).toBeGreaterThan(0);
  });

  test("the evening schedule at 22:00 Asia/Shanghai: productpage's host 90/10, nothing else", () => {
    const start = Date.parse('2026-03-02T14:00:00Z');
    const d = decide(policy, null, { kind: 'tick' }, start);
    expect(d.plan.after?.matrix).toEqual({ 'cn-hangzhou': { 'cn-hangzhou': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } });
    expect(Object.keys(d.plan.after?.scopes ?? {})).toEqual(['productpage.default.svc.cluster.local']);
    expect(d.plan.after?.scopes?.['productpage.default.svc.cluster.local']?.matrix).toEqual({
      'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 },
      'cn-shanghai': { 'cn-shanghai': 100 },
    });
    // Capacity follows the users: shanghai's productpage and (composed through the local hops) its other services take 10% more.
    const ups = d.plan.steps
      .filter((s) => s.kind === 'scale' && s.to > s.from)
      .map((s) => s.kind === 'scale' && `${s.deployment}@${s.region}`);
    expect(ups).toEqual(expect.arrayContaining(['productpage-v1@cn-shanghai', 'reviews-v2@cn-shanghai']));
  });
});
