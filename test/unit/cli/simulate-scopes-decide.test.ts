import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { runSimulate } from '../../../cli/simulate';

/**
 * Service scopes end to end through `regionshift simulate` with the real decision core: the example
 * policy with `scopes:` (the policy schema and decide of service scopes), a reviews fault in
 * cn-hangzhou, and per-scope expectations. It needs the policy schema and decide that produce scopes
 * (built on their own branch), so it passes once those are merged in.
 */

const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';
const REVIEWS = 'reviews.default.svc.cluster.local';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'regionshift-sim-scopes-'));
  const policy = parseYaml(readFileSync('examples/bookinfo.yaml', 'utf8')) as Record<string, unknown>;
  // Without the evening schedule, so the scenario holds whatever its start time meets.
  delete policy.schedules;
  policy.scopes = {
    namespace: 'default',
    shiftAt: 'entry',
    entry: ['productpage'],
    services: { productpage: {}, reviews: {}, details: {}, ratings: {} },
  };
  writeFileSync(path.join(dir, 'policy.yaml'), stringifyYaml(policy));
  writeFileSync(
    path.join(dir, 'scenario.yaml'),
    `name: reviews-down-in-hangzhou
start: 2026-11-03T02:15:00Z
steps:
  - at: 0s
    tick: true
    expect:
      mode: failover
      scopes: { ${REVIEWS}: default, productpage.default.svc.cluster.local: default }
  # reviews (only reviews) fails in cn-hangzhou: its host is drained to cn-shanghai; every other
  # host keeps the default, which stays the normal matrix (the region is not DOWN).
  - at: 30s
    signal: { key: "cms|hz-reviews-5xx", source: cms, region: ${HZ}, service: reviews, severity: down, status: firing }
    expect:
      matrix: { ${HZ}: { ${HZ}: 100 }, ${SH}: { ${SH}: 100 } }
      scopes:
        ${REVIEWS}: { ${HZ}: { ${SH}: 100 }, ${SH}: { ${SH}: 100 } }
        details.default.svc.cluster.local: default
        productpage.default.svc.cluster.local: default
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a reviews fault in cn-hangzhou drains the reviews host only; --json records carry the scope', async () => {
  const log: string[] = [];
  const err: string[] = [];
  const code = await runSimulate(
    ['--policy', path.join(dir, 'policy.yaml'), '--scenario', path.join(dir, 'scenario.yaml'), '--json'],
    { log: (s) => log.push(s), error: (s) => err.push(s) },
    {},
  );
  expect(err).toEqual(['expectations: 2 met, 0 failed']);
  expect(code).toBe(0);
  const last = JSON.parse(log.at(-1) ?? '{}') as { scopes?: Record<string, { matrix: unknown }> };
  expect(last.scopes?.[REVIEWS]?.matrix).toEqual({ [HZ]: { [SH]: 100 }, [SH]: { [SH]: 100 } });
});
