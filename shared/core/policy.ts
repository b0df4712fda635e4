import { parseDocument, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { PolicyError } from './errors';
import { formatIssues, formatPath } from './issues';
import { policySchema, type ParsedPolicy } from './policy-schema';
import { dropZeros, failoverOrders, fullView, isPlainObject, salvageSections, semanticProblems } from './policy-semantics';
import type { TrafficMatrix } from './types';

/** A validated policy with its defaults filled in: the only policy shape the core sees. */
export interface Policy extends Omit<ParsedPolicy, 'normal' | 'failover'> {
  /** Region ids in declaration order: the tie-breaker wherever an order is needed. */
  regionIds: string[];
  normal: TrafficMatrix;
  failover: Record<string, string[]>;
}

// Kept in their own module so the functions' entries can format zod issues without loading the
// policy parser (yaml, the policy schema, croner) at cold start.
export { formatIssues, formatPath } from './issues';
export { scopeHost } from './policy-semantics';

/** Plain words for zod's defaults; messages the schema sets itself take precedence over these. */
function policyIssueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  const got = describe(iss.input);
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'required';
      return `must be ${TYPE_WORDS[iss.expected] ?? iss.expected} (got ${got})`;
    case 'invalid_value': {
      const values = (iss.values as readonly unknown[]).map((v) => String(v));
      return `must be ${values.length === 1 ? values[0] : `one of ${values.join(', ')}`} (got ${got})`;
    }
    case 'invalid_union': {
      // A discriminated union reports the whole object; the operator wrote the discriminator.
      if (!iss.discriminator || !iss.options) return undefined;
      const options = (iss.options as readonly unknown[]).map((v) => String(v)).join(', ');
      const value = isPlainObject(iss.input) ? iss.input[iss.discriminator] : undefined;
      return value === undefined ? `required: one of ${options}` : `must be one of ${options} (got ${describe(value)})`;
    }
    case 'too_small':
      if (iss.origin === 'array') return `must have at least ${String(iss.minimum)} ${iss.minimum === 1 ? 'entry' : 'entries'}`;
      return `must be ${iss.inclusive ? '>=' : '>'} ${String(iss.minimum)}`;
    case 'too_big':
      if (iss.origin === 'array') return `must have at most ${String(iss.maximum)} entries`;
      return `must be ${iss.inclusive ? '<=' : '<'} ${String(iss.maximum)}`;
    case 'invalid_format':
      return iss.format === 'url' ? `must be a URL (got ${got})` : undefined;
    default:
      return undefined;
  }
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping of fields',
  record: 'a mapping',
  array: 'a list',
};

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replace `${env:NAME}` with the variable's value; a missing variable is an error naming it. */
export function substituteEnv(text: string, env: Record<string, string | undefined>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const out = text.replace(ENV_REF, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) {
      missing.push(name);
      return '';
    }
    return v;
  });
  return { text: out, missing };
}

/**
 * Substitute inside the string values of the parsed document, never in the YAML text: a
 * secret containing `#` or `: ` would otherwise be cut short or change the document's shape,
 * and a `${env:…}` in a comment would be demanded.
 */
function substituteEnvInValues(value: unknown, env: Record<string, string | undefined>, path: PropertyKey[], problems: string[]): unknown {
  if (typeof value === 'string') {
    const sub = substituteEnv(value, env);
    for (const name of sub.missing)
      problems.push(`${formatPath(path) || '(root)'}: environment variable ${name} is not set (\${env:${name}})`);
    return sub.text;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnvInValues(v, env, [...path, i], problems));
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnvInValues(v, env, [...path, k], problems)]));
  }
  return value;
}

function yamlProblem(e: YAMLError): string {
  if (e.code === 'MULTIPLE_DOCS') return `(yaml): a policy is one YAML document; another one starts at line ${e.linePos?.[0].line ?? '?'}`;
  return `(yaml): ${e.message.split('\n')[0]?.replace(/:$/, '')}`;
}

export function loadPolicyYaml(text: string, env: Record<string, string | undefined> = {}): Policy {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new PolicyError(doc.errors.map(yamlProblem));
  const parsed: unknown = doc.toJS();
  if (parsed === null || parsed === undefined) throw new PolicyError(['(yaml): the document is empty']);
  const missing: string[] = [];
  const raw = substituteEnvInValues(parsed, env, [], missing);
  if (missing.length) throw new PolicyError(missing);
  return parsePolicy(raw);
}

/** Validate a policy object: every structural and semantic problem is reported, each with its path. */
export function parsePolicy(raw: unknown): Policy {
  const parsed = policySchema.safeParse(raw, { error: policyIssueMessage, reportInput: true });
  if (!parsed.success) {
    // Structural problems first; then the semantic problems of the sections that did parse,
    // so that one run names everything an operator has to fix.
    const problems = formatIssues(parsed.error.issues);
    problems.push(...semanticProblems(salvageSections(raw)));
    throw new PolicyError(problems);
  }
  const p = parsed.data;
  const view = fullView(p);
  const problems = semanticProblems(view);
  if (problems.length) throw new PolicyError(problems);
  const normal: TrafficMatrix = {};
  for (const src of view.regionIds) normal[src] = p.normal?.[src] ? dropZeros(p.normal[src]) : { [src]: 100 };
  return { ...p, regionIds: view.regionIds, normal, failover: failoverOrders(view) };
}
