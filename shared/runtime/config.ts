import { readFileSync } from 'node:fs';
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
  /** Local FC host only: where asynchronous invocations of the executor go. */
  REGIONSHIFT_EXECUTOR_URL: z.string().url().optional(),
  /** Override the ASM / CS OpenAPI endpoints (the lab's twins). */
  REGIONSHIFT_ASM_ENDPOINT: z.string().url().optional(),
  REGIONSHIFT_CS_ENDPOINT: z.string().url().optional(),
  /** Local runs only: append the structured log lines to this file instead of stdout. */
  REGIONSHIFT_LOG_FILE: z.string().optional(),
  REGIONSHIFT_BUDGET_MS: z.coerce.number().int().positive().default(20_000),
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
    if (!e.REGIONSHIFT_POLICY_FILE && !e.REGIONSHIFT_POLICY) problems.push('REGIONSHIFT_POLICY_FILE or REGIONSHIFT_POLICY: set one (the policy YAML)');
    if (e.REGIONSHIFT_STATE === 'tablestore' && (!e.TABLESTORE_ENDPOINT || !e.TABLESTORE_INSTANCE)) problems.push('TABLESTORE_ENDPOINT and TABLESTORE_INSTANCE: required with REGIONSHIFT_STATE=tablestore');
  }
  if (problems.length || !parsed.success) throw new PolicyError(problems.map((p) => `env ${p}`));
  return parsed.data;
}

export function loadRuntimePolicy(e: RuntimeEnv, env: Record<string, string | undefined>): Policy {
  const text = e.REGIONSHIFT_POLICY ?? readFileSync(e.REGIONSHIFT_POLICY_FILE as string, 'utf8');
  return loadPolicyYaml(text, env);
}
