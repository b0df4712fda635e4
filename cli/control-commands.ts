import { commandBody, drillBody, overrideBody, pauseBody, resumeBody } from '../shared/core/command-schema';
import { formatIssues } from '../shared/core/policy';
import type { DecisionOutcome, StatusView } from '../shared/engine/api';
import type { StoredEvent } from '../shared/ports/state-store';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { renderReport } from '../shared/engine/report';
import type { Timeline } from '../shared/engine/timeline';
import { ACTOR_RE, ControlClient, normalizeEndpoint, TransportError, type ApiReply } from './client';
import { CONNECTION_USAGE, FIELD_FLAGS, type FlagSpec, type Parsed, UsageError, check, durationValue, has, idArg, noPositional, one, parseArgs, requiredReason } from './control-args';
import { renderHistory, renderOutcome, renderStatus, reportError, type Out } from './control-render';

/**
 * The `regionshift` commands that drive the control API (docs/api.md, docs/cli.md): status,
 * history, plan (dry run), override, drill, pause, resume. Each signs its request, checks its
 * input locally first (the same schemas the API uses), and returns an exit code:
 * 0 ok, 1 the API refused (4xx), 2 usage, 3 transport or 5xx.
 */

type Env = Record<string, string | undefined>;

export const EXIT = { ok: 0, refused: 1, usage: 2, transport: 3 } as const;

// ---------------------------------------------------------------------------------------------
// Actions: what each command sends, and the command it stands for in a dry run

type Method = 'GET' | 'POST' | 'DELETE';

interface Action {
  method: Method;
  path: string;
  body?: Record<string, unknown>;
  /** The same command as `POST /v1/plan` takes it. */
  command: Record<string, unknown> & { kind: string };
}

interface ActionSpec {
  usage: string;
  flags: FlagSpec;
  build(p: Parsed): Action;
}

const overrideSet: ActionSpec = {
  usage: `override (--drain <region> [--drain <region> …] | --matrix '<json>') [--service <scoped service>] [--ttl 30m] [--force] --reason "<why>"`,
  flags: { drain: 'multi', matrix: 'value', service: 'value', ttl: 'value', force: 'bool', reason: 'value' },
  build(p) {
    noPositional(p);
    const drain = (p.values.get('drain') ?? []).flatMap((d) => d.split(',')).map((d) => d.trim()).filter((d) => d !== '');
    const matrixText = one(p, 'matrix');
    if (p.values.has('drain') && matrixText !== undefined) throw new UsageError('--drain, --matrix: give one of them, not both');
    if (!p.values.has('drain') && matrixText === undefined) throw new UsageError('--drain or --matrix: give the regions to drain or a whole matrix');
    if (p.values.has('drain') && drain.length === 0) throw new UsageError('--drain: name at least one region');
    let matrix: unknown;
    if (matrixText !== undefined) {
      try {
        matrix = JSON.parse(matrixText);
      } catch (err) {
        throw new UsageError(`--matrix: not JSON (${(err as Error).message}); e.g. '{"cn-hangzhou":{"cn-shanghai":100},"cn-shanghai":{"cn-shanghai":100}}'`);
      }
    }
    const ttl = durationValue(one(p, 'ttl'));
    const reason = requiredReason(p);
    const service = one(p, 'service');
    const body: Record<string, unknown> = {
      ...(matrix !== undefined ? { matrix } : { drain }),
      ...(service !== undefined && { service }),
      ...(ttl !== undefined && { ttl }),
      ...(p.bools.has('force') && { force: true }),
      reason,
    };
    check(overrideBody, body, FIELD_FLAGS);
    return { method: 'POST', path: '/v1/overrides', body, command: { kind: 'override', ...body } };
  },
};

const overrideClear: ActionSpec = {
  usage: 'override clear <override id>',
  flags: {},
  build(p) {
    const id = idArg(p, 'override to clear', 'ovr-12');
    return { method: 'DELETE', path: `/v1/overrides/${id}`, command: { kind: 'clearOverride', id } };
  },
};

const drillStart: ActionSpec = {
  usage: 'drill --region <region> [--service <scoped service>] [--severity down|degraded] --duration 15m [--reason "<why>"]',
  flags: { region: 'value', service: 'value', severity: 'value', duration: 'value', reason: 'value' },
  build(p) {
    noPositional(p);
    const region = one(p, 'region');
    const service = one(p, 'service');
    const severity = one(p, 'severity');
    const duration = durationValue(one(p, 'duration'));
    const reason = one(p, 'reason');
    if (region === undefined) throw new UsageError('--region: required (the region the drill pretends is failing)');
    if (duration === undefined) throw new UsageError('--duration: required (how long the drill lasts, e.g. 15m)');
    const body: Record<string, unknown> = { region, duration, ...(service !== undefined && { service }), ...(severity !== undefined && { severity }), ...(reason !== undefined && { reason }) };
    check(drillBody, body, FIELD_FLAGS);
    return { method: 'POST', path: '/v1/drills', body, command: { kind: 'drill', ...body } };
  },
};

const drillAbort: ActionSpec = {
  usage: 'drill abort <drill id>',
  flags: {},
  build(p) {
    const id = idArg(p, 'drill to abort', 'drill-7');
    return { method: 'DELETE', path: `/v1/drills/${id}`, command: { kind: 'abortDrill', id } };
  },
};

const pause: ActionSpec = {
  usage: 'pause --reason "<why>"',
  flags: { reason: 'value' },
  build(p) {
    noPositional(p);
    const body = { reason: requiredReason(p) };
    check(pauseBody, body, FIELD_FLAGS);
    return { method: 'POST', path: '/v1/pause', body, command: { kind: 'pause', ...body } };
  },
};

const resume: ActionSpec = {
  usage: 'resume [--reason "<why>"]',
  flags: { reason: 'value' },
  build(p) {
    noPositional(p);
    const reason = one(p, 'reason');
    const body = reason === undefined ? {} : { reason };
    check(resumeBody, body, FIELD_FLAGS);
    return { method: 'POST', path: '/v1/resume', body, command: { kind: 'resume' } };
  },
};

// ---------------------------------------------------------------------------------------------
// Running a command

interface Connection {
  endpoint: string;
  secret: string;
  actor?: string;
}

const set = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);

function connectionOf(p: Parsed, env: Env): Connection {
  const fromFlag = one(p, 'endpoint');
  const endpoint = set(fromFlag) ?? set(env.REGIONSHIFT_ENDPOINT);
  if (endpoint === undefined) throw new UsageError('--endpoint: no endpoint; pass --endpoint <url> or set REGIONSHIFT_ENDPOINT (e.g. http://127.0.0.1:8080/control)');
  const e = normalizeEndpoint(endpoint);
  if ('problem' in e) throw new UsageError(`${fromFlag !== undefined ? '--endpoint' : 'REGIONSHIFT_ENDPOINT'}: ${e.problem}`);
  const secret = set(one(p, 'secret')) ?? set(env.REGIONSHIFT_CONTROL_SECRET);
  if (secret === undefined) throw new UsageError('--secret: no control secret; pass --secret <secret> or set REGIONSHIFT_CONTROL_SECRET');
  const actorFlag = one(p, 'actor');
  const actor = set(actorFlag) ?? set(env.REGIONSHIFT_ACTOR);
  if (actor !== undefined && !ACTOR_RE.test(actor)) {
    throw new UsageError(`${actorFlag !== undefined ? '--actor' : 'REGIONSHIFT_ACTOR'}: must be 1-64 characters of letters, digits and . _ @ : / -`);
  }
  return { endpoint: e.url, secret, ...(actor !== undefined && { actor }) };
}

interface Invocation {
  name: string;
  usage: string;
  flags: FlagSpec;
  /** Builds the request from the parsed arguments; throws UsageError. */
  request(p: Parsed): { method: Method; path: string; body?: unknown };
  render(json: unknown, out: Out): void;
}

interface Prepared {
  parsed: Parsed;
  req: { method: Method; path: string; body?: unknown };
  conn: Connection;
}

/** Parses the arguments, or prints the usage (for --help or a usage error) and says which exit code. */
function prepare(inv: Invocation, args: string[], out: Out, env: Env): Prepared | number {
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

function usageFailure(inv: Pick<Invocation, 'name' | 'usage'>, err: unknown, out: Out): number {
  if (!(err instanceof UsageError)) throw err;
  for (const line of err.message.split('\n')) out.error(`regionshift ${inv.name}: ${line}`);
  out.error(`usage: regionshift ${inv.usage}`);
  return EXIT.usage;
}

async function invoke(inv: Invocation, args: string[], out: Out, env: Env): Promise<number> {
  const p = prepare(inv, args, out, env);
  return typeof p === 'number' ? p : send(inv, p, out);
}

async function send(inv: Invocation, { parsed, req, conn }: Prepared, out: Out, signal?: AbortSignal): Promise<number> {
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
function shaped(json: unknown, fields: Record<string, 'object' | 'array'>): void {
  const o = json as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('not a JSON object');
  for (const [field, kind] of Object.entries(fields)) {
    const v = o[field];
    if (kind === 'array' ? !Array.isArray(v) : typeof v !== 'object' || v === null) throw new Error(`no ${field} ${kind}`);
  }
}

const renderDecision = (json: unknown, out: Out) => {
  shaped(json, { plan: 'object', explain: 'array' });
  renderOutcome(json as DecisionOutcome, out);
};

function actionInvocation(name: string, spec: ActionSpec): Invocation {
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

type Runner = (args: string[], out: Out, env: Env) => Promise<number>;

const statusInvocation: Invocation = {
  name: 'status',
  usage: 'status [--watch [seconds]]',
  flags: {},
  request: (p) => {
    noPositional(p);
    return { method: 'GET', path: '/v1/status' };
  },
  render: (json, o) => {
    shaped(json, { health: 'object' });
    renderStatus(json as StatusView, o);
  },
};

export const WATCH_DEFAULT_SECONDS = 5;
const WATCH_MAX_SECONDS = 3600;

/**
 * `--watch`, `--watch 10` or `--watch=10`: the flag parser has no optional values, so it is taken
 * out here. A number right after `--watch` is its interval (status takes no positional argument,
 * so nothing else could be meant by it).
 */
export function takeWatch(args: string[]): { seconds: number | null; rest: string[] } {
  const rest: string[] = [];
  let seconds: number | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (arg !== '--watch' && !arg.startsWith('--watch=')) {
      rest.push(arg);
      continue;
    }
    if (seconds !== null) throw new UsageError('--watch: given more than once');
    let text: string | undefined;
    if (arg.startsWith('--watch=')) text = arg.slice('--watch='.length);
    else if (args[i + 1] !== undefined && /^\d+(\.\d+)?$/.test(args[i + 1] as string)) text = args[++i];
    seconds = text === undefined ? WATCH_DEFAULT_SECONDS : Number(text);
    if (!/^\d+(\.\d+)?$/.test(text ?? '5') || !(seconds >= 1 && seconds <= WATCH_MAX_SECONDS)) {
      throw new UsageError(`--watch: the interval is a number of seconds from 1 to ${WATCH_MAX_SECONDS} (got ${JSON.stringify(text)})`);
    }
  }
  return { seconds, rest };
}

export interface WatchOptions {
  /** Stops the watch (Ctrl-C); default: the process's SIGINT and SIGTERM. */
  stop?: AbortSignal;
  /** Clear the screen before each redraw; default: when stdout is a terminal. */
  clear?: boolean;
  /** Wall clock for the heading (the CLI is a shell: it may read the time). */
  now?: () => number;
}

/** `regionshift status [--watch [seconds]]` */
export const runStatus = async (args: string[], out: Out, env: Env, opts: WatchOptions = {}): Promise<number> => {
  let watch: { seconds: number | null; rest: string[] };
  try {
    watch = takeWatch(args);
  } catch (err) {
    return usageFailure(statusInvocation, err, out);
  }
  if (watch.seconds === null) return invoke(statusInvocation, watch.rest, out, env);
  const p = prepare(statusInvocation, watch.rest, out, env);
  if (typeof p === 'number') return p;
  return watchStatus(p, watch.seconds * 1000, out, opts);
};

/**
 * Redraws the status every `intervalMs` until interrupted, then exits 0: Ctrl-C is how a watch
 * ends, not a failure. A refusal (4xx: a wrong secret, a bad endpoint path) ends it with that
 * exit code, since asking again will not change the answer; an unreachable API or a 5xx is shown
 * and asked again at the next redraw, as an on-call watching through an outage needs.
 */
async function watchStatus(p: Prepared, intervalMs: number, out: Out, opts: WatchOptions): Promise<number> {
  // One listener on each stop source for the whole watch, and a fresh signal per redraw: a
  // listener added per redraw (the wait's, the request's) would pile up on one long-lived
  // signal and warn MaxListenersExceeded after ten redraws.
  let round = new AbortController();
  let stopped = false;
  const onSignal = () => {
    stopped = true;
    round.abort();
  };
  // The reader of a pipe went away (`status --watch | head -3`): the watch has no one to show
  // anything to. Noticed at the first write after it (the next redraw): a pipe tells nothing sooner.
  const onStdoutError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') onSignal();
  };
  if (opts.stop) opts.stop.addEventListener('abort', onSignal, { once: true });
  else {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.stdout.on('error', onStdoutError);
  }
  const clear = opts.clear ?? process.stdout.isTTY === true;
  const now = opts.now ?? Date.now;
  try {
    while (!stopped) {
      // On a terminal each redraw replaces the last (clear screen, cursor home); piped, they follow one another.
      out.log(`${clear ? '\x1b[2J\x1b[H' : ''}regionshift status at ${new Date(now()).toISOString()}, every ${intervalMs / 1000}s (Ctrl-C to stop)`);
      const code = await send(statusInvocation, p, out, round.signal);
      if (stopped) break;
      if (code === EXIT.refused || code === EXIT.usage) return code;
      out.log('');
      const wait = round.signal;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wait.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
      if (!stopped) round = new AbortController();
    }
    return EXIT.ok;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.stdout.removeListener('error', onStdoutError);
    opts.stop?.removeEventListener('abort', onSignal);
  }
}

/** `regionshift history [--limit N] [--before SEQ]` */
export const runHistory: Runner = (args, out, env) =>
  invoke(
    {
      name: 'history',
      usage: 'history [--limit N] [--before SEQ]',
      flags: { limit: 'value', before: 'value' },
      request: (p) => {
        noPositional(p);
        const limit = one(p, 'limit');
        const before = one(p, 'before');
        if (limit !== undefined && !(/^\d{1,3}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 500)) throw new UsageError(`--limit: must be a whole number in 1..500, got ${JSON.stringify(limit)}`);
        if (before !== undefined && !/^\d{1,15}$/.test(before)) throw new UsageError(`--before: must be an event seq (a whole number), got ${JSON.stringify(before)}`);
        const query = new URLSearchParams();
        if (limit !== undefined) query.set('limit', String(Number(limit)));
        if (before !== undefined) query.set('before', String(Number(before)));
        const qs = query.toString();
        return { method: 'GET', path: `/v1/history${qs ? `?${qs}` : ''}` };
      },
      render: (json, o) => {
        shaped(json, { events: 'array' });
        renderHistory(json as { events: StoredEvent[]; next: number | null }, o);
      },
    },
    args,
    out,
    env,
  );

/** `regionshift override …` and `regionshift override clear <id>` */
export const runOverride: Runner = (args, out, env) =>
  args[0] === 'clear' ? invoke(actionInvocation('override clear', overrideClear), args.slice(1), out, env) : invoke(actionInvocation('override', overrideSet), args, out, env);

/** `regionshift drill …` and `regionshift drill abort <id>` */
export const runDrill: Runner = (args, out, env) =>
  args[0] === 'abort' ? invoke(actionInvocation('drill abort', drillAbort), args.slice(1), out, env) : invoke(actionInvocation('drill', drillStart), args, out, env);

/** `regionshift pause --reason …` */
export const runPause: Runner = (args, out, env) => invoke(actionInvocation('pause', pause), args, out, env);

/** `regionshift resume` */
export const runResume: Runner = (args, out, env) => invoke(actionInvocation('resume', resume), args, out, env);

const PLAN_ACTIONS: Record<string, ActionSpec> = { override: overrideSet, drill: drillStart, pause, resume: { ...resume, flags: {} } };
const PLAN_SUBACTIONS: Record<string, ActionSpec> = { 'override clear': overrideClear, 'drill abort': drillAbort };

const PLAN_USAGE = `plan '<command json>'            e.g. '{"kind":"drill","region":"cn-hangzhou","duration":"15m"}'
       regionshift plan --drain <region> [--ttl 30m] [--force] --reason "<why>"   (an override; or --matrix '<json>')
       regionshift plan (override … | override clear <id> | drill … | drill abort <id> | pause … | resume)`;

/** `regionshift plan …`: a dry run (POST /v1/plan) of a command given as JSON or as the command's own arguments. */
export const runPlan: Runner = (args, out, env) => {
  const [first, second] = args;
  let spec: ActionSpec | undefined;
  let rest = args;
  if (first !== undefined && second !== undefined && PLAN_SUBACTIONS[`${first} ${second}`]) {
    spec = PLAN_SUBACTIONS[`${first} ${second}`];
    rest = args.slice(2);
  } else if (first !== undefined && PLAN_ACTIONS[first]) {
    spec = PLAN_ACTIONS[first];
    rest = args.slice(1);
  }
  const chosen = spec;
  return invoke(
    {
      name: 'plan',
      usage: PLAN_USAGE,
      flags: chosen?.flags ?? overrideSet.flags,
      request: (p) => {
        if (chosen) return { method: 'POST', path: '/v1/plan', body: chosen.build(p).command };
        const [json, extra] = p.positional;
        if (json === undefined) return { method: 'POST', path: '/v1/plan', body: overrideSet.build(p).command };
        if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
        const flags = Object.keys(overrideSet.flags).filter((f) => has(p, f));
        if (flags.length) throw new UsageError(`--${flags[0]}: give the command as JSON or as flags, not both`);
        let command: unknown;
        try {
          command = JSON.parse(json);
        } catch (err) {
          throw new UsageError(`<command json>: not JSON (${(err as Error).message}); e.g. '{"kind":"pause","reason":"maintenance"}'`);
        }
        const r = commandBody.safeParse(command);
        if (!r.success) throw new UsageError(formatIssues(r.error.issues, ['command']).join('\n'));
        return { method: 'POST', path: '/v1/plan', body: command };
      },
      render: renderDecision,
    },
    rest,
    out,
    env,
  );
};

/** A time for `report`: epoch milliseconds or ISO-8601 with a zone, as the API takes it. */
function instantFlag(p: Parsed, name: string): number {
  const v = one(p, name);
  if (v === undefined) throw new UsageError(`--${name}: required (e.g. 2026-03-01T02:30:00Z)`);
  if (/^\d{1,15}$/.test(v)) return Number(v);
  const ms = /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--${name}: must be epoch milliseconds or an ISO-8601 date-time with a zone (2026-03-01T02:30:00Z), got ${JSON.stringify(v)}`);
  return ms;
}

/**
 * `regionshift report --from <time> --to <time> [--out report.md]`: the postmortem of an
 * incident as Markdown, with the timeline chart beside it as SVG (`report.svg`).
 */
export const runReport: Runner = (args, out, env) => {
  let file = 'regionshift-report.md';
  return invoke(
    {
      name: 'report',
      usage: 'report --from <time> --to <time> [--out report.md]',
      flags: { from: 'value', to: 'value', out: 'value' },
      request: (p) => {
        noPositional(p);
        const from = instantFlag(p, 'from');
        const to = instantFlag(p, 'to');
        if (to <= from) throw new UsageError('--to: must be after --from');
        file = one(p, 'out') ?? file;
        if (!file.endsWith('.md')) throw new UsageError(`--out: must name a .md file, got ${JSON.stringify(file)}`);
        return { method: 'GET', path: `/v1/timeline?from=${from}&to=${to}` };
      },
      render: (json, o) => {
        shaped(json, { shares: 'object', health: 'object', decisions: 'array', events: 'array' });
        const svgFile = `${file.slice(0, -3)}.svg`;
        const report = renderReport(json as Timeline, { image: { file: basename(svgFile) } });
        writeFileSync(svgFile, report.svg);
        writeFileSync(file, report.markdown);
        const t = json as Timeline;
        o.log(`wrote ${file} and ${svgFile}: ${t.decisions.length} decisions, ${t.events.length} signals/commands/alerts`);
      },
    },
    args,
    out,
    env,
  );
};
