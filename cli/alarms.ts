import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { RegionshiftError } from '../shared/core/errors';
import { popRpcClient, resolveCloudCredentials, type PopRpcClient } from '../shared/adapters/cloud-credentials';
import {
  applyAlarmRules,
  CMS_API_VERSION,
  cmsEndpoint,
  fillPlaceholders,
  isSecretPlaceholder,
  maskSecrets,
  parseAlarmTemplates,
  placeholderValues,
  ruleProblems,
  TemplateError,
  type RuleOutcome,
} from '../shared/adapters/cms-alarm-rules';
import { flagProblems, has, one, parseArgs, UsageError } from './control-args';

/**
 * `regionshift alarms apply`: the CloudMonitor alarm rules of `infra/cms/alarm-templates.json`,
 * placeholders filled, one PutResourceMetricRule each (idempotent by RuleId). `--dry-run` prints
 * the parameter sets it would send, secrets masked, and calls nothing.
 * Exit 0 all applied, 1 a rule refused by CloudMonitor, 2 usage or a missing placeholder,
 * 3 CloudMonitor unreachable or a server error.
 */

interface Out {
  log(s: string): void;
  error(s: string): void;
}

export const DEFAULT_TEMPLATES = 'infra/cms/alarm-templates.json';

const USAGE = `usage: regionshift alarms apply --region <region> [--templates <file>] [--set Name=value …] [--dry-run] [--json]
  applies the CloudMonitor alarm rules of the templates file (default ${DEFAULT_TEMPLATES}): one
  PutResourceMetricRule (cms ${CMS_API_VERSION}) per rule; the same RuleId updates the rule, so running it again is safe
  --region <region>    CloudMonitor's region endpoint, https://metrics.<region>.aliyuncs.com (env ALIBABA_CLOUD_REGION_ID)
  --endpoint <url>     another CloudMonitor endpoint (env REGIONSHIFT_CMS_ENDPOINT; the lab prints its own)
  --set Name=value     a placeholder's value; else env REGIONSHIFT_CMS_<NAME> (GatewayLbHangzhou → REGIONSHIFT_CMS_GATEWAY_LB_HANGZHOU);
                       AlarmToken also from REGIONSHIFT_ALARM_TOKEN
  --dry-run            print each rule's parameters (secrets masked); call nothing, need no credentials
  --json               print the outcome as JSON
credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS);
the caller needs cms:PutResourceMetricRule
exit codes: 0 all applied, 1 a rule refused by CloudMonitor, 2 usage or missing placeholder, 3 unreachable or server error`;

const argsSchema = z
  .object({
    templates: z.string().min(1),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z0-9]+)+$/, 'a region id such as cn-beijing')
      .optional(),
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    set: z.record(
      z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'Name=value, Name letters and digits'),
      z.string().min(1, 'the value is empty'),
    ),
    dryRun: z.boolean(),
    json: z.boolean(),
  })
  .strict()
  .refine((a) => a.dryRun || a.region !== undefined || a.endpoint !== undefined, {
    path: ['region'],
    message: 'required (or --endpoint) unless --dry-run',
  });

const FLAG_OF: Record<string, string> = {
  templates: '--templates',
  region: '--region',
  endpoint: '--endpoint',
  set: '--set',
  dryRun: '--dry-run',
  json: '--json',
};

export type AlarmsArgs = z.infer<typeof argsSchema>;

export function parseAlarmsArgs(args: string[], env: Record<string, string | undefined>): AlarmsArgs {
  const p = parseArgs(args, { templates: 'value', region: 'value', set: 'multi', 'dry-run': 'bool' });
  for (const flag of ['secret', 'actor']) if (has(p, flag)) throw new UsageError(`--${flag}: not an option of alarms apply`);
  const [sub, ...extra] = p.positional;
  if (sub !== 'apply')
    throw new UsageError(
      sub === undefined ? 'name the subcommand: alarms apply' : `unknown subcommand ${JSON.stringify(sub)} (alarms apply)`,
    );
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  const set: Record<string, string> = {};
  for (const pair of p.values.get('set') ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set: ${JSON.stringify(pair)} is not Name=value`);
    const name = pair.slice(0, eq);
    if (name in set) throw new UsageError(`--set: ${name} given more than once`);
    set[name] = pair.slice(eq + 1);
  }
  const region = one(p, 'region') ?? (env.ALIBABA_CLOUD_REGION_ID || undefined);
  const endpoint = one(p, 'endpoint') ?? (env.REGIONSHIFT_CMS_ENDPOINT || undefined);
  const candidate = {
    templates: one(p, 'templates') ?? DEFAULT_TEMPLATES,
    ...(region !== undefined ? { region } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    set,
    dryRun: p.bools.has('dry-run'),
    json: p.bools.has('json'),
  };
  const r = argsSchema.safeParse(candidate);
  if (!r.success) throw new UsageError(flagProblems(r.error.issues, FLAG_OF).join('\n'));
  return r.data;
}

export interface AlarmsDeps {
  /** Tests hand in a client; by default pop-core's RPCClient with the environment's credentials. */
  client?: (endpoint: string, env: Record<string, string | undefined>) => PopRpcClient;
}

export function makeRunAlarms(deps: AlarmsDeps = {}) {
  return async function runAlarms(args: string[], out: Out, env: Record<string, string | undefined>): Promise<number> {
    if (args.includes('--help') || args.includes('-h') || args.length === 0) {
      (args.length === 0 ? out.error : out.log)(USAGE);
      return args.length === 0 ? 2 : 0;
    }
    let a: AlarmsArgs;
    try {
      a = parseAlarmsArgs(args, env);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      out.error(e.message);
      out.error(USAGE.split('\n')[0]!);
      return 2;
    }
    let text: string;
    try {
      text = await readFile(a.templates, 'utf8');
    } catch (e) {
      out.error(
        `cannot read templates ${a.templates}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      );
      return 2;
    }
    let rules;
    let secrets: string[];
    try {
      const templates = parseAlarmTemplates(text);
      const unknown = Object.keys(a.set).filter((n) => !(n in templates.placeholders));
      if (unknown.length > 0)
        throw new TemplateError(
          unknown.map((n) => `--set ${n}: no such placeholder (declared: ${Object.keys(templates.placeholders).join(', ')})`),
        );
      const { values, missing } = placeholderValues(templates, a.set, env);
      if (missing.length > 0) {
        out.error(`${missing.length} placeholder${missing.length === 1 ? '' : 's'} without a value:`);
        for (const m of missing) out.error(`  \${${m.name}}: ${m.description} (--set ${m.name}=… or env ${m.env})`);
        return 2;
      }
      secrets = Object.entries(values)
        .filter(([n]) => isSecretPlaceholder(n))
        .map(([, v]) => v);
      rules = fillPlaceholders(templates.rules, values);
      const problems = rules.flatMap(ruleProblems);
      if (problems.length > 0) throw new TemplateError(problems);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      out.error(`templates ${a.templates}: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}`);
      for (const p of e.problems) out.error(`  ${p}`);
      return 2;
    }
    const endpoint = a.endpoint ?? (a.region ? cmsEndpoint(a.region) : '(no endpoint: --region)');

    if (a.dryRun) {
      const shown = rules.map((r) => maskSecrets(r, secrets));
      if (a.json)
        out.log(
          JSON.stringify({ dryRun: true, endpoint, action: 'PutResourceMetricRule', version: CMS_API_VERSION, rules: shown }, null, 2),
        );
      else {
        out.log(
          `dry run: would call PutResourceMetricRule (cms ${CMS_API_VERSION}) at ${endpoint} for ${rules.length} rule${rules.length === 1 ? '' : 's'}`,
        );
        for (const r of shown) {
          out.log(`${r.RuleId}`);
          for (const [k, v] of Object.entries(r)) if (k !== 'RuleId') out.log(`  ${k}: ${v}`);
        }
      }
      return 0;
    }

    let client: PopRpcClient;
    try {
      client = deps.client
        ? deps.client(endpoint, env)
        : popRpcClient({ endpoint, apiVersion: CMS_API_VERSION, credentials: resolveCloudCredentials({ env }) });
    } catch (e) {
      if (!(e instanceof RegionshiftError)) throw e;
      out.error(e.message);
      return 2;
    }
    const outcomes = await applyAlarmRules(client, rules);
    const failed = outcomes.filter((o) => !o.ok);
    if (a.json)
      out.log(
        JSON.stringify(
          { endpoint, applied: outcomes.length - failed.length, failed: failed.length, rules: outcomes.map((o) => mask(o, secrets)) },
          null,
          2,
        ),
      );
    else {
      for (const o of outcomes.map((x) => mask(x, secrets))) {
        if (o.ok) out.log(`applied  ${o.ruleId}${o.requestId ? ` (RequestId ${o.requestId})` : ''}`);
        else out.log(`FAILED   ${o.ruleId}: ${o.code}: ${o.message}`);
      }
      out.log(`${outcomes.length - failed.length} of ${outcomes.length} rules applied at ${endpoint}`);
    }
    if (failed.length === 0) return 0;
    // Unreachable, timed out or a server error on every failure: the service, not the rules.
    return failed.every((o) => o.retryable) ? 3 : 1;
  };
}

function mask(o: RuleOutcome, secrets: string[]): RuleOutcome {
  if (o.message === undefined) return o;
  return { ...o, message: maskSecrets({ m: o.message }, secrets).m! };
}

export const runAlarms = makeRunAlarms();
