import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { startFcHost, type FcHost, type HandlerModule } from '../../../lab/host/fc-host';

/**
 * The functions ship as one minified CommonJS bundle each (scripts/build.mjs), where the lazily
 * imported FC 3.0 SDK is loaded through esbuild's CommonJS interop rather than Node's: the
 * bundled handoff must still reach InvokeFunction and be accepted (202, signature checked).
 */
const ROLE = { accessKeyId: 'STS.BundleKey00001', accessKeySecret: 'bundle-secret-00001', securityToken: 'bundle-token-00001' };

let host: FcHost;
let dir: string;
const events: unknown[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'regionshift-handoff-bundle-'));
  host = await startFcHost({
    sYamlPath: 's.yaml',
    env: {
      ALIBABA_CLOUD_ACCESS_KEY_ID: ROLE.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: ROLE.accessKeySecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: ROLE.securityToken,
    },
    log: () => undefined,
    // s.yaml's real `@every 1m` scheduler timer stays off: this suite counts every invocation, and
    // bundling plus a child process on a loaded CI host can last past a minute (the test allows 2).
    every: () => () => undefined,
    loadHandler: async (key) =>
      ({ handler: async (event: Buffer) => void events.push({ key, event: JSON.parse(event.toString('utf8')) }) }) as HandlerModule,
  });
});
afterAll(async () => {
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the bundled handoff invokes the executor asynchronously through the SDK', async () => {
  const entry = path.join(dir, 'entry.ts');
  writeFileSync(
    entry,
    `import { executorHandoff } from ${JSON.stringify(path.resolve('shared/adapters/fc-executor.ts'))};
const [endpoint, id, secret, token] = process.argv.slice(2);
executorHandoff({ functionName: 'regionshift-executor', endpoint, credentials: () => ({ accessKeyId: id, accessKeySecret: secret, securityToken: token }) })('p-bundled')
  .then(() => console.log('handed off'), (err) => { console.error(err.code, err.message); process.exit(1); });
`,
  );
  const outfile = path.join(dir, 'index.cjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    keepNames: true,
    logLevel: 'silent',
    nodePaths: [path.resolve('node_modules')],
  });
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [outfile, host.url, ROLE.accessKeyId, ROLE.accessKeySecret, ROLE.securityToken],
    { cwd: dir },
  );
  expect(stdout.trim()).toBe('handed off');
  await host.idle();
  expect(events).toEqual([{ key: 'executor', event: { planId: 'p-bundled' } }]);
}, 120_000);
