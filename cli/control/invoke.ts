import { ACTOR_RE, ControlClient, normalizeEndpoint, TransportError, type ApiReply } from '../client';
import { CONNECTION_USAGE, type FlagSpec, type Parsed, UsageError, one, parseArgs } from '../control-args';
import { renderOutcome, reportError, type Out } from '../control-render';
import type { DecisionOutcome } from '../../shared/engine/api';

/**
 * What every control command shares (docs/api.md, docs/cli.md): parse the arguments, find the
 * endpoint, secret and actor, sign and send one request, render the answer, and say how it went
 * as an exit code: 0 ok, 1 the API refused (4xx), 2 usage, 3 transport or 5xx. Each command
 * (status.ts, history.ts, override.ts, drill.ts, pause.ts, plan.ts, report.ts) is an Invocation.
 */

export type Env = Record<string, string | undefined>;

export const EXIT = { ok: 0, refused: 1, usage: 2, transport: 3 } as const;

export type Method = 'GET' | 'POST' | 'DELETE';

/** One command's action: what it sends, and the command it stands for in a dry run (`plan`). */
export interface Action {
  method: Method;
  path: string;
  body?: Record<string, unknown>;
  /** The same command as `POST /v1/plan` takes it. */
  command: Record<string, unknown> & { kind: string };
}

export interface ActionSpec {
  usage: string;
  flags: FlagSpec;
  build(p: Parsed): Action;
}

interface Connection {
  endpoint: string;
  secret: string;
  actor?: string;
}

const set = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

function connectionOf(p: Parsed, env: Env): Connection {
  const fromFlag = one(p, 'endpoint');
  const endpoint = set(fromFlag) ?? set(env.REGIONSHIFT_ENDPOINT);
  if (endpoint === undefined)
    throw new UsageError('--endpoint: no endpoint; pass --endpoint <url> or set REGIONSHIFT_ENDPOINT (e.g. http://127.0.0.1:8080/control)');
  const e = normalizeEndpoint(endpoint);
  if ('problem' in e) throw new UsageError(`${fromFlag !== undefined ? '--endpoint' : 'REGIONSHIFT_ENDPOINT'}: ${e.problem}`);
  const secret = set(one(p, 'secret')) ?? set(env.REGIONSHIFT_CONTROL_SECRET);
  if (secret === undefined) throw new UsageError('--secret: no control secret; pass --secret <secret> or set REGIONSHIFT_CONTROL_SECRET');
  const actorFlag = one(p, 'actor');
  const actor = set(actorFlag) ?? set(env.REGIONSHIFT_ACTOR);
  if (actor !== undefined && !ACTOR_RE.test(actor)) {
    throw new UsageError(
      `${actorFlag !== undefined ? '--actor' : 'REGIONSHIFT_ACTOR'}: must be 1-64 characters of letters, digits and . _ @ : / -`,
    );
  }
  return { endpoint: e.url, secret, ...(actor !== undefined && { actor }) };
}

export interface Invocation {
  name: string;
  usage: string;
  flags: FlagSpec;
  /** Builds the request from the parsed arguments; throws UsageError. */
  request(p: Parsed): { method: Method; path: string; body?: unknown };
  render(json: unknown, out: Out): void;
}

export interface Prepared {
  parsed: Parsed;
  req: { method: Method; path: string; body?: unknown };
  conn: Connection;
}

/** Parses the arguments, or prints the usage (for --help or a usage error) and says which exit code. */
export function prepare(inv: Invocation, args: string[], out: Out, env: Env): Prepared | number {
  const usage = `usage: regionshift ${inv.usage}\n${CONNECTION_USAGE}`;
  try {
    const parsed = parseArgs(args, inv.flags);
    if (parsed.bools.has('help')) {
      out.log(usage);
      return EXIT.ok;
    }
    return { parsed, req: inv.request(parsed), conn: connectionOf(parsed, env) };
  } catch (err) {
    return usageFailure(inv, err, out);
  }
}

export function usageFailure(inv: Pick<Invocation, 'name' | 'usage'>, err: unknown, out: Out): number {
  if (!(err instanceof UsageError)) throw err;
  for (const line of err.message.split('\n')) out.error(`regionshift ${inv.name}: ${line}`);
  out.error(`usage: regionshift ${inv.usage}`);
  return EXIT.usage;
}

export async function invoke(inv: Invocation, args: string[], out: Out, env: Env): Promise<number> {
  const p = prepare(inv, args, out, env);
  return typeof p === 'number' ? p : send(inv, p, out);
}

export async function send(inv: Invocation, { parsed, req, conn }: Prepared, out: Out, signal?: AbortSignal): Promise<number> {
  const client = new ControlClient({ ...conn, ...(signal ? { signal } : {}) });
  let reply: ApiReply;
  try {
    reply = await client.request(req.method, req.path, req.body);
  } catch (err) {
    if (!(err instanceof TransportError)) throw err;
    // Stopped on purpose (Ctrl-C during a watch): not a failure to report.
    if (signal?.aborted) return EXIT.ok;
    out.error(`regionshift ${inv.name}: ${err.message}`);
    return EXIT.transport;
  }
  const ok = reply.status >= 200 && reply.status < 300;
  if (parsed.bools.has('json') && reply.json !== undefined) out.log(JSON.stringify(reply.json, null, 2));
  else if (ok) {
    try {
      inv.render(reply.json, out);
    } catch (err) {
      out.error(`regionshift ${inv.name}: unexpected answer from ${reply.url} (${(err as Error).message}); try --json`);
      return EXIT.transport;
    }
  } else reportError(reply, out);
  if (ok) return EXIT.ok;
  if (reply.status >= 400 && reply.status < 500) return EXIT.refused;
  return EXIT.transport;
}

/** The answer's shape, checked before rendering: an endpoint that is not the control API fails here, not halfway through. */
export function shaped(json: unknown, fields: Record<string, 'object' | 'array'>): void {
  const o = json as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('not a JSON object');
  for (const [field, kind] of Object.entries(fields)) {
    const v = o[field];
    if (kind === 'array' ? !Array.isArray(v) : typeof v !== 'object' || v === null) throw new Error(`no ${field} ${kind}`);
  }
}

export const renderDecision = (json: unknown, out: Out) => {
  shaped(json, { plan: 'object', explain: 'array' });
  renderOutcome(json as DecisionOutcome, out);
};

export function actionInvocation(name: string, spec: ActionSpec): Invocation {
  return {
    name,
    usage: spec.usage,
    flags: spec.flags,
    request: (p) => {
      const a = spec.build(p);
      return { method: a.method, path: a.path, ...(a.body !== undefined && { body: a.body }) };
    },
    render: renderDecision,
  };
}

export type Runner = (args: string[], out: Out, env: Env) => Promise<number>;
