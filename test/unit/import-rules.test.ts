import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The import rules (.dependency-cruiser.mjs, run by `npm run lint`) against a fixture tree laid
 * out like the repository, with one forbidden import per rule and allowed imports beside them:
 * each forbidden one is reported under its rule, nothing else is, and the run fails.
 */

const ROOT = process.cwd();
const FIXTURE = path.join(ROOT, 'test/fixtures/import-rules');
const CONFIG = path.join(ROOT, '.dependency-cruiser.mjs');
const BIN = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(cwd: string, args: string[]) {
  const run = spawnSync(process.execPath, [BIN, '--config', CONFIG, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (run.error) throw run.error;
  return run;
}

let violations: Violation[];

beforeAll(() => {
  const run = cruise(FIXTURE, ['--output-type', 'json', '.']);
  violations = (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
});

const pairs = () =>
  violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to.replace(/^(\.\.\/)*node_modules\//, 'node_modules/')}`).sort();

test('every planted violation is reported under its rule, and nothing else is', () => {
  expect(pairs()).toEqual([
    // An adapter importing an entry point breaks two rules with one import.
    'adapters-not-upward: shared/adapters/mesh.ts -> cli/main.ts',
    'bench-not-test: bench/run.ts -> test/support/helper.ts',
    'core-only-core: shared/core/pure.ts -> fs',
    'engine-through-ports: shared/engine/engine.ts -> shared/adapters/fc-client.ts',
    'functions-not-adapters: functions/alarm/handler.ts -> shared/adapters/fc-client.ts',
    'http-not-adapters: shared/http/client.ts -> shared/adapters/fc-client.ts',
    'lab-not-test-bench: lab/world.ts -> test/support/helper.ts',
    // A circle of folders with no circle of files in it, seen from each side.
    'no-circular-folders: lab/asm -> lab/k8s',
    'no-circular-folders: lab/k8s -> lab/asm',
    // A circle of files, one side a type-only import.
    'no-circular: shared/http/reply.ts -> shared/http/request.ts',
    'not-to-unresolvable: bench/broken.ts -> ./missing',
    'ports-no-implementations: shared/ports/clock.ts -> shared/signals/cms.ts',
    'product-not-lab-test-bench: cli/main.ts -> lab/world.ts',
    'readiness-judges-only: shared/readiness/report.ts -> shared/engine/engine.ts',
    'runtime-not-http: shared/runtime/context.ts -> shared/http/request.ts',
    // A dynamic import() counts as much as a static one.
    'sdk-only-in-adapters: shared/runtime/handoff.ts -> node_modules/@alicloud/fc20230330/dist/client.js',
    'shared-not-entry-points: shared/adapters/mesh.ts -> cli/main.ts',
    'signals-parse-only: shared/signals/cms.ts -> shared/engine/engine.ts',
  ]);
});

test('the fixture breaks every rule of the configuration', () => {
  const rules = [...readFileSync(CONFIG, 'utf8').matchAll(/^\s+name: '([a-z-]+)',$/gm)].map((m) => m[1]);
  expect(rules.length).toBeGreaterThanOrEqual(15);
  expect(new Set(violations.map((v) => v.rule.name))).toEqual(new Set(rules));
});

test('the allowed imports beside them stay quiet: an adapter loading its SDK, a handler reaching the runtime', () => {
  expect(violations.filter((v) => v.from === 'shared/adapters/fc-client.ts')).toEqual([]);
  expect(violations.filter((v) => v.from === 'functions/alarm/handler.ts' && v.to.startsWith('shared/runtime/'))).toEqual([]);
});

test('the run fails as lint runs it: the exit status counts the errors', () => {
  const run = cruise(FIXTURE, ['.']);
  expect(run.status).toBe(violations.length);
  expect(run.stdout).toContain('error no-circular: shared/http/');
  expect(run.stdout).toContain('error sdk-only-in-adapters: shared/runtime/handoff.ts');
});

test('npm run lint runs the rules, and leaves this fixture out of its own run', () => {
  const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  expect(scripts.lint).toMatch(/depcruise .*--config \.dependency-cruiser\.mjs/);
  const run = cruise(ROOT, ['test/fixtures/import-rules']);
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('no dependency violations found (0 modules');
});
