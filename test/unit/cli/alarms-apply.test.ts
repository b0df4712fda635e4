import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import RPCClient from '@alicloud/pop-core';
import { startLabControlPlane, type LabControlPlane } from '../../../lab/k8s/control-plane';
import { makeRunAlarms } from '../../../cli/alarms';
import { applyAlarmRules, fillPlaceholders, parseAlarmTemplates, type RuleParams } from '../../../shared/adapters/cms-alarm-rules';
import { popRpcClient } from '../../../shared/adapters/cloud-credentials';
import { FakeClock } from '../../../lab/fakes/fake-clock';

/**
 * `regionshift alarms apply` with the real pop-core client against the lab's CloudMonitor twin
 * over loopback: the twin checks the POP signature and the documented parameters, stores the
 * rule, and DescribeMetricRuleList shows what arrived.
 */

const AK = { accessKeyId: 'LTAI-cms-key', accessKeySecret: 'cms-secret' };
const TOKEN = 'alarm-tok-7c1e';
const ENV = {
  ALIBABA_CLOUD_ACCESS_KEY_ID: AK.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: AK.accessKeySecret,
  REGIONSHIFT_ALARM_TOKEN: TOKEN,
  REGIONSHIFT_CMS_ALARM_FUNCTION_DOMAIN: 'regionshift-alarm-abc.cn-beijing.fcapp.run',
  REGIONSHIFT_CMS_CONTACT_GROUP: 'regionshift-oncall',
  REGIONSHIFT_CMS_GATEWAY_LB_HANGZHOU: 'lb-bp1hz',
  REGIONSHIFT_CMS_GATEWAY_LB_SHANGHAI: 'lb-uf6sh',
};

interface Alarm {
  RuleId: string;
  RuleName: string;
  Namespace: string;
  MetricName: string;
  Resources: string;
  ContactGroups: string;
  Webhook: string;
  Period: string;
  SilenceTime: number;
  NoDataPolicy: string;
  EnableState: boolean;
  Escalations: Record<string, { Statistics: string; ComparisonOperator: string; Threshold: string; Times: number }>;
}

let cp: LabControlPlane;

beforeEach(async () => {
  cp = await startLabControlPlane({
    clusters: ['c-hangzhou', 'c-shanghai'],
    token: 'lab-token',
    ...AK,
    meshId: 'c-mesh',
    clock: new FakeClock(),
  });
});
afterEach(async () => {
  await cp.stop();
});

function lines() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { log: (s: string) => out.push(s), error: (s: string) => err.push(s) } };
}

function cms(secret = AK.accessKeySecret): RPCClient {
  return new RPCClient({ endpoint: cp.cmsEndpoint, apiVersion: '2019-01-01', accessKeyId: AK.accessKeyId, accessKeySecret: secret });
}

async function listed(ruleIds?: string[]): Promise<{ Total: string; Alarms: { Alarm: Alarm[] } }> {
  return cms().request('DescribeMetricRuleList', { PageSize: 50, ...(ruleIds ? { RuleIds: ruleIds.join(',') } : {}) }, { method: 'POST' });
}

const run = makeRunAlarms();

test('applies every shipped rule; DescribeMetricRuleList shows each with its filled, documented fields', async () => {
  const { out, err, io } = lines();
  const code = await run(['apply', '--endpoint', cp.cmsEndpoint], io, ENV);
  expect(err).toEqual([]);
  expect(code).toBe(0);
  expect(out.at(-1)).toBe(`4 of 4 rules applied at ${cp.cmsEndpoint}`);
  expect(out.join('\n')).not.toContain(TOKEN);

  const list = await listed();
  expect(list.Total).toBe('4');
  const byId = new Map(list.Alarms.Alarm.map((a) => [a.RuleId, a]));
  expect([...byId.keys()].sort()).toEqual([
    'regionshift-cn-hangzhou-gateway-5xx',
    'regionshift-cn-hangzhou-gateway-latency',
    'regionshift-cn-shanghai-gateway-5xx',
    'regionshift-cn-shanghai-gateway-latency',
  ]);
  const sh = byId.get('regionshift-cn-shanghai-gateway-5xx')!;
  expect(sh).toMatchObject({
    RuleName: 'regionshift cn-shanghai gateway upstream 5xx',
    Namespace: 'acs_slb_dashboard',
    MetricName: 'UpstreamCode5xx',
    Resources: '[{"instanceId":"lb-uf6sh"}]',
    ContactGroups: 'regionshift-oncall',
    Webhook: `https://regionshift-alarm-abc.cn-beijing.fcapp.run/cms?region=cn-shanghai&token=${TOKEN}`,
    Period: '60',
    SilenceTime: 3600,
    NoDataPolicy: 'KEEP_LAST_STATE',
    EnableState: true,
  });
  expect(sh.Escalations).toEqual({
    Warn: { Statistics: 'Average', ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: '5', Times: 2 },
    Critical: { Statistics: 'Average', ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: '50', Times: 2 },
  });
  expect(Object.keys(byId.get('regionshift-cn-hangzhou-gateway-latency')!.Escalations)).toEqual(['Warn']);
});

test('idempotent: applying again updates the same rules by RuleId, no duplicates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-alarms-'));
  const file = join(dir, 'templates.json');
  const doc = JSON.parse(readFileSync('infra/cms/alarm-templates.json', 'utf8')) as { rules: RuleParams[] };
  expect(await run(['apply', '--endpoint', cp.cmsEndpoint], lines().io, ENV)).toBe(0);
  doc.rules[0]!['Escalations.Critical.Threshold'] = '80';
  writeFileSync(file, JSON.stringify(doc));
  expect(await run(['apply', '--endpoint', cp.cmsEndpoint, '--templates', file], lines().io, ENV)).toBe(0);
  const list = await listed();
  expect(list.Total).toBe('4');
  expect(list.Alarms.Alarm.find((a) => a.RuleId === doc.rules[0]!.RuleId)!.Escalations.Critical!.Threshold).toBe('80');
  expect(cp.cms.calls.filter((c) => c.action === 'PutResourceMetricRule' && c.code === 'OK')).toHaveLength(8);
});

test('--dry-run calls nothing and masks the token', async () => {
  const { out, io } = lines();
  expect(await run(['apply', '--endpoint', cp.cmsEndpoint, '--dry-run'], io, ENV)).toBe(0);
  expect(cp.cms.calls).toEqual([]);
  const text = out.join('\n');
  expect(text).not.toContain(TOKEN);
  expect(text).toContain('Webhook: https://regionshift-alarm-abc.cn-beijing.fcapp.run/cms?region=cn-hangzhou&token=***');
  expect(text).toContain('Resources: [{"instanceId":"lb-bp1hz"}]');
});

test('a missing placeholder stops before any call, naming it and its variable', async () => {
  const { err, io } = lines();
  const { REGIONSHIFT_CMS_GATEWAY_LB_SHANGHAI: _gone, ...env } = ENV;
  expect(await run(['apply', '--endpoint', cp.cmsEndpoint], io, env)).toBe(2);
  expect(err[0]).toBe('1 placeholder without a value:');
  expect(err[1]).toContain('${GatewayLbShanghai}');
  expect(err[1]).toContain('REGIONSHIFT_CMS_GATEWAY_LB_SHANGHAI');
  expect(cp.cms.calls).toEqual([]);
});

describe('CloudMonitor refusals', () => {
  test('a bad parameter gets ParameterInvalid (HTTP 400) from the twin, through pop-core', async () => {
    const base = fillPlaceholders(parseAlarmTemplates(readFileSync('infra/cms/alarm-templates.json', 'utf8')).rules, {
      AlarmFunctionDomain: 'x.fcapp.run',
      AlarmToken: TOKEN,
      ContactGroup: 'ops',
      GatewayLbHangzhou: 'lb-1',
      GatewayLbShanghai: 'lb-2',
    })[0]!;
    for (const bad of [
      { SilenceTime: '300' },
      { 'Escalations.Critical.ComparisonOperator': '>=' },
      { ContactGroups: '' },
      { 'Escalations.Warn.Times': '' },
    ]) {
      const err = (await cms()
        .request('PutResourceMetricRule', { ...base, ...bad }, { method: 'POST' })
        .then(
          () => null,
          (e: unknown) => e,
        )) as { code: string; entry: { response: { statusCode: number } } } | null;
      expect([bad, err?.code, err?.entry.response.statusCode]).toEqual([bad, 'ParameterInvalid', 400]);
    }
    expect((await listed()).Total).toBe('0');
  });

  test('each rule reports its own outcome: a refused rule does not stop the others', async () => {
    const rules = fillPlaceholders(parseAlarmTemplates(readFileSync('infra/cms/alarm-templates.json', 'utf8')).rules, {
      AlarmFunctionDomain: 'x.fcapp.run',
      AlarmToken: TOKEN,
      ContactGroup: 'ops',
      GatewayLbHangzhou: 'lb-1',
      GatewayLbShanghai: 'lb-2',
    });
    rules[1] = { ...rules[1]!, SilenceTime: '60' };
    const client = popRpcClient({ endpoint: cp.cmsEndpoint, apiVersion: '2019-01-01', credentials: AK });
    const outcomes = await applyAlarmRules(client, rules);
    expect(outcomes.map((o) => [o.ruleId, o.ok, o.code])).toEqual([
      [rules[0]!.RuleId, true, undefined],
      [rules[1]!.RuleId, false, 'ParameterInvalid'],
      [rules[2]!.RuleId, true, undefined],
      [rules[3]!.RuleId, true, undefined],
    ]);
    expect(outcomes[1]!.message).toContain('SilenceTime');
    expect((await listed()).Total).toBe('3');
  });

  test("refused by CloudMonitor (a wrong secret): exit 1, each rule with CMS's code", async () => {
    const { out, io } = lines();
    expect(await run(['apply', '--endpoint', cp.cmsEndpoint], io, { ...ENV, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong' })).toBe(1);
    expect(out.filter((l) => l.startsWith('FAILED   '))).toHaveLength(4);
    expect(out[0]).toMatch(/^FAILED {3}regionshift-cn-hangzhou-gateway-5xx: SignatureDoesNotMatch: /);
    expect(out.at(-1)).toBe(`0 of 4 rules applied at ${cp.cmsEndpoint}`);
    expect(out.join('\n')).not.toContain(TOKEN);
  });

  test('CloudMonitor unreachable: exit 3, NETWORK per rule', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const { out, io } = lines();
    expect(await run(['apply', '--endpoint', `http://127.0.0.1:${port}`, '--json'], io, ENV)).toBe(3);
    const report = JSON.parse(out.join('\n')) as { applied: number; failed: number; rules: Array<{ code: string }> };
    expect([report.applied, report.failed, [...new Set(report.rules.map((r) => r.code))]]).toEqual([0, 4, ['NETWORK']]);
  });

  test('no credentials: exit 2 naming the variables, nothing sent', async () => {
    const { err, io } = lines();
    const { ALIBABA_CLOUD_ACCESS_KEY_ID: _i, ALIBABA_CLOUD_ACCESS_KEY_SECRET: _s, ...env } = ENV;
    expect(await run(['apply', '--endpoint', cp.cmsEndpoint], io, env)).toBe(2);
    expect(err.join('\n')).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID');
    expect(cp.cms.calls).toEqual([]);
  });
});

test('wired into `regionshift`: `alarms` without a subcommand is a usage error; the dry run through main masks the token', async () => {
  const { main } = await import('../../../cli/main');
  const bare = lines();
  expect(await main(['alarms'], bare.io, ENV)).toBe(2);
  expect(bare.err.join('\n')).toContain('usage: regionshift alarms apply');
  const dry = lines();
  expect(await main(['alarms', 'apply', '--region', 'cn-beijing', '--dry-run', '--json'], dry.io, ENV)).toBe(0);
  const printed = JSON.parse(dry.out.join('\n')) as { endpoint: string; rules: Array<{ Webhook: string }> };
  expect(printed.endpoint).toBe('https://metrics.cn-beijing.aliyuncs.com');
  expect(printed.rules.map((r) => r.Webhook)).toEqual([
    'https://regionshift-alarm-abc.cn-beijing.fcapp.run/cms?region=cn-hangzhou&token=***',
    'https://regionshift-alarm-abc.cn-beijing.fcapp.run/cms?region=cn-shanghai&token=***',
    'https://regionshift-alarm-abc.cn-beijing.fcapp.run/cms?region=cn-hangzhou&token=***',
    'https://regionshift-alarm-abc.cn-beijing.fcapp.run/cms?region=cn-shanghai&token=***',
  ]);
  expect(cp.cms.calls).toEqual([]);
});
