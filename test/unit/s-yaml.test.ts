import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startTablestoreTwin } from '../../lab/tablestore/server';
import { createStateTables } from '../../infra/create-tables';
import path from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { everyIntervalMs, loadSYaml, sYamlSchema } from '../../lab/host/s-yaml';

/** s.yaml against fc3's shapes (platform facts), and the build it drives: every function's bundle loads on its own. */

const raw = parse(readFileSync('s.yaml', 'utf8')) as Record<string, unknown>;
const spec = sYamlSchema.parse(raw);
const props = (key: string) => {
  const r = spec.resources[key];
  if (!r) throw new Error(`no resource ${key}`);
  return r.props;
};

describe('s.yaml', () => {
  test('declares the six functions, nodejs20, code from ./dist/<key>, the regionshift role', () => {
    expect(Object.keys(spec.resources).sort()).toEqual(['alarm', 'cluster-events', 'control', 'executor', 'scheduler', 'telemetry']);
    for (const [key, r] of Object.entries(spec.resources)) {
      expect(r.props).toMatchObject({
        functionName: `regionshift-${key}`,
        runtime: 'nodejs20',
        code: `./dist/${key}`,
        handler: 'index.handler',
        role: 'acs:ram::${vars.accountId}:role/regionshift',
      });
      expect(r.props.vpcConfig).toEqual({
        vpcId: '${vars.vpcId}',
        securityGroupId: '${vars.securityGroupId}',
        vSwitchIds: ['${vars.vSwitchId}'],
      });
      expect(r.props.environmentVariables).toMatchObject({
        REGIONSHIFT_STATE: 'tablestore',
        TABLESTORE_INSTANCE: '${vars.tablestoreInstance}',
        TABLESTORE_ENDPOINT: 'https://${vars.tablestoreInstance}.${vars.region}.vpc.tablestore.aliyuncs.com',
        REGIONSHIFT_POLICY: "${env('REGIONSHIFT_POLICY', '')}",
        REGIONSHIFT_ALARM_TOKEN: '${env(REGIONSHIFT_ALARM_TOKEN)}',
        REGIONSHIFT_CONTROL_SECRET: '${env(REGIONSHIFT_CONTROL_SECRET)}',
      });
    }
  });

  test('triggers: alarm http POST + CMS eventbridge, cluster-events acs.cs, minute timer, control http GET/POST/DELETE, telemetry SLS per cluster, executor none (InvokeFunction only)', () => {
    const summary = Object.fromEntries(Object.keys(spec.resources).map((k) => [k, (props(k).triggers ?? []).map((t) => t.triggerType)]));
    expect(summary).toEqual({
      alarm: ['http', 'eventbridge'],
      'cluster-events': ['eventbridge', 'http'],
      scheduler: ['timer'],
      control: ['http'],
      telemetry: ['log', 'log'],
      executor: [],
    });
    const [webhook, cmsEvents] = props('alarm').triggers ?? [];
    expect(webhook?.triggerConfig).toEqual({ authType: 'anonymous', methods: ['POST'] });
    expect(cmsEvents?.triggerType === 'eventbridge' && JSON.parse(cmsEvents.triggerConfig.eventRuleFilterPattern)).toEqual({
      source: ['acs.cms'],
      type: ['cms:CloudMonitor:AlertWebHook'],
    });
    const ack = props('cluster-events').triggers?.[0];
    expect(ack?.triggerType === 'eventbridge' && JSON.parse(ack.triggerConfig.eventRuleFilterPattern)).toEqual({
      source: ['acs.cs'],
      type: ['cs:k8s:NodeRelatedEvent', 'cs:k8s:PodRelatedEvent', 'cs:k8s:DeploymentRelatedEvent', 'cs:k8s:ReplicaSetRelatedEvent'],
    });
    // The other cluster regions' rules push to the HTTP trigger (infra/eventbridge/ack-forwarding.ts).
    expect(props('cluster-events').triggers?.[1]?.triggerConfig).toEqual({ authType: 'anonymous', methods: ['POST'] });
    for (const t of [cmsEvents, ack])
      expect(t?.triggerType === 'eventbridge' && t.triggerConfig.eventSinkConfig).toEqual({
        deliveryOption: { eventSchema: 'CloudEvents' },
      });
    expect(props('scheduler').triggers?.[0]?.triggerConfig).toEqual({
      cronExpression: '@every 1m',
      enable: true,
      payload: '{"task":"tick"}',
    });
    expect(everyIntervalMs('@every 1m')).toBe(60_000);
    expect(props('control').triggers?.[0]?.triggerConfig).toEqual({ authType: 'anonymous', methods: ['GET', 'POST', 'DELETE'] });
    // One SLS trigger per cluster of examples/bookinfo.yaml, on the project/Logstore its telemetry.logstores maps to that cluster, every 3 s.
    const example = parse(readFileSync('examples/bookinfo.yaml', 'utf8')) as {
      telemetry: { logstores: Array<{ project: string; logstore: string; cluster: string }> };
    };
    const logTriggers = (props('telemetry').triggers ?? []).flatMap((t) => (t.triggerType === 'log' ? [t] : []));
    expect(
      logTriggers.map((t) => ({
        project: /project\/(.+)$/.exec(t.sourceArn)?.[1],
        logstore: t.triggerConfig.sourceConfig.logstore,
        interval: t.triggerConfig.jobConfig.triggerInterval,
        enable: t.triggerConfig.enable,
      })),
    ).toEqual(example.telemetry.logstores.map((l) => ({ project: l.project, logstore: l.logstore, interval: 3, enable: true })));
    for (const t of logTriggers) expect(t.invocationRole).toBe('acs:ram::${vars.accountId}:role/aliyunlogetlrole');
  });

  test("the sending functions name the executor; nothing names an executor URL; the executor's budget fits its timeout", () => {
    for (const key of ['alarm', 'cluster-events', 'scheduler', 'control', 'telemetry']) {
      expect(props(key).environmentVariables?.REGIONSHIFT_EXECUTOR_FUNCTION).toBe(props('executor').functionName);
    }
    expect(readFileSync('s.yaml', 'utf8')).not.toContain('REGIONSHIFT_EXECUTOR_URL');
    const budget = Number(props('executor').environmentVariables?.REGIONSHIFT_BUDGET_MS);
    expect(budget).toBeGreaterThanOrEqual(props('executor').timeout * 1000 - 10_000);
    expect(budget).toBeLessThan(props('executor').timeout * 1000);
  });

  test('the schema rejects what fc3 would (so the checks above are not vacuous)', () => {
    const broken = structuredClone(raw) as { resources: Record<string, { props: Record<string, unknown> }> };
    const scheduler = broken.resources.scheduler as { props: Record<string, unknown> };
    scheduler.props.runtime = 'nodejs18';
    scheduler.props.triggers = [
      { triggerName: 'tick', triggerType: 'timer', triggerConfig: { cronExpression: '*/1 * * * *', enable: true } },
    ];
    // FC 3.0's DeliveryOption has no `mode` (it has concurrency and eventSchema).
    const alarmEvents = (broken.resources.alarm as { props: { triggers: Array<{ triggerConfig: Record<string, unknown> }> } }).props
      .triggers[1] as { triggerConfig: Record<string, unknown> };
    alarmEvents.triggerConfig.eventSinkConfig = { deliveryOption: { mode: 'event-driven', eventSchema: 'CloudEvents' } };
    const result = sYamlSchema.safeParse(broken);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'resources.alarm.props.triggers.1.triggerConfig.eventSinkConfig.deliveryOption',
      'resources.scheduler.props.runtime',
      'resources.scheduler.props.triggers.0.triggerConfig.cronExpression',
    ]);
  });

  test('timer expressions: "@every" takes whole minutes or hours (FC\'s form), cron takes 6 fields', () => {
    expect(['@every 1m', '@every 90m', '@every 2h', '@every 1h30m'].map(everyIntervalMs)).toEqual([
      60_000, 5_400_000, 7_200_000, 5_400_000,
    ]);
    expect(['@every 30s', '@every 0m', '@every', '@every 1d', '0 */1 * * * *'].map(everyIntervalMs)).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
    const timer = (cronExpression: string) =>
      sYamlSchema.shape.resources.safeParse({
        t: {
          component: 'fc3',
          props: {
            ...props('scheduler'),
            triggers: [{ triggerName: 't', triggerType: 'timer', triggerConfig: { cronExpression, enable: true } }],
          },
        },
      }).success;
    expect(['@every 1m', '0 */1 * * * *', '@every 30s', '*/1 * * * *', '@hourly'].map(timer)).toEqual([true, true, false, false, false]);
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
    const missing = spawnSync(process.execPath, ['scripts/build.mjs'], {
      env: { ...env, REGIONSHIFT_DEPLOY_POLICY: 'examples/no-such-policy.yaml' },
      encoding: 'utf8',
    });
    expect({ status: missing.status, stderr: missing.stderr.trim() }).toEqual({
      status: 1,
      stderr: 'REGIONSHIFT_DEPLOY_POLICY: no file at examples/no-such-policy.yaml',
    });
  });

  test('bundles every function to its code folder; each loads with no node_modules and exports its handler', () => {
    const env = { ...process.env };
    delete env.REGIONSHIFT_DEPLOY_POLICY;
    // Asked for explicitly, bundles without a policy are built, with a warning saying what they will read.
    const run = spawnSync(process.execPath, ['scripts/build.mjs', '--without-policy'], { env, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      'WARNING: built --without-policy: no bundle carries policy.yaml; every function reads its policy from REGIONSHIFT_POLICY',
    );
    for (const [key, r] of Object.entries(spec.resources)) {
      const codeDir = path.resolve(r.props.code);
      expect(existsSync(path.join(codeDir, 'index.js'))).toBe(true);
      // Copied away from the repository, as FC runs it: only what the bundle holds is there.
      const dir = path.join(isolated, key);
      cpSync(codeDir, dir, { recursive: true });
      const exportName = r.props.handler.split('.')[1];
      const out = execFileSync(
        process.execPath,
        [
          '-e',
          `const m = require('./index.js'); process.stdout.write(JSON.stringify({ type: typeof m[${JSON.stringify(exportName)}], exports: Object.keys(m) }))`,
        ],
        { cwd: dir, env: { PATH: process.env.PATH } },
      );
      expect(JSON.parse(out.toString())).toMatchObject({ type: 'function' });
    }
  });

  test('the control bundle carries uPlot itself (the dashboard works offline, with no node_modules beside the bundle)', () => {
    // The dashboard is served from the part of the bundle loaded on the first request (lazy.js).
    const bundle = ['index.js', 'lazy.js'].map((f) => readFileSync(path.join(isolated, 'control', f), 'utf8')).join('\n');
    const uplot = readFileSync('node_modules/uplot/dist/uPlot.iife.min.js', 'utf8');
    // A run of the library's code with nothing a string literal would escape, as the bundle keeps it.
    const sample = /[A-Za-z0-9_.(),=]{60}/.exec(uplot.slice(uplot.length / 2))?.[0] ?? 'no sample';
    expect(bundle).toContain(sample);
    expect(bundle).not.toContain('uPlot.iife.min.js');
  });

  test('a bundled handler reaches its runtime without node_modules: with no configuration it fails on configuration, not on a missing module', () => {
    const dir = path.join(isolated, 'control');
    const script = `
      const { handler } = require('./index.js');
      const event = Buffer.from(JSON.stringify({ version: 'v1', rawPath: '/v1/status', headers: {}, queryParameters: {}, body: '', isBase64Encoded: false, requestContext: { http: { method: 'GET' } } }));
      handler(event, { requestId: 'bundle-check' });`;
    const run = execFileSync(process.execPath, ['-e', script], {
      cwd: dir,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    const line = JSON.parse(
      run
        .trim()
        .split('\n')
        .filter((l) => l.includes('"requestId":"bundle-check"'))
        .at(-1) ?? '{}',
    );
    expect(line).toMatchObject({ function: 'control', status: 500, outcome: 'error' });
    expect(line.error.message).not.toMatch(/Cannot find module/);
    expect(line.error.message).toMatch(/REGIONSHIFT_/);
  });
});

describe('build with a policy (REGIONSHIFT_DEPLOY_POLICY)', () => {
  const isolated = mkdtempSync(path.join(tmpdir(), 'regionshift-policy-bundles-'));
  afterAll(() => rmSync(isolated, { recursive: true, force: true }));

  test('every bundle carries policy.yaml; the bundled control function loads it from beside itself and answers from Tablestore', async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], {
      stdio: 'pipe',
      env: { ...process.env, REGIONSHIFT_DEPLOY_POLICY: 'examples/bookinfo.yaml' },
    });
    for (const r of Object.values(spec.resources)) {
      expect(readFileSync(path.join(path.resolve(r.props.code), 'policy.yaml'), 'utf8')).toBe(
        readFileSync('examples/bookinfo.yaml', 'utf8'),
      );
    }
    cpSync(path.resolve('dist/control'), path.join(isolated, 'control'), { recursive: true });
    const keys = { accessKeyId: 'LTAI-bundle-check', accessKeySecret: 'bundle-check-secret' };
    const twin = await startTablestoreTwin({ ...keys, instance: 'bundlecheck' });
    try {
      const tsEnv = {
        TABLESTORE_ENDPOINT: twin.endpoint,
        TABLESTORE_INSTANCE: 'bundlecheck',
        TABLESTORE_ACCESS_KEY_ID: keys.accessKeyId,
        TABLESTORE_ACCESS_KEY_SECRET: keys.accessKeySecret,
      };
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
        execFile(process.execPath, ['-e', script], { cwd: isolated, env, encoding: 'utf8' }, (err, stdout) =>
          err ? reject(err) : resolve(stdout),
        ),
      );
      const reply = JSON.parse(
        run
          .split('\n')
          .find((l) => l.startsWith('REPLY '))
          ?.slice(6) ?? '{}',
      ) as { statusCode?: number; body?: string };
      expect({ status: reply.statusCode, errors: run.split('\n').filter((l) => l.includes('"error"')) }).toEqual({
        status: 200,
        errors: [],
      });
      expect(JSON.parse(reply.body ?? '{}')).toMatchObject({
        mesh: 'bookinfo',
        version: 0,
        health: { 'cn-hangzhou': { status: 'HEALTHY' } },
      });
    } finally {
      await twin.stop();
    }
    // Five minified bundles (each with the FC 3.0 SDK since the InvokeFunction handoff) take over a
    // minute on a loaded machine.
  }, 180_000);
});

test('the EventBridge rule patterns in s.yaml are the ones infra/eventbridge documents', () => {
  const pattern = (key: string) => {
    const t = props(key).triggers?.find((x) => x.triggerType === 'eventbridge');
    return t?.triggerType === 'eventbridge' ? JSON.parse(t.triggerConfig.eventRuleFilterPattern) : null;
  };
  expect(pattern('alarm')).toEqual(JSON.parse(readFileSync('infra/eventbridge/cms-alarm-rule.json', 'utf8')));
  expect(pattern('cluster-events')).toEqual(JSON.parse(readFileSync('infra/eventbridge/ack-events-rule.json', 'utf8')));
});

/**
 * s.yaml through Serverless Devs 3's own template engine (`@serverless-devs/art-template`'s
 * devs-compile, called as @serverless-devs/parse-spec calls it), in a child process whose
 * environment is exactly the deployer's: `env()` without a default throws when the variable is
 * unset or empty, which is what made `s deploy` fail with the optional variables unset.
 */
describe('s.yaml rendered by Serverless Devs 3 (@serverless-devs/art-template)', () => {
  const ACCOUNT = '1234567890123456';
  const REQUIRED = {
    ALIBABA_CLOUD_ACCOUNT_ID: ACCOUNT,
    REGIONSHIFT_ALARM_TOKEN: 'alarm-token-0123456789abcdef',
    REGIONSHIFT_CONTROL_SECRET: 'control-secret-0123456789abcdef',
  };

  type Rendered = {
    vars: Record<string, unknown>;
    resources: Record<string, { component: string; props: z.infer<typeof sYamlSchema>['resources'][string]['props'] }>;
  };
  function render(env: Record<string, string>): { ok: true; out: Rendered } | { ok: false; error: string } {
    try {
      const out = execFileSync(process.execPath, ['test/support/render-s-yaml.mjs', 's.yaml'], {
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      });
      return { ok: true, out: JSON.parse(out) as Rendered };
    } catch (err) {
      return { ok: false, error: String((err as { stderr?: string }).stderr ?? err) };
    }
  }
  const envOf = (r: Rendered) => Object.fromEntries(Object.entries(r.resources).map(([k, v]) => [k, v.props.environmentVariables]));

  test("with only the required variables set it renders: optional ones are empty, every function's env and triggers as deployed", () => {
    const result = render({ ...REQUIRED });
    if (!result.ok) throw new Error(`s.yaml does not render: ${result.error}`);
    const { resources } = result.out;
    const base = {
      REGIONSHIFT_STATE: 'tablestore',
      TABLESTORE_INSTANCE: 'regionshift',
      TABLESTORE_ENDPOINT: 'https://regionshift.cn-beijing.vpc.tablestore.aliyuncs.com',
      REGIONSHIFT_POLICY: '',
      REGIONSHIFT_POLICY_FILE: './policy.yaml',
      REGIONSHIFT_ALARM_TOKEN: REQUIRED.REGIONSHIFT_ALARM_TOKEN,
      REGIONSHIFT_CONTROL_SECRET: REQUIRED.REGIONSHIFT_CONTROL_SECRET,
      REGIONSHIFT_DASHBOARD_URL: '',
    };
    // The functions that receive signals hand waiting steps to the executor by InvokeFunction.
    const withHandoff = { ...base, REGIONSHIFT_EXECUTOR_FUNCTION: 'regionshift-executor' };
    expect(envOf(result.out)).toEqual({
      alarm: withHandoff,
      'cluster-events': withHandoff,
      scheduler: withHandoff,
      control: { ...withHandoff, REGIONSHIFT_READ_TOKEN: '' },
      telemetry: withHandoff,
      executor: { ...base, REGIONSHIFT_BUDGET_MS: '590000' },
    });
    for (const r of Object.values(resources)) {
      expect(r.props).toMatchObject({
        region: 'cn-beijing',
        role: `acs:ram::${ACCOUNT}:role/regionshift`,
        vpcConfig: { vpcId: 'vpc-REPLACE-ME', securityGroupId: 'sg-REPLACE-ME', vSwitchIds: ['vsw-REPLACE-ME'] },
      });
    }
    const eventbridge = (pattern: object) => ({
      triggerEnable: true,
      asyncInvocationType: true,
      eventRuleFilterPattern: JSON.stringify(pattern),
      eventSourceConfig: { eventSourceType: 'Default' },
      eventSinkConfig: { deliveryOption: { eventSchema: 'CloudEvents' } },
    });
    const triggers = Object.fromEntries(Object.entries(resources).map(([k, r]) => [k, r.props.triggers]));
    expect(triggers).toEqual({
      alarm: [
        { triggerName: 'webhook', triggerType: 'http', triggerConfig: { authType: 'anonymous', methods: ['POST'] } },
        {
          triggerName: 'cms-alarm-events',
          triggerType: 'eventbridge',
          triggerConfig: eventbridge(JSON.parse(readFileSync('infra/eventbridge/cms-alarm-rule.json', 'utf8'))),
        },
      ],
      'cluster-events': [
        {
          triggerName: 'ack-events',
          triggerType: 'eventbridge',
          triggerConfig: eventbridge(JSON.parse(readFileSync('infra/eventbridge/ack-events-rule.json', 'utf8'))),
        },
        { triggerName: 'cross-region', triggerType: 'http', triggerConfig: { authType: 'anonymous', methods: ['POST'] } },
      ],
      scheduler: [
        {
          triggerName: 'tick',
          triggerType: 'timer',
          triggerConfig: { cronExpression: '@every 1m', enable: true, payload: '{"task":"tick"}' },
        },
      ],
      control: [{ triggerName: 'api', triggerType: 'http', triggerConfig: { authType: 'anonymous', methods: ['GET', 'POST', 'DELETE'] } }],
      // The account fills each SLS trigger's source project and invocation role.
      telemetry: (['hangzhou', 'shanghai'] as const).map((city) => ({
        triggerName: `access-logs-${city}`,
        triggerType: 'log',
        sourceArn: `acs:log:cn-${city}:${ACCOUNT}:project/k8s-log-c-${city}`,
        invocationRole: `acs:ram::${ACCOUNT}:role/aliyunlogetlrole`,
        triggerConfig: {
          enable: true,
          sourceConfig: { logstore: 'istio-access-log' },
          jobConfig: { triggerInterval: 3, maxRetryTime: 3 },
          logConfig: { project: `k8s-log-c-${city}`, logstore: 'regionshift-trigger-log' },
        },
      })),
      executor: undefined,
    });
    // What Serverless Devs hands the fc3 component still has fc3's shape.
    expect(sYamlSchema.safeParse({ edition: '3.0.0', name: 'regionshift', resources }).error?.issues ?? []).toEqual([]);
  });

  test('optional variables set to empty render as unset; set, they pass through; the lab host resolves s.yaml the same way', () => {
    const empty = render({ ...REQUIRED, REGIONSHIFT_POLICY: '', REGIONSHIFT_READ_TOKEN: '', REGIONSHIFT_DASHBOARD_URL: '' });
    const unset = render({ ...REQUIRED });
    expect(empty.ok && unset.ok && envOf(empty.out)).toEqual(unset.ok && envOf(unset.out));
    const set = { ...REQUIRED, REGIONSHIFT_POLICY: 'mesh: inline', REGIONSHIFT_READ_TOKEN: 'read-token-0123456789abcdef' };
    const full = render(set);
    if (!full.ok) throw new Error(full.error);
    expect(full.out.resources.control?.props.environmentVariables).toMatchObject({
      REGIONSHIFT_POLICY: 'mesh: inline',
      REGIONSHIFT_READ_TOKEN: 'read-token-0123456789abcdef',
    });
    for (const env of [set, { ...REQUIRED }]) {
      const real = render(env);
      const lab = loadSYaml('s.yaml', env);
      expect(lab.missingEnv).toEqual([]);
      expect(Object.fromEntries(Object.entries(lab.spec.resources).map(([k, r]) => [k, r.props.environmentVariables]))).toEqual(
        real.ok && envOf(real.out),
      );
    }
  });

  test('a required variable unset or empty fails the render, naming it (as `s deploy` would)', () => {
    const { REGIONSHIFT_ALARM_TOKEN: _unset, ...withoutToken } = REQUIRED;
    for (const env of [withoutToken, { ...REQUIRED, REGIONSHIFT_ALARM_TOKEN: '' }]) {
      const result = render({ ...env });
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toContain("env('REGIONSHIFT_ALARM_TOKEN') not found");
    }
    expect(loadSYaml('s.yaml', { ...withoutToken }).missingEnv).toEqual(['REGIONSHIFT_ALARM_TOKEN']);
  });
});
