import type { MiddlewareObj, Request } from '@middy/core';
import { RegionshiftError } from '../core/errors';
import { boundedText, jsonExcerpt } from '../core/limits';
import type { HttpReply, HttpRequest } from './http-message';
import type { FcContext, RuntimeContext } from '../runtime/types';

export type LogLine = Record<string, unknown>;
export type LogSink = (line: LogLine) => void;

export interface RequestLogOptions {
  /** Short function name (`alarm`, `control`, …) written on every line. */
  functionName: string;
  /** `http`: the reply carries the status. `event`: success or a thrown error (which FC retries). */
  trigger: 'http' | 'event';
  /** Where lines go; by default the runtime's log, or stdout when the runtime never came up. */
  log?: LogSink;
  /** A path fit for logs (default `logPathOf`): the alarm function's URL may carry its secret token as a path segment. */
  logPath?: (request: HttpRequest) => string;
  now?: () => number;
}

/** One JSON line on stdout: FC ships stdout to SLS, where each line is one searchable record. */
export const stdoutLog: LogSink = (line) => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

type AnyRequest = Request<unknown, unknown, Error, FcContext>;

function asHttpRequest(event: unknown): HttpRequest | null {
  const e = event as Partial<HttpRequest> | null;
  return e && typeof e === 'object' && typeof e.method === 'string' && typeof e.path === 'string' ? (e as HttpRequest) : null;
}

/**
 * The words of every function's routes (the control API's `/v1/...`, the alarm callbacks'): the
 * only path segments a log line shows as they are. Any other segment may be a secret (a CMS
 * callback wired to the control URL brings the alarm token as `/cms/<token>`), so it is masked;
 * an id a route takes is masked too, its command is in the audit log.
 */
const ROUTE_WORDS = new Set([
  'v1',
  'status',
  'readiness',
  'history',
  'timeline',
  'report',
  'plan',
  'overrides',
  'drills',
  'pause',
  'resume',
  'alarm',
  'alarms',
  'cms',
  'alertmanager',
  'prometheus',
  'webhook',
  'callback',
  'ack',
]);
const MASK = '{…}';

/** A path fit for logs: no query or fragment, and every segment that is not a route word masked. */
export function logPathOf(path: string): string {
  return path
    .replace(/[?#].*$/s, '')
    .split('/')
    .map((segment) => (segment === '' || ROUTE_WORDS.has(segment.toLowerCase()) ? segment : MASK))
    .join('/');
}

/** A secret shorter than this is no secret (the alarm token has at least 16 characters); masking shorter strings would garble messages. */
const SECRET_MIN = 4;

/**
 * What a request may carry that is a secret: every path segment `logPathOf` masks (as sent and
 * percent-decoded) and every query value. An error message may quote any of them (a 404 names
 * the path), so they are masked there too.
 */
function secretsOf(http: HttpRequest): string[] {
  const out = new Set<string>();
  const add = (v: string) => {
    if (v.length < SECRET_MIN) return;
    out.add(v);
    try {
      out.add(decodeURIComponent(v));
    } catch {
      // Not valid percent-encoding: the raw text is all a message can quote.
    }
  };
  for (const segment of http.path.split(/[/?#&=]/)) if (segment !== '' && !ROUTE_WORDS.has(segment.toLowerCase())) add(segment);
  for (const v of Object.values(http.query ?? {})) add(v);
  for (const vs of Object.values(http.queryValues ?? {})) for (const v of vs) add(v);
  // Longest first: a secret that contains another is masked whole.
  return [...out].sort((a, b) => b.length - a.length);
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, secret) => t.split(secret).join(MASK), text);
}

/** A log line carries an excerpt of the error: a message may quote megabytes of bad input. */
const LOG_MESSAGE_MAX = 1000;

export function describeError(error: unknown): Record<string, unknown> {
  if (error instanceof RegionshiftError)
    return { name: error.name, code: error.code, message: boundedText(error.message, LOG_MESSAGE_MAX) };
  if (error instanceof Error) return { name: error.name, message: boundedText(error.message, LOG_MESSAGE_MAX) };
  return { message: jsonExcerpt(error, LOG_MESSAGE_MAX) };
}

/**
 * Writes exactly one structured line per invocation, whatever happened: register it first so its
 * `after`/`onError` run last, after `httpErrors` has turned an error into a status.
 * It never answers early: middy skips the `after` stack after an early answer, which would lose the line.
 */
export function requestLog(opts: RequestLogOptions): MiddlewareObj<unknown, unknown, Error, FcContext> {
  const now = opts.now ?? (() => performance.now());
  const started = new WeakMap<object, number>();

  function write(request: AnyRequest, error: unknown): void {
    const context = request.context as RuntimeContext;
    const sink = opts.log ?? context.runtime?.log ?? stdoutLog;
    const start = started.get(request) ?? now();
    const line: LogLine = { function: opts.functionName, requestId: context.requestId, trigger: opts.trigger };
    const http = asHttpRequest(request.event);
    if (http) {
      line.method = http.method;
      line.path = opts.logPath ? opts.logPath(http) : logPathOf(http.path);
    }
    const reply = request.response as HttpReply | undefined;
    let outcome: string;
    if (opts.trigger === 'http') {
      const status = reply?.statusCode ?? 500;
      line.status = status;
      outcome = status >= 500 ? 'error' : status >= 400 ? 'rejected' : 'ok';
    } else {
      // An event function answers an error only for bad input (eventErrors); anything else is rethrown.
      outcome = error === undefined ? 'ok' : request.response === undefined ? 'error' : 'rejected';
    }
    line.outcome = outcome;
    line.durationMs = Math.round((now() - start) * 100) / 100;
    if (error !== undefined) {
      const described = describeError(error);
      if (http && typeof described.message === 'string')
        described.message = scrub(described.message.split(http.path).join(String(line.path)), secretsOf(http));
      line.error = described;
    }
    try {
      sink(line);
    } catch {
      // A broken log sink must not turn a handled request into a failed one.
    }
  }

  function requestLogBefore(request: AnyRequest): void {
    started.set(request, now());
  }
  function requestLogAfter(request: AnyRequest): void {
    write(request, undefined);
  }
  function requestLogOnError(request: AnyRequest): void {
    write(request, request.error ?? undefined);
  }
  return { before: requestLogBefore, after: requestLogAfter, onError: requestLogOnError };
}
