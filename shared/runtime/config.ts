import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { PolicyError } from '../core/errors';
import { loadPolicyYaml, type Policy } from '../core/policy';

/**
 * Configuration from the environment, parsed once at cold start. Every missing or bad variable is
 * named in one error; secrets have no defaults.
 */
const envSchema = z.object({
  REGIONSHIFT_POLICY_FILE: z.string().optional(),
  REGIONSHIFT_POLICY: z.string().optional(),
  REGIONSHIFT_STATE: z.enum(['sqlite', 'tablestore']).default('sqlite'),
  REGIONSHIFT_SQLITE_FILE: z.string().default('.regionshift/state.db'),
  REGIONSHIFT_ALARM_TOKEN: z.string().min(16, 'must be set to a secret of at least 16 characters'),
  REGIONSHIFT_CONTROL_SECRET: z.string().min(16, 'must be set to a secret of at least 16 characters'),
  REGIONSHIFT_READ_TOKEN: z.string().min(16, 'must be at least 16 characters when set').optional(),
  /**
   * The executor's FC function name: plans whose steps wait are handed to it with FC 3.0's
   * InvokeFunction, asynchronously. Unset, they run inline within this invocation's time.
   */
  REGIONSHIFT_EXECUTOR_FUNCTION: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/, 'must be an FC function name')
    .optional(),
  /** Override FC's OpenAPI endpoint (the lab's local host); by default the function's own region's. */
  REGIONSHIFT_FC_ENDPOINT: z.string().url().optional(),
  /** Override the ASM / CS OpenAPI endpoints (the lab's twins). */
  REGIONSHIFT_ASM_ENDPOINT: z.string().url().optional(),
  REGIONSHIFT_CS_ENDPOINT: z.string().url().optional(),
  /** Local runs only: append the structured log lines to this file instead of stdout. */
  REGIONSHIFT_LOG_FILE: z.string().optional(),
  /**
   * Caps the time one invocation spends on waits. Unset, the function's own timeout (from the
   * FC context) less a margin bounds them; set, whichever ends first.
   */
  REGIONSHIFT_BUDGET_MS: z.coerce.number().int().positive().optional(),
  /**
   * How often the waits on the cloud poll (ASM's mesh update, a deployment's readiness). Unset:
   * 3 s for ASM, 2 s for Kubernetes, paced for the real APIs' rate limits. Local runs against
   * the lab set it short, so a wait ends soon after the twin is done.
   */
  REGIONSHIFT_POLL_MS: z.coerce.number().int().min(10, 'must be at least 10 (ms)').max(60_000, 'must be at most 60000 (ms)').optional(),
  /**
   * When an alarm is answered. `first` (default): its plan's steps run for at most
   * ALARM_ANSWER_MS, the rest goes to the executor, then the answer (CMS waits 5 s). `after-steps`:
   * the steps run in the request to the end of the budget before the answer, the behaviour before
   * answer-first; kept as the alarm-latency benchmark's baseline, not for deployments.
   */
  REGIONSHIFT_ALARM_ANSWER: z.enum(['first', 'after-steps'], 'must be first or after-steps').optional(),
  TABLESTORE_ENDPOINT: z.string().optional(),
  TABLESTORE_INSTANCE: z.string().optional(),
});

export type RuntimeEnv = z.output<typeof envSchema>;

export function parseRuntimeEnv(env: Record<string, string | undefined>): RuntimeEnv {
  // An `${env(…)}` nobody set arrives as an empty string: treat it as unset.
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (parsed.success) {
    const e = parsed.data;
    if (!e.REGIONSHIFT_POLICY_FILE && !e.REGIONSHIFT_POLICY)
      problems.push('REGIONSHIFT_POLICY_FILE or REGIONSHIFT_POLICY: set one (the policy YAML)');
    if (e.REGIONSHIFT_STATE === 'tablestore' && (!e.TABLESTORE_ENDPOINT || !e.TABLESTORE_INSTANCE))
      problems.push('TABLESTORE_ENDPOINT and TABLESTORE_INSTANCE: required with REGIONSHIFT_STATE=tablestore');
  }
  if (problems.length || !parsed.success) throw new PolicyError(problems.map((p) => `env ${p}`));
  return parsed.data;
}

/**
 * The policy YAML: inline in REGIONSHIFT_POLICY, or a file. A relative file is looked for in the
 * working directory, then beside the running bundle (where `npm run build` puts `policy.yaml`).
 */
/**
 * The environment of a tool that reads the cloud as the functions do but serves nothing
 * (`regionshift doctor`): the same variables, without the secrets and the policy source.
 */
export function parseToolEnv(env: Record<string, string | undefined>): RuntimeEnv {
  const schema = envSchema.extend({ REGIONSHIFT_ALARM_TOKEN: z.string().default(''), REGIONSHIFT_CONTROL_SECRET: z.string().default('') });
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (
    parsed.success &&
    parsed.data.REGIONSHIFT_STATE === 'tablestore' &&
    (!parsed.data.TABLESTORE_ENDPOINT || !parsed.data.TABLESTORE_INSTANCE)
  ) {
    problems.push('TABLESTORE_ENDPOINT and TABLESTORE_INSTANCE: required with REGIONSHIFT_STATE=tablestore');
  }
  if (problems.length || !parsed.success) throw new PolicyError(problems.map((p) => `env ${p}`));
  return parsed.data;
}

export function loadRuntimePolicy(e: RuntimeEnv, env: Record<string, string | undefined>): Policy {
  if (e.REGIONSHIFT_POLICY) return loadPolicyYaml(e.REGIONSHIFT_POLICY, env);
  const file = e.REGIONSHIFT_POLICY_FILE as string;
  // `__dirname` exists in the CommonJS bundle, not when this runs as an ES module.
  const bundleDir = typeof __dirname === 'string' ? __dirname : null;
  const candidates = isAbsolute(file) || !bundleDir ? [file] : [file, join(bundleDir, file)];
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new PolicyError([`env REGIONSHIFT_POLICY_FILE: no file at ${candidates.join(' or ')}`]);
  return loadPolicyYaml(readFileSync(found, 'utf8'), env);
}
