import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Cron } from 'croner';
import type { FcContext } from '../../shared/runtime/types';
import { Acs3Error, Acs3Verifier, type Acs3Credential } from './acs3-signature';
import { FunctionTimeoutError, httpEnvelope, readBody, writeFunctionError, writeReply } from './envelope';
import { matchesEventPattern, parseEventPattern, type EventPattern } from './event-pattern';
import { everyIntervalMs, loadSYaml, type Fc3Trigger } from './s-yaml';
import { slsTriggerJob, type SlsTriggerJob, type SlsTriggerSource } from './sls-trigger';
import { compileHttpRules, publishOnBus, type HttpTargetRule } from './event-buses';
import { holdIdleConnections } from '../keep-alive';
import { outageFor, type Outage } from '../outage';

/**
 * A local Function Compute 3.0 host: serves the functions of an `s.yaml` with FC's event shapes,
 * so the lab runs the very handlers that are deployed.
 *
 *   /<function>/…            HTTP trigger (rawPath is what follows the function's name)
 *   POST /_events/<function> EventBridge delivery (one CloudEvent or an array); only the events
 *                            that match one of the function's trigger patterns reach it
 *   POST /_buses/<region>/events  publish on a region's default event bus (one CloudEvent or an
 *                            array), as a cloud service of that region does: the triggers of the
 *                            functions in that region and the HTTP-target rules on that bus
 *                            (setHttpEventRules) receive what their patterns match; nothing else does
 *   POST /_invoke/<function> invocation; `x-fc-invocation-type: Async` answers 202 and runs it in the background
 *   POST /2023-03-30/functions/<functionName>/invocations   FC 3.0's InvokeFunction, as the SDK
 *                            (`@alicloud/fc20230330`) sends it: ACS3-HMAC-SHA256 signed with the
 *                            credentials the host hands its functions; Async → 202, else the result
 *   GET  /healthz            200 once every handler is loaded
 * Timer triggers fire on their cron (6 fields, seconds first, or `@every 1m`).
 */

export type FcHandlerFn = (event: Buffer, context: FcContext) => Promise<unknown>;
export type HandlerModule = Record<string, unknown>;

export interface HostedFunction {
  /** The s.yaml resource key, which is also the URL prefix and the functions/ folder. */
  key: string;
  functionName: string;
  handlerExport: string;
  memory: number;
  timeout: number;
  region: string;
  environment: Record<string, string>;
  triggers: Fc3Trigger[];
  /** The compiled `eventRuleFilterPattern` of each EventBridge trigger. */
  eventPatterns: EventPattern[];
  /** FC retries a failed asynchronous invocation this many times (asyncInvokeConfig.maxAsyncRetryAttempts, default 3). */
  asyncRetries: number;
}

export interface AsyncOutcome {
  function: string;
  requestId: string;
  ok: boolean;
  result?: unknown;
  error?: string;
  /** Present when FC retried: how many times the function ran. */
  attempts?: number;
}

export interface FcHostOptions {
  sYamlPath: string;
  port?: number;
  /** Imports a function's handler module; by default `functions/<key>/handler.ts` next to s.yaml (needs tsx). */
  loadHandler?: (key: string, fn: HostedFunction) => Promise<HandlerModule>;
  /** Resolves `${env(…)}` in s.yaml and provides the credentials put on the context. */
  env?: Record<string, string | undefined>;
  /** Called when a background (async) invocation finishes. */
  onAsyncDone?: (outcome: AsyncOutcome) => void;
  log?: (line: Record<string, unknown>) => void;
  /** Schedules an `@every` timer; returns its stop. Default: setInterval. Tests pass their own to fire at will. */
  every?: (intervalMs: number, fire: () => void) => () => void;
  /** Rules with an HTTP(S) target on the regions' default buses (see event-buses.ts). */
  httpEventRules?: HttpTargetRule[];
  /** The Logstores the functions' SLS (`log`) triggers read (the lab's SLS twin); without it those triggers do nothing. */
  slsSource?: SlsTriggerSource;
  /** Schedules the SLS triggers' polls (each trigger's interval); default `every`. A virtual-time lab runs them on its clock. */
  logTriggerEvery?: (intervalMs: number, fire: () => void) => () => void;
  /** Every SLS trigger's interval in seconds instead of its `jobConfig.triggerInterval` (3–600, FC's range). */
  logTriggerIntervalS?: number;
}

export interface FcHost {
  url: string;
  port: number;
  functions: HostedFunction[];
  /** Invoke in the background as FC's async invocation does; resolves with the request id at once. */
  invokeAsync(key: string, payload: Buffer | string): string;
  /** Resolves when no background invocation is running (async invocations, and those the SLS triggers' polls started). */
  idle(): Promise<void>;
  /**
   * Issue new role credentials, as FC does when the STS session is renewed: later invocations
   * get them on their context, and InvokeFunction accepts only them.
   */
  setCredentials(credentials: Acs3Credential): void;
  /** Replace the HTTP-target rules of the regions' buses (the cross-region ACK rules). */
  setHttpEventRules(rules: HttpTargetRule[]): void;
  /** The SLS triggers' jobs: each polls on its `triggerInterval` (via `every`); tests may poll at will. */
  logTriggers: Array<{ key: string; triggerName: string; job: SlsTriggerJob }>;
  /**
   * The host as an outage takes it (the lab's control-plane-down fault): while down, connections
   * are reset and the timers fire nothing; invocations already running go on.
   */
  outage: Outage;
  stop(): Promise<void>;
}

function hostedFunctions(sYamlPath: string, env: Record<string, string | undefined>) {
  const { spec, missingEnv } = loadSYaml(sYamlPath, env);
  const functions: HostedFunction[] = Object.entries(spec.resources).map(([key, r]) => ({
    key,
    functionName: r.props.functionName,
    handlerExport: r.props.handler.split('.')[1] as string,
    memory: r.props.memorySize,
    timeout: r.props.timeout,
    region: r.props.region,
    environment: r.props.environmentVariables ?? {},
    triggers: r.props.triggers ?? [],
    eventPatterns: (r.props.triggers ?? []).flatMap((t) =>
      t.triggerType === 'eventbridge' ? [parseEventPattern(t.triggerConfig.eventRuleFilterPattern)] : [],
    ),
    asyncRetries: r.props.asyncInvokeConfig?.maxAsyncRetryAttempts ?? 3,
  }));
  const accountId = String(spec.vars?.accountId ?? '') || env.ALIBABA_CLOUD_ACCOUNT_ID || '0';
  return { functions, missingEnv, accountId };
}

/**
 * Imports the TypeScript handler module in-process. The functions share one process, so their
 * s.yaml environment only fills variables still unset; an empty value (an `${env(…)}` nobody set)
 * is skipped, so that "unset" stays distinguishable from "set to nothing".
 */
function defaultLoader(sYamlPath: string) {
  return async (key: string, fn: HostedFunction): Promise<HandlerModule> => {
    for (const [k, v] of Object.entries(fn.environment)) if (process.env[k] === undefined && v !== '') process.env[k] = v;
    return (await import(pathToFileURL(path.join(path.dirname(sYamlPath), 'functions', key, 'handler.ts')).href)) as HandlerModule;
  };
}

export async function startFcHost(opts: FcHostOptions): Promise<FcHost> {
  const intervalS = opts.logTriggerIntervalS;
  if (intervalS !== undefined && (!Number.isInteger(intervalS) || intervalS < 3 || intervalS > 600))
    throw new Error(`logTriggerIntervalS: must be an integer of 3–600 seconds (FC's triggerInterval), got ${intervalS}`);
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((line) => process.stderr.write(`${JSON.stringify(line)}\n`));
  const { functions, missingEnv, accountId } = hostedFunctions(opts.sYamlPath, env);
  if (missingEnv.length) log({ host: 'fc', level: 'warn', message: `s.yaml names unset environment variables: ${missingEnv.join(', ')}` });
  const load = opts.loadHandler ?? defaultLoader(opts.sYamlPath);
  const handlers = new Map<string, FcHandlerFn>();
  for (const fn of functions) {
    const mod = await load(fn.key, fn);
    const h = mod[fn.handlerExport];
    if (typeof h !== 'function') throw new Error(`${fn.key}: handler module has no function export ${fn.handlerExport}`);
    handlers.set(fn.key, h as FcHandlerFn);
  }
  const byKey = new Map(functions.map((f) => [f.key, f]));

  let roleCredentials: Acs3Credential | null =
    env.ALIBABA_CLOUD_ACCESS_KEY_ID && env.ALIBABA_CLOUD_ACCESS_KEY_SECRET
      ? {
          accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID,
          accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
          ...(env.ALIBABA_CLOUD_SECURITY_TOKEN ? { securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN } : {}),
        }
      : null;
  const verifier = new Acs3Verifier(() => (roleCredentials ? [roleCredentials] : []));
  let httpRules = compileHttpRules(opts.httpEventRules ?? []);

  function contextFor(fn: HostedFunction, requestId: string): FcContext {
    const logAt =
      (level: string) =>
      (...args: unknown[]) =>
        log({ function: fn.key, requestId, level, message: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') });
    return {
      requestId,
      ...(roleCredentials ? { credentials: { ...roleCredentials } } : {}),
      function: { name: fn.functionName, handler: `index.${fn.handlerExport}`, memory: fn.memory, timeout: fn.timeout },
      region: fn.region,
      accountId,
      logger: { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') },
    };
  }

  /**
   * Every handler run not yet settled, whatever started it (HTTP, EventBridge, timer, async) and
   * even once its caller gave up on it (timeout, closed connection): stop() waits for them, so no
   * handler is still reaching the twins, the state file or a lazy import after the host is gone.
   */
  const running = new Set<Promise<unknown>>();

  /** Runs a handler under the function's timeout; the handler's promise cannot be cancelled, only abandoned. */
  async function invoke(fn: HostedFunction, event: Buffer, requestId: string): Promise<unknown> {
    const handler = handlers.get(fn.key) as FcHandlerFn;
    let timer: NodeJS.Timeout | undefined;
    try {
      const run = Promise.resolve(handler(event, contextFor(fn, requestId)));
      const settled = run.then(
        () => undefined,
        () => undefined,
      );
      running.add(settled);
      void settled.then(() => running.delete(settled));
      const timeout = new Promise<never>((_r, reject) => {
        timer = setTimeout(() => reject(new FunctionTimeoutError(fn.functionName, fn.timeout)), fn.timeout * 1000);
      });
      return await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  const background = new Set<Promise<void>>();
  function invokeAsync(key: string, payload: Buffer | string): string {
    const fn = byKey.get(key);
    if (!fn) throw new Error(`no function ${key}`);
    const requestId = randomUUID();
    const event = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    // As FC does for a function error in an asynchronous invocation: run it again, with the same
    // event and request id, up to the function's maxAsyncRetryAttempts.
    const run = (async () => {
      for (let attempt = 1; ; attempt++) {
        const more = attempt > 1 ? { attempts: attempt } : {};
        try {
          const result = await invoke(fn, event, requestId);
          opts.onAsyncDone?.({ function: key, requestId, ok: true, result, ...more });
          return;
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          log({
            host: 'fc',
            function: key,
            requestId,
            level: 'error',
            message: `async invocation failed (attempt ${attempt}): ${message}`,
          });
          if (attempt > fn.asyncRetries) {
            opts.onAsyncDone?.({ function: key, requestId, ok: false, error: message, ...more });
            return;
          }
        }
      }
    })();
    background.add(run);
    void run.finally(() => background.delete(run));
    return requestId;
  }

  function fcError(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ Code: code, Message: message }));
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fc.local');
    const segments = url.pathname.split('/');
    const first = segments[1] ?? '';
    const requestId = randomUUID();
    if (url.pathname === '/healthz') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'ok', functions: functions.map((f) => f.key) }));
      return;
    }
    const getFunction = /^\/2023-03-30\/functions\/([^/]+)$/.exec(url.pathname);
    if (getFunction) return getFunctionApi(req, res, url, decodeURIComponent(getFunction[1] as string));
    const bus = /^\/_buses\/([a-z0-9-]+)\/events$/.exec(url.pathname);
    if (bus) return publishApi(req, res, bus[1] as string);
    const invokeFunction = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    if (invokeFunction) return invokeFunctionApi(req, res, url, decodeURIComponent(invokeFunction[1] as string), requestId);
    if (first === '_events' || first === '_invoke') {
      const fn = byKey.get(segments[2] ?? '');
      if (!fn || segments.length !== 3) return fcError(res, 404, 'FunctionNotFound', `no function ${segments[2] ?? ''}`);
      if (req.method !== 'POST') return fcError(res, 405, 'MethodNotAllowed', `${first} takes POST`);
      if (first === '_events' && !fn.triggers.some((t) => t.triggerType === 'eventbridge')) {
        return fcError(res, 400, 'TriggerNotFound', `${fn.key} has no eventbridge trigger in s.yaml`);
      }
      let body = await readBody(req);
      if (first === '_invoke' && /^async$/i.test(String(req.headers['x-fc-invocation-type'] ?? ''))) {
        const id = invokeAsync(fn.key, body);
        res.writeHead(202, { 'x-fc-request-id': id }).end();
        return;
      }
      if (first === '_events') {
        const routed = routeEvents(fn, body);
        if ('problem' in routed) return fcError(res, 400, 'InvalidArgument', routed.problem);
        if (routed.filteredOut > 0)
          log({
            host: 'fc',
            function: fn.key,
            level: 'info',
            message: `${routed.filteredOut} event(s) match no trigger pattern: not delivered`,
          });
        // As EventBridge: an event no trigger pattern matches never reaches the function.
        if (routed.events === null) {
          res.writeHead(204, { [FILTERED_HEADER]: String(routed.filteredOut) }).end();
          return;
        }
        body = routed.events;
        res.setHeader(FILTERED_HEADER, String(routed.filteredOut));
      }
      try {
        writeReply(res, await invoke(fn, body, requestId), { 'x-fc-request-id': requestId });
      } catch (err) {
        writeFunctionError(res, err, requestId);
      }
      return;
    }
    const fn = byKey.get(first);
    const http = fn?.triggers.find((t) => t.triggerType === 'http');
    if (!fn || !http || http.triggerType !== 'http') return fcError(res, 404, 'TriggerNotFound', `no HTTP function at /${first}`);
    const method = (req.method ?? 'GET').toUpperCase();
    if (!(http.triggerConfig.methods as string[]).includes(method))
      return fcError(res, 405, 'MethodNotAllowed', `${fn.key} accepts ${http.triggerConfig.methods.join(', ')}`);
    const rawPath = `/${segments.slice(2).join('/')}`;
    const event = httpEnvelope({
      req,
      body: await readBody(req),
      rawPath,
      search: url.searchParams,
      requestId,
      accountId,
      now: new Date(),
    });
    try {
      writeReply(res, await invoke(fn, Buffer.from(JSON.stringify(event)), requestId), { 'x-fc-request-id': requestId });
    } catch (err) {
      writeFunctionError(res, err, requestId);
    }
  }

  /**
   * An FC 3.0 API call as the gateway admits it: the method, the SDK's signature, then the function
   * by its FC name. Answers the refusal itself and returns null; else the function and the request.
   */
  async function signedCall(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: 'GET' | 'POST',
    api: string,
    functionName: string,
  ): Promise<{ fn: HostedFunction; headers: Record<string, string>; body: Buffer } | null> {
    if (req.method !== method) {
      fcError(res, 405, 'MethodNotAllowed', `${api} takes ${method}`);
      return null;
    }
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    try {
      verifier.verify({ method, pathname: url.pathname, query: url.searchParams, headers, body });
    } catch (err) {
      if (err instanceof Acs3Error) {
        fcError(res, err.httpStatus, err.code, err.message);
        return null;
      }
      throw err;
    }
    const fn = functions.find((f) => f.functionName === functionName);
    if (!fn) {
      fcError(res, 404, 'FunctionNotFound', `function ${functionName} does not exist`);
      return null;
    }
    return { fn, headers, body };
  }

  /** FC 3.0's GetFunction: the function's configuration, read-only (the readiness check asks it). */
  async function getFunctionApi(req: IncomingMessage, res: ServerResponse, url: URL, functionName: string): Promise<void> {
    const call = await signedCall(req, res, url, 'GET', 'GetFunction', functionName);
    if (!call) return;
    const { fn } = call;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ functionName: fn.functionName }));
  }

  /** Events published on `region`'s default bus, routed as that bus's rules would (see event-buses.ts). */
  async function publishApi(req: IncomingMessage, res: ServerResponse, region: string): Promise<void> {
    if (req.method !== 'POST') return fcError(res, 405, 'MethodNotAllowed', 'publishing takes POST');
    const checked = cloudEventsOf(await readBody(req));
    if ('problem' in checked) return fcError(res, 400, 'InvalidArgument', checked.problem);
    const result = await publishOnBus({
      region,
      events: checked.items,
      triggers: functions.map((f) => ({ key: f.key, region: f.region, patterns: f.eventPatterns })),
      httpRules,
      invokeTrigger: async (key, body) => {
        const fn = byKey.get(key) as HostedFunction;
        await invoke(fn, body, randomUUID());
        return 200;
      },
    });
    if (result.unmatched.length)
      log({
        host: 'fc',
        bus: region,
        level: 'info',
        message: `${result.unmatched.length} event(s) match no rule on ${region}'s bus: not delivered`,
      });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(result));
  }

  /** FC 3.0's InvokeFunction: the function by its FC name, the body is the event. */
  async function invokeFunctionApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    functionName: string,
    requestId: string,
  ): Promise<void> {
    const call = await signedCall(req, res, url, 'POST', 'InvokeFunction', functionName);
    if (!call) return;
    const { fn, headers, body } = call;
    const type = headers['x-fc-invocation-type'] ?? 'Sync';
    if (!/^(a)?sync$/i.test(type)) return fcError(res, 400, 'InvalidArgument', `x-fc-invocation-type must be Sync or Async, not ${type}`);
    if (/^async$/i.test(type)) {
      const id = invokeAsync(fn.key, body);
      res.writeHead(202, { 'x-fc-request-id': id }).end();
      return;
    }
    try {
      writeReply(res, await invoke(fn, body, requestId), { 'x-fc-request-id': requestId });
    } catch (err) {
      writeFunctionError(res, err, requestId);
    }
  }

  const server = holdIdleConnections(
    createServer((req, res) => {
      if (outage.refused(req)) return;
      route(req, res).catch((err: unknown) => {
        log({ host: 'fc', level: 'error', message: `request failed: ${err instanceof Error ? err.message : String(err)}` });
        if (!res.headersSent) fcError(res, 500, 'InternalError', 'the local FC host failed');
        else res.end();
      });
    }),
  );

  const outage = outageFor(server);
  const timers = startTimers(functions, opts.every ?? defaultEvery, (fn, event) => {
    // FC's timers are FC: with it down, no tick fires (none is queued for later either).
    if (outage.down) return;
    const requestId = randomUUID();
    invoke(fn, Buffer.from(JSON.stringify(event)), requestId).catch((err: unknown) => {
      log({
        host: 'fc',
        function: fn.key,
        requestId,
        level: 'error',
        message: `timer invocation failed: ${err instanceof Error ? err.message : String(err)}`,
      });
    });
  });

  // SLS triggers: one ETL job per trigger, polling every shard each `triggerInterval`; with FC down
  // (an outage of the functions' region) nothing is invoked and the positions stay where they were.
  const logTriggers: FcHost['logTriggers'] = [];
  if (opts.slsSource) {
    for (const fn of functions) {
      for (const t of fn.triggers) {
        if (t.triggerType !== 'log' || !t.triggerConfig.enable) continue;
        const job = slsTriggerJob({
          functionName: fn.functionName,
          trigger:
            intervalS === undefined
              ? t
              : { ...t, triggerConfig: { ...t.triggerConfig, jobConfig: { ...t.triggerConfig.jobConfig, triggerInterval: intervalS } } },
          source: opts.slsSource,
          log,
          available: () => !outage.down,
          invoke: (event) => invoke(fn, Buffer.from(JSON.stringify(event)), randomUUID()),
        });
        logTriggers.push({ key: fn.key, triggerName: t.triggerName, job });
        timers.push(
          (opts.logTriggerEvery ?? opts.every ?? defaultEvery)(job.intervalMs, () => {
            // The invocations a poll starts are background work: idle() waits for them too.
            const run = job.poll().catch((err: unknown) =>
              log({
                host: 'fc',
                function: fn.key,
                level: 'error',
                message: `SLS trigger poll failed: ${err instanceof Error ? err.message : String(err)}`,
              }),
            );
            background.add(run);
            void run.finally(() => background.delete(run));
          }),
        );
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    functions,
    invokeAsync,
    outage,
    logTriggers,
    async idle() {
      while (background.size) await Promise.allSettled([...background]);
    },
    setCredentials(credentials) {
      roleCredentials = { ...credentials };
    },
    setHttpEventRules(rules) {
      httpRules = compileHttpRules(rules);
    },
    async stop() {
      timers.forEach((stop) => stop());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // A running handler may still start an async invocation (a hand-off to the executor): wait
      // until neither kind is left.
      while (background.size || running.size) await Promise.allSettled([...background, ...running]);
    },
  };
}

/** How many events of an `_events` delivery matched no trigger pattern (and were dropped). */
export const FILTERED_HEADER = 'x-eventbridge-filtered-out';

/**
 * The events of a delivery that match one of the function's EventBridge trigger patterns,
 * re-serialized in the delivery's shape (one event, or an array), or null when none match.
 * Patterns match the CloudEvents envelope, so every item must be one.
 */
function cloudEventsOf(body: Buffer): { items: unknown[]; batch: boolean } | { problem: string } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(body.toString('utf8'));
  } catch {
    return { problem: 'body: must be a CloudEvent or an array of CloudEvents (JSON)' };
  }
  const batch = Array.isArray(decoded);
  const items: unknown[] = batch ? (decoded as unknown[]) : [decoded];
  if (items.length === 0) return { problem: 'body: an empty array holds no event' };
  for (const [i, item] of items.entries()) {
    const at = batch ? `body[${i}]` : 'body';
    if (typeof item !== 'object' || item === null || Array.isArray(item) || !('specversion' in item)) {
      return { problem: `${at}: must be a CloudEvent (with specversion): trigger patterns match the CloudEvents envelope` };
    }
  }
  return { items, batch };
}

function routeEvents(fn: HostedFunction, body: Buffer): { events: Buffer | null; filteredOut: number } | { problem: string } {
  const checked = cloudEventsOf(body);
  if ('problem' in checked) return checked;
  const { items, batch } = checked;
  const matched = items.filter((item) => fn.eventPatterns.some((p) => matchesEventPattern(p, item)));
  const filteredOut = items.length - matched.length;
  if (matched.length === 0) return { events: null, filteredOut };
  // Delivered as put when nothing was dropped: the function gets the sender's bytes, however deep
  // they nest (its own parser judges them), and this host never re-serializes what it cannot.
  if (filteredOut === 0) return { events: body, filteredOut };
  try {
    return { events: Buffer.from(JSON.stringify(batch ? matched : matched[0])), filteredOut };
  } catch {
    return { problem: 'body: an event nests too deep to be delivered' };
  }
}

function defaultEvery(intervalMs: number, fire: () => void): () => void {
  const id = setInterval(fire, intervalMs);
  return () => clearInterval(id);
}

/** FC's timer event: `{triggerTime, triggerName, payload}`, triggerTime in whole seconds. */
function startTimers(
  functions: HostedFunction[],
  every: NonNullable<FcHostOptions['every']>,
  fire: (fn: HostedFunction, event: Record<string, unknown>) => void,
): Array<() => void> {
  const stops: Array<() => void> = [];
  for (const fn of functions) {
    for (const t of fn.triggers) {
      if (t.triggerType !== 'timer' || !t.triggerConfig.enable) continue;
      const { cronExpression, payload } = t.triggerConfig;
      const event = () => ({
        triggerTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        triggerName: t.triggerName,
        ...(payload !== undefined ? { payload } : {}),
      });
      const intervalMs = everyIntervalMs(cronExpression);
      if (intervalMs !== null) {
        stops.push(every(intervalMs, () => fire(fn, event())));
      } else {
        const job = new Cron(cronExpression, { timezone: 'UTC' }, () => fire(fn, event()));
        stops.push(() => job.stop());
      }
    }
  }
  return stops;
}
