import { signRequest } from '../shared/http/auth';

/**
 * The control API client behind the `regionshift` commands: every request is signed (reads too),
 * with a fresh timestamp and request id per attempt. docs/api.md describes the wire format.
 */

export interface ControlClientOptions {
  /** The control function's base URL, e.g. `http://127.0.0.1:8080/control`; paths are appended to it. */
  endpoint: string;
  secret: string;
  /** Sent as `x-regionshift-actor` (who acted, in the audit log); the API says `api` when absent. */
  actor?: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Attempts for a 503 `STATE.BUSY` (each signed anew), waiting `retry-after` seconds (capped) in between. */
  busyAttempts?: number;
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Aborts a request in flight (`status --watch` stopped by Ctrl-C). */
  signal?: AbortSignal;
}

/** An HTTP answer from the API, whatever its status. `json` is undefined when the body was not JSON. */
export interface ApiReply {
  status: number;
  json: unknown;
  text: string;
  url: string;
}

/** The API could not be reached, timed out, or answered 2xx with something that is not JSON. */
export class TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportError';
  }
}

export const ACTOR_HEADER = 'x-regionshift-actor';
/** The API's rule for the actor header (functions/control/schema.ts), checked before sending. */
export const ACTOR_RE = /^[A-Za-z0-9._@:/-]{1,64}$/;

/**
 * Checks an endpoint and returns it without a trailing slash, or a problem. The path after the
 * origin is the function's mount point (`/control` on the lab host, nothing on an FC trigger URL).
 */
export function normalizeEndpoint(endpoint: string): { url: string } | { problem: string } {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return { problem: `not a URL: ${JSON.stringify(endpoint)} (e.g. http://127.0.0.1:8080/control)` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { problem: `must be http:// or https://, got ${u.protocol}` };
  if (u.search || u.hash) return { problem: 'must not carry a query string or fragment' };
  if (/\/v1\/?$/.test(u.pathname))
    return { problem: `give the control function's base URL, without /v1 (${u.origin}${u.pathname.replace(/\/v1\/?$/, '')})` };
  return { url: `${u.origin}${u.pathname.replace(/\/+$/, '')}` };
}

function causeOf(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  const cause = e.cause;
  if (cause?.code) return cause.code;
  return cause?.message ?? e.message ?? String(err);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ControlClient {
  private readonly endpoint: string;
  private readonly opts: ControlClientOptions;

  constructor(opts: ControlClientOptions) {
    const e = normalizeEndpoint(opts.endpoint);
    if ('problem' in e) throw new Error(`endpoint ${e.problem}`);
    this.endpoint = e.url;
    this.opts = opts;
  }

  /**
   * Sends one signed request. `path` is the path the function sees (`/v1/status`, with any query).
   * Resolves with any HTTP answer (4xx and 5xx included); throws TransportError when there is none.
   */
  async request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<ApiReply> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const attempts = Math.max(1, this.opts.busyAttempts ?? 3);
    const sleep = this.opts.sleep ?? defaultSleep;
    for (let attempt = 1; ; attempt++) {
      const reply = await this.once(method, path, text);
      if (reply.status !== 503 || attempt >= attempts || errorCodeOf(reply.json) !== 'STATE.BUSY') return reply;
      await sleep(this.retryDelay(reply));
    }
  }

  private retryDelay(reply: ApiReply & { retryAfter?: string | null }): number {
    const cap = this.opts.maxRetryAfterMs ?? 5000;
    const seconds = Number(reply.retryAfter ?? '1');
    return Math.min(cap, Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000);
  }

  private abortSignal(): AbortSignal {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
    return this.opts.signal ? AbortSignal.any([timeout, this.opts.signal]) : timeout;
  }

  private async once(method: string, path: string, text: string): Promise<ApiReply & { retryAfter: string | null }> {
    // Signed per attempt: the server spends a request id once its signature is verified.
    const signed = signRequest({ secret: this.opts.secret, method, path, body: text });
    const url = `${this.endpoint}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', ...signed.headers };
    if (text !== '') headers['content-type'] = 'application/json';
    if (this.opts.actor !== undefined) headers[ACTOR_HEADER] = this.opts.actor;
    let res: Response;
    let raw: string;
    try {
      res = await fetch(url, { method, headers, ...(text !== '' && { body: text }), signal: this.abortSignal() });
      raw = await res.text();
    } catch (err) {
      throw new TransportError(`cannot reach ${url}: ${causeOf(err)}`);
    }
    let json: unknown;
    try {
      json = raw.trim() === '' ? undefined : JSON.parse(raw);
    } catch {
      json = undefined;
    }
    if (res.status >= 200 && res.status < 300 && json === undefined) {
      throw new TransportError(`${method} ${url} answered ${res.status} without JSON (is --endpoint the control function's base URL?)`);
    }
    return { status: res.status, json, text: raw, url, retryAfter: res.headers.get('retry-after') };
  }
}

/** The API's error body: `{error: {code, message, problems?, refused?, requestId?}}`. */
export interface ApiError {
  code?: string;
  message?: string;
  problems?: string[];
  refused?: Array<{ rule: string; message: string }>;
  requestId?: string;
}

export function apiErrorOf(json: unknown): ApiError | null {
  if (typeof json !== 'object' || json === null) return null;
  const e = (json as { error?: unknown }).error;
  return typeof e === 'object' && e !== null ? (e as ApiError) : null;
}

function errorCodeOf(json: unknown): string | undefined {
  return apiErrorOf(json)?.code;
}
