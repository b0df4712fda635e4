import type { z } from 'zod';
import { formatIssues } from '../shared/core/policy';

/** Command-line flags of the control commands: parsing, and problems named by the flag. */

export class UsageError extends Error {}

export type FlagKind = 'value' | 'multi' | 'bool';
export type FlagSpec = Record<string, FlagKind>;

export const GLOBAL_FLAGS: FlagSpec = { endpoint: 'value', secret: 'value', actor: 'value', json: 'bool', help: 'bool' };

export const CONNECTION_USAGE = `connection (every command):
  --endpoint <url>   the control function's base URL (env REGIONSHIFT_ENDPOINT), e.g. http://127.0.0.1:8080/control
  --secret <secret>  the control secret that signs requests (env REGIONSHIFT_CONTROL_SECRET)
  --actor <name>     who you are, for the audit log (env REGIONSHIFT_ACTOR; the API says "api" without it)
  --json             print the API's JSON answer instead of the readable rendering`;

export interface Parsed {
  values: Map<string, string[]>;
  bools: Set<string>;
  positional: string[];
}

export function parseArgs(args: string[], spec: FlagSpec): Parsed {
  const all: FlagSpec = { ...GLOBAL_FLAGS, ...spec };
  const parsed: Parsed = { values: new Map(), bools: new Set(), positional: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      parsed.positional.push(...args.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      parsed.bools.add('help');
      continue;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-' && !/^-\d/.test(arg)) throw new UsageError(`${arg}: unknown option`);
      parsed.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    const kind = all[name];
    if (kind === undefined) throw new UsageError(`--${name}: unknown option`);
    if (kind === 'bool') {
      if (eq >= 0) throw new UsageError(`--${name}: takes no value`);
      parsed.bools.add(name);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name}: needs a value`);
      value = next;
      i++;
    }
    const list = parsed.values.get(name) ?? [];
    if (kind === 'value' && list.length > 0) throw new UsageError(`--${name}: given more than once`);
    list.push(value);
    parsed.values.set(name, list);
  }
  return parsed;
}

export const one = (p: Parsed, name: string): string | undefined => p.values.get(name)?.[0];
export const has = (p: Parsed, name: string): boolean => p.values.has(name) || p.bools.has(name);

/** A duration flag as the API takes it: `30m`, `1h30m`, or a bare number of seconds. */
export function durationValue(text: string | undefined): string | number | undefined {
  if (text === undefined) return undefined;
  return /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : text;
}

/** Local validation problems, each named by the flag that carries the field. */
export function flagProblems(issues: z.core.$ZodIssue[], flagOf: Record<string, string>): string[] {
  return formatIssues(issues).map((line) => {
    const m = /^([A-Za-z]+)(.*)$/s.exec(line);
    const field = m?.[1] ?? '';
    const flag = flagOf[field];
    return flag ? `${flag}${m?.[2] ?? ''}` : line;
  });
}

export function check(schema: z.ZodType, body: unknown, flagOf: Record<string, string>): void {
  const r = schema.safeParse(body);
  if (!r.success) throw new UsageError(flagProblems(r.error.issues, flagOf).join('\n'));
}

export const FIELD_FLAGS: Record<string, string> = {
  drain: '--drain',
  matrix: '--matrix',
  service: '--service',
  ttl: '--ttl',
  force: '--force',
  reason: '--reason',
  region: '--region',
  severity: '--severity',
  duration: '--duration',
  id: '<id>',
};

export function requiredReason(p: Parsed): string {
  const reason = one(p, 'reason');
  if (reason === undefined) throw new UsageError('--reason: required (say why, for the audit log)');
  return reason;
}

export const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export function idArg(p: Parsed, what: string, example: string): string {
  const [id, ...extra] = p.positional;
  if (id === undefined) throw new UsageError(`<id>: name the ${what} (e.g. ${example}; \`regionshift status\` shows it)`);
  if (extra.length) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (!ID_RE.test(id)) throw new UsageError(`<id>: ${JSON.stringify(id)} is not an id such as ${example}`);
  return id;
}

export function noPositional(p: Parsed): void {
  const [first] = p.positional;
  if (first !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(first)}`);
}
