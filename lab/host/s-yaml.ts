import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../../shared/core/policy';
import { EventPatternError, parseEventPattern } from './event-pattern';

/**
 * The parts of a Serverless Devs `s.yaml` (edition 3.0.0, component fc3) that regionshift uses,
 * as zod shapes: the local FC host serves from them and a unit test holds the real file to them.
 */

const httpTriggerConfig = z.strictObject({
  authType: z.enum(['anonymous', 'function', 'jwt']),
  methods: z.array(z.enum(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'])).min(1),
  disableURLInternet: z.boolean().optional(),
});

/** FC's interval form, `@every 1m` (TimerTriggerConfig: "@every 4m"); whole minutes and hours, at least a minute. */
export const EVERY_RE = /^@every ((?:\d+h)?(?:\d+m)?)$/;

/** The interval of an `@every` expression in ms, or null when the expression is not of that form. */
export function everyIntervalMs(cronExpression: string): number | null {
  const m = EVERY_RE.exec(cronExpression);
  if (!m || !m[1]) return null;
  const hours = Number(/(\d+)h/.exec(m[1])?.[1] ?? 0);
  const minutes = Number(/(\d+)m/.exec(m[1])?.[1] ?? 0);
  const ms = (hours * 60 + minutes) * 60_000;
  return ms > 0 ? ms : null;
}

const timerTriggerConfig = z.strictObject({
  cronExpression: z.string().refine((c) => everyIntervalMs(c) !== null || (!c.startsWith('@') && c.trim().split(/\s+/).length === 6), {
    message: 'must be 6 cron fields (seconds first) or "@every <n>m" / "@every <n>h"',
  }),
  enable: z.boolean(),
  payload: z.string().optional(),
});

const eventBridgeTriggerConfig = z.strictObject({
  triggerEnable: z.boolean().optional(),
  asyncInvocationType: z.boolean().optional(),
  // The local host applies the pattern before invoking, so it must be one the host can evaluate.
  eventRuleFilterPattern: z.string().superRefine((p, ctx) => {
    try {
      parseEventPattern(p);
    } catch (err) {
      const problems = err instanceof EventPatternError ? err.problems : [String(err)];
      for (const problem of problems) ctx.addIssue({ code: 'custom', message: `event pattern: ${problem}` });
    }
  }),
  eventSourceConfig: z.object({ eventSourceType: z.enum(['Default', 'MNS', 'RocketMQ', 'RabbitMQ', 'Kafka', 'DTS']) }).loose(),
  // FC 3.0 DeliveryOption has `concurrency` and `eventSchema` only (API 2023-03-30); strict so a stale `mode` is refused.
  eventSinkConfig: z
    .strictObject({
      deliveryOption: z.strictObject({
        concurrency: z.number().int().positive().optional(),
        eventSchema: z.enum(['CloudEvents', 'RawData']).optional(),
      }),
    })
    .optional(),
  runOptions: z
    .object({ mode: z.enum(['event-driven', 'event-streaming']) })
    .loose()
    .optional(),
});

const trigger = z.discriminatedUnion('triggerType', [
  z.object({
    triggerName: z.string().min(1),
    triggerType: z.literal('http'),
    qualifier: z.string().optional(),
    triggerConfig: httpTriggerConfig,
  }),
  z.object({
    triggerName: z.string().min(1),
    triggerType: z.literal('timer'),
    qualifier: z.string().optional(),
    triggerConfig: timerTriggerConfig,
  }),
  z.object({
    triggerName: z.string().min(1),
    triggerType: z.literal('eventbridge'),
    qualifier: z.string().optional(),
    triggerConfig: eventBridgeTriggerConfig,
  }),
]);
export type Fc3Trigger = z.output<typeof trigger>;

const fc3Props = z.object({
  region: z.string().min(1),
  functionName: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/, 'must be a valid FC function name'),
  description: z.string().optional(),
  runtime: z.literal('nodejs20'),
  code: z.string().min(1),
  handler: z.string().regex(/^[A-Za-z0-9_-]+\.[A-Za-z_$][A-Za-z0-9_$]*$/, 'must be <file>.<export>'),
  memorySize: z.number().int().min(128).max(32768),
  timeout: z.number().int().min(1).max(86400),
  role: z
    .string()
    .regex(/^acs:ram::[^:]*:role\/[A-Za-z0-9._-]+$/, 'must be acs:ram::<account>:role/<name>')
    .optional(),
  internetAccess: z.boolean().optional(),
  environmentVariables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
  vpcConfig: z
    .strictObject({ vpcId: z.string().min(1), securityGroupId: z.string().min(1), vSwitchIds: z.array(z.string().min(1)).min(1) })
    .optional(),
  asyncInvokeConfig: z
    .object({
      maxAsyncRetryAttempts: z.number().int().min(0).max(8).optional(),
      maxAsyncEventAgeInSeconds: z.number().int().min(1).optional(),
    })
    .loose()
    .optional(),
  triggers: z.array(trigger).optional(),
});

export const sYamlSchema = z.object({
  edition: z.literal('3.0.0'),
  name: z.string().min(1),
  access: z.string().optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
  resources: z.record(z.string(), z.object({ component: z.literal('fc3'), props: fc3Props })),
});
export type SYaml = z.output<typeof sYamlSchema>;

/**
 * Serverless Devs variables: `${vars.x}`, `${env(NAME)}` / `${env('NAME')}` and the default form
 * `${env('NAME', 'default')}`. As in Serverless Devs 3 (`@serverless-devs/art-template`'s
 * devs-compile), an unset *or empty* variable takes the default when one is given; without one
 * `s deploy` would fail, so it is reported as missing and becomes an empty string here.
 * Anything else is left as written.
 */
const VARIABLE_RE = /\$\{\s*(?:vars\.([A-Za-z0-9_]+)|env\(\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2\s*(?:,\s*(['"])(.*?)\4\s*)?\))\s*\}/g;

export function resolveVariables(
  value: unknown,
  vars: Record<string, unknown>,
  env: Record<string, string | undefined>,
  missing: Set<string>,
): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE_RE, (whole, varName?: string, _q?: string, envName?: string, _dq?: string, fallback?: string) => {
      if (varName !== undefined) return varName in vars ? String(resolveVariables(vars[varName], {}, env, missing)) : whole;
      const v = env[envName as string];
      if (v) return v;
      if (fallback !== undefined) return fallback;
      missing.add(envName as string);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveVariables(v, vars, env, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveVariables(v, vars, env, missing)]));
  }
  return value;
}

export function loadSYaml(sYamlPath: string, env: Record<string, string | undefined>): { spec: SYaml; missingEnv: string[] } {
  const raw: unknown = parse(readFileSync(sYamlPath, 'utf8'));
  const vars = (raw as { vars?: Record<string, unknown> } | null)?.vars ?? {};
  const missing = new Set<string>();
  const resolved = resolveVariables(raw, vars, env, missing);
  const parsed = sYamlSchema.safeParse(resolved);
  if (!parsed.success) throw new Error(`${sYamlPath} is not a valid fc3 s.yaml:\n  ${formatIssues(parsed.error.issues).join('\n  ')}`);
  return { spec: parsed.data, missingEnv: [...missing].sort() };
}
