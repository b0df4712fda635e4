import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { makeRunDoctor } from '../../../cli/doctor';
import { main } from '../../../cli/main';
import type { ReadinessProbes } from '../../../shared/ports/readiness-probes';

/** Exit codes and output of `regionshift doctor` with probes handed in (the lab e2e runs it on the real adapters). */
const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-doctor-cli-'));
const raw = parseYaml(readFileSync('examples/bookinfo.yaml', 'utf8')) as Record<string, unknown>;
const policyFile = path.join(dir, 'p.yaml');
writeFileSync(policyFile, stringifyYaml(raw));

function probes(o: Partial<ReadinessProbes> = {}): ReadinessProbes {
  return {
    destinationRules: async () => [{ namespace: 'default', name: 'reviews', hasOutlierDetection: true, hasLocalityLbSetting: false }],
    nodes: async (c) => [
      {
        name: `n-${c}`,
        labels: { 'topology.kubernetes.io/region': c === 'c-hangzhou' ? 'cn-hangzhou' : 'cn-shanghai', 'topology.kubernetes.io/zone': 'z' },
      },
    ],
    workloadEntries: async () => [],
    meshLive: async () => ({ enabled: true, config: null }),
    deployment: async () => ({}),
    stateStore: async () => ({ backend: 'sqlite', version: 1 }),
    executor: async () => ({ functionName: 'regionshift-executor' }),
    ...o,
  };
}

async function run(args: string[], p: ReadinessProbes = probes()) {
  const out: string[] = [];
  const err: string[] = [];
  let closed = false;
  const code = await makeRunDoctor({ probes: async () => ({ probes: p, close: async () => void (closed = true) }) })(
    args,
    { log: (s) => out.push(s), error: (s) => err.push(s) },
    {},
  );
  return { code, out, err, closed };
}

test('nothing failing: exit 0 (warnings do not fail), human rows with their fix', async () => {
  const r = await run(['--policy', policyFile]);
  expect(r.code).toBe(0);
  expect(r.out[0]).toBe('readiness of bookinfo: WARN');
  expect(r.out).toContain(
    'WARN  cloudAlarmWiring: could not check: regionshift does not read CloudMonitor or EventBridge rules (the response fields are unverified)',
  );
  expect(r.out.some((l) => l.startsWith('WARN  control-plane-placement: could not tell the region of: functions'))).toBe(true);
  expect(r.out.at(-1)).toBe('11 pass, 2 warn, 0 fail');
  expect(r.closed).toBe(true);
});

test('a failing check: exit 1; --json gives the report', async () => {
  const r = await run(['--policy', policyFile, '--json'], probes({ meshLive: async () => ({ enabled: false, config: null }) }));
  expect(r.code).toBe(1);
  const report = JSON.parse(r.out.join('\n')) as { status: string; checks: Array<{ id: string; status: string; fix: string | null }> };
  expect(report.status).toBe('fail');
  expect(report.checks.find((c) => c.id === 'localityLbEnabled')).toMatchObject({
    status: 'fail',
    fix: expect.stringContaining('LocalityLoadBalancing=true'),
  });
});

test('a probe that throws is a row, not a crash', async () => {
  const r = await run(
    ['--policy', policyFile, '--json'],
    probes({ stateStore: async () => Promise.reject(new Error('no such table: state')) }),
  );
  expect(r.code).toBe(1);
  expect(JSON.parse(r.out.join('\n')).checks.find((c: { id: string }) => c.id === 'stateTables')).toMatchObject({
    status: 'fail',
    message: expect.stringContaining('no such table: state'),
  });
});

test.each([[[]], [['--policy']], [['--json']], [['--policy', policyFile, '--bogus']], [[policyFile]]])(
  'usage error %j: exit 2',
  async (args) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^usage: regionshift doctor/);
  },
);

test('a policy that does not load: exit 1 naming the problem', async () => {
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, stringifyYaml({ ...raw, regions: { 'cn-hangzhou': {} } }));
  const r = await run(['--policy', bad]);
  expect(r.code).toBe(1);
  expect(r.err.join('\n')).toContain('regions');
  expect((await run(['--policy', path.join(dir, 'missing.yaml')])).code).toBe(1);
});

test('the command is wired into main', async () => {
  const err: string[] = [];
  expect(await main(['doctor'], { log: () => undefined, error: (s) => err.push(s) }, {})).toBe(2);
  expect(err[0]).toMatch(/^usage: regionshift doctor/);
});
