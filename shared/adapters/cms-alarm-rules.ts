import { z } from 'zod';
import { formatIssues } from '../core/issues';
import { popFailure, type PopRpcClient } from './cloud-credentials';

/**
 * CloudMonitor alarm rules from `infra/cms/alarm-templates.json`: fill the `${Name}` placeholders,
 * check each parameter set against PutResourceMetricRule's documented parameters (CloudMonitor API
 * 2019-01-01; SDK `@alicloud/cms20190101` `PutResourceMetricRuleRequest`), and apply them one call
 * per rule. PutResourceMetricRule with an existing `RuleId` updates that rule, so applying the same
 * templates again changes nothing but what changed.
 */

export const CMS_API_VERSION = '2019-01-01';

/** CloudMonitor's regional endpoint (the API reference's request examples, `metrics.<region>.aliyuncs.com`). */
export function cmsEndpoint(region: string): string {
  return `https://metrics.${region}.aliyuncs.com`;
}

/** The top-level parameters PutResourceMetricRule documents (flattened RPC names; object parameters below). */
export const SCALAR_PARAMETER_NAMES = [
  'RuleId',
  'RuleName',
  'Namespace',
  'MetricName',
  'Resources',
  'ContactGroups',
  'Webhook',
  'EffectiveInterval',
  'NoEffectiveInterval',
  'EmailSubject',
  'Interval',
  'Period',
  'SilenceTime',
  'NoDataPolicy',
] as const;
const SCALAR_PARAMETERS = new Set<string>(SCALAR_PARAMETER_NAMES);
/** Documented as required ("This parameter is required." in the SDK's request model). */
const REQUIRED_PARAMETERS = ['RuleId', 'RuleName', 'Namespace', 'MetricName', 'ContactGroups'] as const;
export const ESCALATION_LEVELS = ['Critical', 'Warn', 'Info'] as const;
/** "You must … specify the Statistics, ComparisonOperator, Threshold, and Times parameters for each alert level." */
export const ESCALATION_FIELDS = ['Statistics', 'ComparisonOperator', 'Threshold', 'Times'] as const;
export const COMPARISON_OPERATORS = new Set([
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanOrEqualToThreshold',
  'LessThanThreshold',
  'NotEqualToThreshold',
  'EqualToThreshold',
  'GreaterThanYesterday',
  'LessThanYesterday',
  'GreaterThanLastWeek',
  'LessThanLastWeek',
  'GreaterThanLastPeriod',
  'LessThanLastPeriod',
]);
export const NO_DATA_POLICIES = new Set(['KEEP_LAST_STATE', 'INSUFFICIENT_DATA', 'OK']);
/** `SilenceTime` minimum (DescribeMetricRuleList: "Default value: 86400. Minimum value: 3600."). */
const SILENCE_TIME_MIN_S = 3600;

export type RuleParams = Record<string, string>;

const templatesSchema = z
  .object({
    description: z.string().optional(),
    placeholders: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'a placeholder name is letters and digits'), z.string()),
    rules: z.array(z.record(z.string(), z.string())).min(1),
  })
  .strict();

interface AlarmTemplates {
  /** Placeholder name → what to put there. */
  placeholders: Record<string, string>;
  rules: RuleParams[];
}

export class TemplateError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'TemplateError';
  }
}

export function parseAlarmTemplates(text: string): AlarmTemplates {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TemplateError([`not JSON: ${(e as Error).message}`]);
  }
  const parsed = templatesSchema.safeParse(raw);
  if (!parsed.success) throw new TemplateError(formatIssues(parsed.error.issues));
  const problems: string[] = [];
  parsed.data.rules.forEach((rule, i) => {
    for (const name of placeholdersIn(rule)) {
      if (!(name in parsed.data.placeholders))
        problems.push(`rules.${i} (${rule.RuleId ?? '?'}): placeholder \${${name}} is not declared under "placeholders"`);
    }
  });
  if (problems.length > 0) throw new TemplateError(problems);
  return { placeholders: parsed.data.placeholders, rules: parsed.data.rules };
}

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9]*)\}/g;

function placeholdersIn(rule: RuleParams): string[] {
  const names = new Set<string>();
  for (const value of Object.values(rule)) for (const m of value.matchAll(PLACEHOLDER)) names.add(m[1]!);
  return [...names];
}

/** `GatewayLbHangzhou` → `REGIONSHIFT_CMS_GATEWAY_LB_HANGZHOU`: where a placeholder's value may come from. */
export function placeholderEnvName(name: string): string {
  return `REGIONSHIFT_CMS_${name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toUpperCase()}`;
}

/** Placeholders whose values are secrets: masked wherever the command prints them. */
export function isSecretPlaceholder(name: string): boolean {
  return /token|secret|password/i.test(name);
}

/** The alarm token already has a name the functions read; the command accepts it too. */
const PLACEHOLDER_ENV_ALIASES: Record<string, string> = { AlarmToken: 'REGIONSHIFT_ALARM_TOKEN' };

/**
 * Each placeholder's value: an explicit `--set Name=value` first, then `REGIONSHIFT_CMS_<NAME>`,
 * then the alias (the alarm token's own variable). Only placeholders the rules use are looked up.
 */
export function placeholderValues(
  templates: AlarmTemplates,
  explicit: Record<string, string>,
  env: Record<string, string | undefined>,
): { values: Record<string, string>; missing: Array<{ name: string; env: string; description: string }> } {
  const used = new Set(templates.rules.flatMap(placeholdersIn));
  const values: Record<string, string> = {};
  const missing: Array<{ name: string; env: string; description: string }> = [];
  for (const name of [...used].sort()) {
    const alias = PLACEHOLDER_ENV_ALIASES[name];
    const value = explicit[name] ?? nonEmpty(env[placeholderEnvName(name)]) ?? (alias ? nonEmpty(env[alias]) : undefined);
    if (value === undefined || value === '') {
      missing.push({
        name,
        env: alias ? `${placeholderEnvName(name)} or ${alias}` : placeholderEnvName(name),
        description: templates.placeholders[name] ?? '',
      });
    } else values[name] = value;
  }
  return { values, missing };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** The rules with every placeholder replaced; throws naming each placeholder without a value. */
export function fillPlaceholders(rules: RuleParams[], values: Record<string, string>): RuleParams[] {
  const missing = new Set(rules.flatMap(placeholdersIn).filter((n) => values[n] === undefined));
  if (missing.size > 0) throw new TemplateError([...missing].sort().map((n) => `placeholder \${${n}} has no value`));
  return rules.map((rule) =>
    Object.fromEntries(Object.entries(rule).map(([k, v]) => [k, v.replace(PLACEHOLDER, (_m, n: string) => values[n]!)])),
  );
}

/**
 * What CloudMonitor documents about one parameter set, checked before anything is sent: unknown
 * parameter names (a typo would be dropped or refused), the required parameters, complete
 * escalation levels, the enumerations, `Resources` as a JSON array, `SilenceTime` ≥ 3600.
 */
export function ruleProblems(rule: RuleParams): string[] {
  const problems: string[] = [];
  const id = rule.RuleId ?? '(no RuleId)';
  for (const key of Object.keys(rule)) {
    const esc = /^Escalations\.([A-Za-z]+)\.([A-Za-z]+)$/.exec(key);
    const known =
      SCALAR_PARAMETERS.has(key) ||
      (esc !== null &&
        (ESCALATION_LEVELS as readonly string[]).includes(esc[1]!) &&
        (ESCALATION_FIELDS as readonly string[]).includes(esc[2]!));
    if (!known) problems.push(`${id}: ${key} is not a PutResourceMetricRule parameter this command sends`);
  }
  for (const key of REQUIRED_PARAMETERS) if (!rule[key]) problems.push(`${id}: ${key} is required`);
  const levels = ESCALATION_LEVELS.filter((l) => ESCALATION_FIELDS.some((f) => rule[`Escalations.${l}.${f}`] !== undefined));
  if (levels.length === 0) problems.push(`${id}: at least one of Escalations.Critical, .Warn, .Info is required`);
  for (const level of levels) {
    for (const f of ESCALATION_FIELDS)
      if (!rule[`Escalations.${level}.${f}`])
        problems.push(`${id}: Escalations.${level}.${f} is required when Escalations.${level} is set`);
    const op = rule[`Escalations.${level}.ComparisonOperator`];
    if (op && !COMPARISON_OPERATORS.has(op))
      problems.push(`${id}: Escalations.${level}.ComparisonOperator ${JSON.stringify(op)} is not one of CloudMonitor's operators`);
    const times = rule[`Escalations.${level}.Times`];
    if (times && !/^[1-9]\d*$/.test(times)) problems.push(`${id}: Escalations.${level}.Times must be a positive whole number`);
  }
  if (rule.Resources !== undefined) {
    let resources: unknown;
    try {
      resources = JSON.parse(rule.Resources);
    } catch {
      resources = undefined;
    }
    if (!Array.isArray(resources) || resources.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) {
      problems.push(`${id}: Resources must be a JSON array of objects, e.g. [{"instanceId":"lb-…"}]`);
    }
  }
  if (rule.SilenceTime !== undefined && !(/^\d+$/.test(rule.SilenceTime) && Number(rule.SilenceTime) >= SILENCE_TIME_MIN_S)) {
    problems.push(`${id}: SilenceTime must be whole seconds, at least ${SILENCE_TIME_MIN_S}`);
  }
  if (rule.NoDataPolicy !== undefined && !NO_DATA_POLICIES.has(rule.NoDataPolicy))
    problems.push(`${id}: NoDataPolicy must be one of ${[...NO_DATA_POLICIES].join(', ')}`);
  for (const key of ['Period', 'Interval'] as const) {
    if (rule[key] !== undefined && !/^[1-9]\d*$/.test(rule[key]!)) problems.push(`${id}: ${key} must be whole seconds`);
  }
  return problems;
}

/** Secrets replaced by `***`: their values wherever they appear (also percent-encoded), and any `token=` query value. */
export function maskSecrets(rule: RuleParams, secrets: string[]): RuleParams {
  const masked: RuleParams = {};
  for (const [k, v] of Object.entries(rule)) {
    let out = v;
    // As sent, and percent-encoded once or twice (a POP error quotes the string it signed).
    for (const s of secrets) {
      if (s.length === 0) continue;
      for (const form of new Set([s, encodeURIComponent(s), encodeURIComponent(encodeURIComponent(s))])) out = out.split(form).join('***');
    }
    out = out
      .replace(/([?&]token=)[^&#\s]*/gi, '$1***')
      .replace(/((?:%3F|%26|%253F|%2526)token(?:%3D|%253D))(?:(?!%26|%2526)[^&\s])*/gi, '$1***');
    masked[k] = out;
  }
  return masked;
}

export interface RuleOutcome {
  ruleId: string;
  ok: boolean;
  /** CloudMonitor's error code (`ParameterInvalid`, …), `NETWORK`, `TIMEOUT`; absent on success. */
  code?: string;
  message?: string;
  requestId?: string;
  retryable?: boolean;
}

/**
 * One PutResourceMetricRule per rule, in order, as POST (the parameters, the webhook's token among
 * them, travel in the body, never in a URL an error message could quote). A failure is reported
 * and the next rule is still tried: the rules are independent.
 */
export async function applyAlarmRules(
  client: PopRpcClient,
  rules: RuleParams[],
  opts: { timeoutMs?: number } = {},
): Promise<RuleOutcome[]> {
  const outcomes: RuleOutcome[] = [];
  for (const rule of rules) {
    const ruleId = rule.RuleId ?? '(no RuleId)';
    try {
      const reply = await client.request<{ RequestId?: string; Success?: boolean; Code?: string | number; Message?: string }>(
        'PutResourceMetricRule',
        rule,
        {
          method: 'POST',
          timeout: opts.timeoutMs ?? 10_000,
        },
      );
      // pop-core throws on a Code outside 200/OK/Success; CloudMonitor also says Success.
      if (reply.Success === false) {
        outcomes.push({
          ruleId,
          ok: false,
          code: String(reply.Code ?? 'UNKNOWN'),
          message: reply.Message ?? 'Success: false',
          ...(reply.RequestId ? { requestId: reply.RequestId } : {}),
        });
      } else outcomes.push({ ruleId, ok: true, ...(reply.RequestId ? { requestId: reply.RequestId } : {}) });
    } catch (err) {
      const f = popFailure(err);
      outcomes.push({ ruleId, ok: false, code: f.vendorCode, message: f.message, retryable: f.retryable });
    }
  }
  return outcomes;
}
