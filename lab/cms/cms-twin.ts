import type { Clock } from '../../shared/ports/clock';
import {
  COMPARISON_OPERATORS,
  ESCALATION_FIELDS,
  ESCALATION_LEVELS,
  NO_DATA_POLICIES,
  SCALAR_PARAMETER_NAMES,
} from '../../shared/adapters/cms-alarm-rules';
import type { TwinReply, TwinRequest } from '../twin-common/http-io';
import { PopError, type PopAuthenticator } from '../asm/pop-auth';
import { requestId, rpcError } from '../asm/pop-errors';
import type { AlertingRuleResource } from '../dataplane/alarms';
import { CMS_METRIC_PROJECT } from '../dataplane/alarm-payloads';

/** CloudMonitor's numeric alert levels by the notification methods each documents (docs/cloud-contracts.md). */
const LEVEL_NUMBERS: Record<AlertingRuleResource['level'], number> = { CRITICAL: 2, WARN: 3, INFO: 4 };

/**
 * The CloudMonitor OpenAPI subset (cms 2019-01-01, RPC style) that `regionshift alarms apply`
 * calls, behind the same POP signature checks as the ASM twin:
 *   PutResourceMetricRule   creates the rule, or replaces it when the RuleId exists
 *   DescribeMetricRuleList  lists stored rules (RuleIds, Namespace, MetricName, RuleName filters)
 *   DescribeAlertingMetricRuleResources  the resources alerting now (the lab's alarm evaluator's
 *                           rules in ALERT, whether or not their callback was delivered)
 * Only documented request parameters are stored and only documented reply fields are returned
 * (SDK `@alicloud/cms20190101` models `PutResourceMetricRuleRequest`,
 * `DescribeMetricRuleListResponseBody`). A rule that breaks a documented constraint is refused
 * with `ParameterInvalid` (HTTP 400), the code CloudMonitor's API reference lists for illegal
 * parameters. The lab's alarm evaluator does not read these rules: they are stored, not evaluated.
 */

export const CMS_TWIN_API_VERSION = '2019-01-01';
const HOST = 'metrics.aliyuncs.com';

// The documented levels, fields, operators and no-data policies: one list, with its sources, in the adapter.
const LEVELS = ESCALATION_LEVELS;
const LEVEL_FIELDS = ESCALATION_FIELDS;
const OPERATORS = COMPARISON_OPERATORS;
const NO_DATA = NO_DATA_POLICIES;
/** The documented scalar parameters the twin keeps (PutResourceMetricRuleRequest). */
const STORED = SCALAR_PARAMETER_NAMES;
const DEFAULT_SILENCE_S = 86_400;

interface Escalation {
  Statistics: string;
  ComparisonOperator: string;
  Threshold: string;
  Times: number;
}

export interface StoredRule {
  params: Partial<Record<(typeof STORED)[number], string>>;
  escalations: Partial<Record<(typeof LEVELS)[number], Escalation>>;
  createdAt: number;
  updatedAt: number;
}

export interface CmsCall {
  at: number;
  action: string;
  /** `OK` or the error code returned. */
  code: string;
  ruleId?: string;
}

function invalid(message: string): PopError {
  return new PopError('ParameterInvalid', 400, message);
}

function popParams(req: TwinRequest): Record<string, string> {
  const params: Record<string, string> = Object.fromEntries(req.query);
  if (req.method === 'POST') Object.assign(params, Object.fromEntries(new URLSearchParams(req.body)));
  return params;
}

export class CmsTwin {
  readonly calls: CmsCall[] = [];
  private readonly rules = new Map<string, StoredRule>();

  private alerting: () => AlertingRuleResource[] = () => [];

  constructor(private readonly opts: { clock: Clock; authenticator: PopAuthenticator }) {}

  /** Where the alerting state comes from: the lab's alarm evaluator (its rules in ALERT, delivered or not). */
  setAlertingSource(source: () => AlertingRuleResource[]): void {
    this.alerting = source;
  }

  /** The stored rule, as the twin keeps it (for tests and the lab page); undefined when absent. */
  rule(ruleId: string): StoredRule | undefined {
    const r = this.rules.get(ruleId);
    return r ? structuredClone(r) : undefined;
  }

  ruleIds(): string[] {
    return [...this.rules.keys()];
  }

  handle(req: TwinRequest): TwinReply {
    const params = popParams(req);
    const action = params.Action ?? '';
    let reply: TwinReply;
    try {
      this.opts.authenticator.verifyRpc(req.method, params);
      if (params.Version !== CMS_TWIN_API_VERSION) throw new PopError('InvalidVersion', 400, 'Specified parameter Version is not valid.');
      if (action === 'PutResourceMetricRule') reply = this.put(params);
      else if (action === 'DescribeMetricRuleList') reply = this.describe(params);
      else if (action === 'DescribeAlertingMetricRuleResources') reply = this.describeAlerting(params);
      else throw new PopError('InvalidAction.NotFound', 404, 'Specified api is not found, please check your url and method.');
    } catch (e) {
      reply =
        e instanceof PopError
          ? rpcError(e.code, e.message, e.httpStatus, HOST)
          : rpcError('InternalError', (e as Error).message, 500, HOST);
    }
    const body = reply.body as { Code?: string | number };
    const failed = reply.status >= 400;
    this.calls.push({
      at: this.opts.clock.now(),
      action,
      code: failed ? String(body.Code) : 'OK',
      ...(params.RuleId ? { ruleId: params.RuleId } : {}),
    });
    return reply;
  }

  private put(params: Record<string, string>): TwinReply {
    for (const name of ['RuleId', 'RuleName', 'Namespace', 'MetricName', 'ContactGroups']) {
      if (!params[name]) throw invalid(`${name} is mandatory for this action.`);
    }
    const escalations: StoredRule['escalations'] = {};
    for (const level of LEVELS) {
      const given = LEVEL_FIELDS.filter((f) => params[`Escalations.${level}.${f}`] !== undefined);
      if (given.length === 0) continue;
      const absent = LEVEL_FIELDS.filter((f) => !params[`Escalations.${level}.${f}`]);
      if (absent.length > 0) throw invalid(`Escalations.${level}.${absent[0]} is mandatory when Escalations.${level} is set.`);
      const op = params[`Escalations.${level}.ComparisonOperator`]!;
      if (!OPERATORS.has(op)) throw invalid(`Escalations.${level}.ComparisonOperator is not valid: ${op}.`);
      const times = params[`Escalations.${level}.Times`]!;
      if (!/^[1-9]\d*$/.test(times)) throw invalid(`Escalations.${level}.Times is not valid: ${times}.`);
      escalations[level] = {
        Statistics: params[`Escalations.${level}.Statistics`]!,
        ComparisonOperator: op,
        Threshold: params[`Escalations.${level}.Threshold`]!,
        Times: Number(times),
      };
    }
    const hasPrometheus = Object.keys(params).some((k) => k.startsWith('Prometheus.') || k.startsWith('CompositeExpression.'));
    if (Object.keys(escalations).length === 0 && !hasPrometheus)
      throw invalid('At least one of Escalations.Critical, Escalations.Warn and Escalations.Info must be set.');
    if (params.Resources !== undefined) {
      let resources: unknown;
      try {
        resources = JSON.parse(params.Resources);
      } catch {
        throw invalid(`Resources is not valid JSON: ${params.Resources}.`);
      }
      if (!Array.isArray(resources)) throw invalid('Resources must be a JSON array.');
    }
    if (params.SilenceTime !== undefined && !(/^\d+$/.test(params.SilenceTime) && Number(params.SilenceTime) >= 3600)) {
      throw invalid(`SilenceTime is not valid: ${params.SilenceTime} (minimum 3600).`);
    }
    if (params.NoDataPolicy !== undefined && !NO_DATA.has(params.NoDataPolicy))
      throw invalid(`NoDataPolicy is not valid: ${params.NoDataPolicy}.`);
    for (const name of ['Period', 'Interval'] as const) {
      if (params[name] !== undefined && !/^[1-9]\d*$/.test(params[name]!)) throw invalid(`${name} is not valid: ${params[name]}.`);
    }
    const now = this.opts.clock.now();
    const stored: StoredRule['params'] = {};
    for (const name of STORED) if (params[name] !== undefined) stored[name] = params[name];
    const existing = this.rules.get(params.RuleId!);
    // The whole parameter set replaces the rule: the command always sends all of it.
    this.rules.set(params.RuleId!, { params: stored, escalations, createdAt: existing?.createdAt ?? now, updatedAt: now });
    return { status: 200, body: { RequestId: requestId(), Code: '200', Success: true } };
  }

  /**
   * DescribeAlertingMetricRuleResources: the resources alerting now, filtered by the documented
   * `RuleId`, `Namespace`, `Dimensions` (every given key must match) and `AlertBeforeTime`, paged by
   * `Page`/`PageSize` (defaults 1 and 10). Each entry has only documented reply fields:
   * RuleId, RuleName, Namespace, MetricName, Dimensions (JSON text), Resource
   * (`k=v,k=v`), Level (2/3/4 for Critical/Warn/Info: docs/cloud-contracts.md), Enable,
   * LastAlertTime and StartTime (epoch ms as text), MetricValues (JSON text).
   */
  private describeAlerting(params: Record<string, string>): TwinReply {
    const page = params.Page === undefined ? 1 : Number(params.Page);
    const pageSize = params.PageSize === undefined ? 10 : Number(params.PageSize);
    if (!Number.isInteger(page) || page < 1) throw invalid(`Page is not valid: ${params.Page}.`);
    if (!Number.isInteger(pageSize) || pageSize < 1) throw invalid(`PageSize is not valid: ${params.PageSize}.`);
    let dims: Record<string, unknown> | null = null;
    if (params.Dimensions) {
      try {
        dims = JSON.parse(params.Dimensions) as Record<string, unknown>;
      } catch {
        throw invalid(`Dimensions is not valid JSON: ${params.Dimensions}.`);
      }
      if (typeof dims !== 'object' || dims === null || Array.isArray(dims)) throw invalid('Dimensions must be a JSON object.');
    }
    const before = params.AlertBeforeTime ? Number(params.AlertBeforeTime) : null;
    const matching = this.alerting().filter(
      (r) =>
        (!params.RuleId || r.ruleId === params.RuleId) &&
        (!params.Namespace || params.Namespace === CMS_METRIC_PROJECT) &&
        (!dims || Object.entries(dims).every(([k, v]) => r.dimensions[k] === String(v))) &&
        (before === null || r.lastAlertAt < before),
    );
    const resources = matching.slice((page - 1) * pageSize, page * pageSize).map((r) => ({
      RuleId: r.ruleId,
      RuleName: r.ruleName,
      Namespace: CMS_METRIC_PROJECT,
      MetricName: r.metricName,
      Dimensions: JSON.stringify(r.dimensions),
      Resource: Object.entries(r.dimensions)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      Level: LEVEL_NUMBERS[r.level],
      Enable: 'true',
      LastAlertTime: String(r.lastAlertAt),
      StartTime: String(r.since),
      // "The metric value that triggered the alert ... a JSON string" (the reference's example has timestamp, value, the statistics and the dimensions).
      ...(r.value !== null
        ? { MetricValues: JSON.stringify({ timestamp: r.lastAlertAt, value: r.value, Average: r.value, ...r.dimensions }) }
        : {}),
    }));
    return {
      status: 200,
      body: { RequestId: requestId(), Code: 200, Success: true, Total: matching.length, Resources: { Resource: resources } },
    };
  }

  private describe(params: Record<string, string>): TwinReply {
    const ids = params.RuleIds ? new Set(params.RuleIds.split(',').map((s) => s.trim())) : null;
    if (ids && ids.size > 20) throw invalid('RuleIds accepts up to 20 IDs.');
    const page = params.Page === undefined ? 1 : Number(params.Page);
    const pageSize = params.PageSize === undefined ? 10 : Number(params.PageSize);
    if (!Number.isInteger(page) || page < 1) throw invalid(`Page is not valid: ${params.Page}.`);
    if (!Number.isInteger(pageSize) || pageSize < 1) throw invalid(`PageSize is not valid: ${params.PageSize}.`);
    const matching = [...this.rules.values()].filter(
      (r) =>
        (!ids || ids.has(r.params.RuleId!)) &&
        (!params.Namespace || r.params.Namespace === params.Namespace) &&
        (!params.MetricName || r.params.MetricName === params.MetricName) &&
        // "This parameter supports fuzzy match."
        (!params.RuleName || (r.params.RuleName ?? '').includes(params.RuleName)),
    );
    const alarms = matching.slice((page - 1) * pageSize, page * pageSize).map((r) => ({
      RuleId: r.params.RuleId,
      RuleName: r.params.RuleName,
      Namespace: r.params.Namespace,
      MetricName: r.params.MetricName,
      ...(r.params.Resources !== undefined ? { Resources: r.params.Resources } : {}),
      ContactGroups: r.params.ContactGroups,
      ...(r.params.Webhook !== undefined ? { Webhook: r.params.Webhook } : {}),
      ...(r.params.Period !== undefined ? { Period: r.params.Period } : {}),
      ...(r.params.EffectiveInterval !== undefined ? { EffectiveInterval: r.params.EffectiveInterval } : {}),
      ...(r.params.NoEffectiveInterval !== undefined ? { NoEffectiveInterval: r.params.NoEffectiveInterval } : {}),
      ...(r.params.EmailSubject !== undefined ? { MailSubject: r.params.EmailSubject } : {}),
      NoDataPolicy: r.params.NoDataPolicy ?? 'KEEP_LAST_STATE',
      SilenceTime: r.params.SilenceTime !== undefined ? Number(r.params.SilenceTime) : DEFAULT_SILENCE_S,
      EnableState: true,
      Escalations: structuredClone(r.escalations),
    }));
    return {
      status: 200,
      body: { RequestId: requestId(), Code: 200, Success: true, Total: String(matching.length), Alarms: { Alarm: alarms } },
    };
  }
}
