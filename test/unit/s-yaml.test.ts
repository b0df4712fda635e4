import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startTablestoreTwin } from '../../lab/tablestore/server';
import { createStateTables } from '../../infra/create-tables';
import path from 'node:path';
import { parse } from 'yaml';
import { sYamlSchema } from '../../lab/host/s-yaml';

/** s.yaml against fc3's shapes (platform facts), and the build it drives: every function's bundle loads on its own. */

const raw = parse(readFileSync('s.yaml', 'utf8')) as Record<string, unknown>;
const spec = sYamlSchema.parse(raw);
const props = (key: string) => {
  const r = spec.resources[key];
  if (!r) throw new Error(`no resource ${key}`);
  return r.props;
};

describe('s.yaml', () => {
  test('declares the five functions, nodejs20, code from ./dist/<key>, the regionshift role', () => {
    expect(Object.keys(spec.resources).sort()).toEqual(['alarm', 'cluster-events', 'control', 'executor', 'scheduler']);
    for (const [key, r] of Object.entries(spec.resources)) {
      expect(r.props).toMatchObject({ functionName: `regionshift-${key}`, runtime: 'nodejs20', code: `./dist/${key}`, handler: 'index.handler', role: 'acs:ram::${vars.accountId}:role/regionshift' });
      expect(r.props.vpcConfig).toEqual({ vpcId: '${vars.vpcId}', securityGroupId: '${vars.securityGroupId}', vSwitchIds: ['${vars.vSwitchId}'] });
      expect(r.props.environmentVariables).toMatchObject({
        REGIONSHIFT_STATE: 'tablestore',
        TABLESTORE_INSTANCE: '${vars.tablestoreInstance}',
        TABLESTORE_ENDPOINT: 'https://${vars.tablestoreInstance}.${vars.region}.vpc.tablestore.aliyuncs.com',
        REGIONSHIFT_POLICY: '${env(REGIONSHIFT_POLICY)}',
        REGIONSHIFT_ALARM_TOKEN: '${env(REGIONSHIFT_ALARM_TOKEN)}',
        REGIONSHIFT_CONTROL_SECRET: '${env(REGIONSHIFT_CONTROL_SECRET)}',
      });
    }
  });

  test('triggers: alarm http POST + CMS eventbridge, cluster-events acs.cs, minute timer, control http GET/POST/DELETE, executor http (async handoff)', () => {
    const summary = Object.fromEntries(Object.keys(spec.resources).map((k) => [k, (props(k).triggers ?? []).map((t) => t.triggerType)]));
    expect(summary).toEqual({ alarm: ['http', 'eventbridge'], 'cluster-events': ['eventbridge'], scheduler: ['timer'], control: ['http'], executor: ['http'] });
    const [webhook, cmsEvents] = props('alarm').triggers ?? [];
    expect(webhook?.triggerConfig).toEqual({ authType: 'anonymous', methods: ['POST'] });
    expect(cmsEvents?.triggerType === 'eventbridge' && JSON.parse(cmsEvents.triggerConfig.eventRuleFilterPattern)).toEqual({ source: ['acs.cms'] });
    const ack = props('cluster-events').triggers?.[0];
    expect(ack?.triggerType === 'eventbridge' && JSON.parse(ack.triggerConfig.eventRuleFilterPattern)).toMatchObject({ source: ['acs.cs'] });
    expect(props('scheduler').triggers?.[0]?.triggerConfig).toEqual({ cronExpression: '0 */1 * * * *', enable: true, payload: '{"task":"tick"}' });
    expect(props('control').triggers?.[0]?.triggerConfig).toEqual({ authType: 'anonymous', methods: ['GET', 'POST', 'DELETE'] });
  });

  test('the schema rejects what fc3 would (so the checks above are not vacuous)', () => {
    const broken = structuredClone(raw) as { resources: Record<string, { props: Record<string, unknown> }> };
    const scheduler = broken.resources.scheduler as { props: Record<string, unknown> };
    scheduler.props.runtime = 'nodejs18';
    scheduler.props.triggers = [{ triggerName: 'tick', triggerType: 'timer', triggerConfig: { cronExpression: '*/1 * * * *', enable: true } }];
    const result = sYamlSchema.safeParse(broken);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['resources.scheduler.props.runtime', 'resources.scheduler.props.triggers.0.triggerConfig.cronExpression']);
  });
});

describe('build (scripts/build.mjs)', () => {
  const isolated = mkdtempSync(path.join(tmpdir(), 'regionshift-bundles-'));
  afterAll(() => rmSync(isolated, { recursive: true, force: true }));

  test('without a policy the build fails before bundling anything, and says how to give one', () => {
    const env = { ...process.env };
    delete env.REGIONSHIFT_DEPLOY_POLICY;
    const run = spawnSync(process.execPath, ['scripts/build.mjs'], { env, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('REGIONSHIFT_DEPLOY_POLICY is not set: the bundles would carry no policy.yaml.');
    expect(run.stderr).toContain('npm run build -- --without-policy');
    expect(run.stdout).toBe('');
    const missing = spawnSync(process.execPath, ['scripts/build.mjs'], { env: { ...env, REGIONSHIFT_DEPLOY_POLICY: 'examples/no-such-policy.yaml' }, encoding: 'utf8' });
    expect({ status: missing.status, stderr: missing.stderr.trim() }).toEqual({ status: 1, stderr: 'REGIONSHIFT_DEPLOY_POLICY: no file at examples/no-such-policy.yaml' });
  });

  test('bundles every function to its code folder; each loads with no node_modules and exports its handler', () => {
    const env = { ...process.env };
    delete env.REGIONSHIFT_DEPLOY_POLICY;
    // Asked for explicitly, bundles without a policy are built, with a warning saying what they will read.
    const run = spawnSync(process.execPath, ['scripts/build.mjs', '--without-policy'], { env, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('WARNING: built --without-policy: no bundle carries policy.yaml; every function reads its policy from REGIONSHIFT_POLICY');
    for (const [key, r] of Object.entries(spec.resources)) {
      const codeDir = path.resolve(r.props.code);
      expect(existsSync(path.join(codeDir, 'index.js'))).toBe(true);
      // Copied away from the repository, as FC runs it: only what the bundle holds is there.
      const dir = path.join(isolated, key);
      cpSync(codeDir, dir, { recursive: true });
      const exportName = r.props.handler.split('.')[1];
      const out = execFileSync(process.execPath, ['-e', `const m = require('./index.js'); process.stdout.write(JSON.stringify({ type: typeof m[${JSON.stringify(exportName)}], exports: Object.keys(m) }))`], { cwd: dir, env: { PATH: process.env.PATH } });
      expect(JSON.parse(out.toString())).toMatchObject({ type: 'function' });
    }
  });

  test('a bundled handler reaches its runtime without node_modules: with no configuration it fails on configuration, not on a missing module', () => {
    const dir = path.join(isolated, 'control');
    const script = `
      const { handler } = require('./index.js');
      const event = Buffer.from(JSON.stringify({ version: 'v1', rawPath: '/v1/status', headers: {}, queryParameters: {}, body: '', isBase64Encoded: false, requestContext: { http: { method: 'GET' } } }));
      handler(event, { requestId: 'bundle-check' });`;
    const run = execFileSync(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    const line = JSON.parse(run.trim().split('\n').filter((l) => l.includes('"requestId":"bundle-check"')).at(-1) ?? '{}');
    expect(line).toMatchObject({ function: 'control', status: 500, outcome: 'error' });
    expect(line.error.message).not.toMatch(/Cannot find module/);
    expect(line.error.message).toMatch(/REGIONSHIFT_/);
  });
});

describe('build with a policy (REGIONSHIFT_DEPLOY_POLICY)', () => {
  const isolated = mkdtempSync(path.join(tmpdir(), 'regionshift-policy-bundles-'));
  afterAll(() => rmSync(isolated, { recursive: true, force: true }));

  test('every bundle carries policy.yaml; the bundled control function loads it from beside itself and answers from Tablestore', async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'pipe', env: { ...process.env, REGIONSHIFT_DEPLOY_POLICY: 'examples/bookinfo.yaml' } });
    for (const r of Object.values(spec.resources)) {
      expect(readFileSync(path.join(path.resolve(r.props.code), 'policy.yaml'), 'utf8')).toBe(readFileSync('examples/bookinfo.yaml', 'utf8'));
    }
    cpSync(path.resolve('dist/control'), path.join(isolated, 'control'), { recursive: true });
    const keys = { accessKeyId: 'LTAI-bundle-check', accessKeySecret: 'bundle-check-secret' };
    const twin = await startTablestoreTwin({ ...keys, instance: 'bundlecheck' });
    try {
      const tsEnv = { TABLESTORE_ENDPOINT: twin.endpoint, TABLESTORE_INSTANCE: 'bundlecheck', TABLESTORE_ACCESS_KEY_ID: keys.accessKeyId, TABLESTORE_ACCESS_KEY_SECRET: keys.accessKeySecret };
      await createStateTables(tsEnv, { waitReadyMs: 5_000 });
      // Run from another directory: the relative ./policy.yaml must be found beside the bundle.
      const script = `
        const { handler } = require('./control/index.js');
        const event = Buffer.from(JSON.stringify({ version: 'v1', rawPath: '/v1/status', headers: { authorization: 'Bearer read-token-0123456789abcdef' }, queryParameters: {}, body: '', isBase64Encoded: false, requestContext: { http: { method: 'GET' } } }));
        handler(event, { requestId: 'policy-check' }).then((r) => process.stdout.write('REPLY ' + JSON.stringify(r) + '\\n'));`;
      const env = {
        PATH: process.env.PATH,
        ...tsEnv,
        REGIONSHIFT_POLICY_FILE: './policy.yaml',
        REGIONSHIFT_STATE: 'tablestore',
        ALIBABA_CLOUD_ACCESS_KEY_ID: keys.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: keys.accessKeySecret,
        REGIONSHIFT_ALARM_TOKEN: 'alarm-token-0123456789abcdef',
        REGIONSHIFT_CONTROL_SECRET: 'control-secret-0123456789abcdef',
        REGIONSHIFT_READ_TOKEN: 'read-token-0123456789abcdef',
      };
      const run = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['-e', script], { cwd: isolated, env, encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
      );
      const reply = JSON.parse(run.split('\n').find((l) => l.startsWith('REPLY '))?.slice(6) ?? '{}') as { statusCode?: number; body?: string };
      expect({ status: reply.statusCode, errors: run.split('\n').filter((l) => l.includes('"error"')) }).toEqual({ status: 200, errors: [] });
      expect(JSON.parse(reply.body ?? '{}')).toMatchObject({ mesh: 'bookinfo', version: 0, health: { 'cn-hangzhou': { status: 'HEALTHY' } } });
    } finally {
      await twin.stop();
    }
  });
});

test('the EventBridge rule patterns in s.yaml are the ones infra/eventbridge documents', () => {
  const pattern = (key: string) => {
    const t = props(key).triggers?.find((x) => x.triggerType === 'eventbridge');
    return t?.triggerType === 'eventbridge' ? JSON.parse(t.triggerConfig.eventRuleFilterPattern) : null;
  };
  expect(pattern('alarm')).toEqual(JSON.parse(readFileSync('infra/eventbridge/cms-alarm-rule.json', 'utf8')));
  expect(pattern('cluster-events')).toEqual(JSON.parse(readFileSync('infra/eventbridge/ack-events-rule.json', 'utf8')));
});
