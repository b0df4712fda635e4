import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { urlRegionOf } from '../../functions/alarm/receive';
import { alarmTokenOf } from '../../shared/http/auth';
import { parse as parseYaml } from 'yaml';

/** infra/: the RAM policies grant what the code calls and nothing else; the CMS rule templates are PutResourceMetricRule parameter sets. */

interface Statement {
  Effect: string;
  Action: string[];
  Resource: string | string[];
}
const policy = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { Version: string; Statement: Statement[] };

function sourceOf(dir: string): string {
  return readdirSync(dir)
    .map((name) => {
      const p = path.join(dir, name);
      return statSync(p).isDirectory() ? sourceOf(p) : name.endsWith('.ts') ? readFileSync(p, 'utf8') : '';
    })
    .join('\n');
}
const code = sourceOf('shared') + sourceOf('functions');
const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** Where each RAM action's API call is made: a test that fails when the policy grants an action nothing calls. */
function called(action: string, source: string): boolean {
  const [service, api] = action.split(':') as [string, string];
  if (service === 'servicemesh') return new RegExp(`request(<[^>]*>)?\\(\\s*'${api}'`).test(source);
  if (service === 'ots') return source.includes(`.${lowerFirst(api)}(`);
  // DescribeClusterUserKubeconfig is GET /k8s/{ClusterId}/user_config (RAM has also named it cs:GetUserConfig).
  // CloudMonitor (RPC): the action name is the request's first argument, or the constant holding it.
  if (service === 'cms') return new RegExp(`request(<[^>]*>)?\\(\\s*'${api}'`).test(source) || new RegExp(`= '${api}';`).test(source);
  // SLS: log:GetCursorOrData authorizes GetCursor and PullLogs (reading a shard by cursor).
  if (service === 'log') return api === 'GetCursorOrData' && /\.pullLogs(WithOptions)?\(/.test(source);
  if (service === 'cs') return ['DescribeClusterUserKubeconfig', 'GetUserConfig'].includes(api) && source.includes('/user_config');
  return false;
}

describe('RAM policies', () => {
  test('ram-policy.json: RAM policy JSON only; servicemesh actions on "*"; every action is one the functions call', () => {
    const p = policy('infra/ram-policy.json');
    expect(Object.keys(p).sort()).toEqual(['Statement', 'Version']);
    for (const s of p.Statement) expect(Object.keys(s).sort()).toEqual(['Action', 'Effect', 'Resource']);
    const actions = p.Statement.flatMap((s) => s.Action);
    expect(p.Statement.filter((s) => s.Action.some((a) => a.startsWith('servicemesh:'))).map((s) => s.Resource)).toEqual(['*']);
    // fc:InvokeFunction: the asynchronous hand-off to the executor function.
    expect(actions.filter((a) => a !== 'fc:InvokeFunction' && !called(a, code))).toEqual([]);
    expect(actions).toContain('fc:InvokeFunction');
    // Read-only CloudMonitor access: the tick's read-back of the alerting state (detection.cmsReconcile).
    expect(actions.filter((a) => a.startsWith('cms:'))).toEqual(['cms:DescribeAlertingMetricRuleResources']);
    expect(p.Statement.filter((s) => s.Action.some((a) => a.startsWith('cms:'))).map((s) => s.Resource)).toEqual(['*']);
    // Read-only SLS access, on the access-log Logstores only (the telemetry function's PullLogs).
    expect(actions.filter((a) => a.startsWith('log:'))).toEqual(['log:GetCursorOrData']);
    const sls = p.Statement.filter((s) => s.Action.some((a) => a.startsWith('log:'))).flatMap((s) => s.Resource);
    expect(sls.length).toBeGreaterThan(0);
    for (const r of sls) expect(r).toMatch(/^acs:log:[a-z0-9-]+:\$\{AccountId\}:project\/[^/*]+\/logstore\/[^/*]+$/);
  });

  test('ram-policy-table-setup.json: what infra/create-tables.ts calls', () => {
    const actions = policy('infra/ram-policy-table-setup.json').Statement.flatMap((s) => s.Action);
    const setup = readFileSync('shared/adapters/state-tablestore-schema.ts', 'utf8');
    expect(actions.filter((a) => !called(a, setup))).toEqual([]);
  });
});

describe('CMS alarm rule templates (PutResourceMetricRule)', () => {
  const doc = JSON.parse(readFileSync('infra/cms/alarm-templates.json', 'utf8')) as {
    placeholders: Record<string, string>;
    rules: Array<Record<string, string>>;
  };

  test('each rule has the required parameters and complete escalation levels; no Prometheus rule', () => {
    for (const r of doc.rules) {
      for (const k of ['RuleId', 'RuleName', 'Namespace', 'MetricName', 'Resources'])
        expect([r.RuleId, k, typeof r[k]]).toEqual([r.RuleId, k, 'string']);
      expect(r.Namespace).not.toBe('acs_prometheus');
      expect(Object.keys(r).filter((k) => k.startsWith('Prometheus.'))).toEqual([]);
      const levels = new Set(
        Object.keys(r)
          .filter((k) => k.startsWith('Escalations.'))
          .map((k) => k.split('.')[1]),
      );
      expect(levels.size).toBeGreaterThan(0);
      for (const level of levels) {
        for (const f of ['Statistics', 'ComparisonOperator', 'Threshold', 'Times'])
          expect([r.RuleId, `Escalations.${level}.${f}` in r]).toEqual([r.RuleId, true]);
      }
      expect(() => JSON.parse(r.Resources as string)).not.toThrow();
    }
  });

  test("each webhook, read by the alarm function itself, carries the token and names the rule's own region; placeholders declared", () => {
    const regions = new Map<string, string[]>();
    const policy = { regionIds: ['cn-hangzhou', 'cn-shanghai'] };
    for (const r of doc.rules) {
      const url = new URL((r.Webhook ?? '').replace('${AlarmFunctionDomain}', 'regionshift-alarm.example.fcapp.run'));
      // What FC hands the function: the path and the query of the trigger URL.
      const req = { method: 'POST', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: {}, rawBody: '' };
      expect([r.RuleId, alarmTokenOf(req)]).toEqual([r.RuleId, '${AlarmToken}']);
      const region = urlRegionOf(req, policy) as string;
      expect([r.RuleId, region]).toEqual([r.RuleId, expect.stringMatching(/^cn-/)]);
      expect(r.RuleId).toContain(region);
      regions.set(region, [...(regions.get(region) ?? []), r.MetricName as string].sort());
      for (const [, name] of JSON.stringify(r).matchAll(/\$\{([A-Za-z]+)\}/g)) expect(Object.keys(doc.placeholders)).toContain(name);
    }
    expect(Object.fromEntries(regions)).toEqual({
      'cn-hangzhou': ['UpstreamCode5xx', 'UpstreamRt'],
      'cn-shanghai': ['UpstreamCode5xx', 'UpstreamRt'],
    });
  });
});

describe('Kubernetes RBAC (infra/k8s/rbac.yaml)', () => {
  // Each client call the functions make, and the (group, resource, verb) the API server checks for it.
  const calls: Array<[RegExp, string]> = [
    [/\.readNamespacedDeployment\(/, 'apps/deployments/get'],
    [/\.patchNamespacedDeploymentScale\(/, 'apps/deployments/scale/patch'],
    [/\.listNode\(/, '/nodes/list'],
    [/\.getNamespacedCustomObject\(/, 'networking.istio.io/destinationrules/get'],
    [/\.listClusterCustomObject\(/, 'networking.istio.io/destinationrules/list'],
    [/\.createNamespacedCustomObject\(/, 'networking.istio.io/destinationrules/create'],
    [/\.patchNamespacedCustomObject\(/, 'networking.istio.io/destinationrules/patch'],
    [/\.deleteNamespacedCustomObject\(/, 'networking.istio.io/destinationrules/delete'],
    [/plural: 'workloadentries'/, 'networking.istio.io/workloadentries/list'],
    [/plural: 'virtualservices'/, 'networking.istio.io/virtualservices/list'],
  ];
  interface Rule {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
  }
  const docs = readFileSync('infra/k8s/rbac.yaml', 'utf8')
    .split(/^---$/m)
    .map((d) => parseYaml(d) as { kind: string; rules?: Rule[]; roleRef?: { name: string } });
  const granted = new Set(
    docs.flatMap((d) =>
      (d.rules ?? []).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}/${v}`)))),
    ),
  );

  test('every Kubernetes call the functions make is granted, and nothing else is', () => {
    const made = calls.filter(([re]) => re.test(code)).map(([, grant]) => grant);
    // Custom objects by literal plural: DestinationRules, readiness's list of WorkloadEntries, scopes.entryFrom's list of VirtualServices; nothing else.
    expect(
      [...code.matchAll(/plural: '([a-z]+)'/g)]
        .map((m) => m[1])
        .filter((p) => p !== 'destinationrules' && p !== 'workloadentries' && p !== 'virtualservices'),
    ).toEqual([]);
    expect(made.filter((g) => !granted.has(g))).toEqual([]);
    expect([...granted].filter((g) => !made.includes(g)).sort()).toEqual([]);
  });

  test('each role is bound', () => {
    const roles = docs.filter((d) => d.kind === 'ClusterRole').map((d) => (d as { metadata?: { name: string } }).metadata?.name);
    expect(
      docs
        .filter((d) => d.kind === 'ClusterRoleBinding')
        .map((d) => d.roleRef?.name)
        .sort(),
    ).toEqual(roles.sort());
  });
});
