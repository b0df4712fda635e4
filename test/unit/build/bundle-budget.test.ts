import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Bundle budget: each function's entry (what FC loads at cold start) stays under 1 MB and holds
 * no cloud SDK; the SDKs sit beside it in the function's own node_modules and are loaded only
 * when first used. Built into a temporary folder, so it never races the s.yaml build test over dist/.
 */
const out = mkdtempSync(path.join(tmpdir(), 'regionshift-budget-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Built {
  function: string;
  out: string;
  bytes: number;
  lazyBytes: number;
  sdks: string[];
  sdkBytes: number;
  atRequire: string[];
  lazyInputs: string[];
  shared: string[];
}
let built: Built[] = [];

beforeAll(() => {
  const script = `import(${JSON.stringify(path.resolve('scripts/build.mjs'))}).then(async (m) => process.stdout.write(JSON.stringify(await m.buildFunctions({ outRoot: ${JSON.stringify(out)}, withoutPolicy: true }))))`;
  built = JSON.parse(
    execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, REGIONSHIFT_DEPLOY_POLICY: '' } }),
  ) as Built[];
}, 120_000);

test('every entry is under 1 MB and the SDKs it imports are beside it', () => {
  expect(built.map((b) => b.function).sort()).toEqual(['alarm', 'cluster-events', 'control', 'executor', 'scheduler', 'telemetry']);
  for (const b of built) {
    // The function's code is the entry and the file it loads on first use: both count.
    expect({
      fn: b.function,
      under1MB: b.bytes + b.lazyBytes < 1_000_000,
      lazy: existsSync(path.join(out, 'dist', b.function, 'lazy.js')),
    }).toEqual({ fn: b.function, under1MB: true, lazy: true });
    for (const sdk of b.sdks) expect(existsSync(path.join(out, 'dist', b.function, 'node_modules', sdk, 'index.js'))).toBe(true);
  }
  // The executor and the signal functions reach the mesh and clusters; every function can hand off.
  expect(built.find((b) => b.function === 'alarm')?.sdks).toEqual(
    expect.arrayContaining(['@alicloud/pop-core', '@kubernetes/client-node', 'tablestore']),
  );
});

/**
 * Cold require: the entry evaluates only the handler and its middleware (the envelope and event
 * schemas, the alarm parsers and zod load with the first invocation: see the zod test below). The policy parser (yaml, the policy schema, croner's windows), the
 * engine and the runtime are evaluated on the first invocation (the entry holds only
 * shared/runtime/process.ts, which imports the runtime then): the formatting of zod issues the
 * envelopes need lives apart from the policy parser for that reason.
 */
// shared/runtime/telemetry.ts is the telemetry function's process.ts: it imports the runtime (and the SLS reader) lazily.
test('requiring an entry evaluates neither yaml, croner, the policy parser nor the runtime', () => {
  const deferred =
    /node_modules\/(yaml|croner)\/|shared\/core\/(policy|policy-schema|windows|decide)\.ts$|shared\/engine\/|shared\/runtime\/(?!(process|telemetry)\.ts$)|functions\/control\/(routes|dashboard)\.ts$/;
  for (const b of built) {
    expect(b.atRequire.length).toBeGreaterThan(5);
    expect(b.atRequire).toContain(`functions/${b.function}/handler.ts`);
    expect({ fn: b.function, deferred: b.atRequire.filter((f) => deferred.test(f)) }).toEqual({ fn: b.function, deferred: [] });
  }
});

/**
 * A first invocation builds the runtime, which reads the invocation's credentials through the
 * OpenAPI client module (@alicloud/pop-core, 160 KB); the Kubernetes client, Tablestore and FC
 * SDKs wait until the state store, the mesh, a cluster or a handoff is first used.
 */
test('loading an entry loads no SDK, a first invocation that fails on configuration only pop-core; the SDKs load from the function folder alone', () => {
  for (const b of built) {
    // Copied away from the repository, as FC runs it: nothing outside the folder can be found.
    const dir = path.join(out, 'isolated', b.function);
    cpSync(path.join(out, 'dist', b.function), dir, { recursive: true });
    const script = `
      const m = require('./index.js');
      const loaded = () => Object.keys(require.cache).filter((f) => f.includes('node_modules'));
      const atLoad = loaded();
      const event = Buffer.from(JSON.stringify({ version: 'v1', rawPath: '/v1/status', headers: {}, queryParameters: {}, body: '', isBase64Encoded: false, requestContext: { http: { method: 'GET' } } }));
      Promise.resolve(m.handler(event, { requestId: 'budget' })).catch(() => undefined).then(() => {
        const afterInvocation = loaded().map((f) => f.slice(f.indexOf('node_modules/') + 13).replace(/\\/index\\.js$/, ''));
        const sdks = ${JSON.stringify(b.sdks)}.map((s) => require.resolve(s).startsWith(process.cwd() + '/node_modules/') && require(s) != null);
        process.stdout.write('BUDGET ' + JSON.stringify({ atLoad, afterInvocation, sdks }) + '\\n');
      });`;
    const run = execFileSync(process.execPath, ['-e', script], {
      cwd: dir,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    const line = run.split('\n').find((l) => l.startsWith('BUDGET ')) ?? 'BUDGET {}';
    expect({ fn: b.function, ...JSON.parse(line.slice(7)) }).toEqual({
      fn: b.function,
      atLoad: [],
      afterInvocation: b.sdks.filter((s) => s === '@alicloud/pop-core'),
      sdks: b.sdks.map(() => true),
    });
  }
});

/**
 * No function's entry evaluates zod at `require`: zod's classic API is most of what a cold
 * `require` used to evaluate (about 100 ms of CPU here for a bundle of zod alone against 5 ms for
 * an empty file). Control checks its HTTP envelope on the first request; the event functions
 * check their envelopes (CloudEvents, the timer firing, the executor's payload) and parse their
 * alarms on the first event. Read from the build's module graph and from the entry file itself
 * (zod's class names survive minification: keepNames).
 */
test('requiring any entry evaluates no zod nor an envelope schema; each entry is a small file and the rest is in lazy.js', () => {
  const zodAtRequire =
    /node_modules\/zod\/|shared\/http\/(envelope-schemas|event-trigger-parser|http-trigger-parser)\.ts$|shared\/signals\/(alertmanager|cms-webhook|cms-eventbridge|ack-eventbridge|cloudevent|cms-fields)\.ts$|functions\/[^/]+\/schema\.ts$/;
  for (const b of built) {
    expect({ fn: b.function, zod: b.atRequire.filter((f) => zodAtRequire.test(f)) }).toEqual({ fn: b.function, zod: [] });
    const entry = readFileSync(path.join(out, 'dist', b.function, 'index.js'), 'utf8');
    const lazy = readFileSync(path.join(out, 'dist', b.function, 'lazy.js'), 'utf8');
    expect({
      fn: b.function,
      entryZod: entry.includes('"ZodObject"'),
      lazyZod: lazy.includes('"ZodObject"'),
      small: b.bytes < 64 * 1024,
    }).toEqual({ fn: b.function, entryZod: false, lazyZod: true, small: true });
  }
  const lazyOf = (fn: string) => built.find((b) => b.function === fn)?.lazyInputs;
  expect(lazyOf('control')).toEqual(
    expect.arrayContaining(['functions/control/routes.ts', 'shared/http/http-trigger-parser.ts', 'shared/runtime/index.ts']),
  );
  expect(lazyOf('alarm')).toEqual(
    expect.arrayContaining([
      'functions/alarm/receive.ts',
      'shared/http/http-trigger-parser.ts',
      'shared/http/event-trigger-parser.ts',
      'shared/runtime/index.ts',
    ]),
  );
  expect(lazyOf('cluster-events')).toEqual(
    expect.arrayContaining(['functions/cluster-events/receive.ts', 'shared/http/event-trigger-parser.ts']),
  );
  expect(lazyOf('scheduler')).toEqual(
    expect.arrayContaining(['functions/scheduler/tick.ts', 'functions/scheduler/schema.ts', 'shared/http/event-trigger-parser.ts']),
  );
  expect(lazyOf('executor')).toEqual(expect.arrayContaining(['functions/executor/schema.ts', 'shared/http/event-trigger-parser.ts']));
});

/**
 * One copy of each module across the two files: what the entry evaluated at require is handed to
 * lazy.js, never bundled into it again, so error classes are one class (instanceof holds), zod is
 * one zod and module state is not split in two.
 */
test('no module the entry evaluates is bundled again in lazy.js; error classes are defined once', () => {
  for (const b of built) {
    expect({ fn: b.function, twice: b.lazyInputs.filter((f) => b.atRequire.includes(f)) }).toEqual({ fn: b.function, twice: [] });
    expect(b.shared).toContain('shared/core/errors.ts');
    const dir = path.join(out, 'dist', b.function);
    const definitions = (file: string) => (readFileSync(path.join(dir, file), 'utf8').match(/"ValidationError"\)/g) ?? []).length;
    expect({ fn: b.function, entry: definitions('index.js'), lazy: definitions('lazy.js') }).toEqual({ fn: b.function, entry: 1, lazy: 0 });
  }
});

test("a bad HTTP envelope, checked by code in lazy.js, is the entry's ValidationError: 400 naming the field, not 500", () => {
  const dir = path.join(out, 'dist', 'control');
  const script = `
    const { makeHandler } = require('./index.js');
    const handler = makeHandler(async () => ({}));
    const event = Buffer.from(JSON.stringify({ rawPath: 'v1', requestContext: { http: { method: 'GET' } } }));
    handler(event, { requestId: 'envelope' }).then((r) => process.stdout.write('REPLY ' + JSON.stringify(r) + '\\n'));`;
  const run = execFileSync(process.execPath, ['-e', script], {
    cwd: dir,
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  const reply = JSON.parse(
    run
      .split('\n')
      .find((l) => l.startsWith('REPLY '))
      ?.slice(6) ?? '{}',
  ) as { statusCode?: number; body?: string };
  expect(reply.statusCode).toBe(400);
  expect(JSON.parse(reply.body ?? '{}')).toMatchObject({ error: { code: 'INPUT.INVALID', message: '(event).rawPath: must start with /' } });
});

/**
 * The event functions' envelopes are checked by code in lazy.js now: a bad event must still be
 * the entry's ValidationError, answered (not thrown for FC to retry forever) naming the field.
 */
test('a bad event to each event function, checked in lazy.js, is answered as rejected naming the field', () => {
  const cases: Array<{ fn: string; event: unknown; problems: string[] }> = [
    {
      fn: 'alarm',
      event: [{ specversion: '1.0', id: 'e-1', type: 'cms:Alarm' }],
      problems: ['[0].source: Invalid input: expected string, received undefined'],
    },
    {
      fn: 'cluster-events',
      event: { specversion: '1.0', source: 'acs.cs', type: 't' },
      problems: ['id: Invalid input: expected string, received undefined'],
    },
    {
      fn: 'scheduler',
      event: { triggerTime: '2026-01-01T00:00:00Z', triggerName: 'tick', payload: '{"task":"tock"}' },
      problems: ['payload.task: must be "tick"'],
    },
    { fn: 'executor', event: { planId: 'not a plan id' }, problems: ['(payload).planId: must be a plan id'] },
  ];
  for (const c of cases) {
    const script = `
      const { makeHandler } = require('./index.js');
      const handler = makeHandler(async () => ({}));
      handler(Buffer.from(${JSON.stringify(JSON.stringify(c.event))}), { requestId: 'bad-event' })
        .then((r) => process.stdout.write('REPLY ' + JSON.stringify(r) + '\\n'), (e) => process.stdout.write('THROWN ' + String(e && e.name) + '\\n'));`;
    const run = execFileSync(process.execPath, ['-e', script], {
      cwd: path.join(out, 'dist', c.fn),
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    const reply = JSON.parse(
      run
        .split('\n')
        .find((l) => l.startsWith('REPLY '))
        ?.slice(6) ?? '{}',
    ) as unknown;
    expect({ fn: c.fn, reply }).toEqual({
      fn: c.fn,
      reply: { accepted: false, error: { code: 'INPUT.INVALID', message: c.problems.join('; '), problems: c.problems } },
    });
  }
});
