import { readFileSync } from 'node:fs';
import {
  fillPlaceholders,
  maskSecrets,
  parseAlarmTemplates,
  placeholderEnvName,
  placeholderValues,
  ruleProblems,
  TemplateError,
  type RuleParams,
} from '../../../shared/adapters/cms-alarm-rules';
import { parseAlarmsArgs } from '../../../cli/alarms';
import { UsageError } from '../../../cli/control-args';

/** Placeholder filling, the names of missing ones, the documented-parameter checks and masking. */

const shipped = parseAlarmTemplates(readFileSync('infra/cms/alarm-templates.json', 'utf8'));

const VALUES = {
  AlarmFunctionDomain: 'regionshift-alarm-abc.cn-beijing.fcapp.run',
  AlarmToken: 'tok-3f9a',
  ContactGroup: 'regionshift-oncall',
  GatewayLbHangzhou: 'lb-bp1hz',
  GatewayLbShanghai: 'lb-uf6sh',
};

function rule(extra: RuleParams = {}): RuleParams {
  return {
    RuleId: 'r1',
    RuleName: 'r1 name',
    Namespace: 'acs_slb_dashboard',
    MetricName: 'UpstreamCode5xx',
    Resources: '[{"instanceId":"lb-1"}]',
    ContactGroups: 'ops',
    'Escalations.Critical.Statistics': 'Average',
    'Escalations.Critical.ComparisonOperator': 'GreaterThanOrEqualToThreshold',
    'Escalations.Critical.Threshold': '50',
    'Escalations.Critical.Times': '2',
    ...extra,
  };
}

describe('placeholders', () => {
  test('env names: REGIONSHIFT_CMS_ and the name in upper snake case', () => {
    expect(placeholderEnvName('GatewayLbHangzhou')).toBe('REGIONSHIFT_CMS_GATEWAY_LB_HANGZHOU');
    expect(placeholderEnvName('AlarmFunctionDomain')).toBe('REGIONSHIFT_CMS_ALARM_FUNCTION_DOMAIN');
    expect(placeholderEnvName('ContactGroup')).toBe('REGIONSHIFT_CMS_CONTACT_GROUP');
  });

  test('every missing placeholder is named, with its description and where it may come from', () => {
    const { values, missing } = placeholderValues(shipped, { ContactGroup: 'ops' }, { REGIONSHIFT_CMS_GATEWAY_LB_HANGZHOU: 'lb-1' });
    expect(values).toEqual({ ContactGroup: 'ops', GatewayLbHangzhou: 'lb-1' });
    expect(missing.map((m) => m.name)).toEqual(['AlarmFunctionDomain', 'AlarmToken', 'GatewayLbShanghai']);
    const token = missing.find((m) => m.name === 'AlarmToken')!;
    expect(token.env).toBe('REGIONSHIFT_CMS_ALARM_TOKEN or REGIONSHIFT_ALARM_TOKEN');
    expect(token.description).toContain('token');
  });

  test("--set wins over the environment; the alarm token comes from the functions' own variable too", () => {
    const { values, missing } = placeholderValues(
      shipped,
      { GatewayLbShanghai: 'from-flag' },
      {
        ...Object.fromEntries(Object.entries(VALUES).map(([k, v]) => [placeholderEnvName(k), v])),
        REGIONSHIFT_CMS_ALARM_TOKEN: '',
        REGIONSHIFT_ALARM_TOKEN: 'fn-token',
      },
    );
    expect(missing).toEqual([]);
    expect(values.GatewayLbShanghai).toBe('from-flag');
    expect(values.AlarmToken).toBe('fn-token');
  });

  test('filled rules carry the values everywhere, and no ${…} is left', () => {
    const rules = fillPlaceholders(shipped.rules, VALUES);
    expect(rules).toHaveLength(shipped.rules.length);
    for (const r of rules) expect(JSON.stringify(r)).not.toMatch(/\$\{/);
    const hz = rules.find((r) => r.RuleId === 'regionshift-cn-hangzhou-gateway-5xx')!;
    expect(hz.Webhook).toBe('https://regionshift-alarm-abc.cn-beijing.fcapp.run/cms?region=cn-hangzhou&token=tok-3f9a');
    expect(JSON.parse(hz.Resources!)).toEqual([{ instanceId: 'lb-bp1hz' }]);
    expect(rules.find((r) => r.RuleId === 'regionshift-cn-shanghai-gateway-latency')!.Resources).toBe('[{"instanceId":"lb-uf6sh"}]');
  });

  test('filling with a value missing throws, naming each', () => {
    const { GatewayLbShanghai: _s, AlarmToken: _t, ...partial } = VALUES;
    expect(() => fillPlaceholders(shipped.rules, partial)).toThrow(TemplateError);
    try {
      fillPlaceholders(shipped.rules, partial);
    } catch (e) {
      expect((e as TemplateError).problems).toEqual([
        'placeholder ${AlarmToken} has no value',
        'placeholder ${GatewayLbShanghai} has no value',
      ]);
    }
  });

  test('a template using an undeclared placeholder is refused, naming the rule and the placeholder', () => {
    const text = JSON.stringify({ placeholders: { A: 'a' }, rules: [rule({ Webhook: 'https://${A}/cms?token=${Tok}' })] });
    expect(() => parseAlarmTemplates(text)).toThrow('rules.0 (r1): placeholder ${Tok} is not declared');
  });
});

describe('documented PutResourceMetricRule parameters', () => {
  test('the shipped templates, filled, pass', () => {
    expect(fillPlaceholders(shipped.rules, VALUES).flatMap(ruleProblems)).toEqual([]);
  });

  test('a complete rule passes; each broken constraint is named', () => {
    expect(ruleProblems(rule())).toEqual([]);
    expect(ruleProblems(rule({ ContactGroups: '' }))).toEqual(['r1: ContactGroups is required']);
    expect(ruleProblems(rule({ 'Escalations.Warn.Threshold': '5' }))).toEqual([
      'r1: Escalations.Warn.Statistics is required when Escalations.Warn is set',
      'r1: Escalations.Warn.ComparisonOperator is required when Escalations.Warn is set',
      'r1: Escalations.Warn.Times is required when Escalations.Warn is set',
    ]);
    expect(ruleProblems(rule({ 'Escalations.Critical.ComparisonOperator': '>=' }))).toEqual([
      'r1: Escalations.Critical.ComparisonOperator ">=" is not one of CloudMonitor\'s operators',
    ]);
    expect(ruleProblems(rule({ SilenceTime: '300' }))).toEqual(['r1: SilenceTime must be whole seconds, at least 3600']);
    expect(ruleProblems(rule({ Resources: '{"instanceId":"lb-1"}' }))).toEqual([
      'r1: Resources must be a JSON array of objects, e.g. [{"instanceId":"lb-…"}]',
    ]);
    expect(ruleProblems(rule({ NoDataPolicy: 'IGNORE' }))).toEqual([
      'r1: NoDataPolicy must be one of KEEP_LAST_STATE, INSUFFICIENT_DATA, OK',
    ]);
    // A typo would otherwise go out and be dropped, or refused by the service.
    expect(ruleProblems(rule({ WebHook: 'https://x' }))).toEqual([
      'r1: WebHook is not a PutResourceMetricRule parameter this command sends',
    ]);
    expect(ruleProblems(rule({ 'Escalations.Severe.Times': '1' }))).toEqual([
      'r1: Escalations.Severe.Times is not a PutResourceMetricRule parameter this command sends',
    ]);
  });

  test('a rule with no escalation level is refused', () => {
    const bare = Object.fromEntries(Object.entries(rule()).filter(([k]) => !k.startsWith('Escalations.')));
    expect(ruleProblems(bare)).toEqual(['r1: at least one of Escalations.Critical, .Warn, .Info is required']);
  });
});

describe('masking', () => {
  test("the secret's value and any token= query value become ***", () => {
    const masked = maskSecrets(rule({ Webhook: 'https://h/cms?region=cn-hangzhou&token=tok-3f9a', EmailSubject: 'x tok-3f9a y' }), [
      'tok-3f9a',
    ]);
    expect(masked.Webhook).toBe('https://h/cms?region=cn-hangzhou&token=***');
    expect(masked.EmailSubject).toBe('x *** y');
    expect(maskSecrets({ Webhook: 'https://h/cms?token=other&region=x' }, []).Webhook).toBe('https://h/cms?token=***&region=x');
  });
});

describe('arguments', () => {
  test('flags and environment', () => {
    expect(parseAlarmsArgs(['apply', '--region', 'cn-beijing', '--set', 'A=1', '--set', 'B=x=y'], {})).toEqual({
      templates: 'infra/cms/alarm-templates.json',
      region: 'cn-beijing',
      set: { A: '1', B: 'x=y' },
      dryRun: false,
      json: false,
    });
    expect(parseAlarmsArgs(['apply'], { ALIBABA_CLOUD_REGION_ID: 'cn-zhangjiakou' }).region).toBe('cn-zhangjiakou');
    expect(parseAlarmsArgs(['apply', '--dry-run'], {}).dryRun).toBe(true);
  });

  test.each([
    [['apply'], '--region: required (or --endpoint) unless --dry-run'],
    [['apply', '--region', 'Hangzhou'], '--region: a region id such as cn-beijing'],
    [['apply', '--dry-run', '--set', 'novalue'], '--set: "novalue" is not Name=value'],
    [['apply', '--dry-run', '--set', 'A=1', '--set', 'A=2'], '--set: A given more than once'],
    [['apply', '--dry-run', '--secret', 'x'], '--secret: not an option of alarms apply'],
    [['list'], 'unknown subcommand "list" (alarms apply)'],
    [['apply', '--endpoint', 'ftp://x'], '--endpoint'],
  ])('%j is refused: %s', (args, message) => {
    expect(() => parseAlarmsArgs(args, {})).toThrow(UsageError);
    expect(() => parseAlarmsArgs(args, {})).toThrow(message);
  });
});

test('masking also covers the encoded forms a POP error quotes (its string to sign)', () => {
  const secret = 'a/b+c=d';
  const signed = `POST&%2F&Webhook%3Dhttps%253A%252F%252Fh%252Fcms%253Fregion%253Dcn-hangzhou%2526token%253D${encodeURIComponent(encodeURIComponent(secret))}%26X%3D1`;
  const masked = maskSecrets({ m: signed }, [secret]).m!;
  expect(masked).not.toContain(encodeURIComponent(encodeURIComponent(secret)));
  expect(masked).toContain('token%253D***');
  expect(maskSecrets({ m: signed }, []).m).toBe(signed.replace(encodeURIComponent(encodeURIComponent(secret)), '***'));
  expect(maskSecrets({ m: `url ${encodeURIComponent(secret)} end` }, [secret]).m).toBe('url *** end');
});
