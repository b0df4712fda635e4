import { signingText } from './format';

/**
 * The dashboard's calls to the control API. Reads carry the read token (given once as
 * `#token=…`, or typed in; kept in the tab's sessionStorage, never sent in a query string);
 * commands are signed in the browser with WebCrypto HMAC-SHA256 under the control secret the
 * user types in, which never leaves the tab. URLs are relative to the page, so it works under
 * any path prefix; the path it signs is the one the function sees (`/v1/overrides`).
 */

export const TOKEN_KEY = 'regionshift.readToken';
export const SECRET_KEY = 'regionshift.controlSecret';
export const ACTOR_KEY = 'regionshift.actor';

export const ss = (): Storage => window.sessionStorage;

/** Relative to the page, whatever prefix serves it: '…/control/' or '…/control' both end in '/'. */
export const base = (): string => (location.pathname.endsWith('/') ? location.pathname : `${location.pathname}/`);

interface ErrorBody {
  error?: { message?: string; code?: string; problems?: unknown; refused?: unknown };
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: string[];
  readonly refused: Array<{ rule: string; message: string }>;
  constructor(status: number, body: ErrorBody | null) {
    const e = body?.error ?? {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code ?? '';
    this.problems = Array.isArray(e.problems) ? e.problems.map(String) : [];
    this.refused = Array.isArray(e.refused) ? (e.refused as Array<{ rule: string; message: string }>) : [];
  }
}

/** A local refusal, said like the server's. */
export const localError = (message: string): ApiError => new ApiError(0, { error: { message } });

/** Server-minus-browser clock offset, learned from each status answer. */
let clockOffsetMs = 0;
export const serverNow = (): number => Date.now() + clockOffsetMs;
export function syncClock(serverAt: string, sent: number, received: number): void {
  const at = Date.parse(serverAt);
  if (Number.isFinite(at)) clockOffsetMs = at - Math.round((sent + received) / 2);
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: { message: `HTTP ${res.status}: ${text.slice(0, 200)}` } };
  }
  if (!res.ok) throw new ApiError(res.status, body as ErrorBody);
  return body as T;
}

function token(): string {
  const t = ss().getItem(TOKEN_KEY);
  if (!t)
    throw new ApiError(401, {
      error: { code: 'AUTH.UNAUTHORIZED', message: 'no read token yet: open the link with #token=… or enter it under Credentials' },
    });
  return t;
}

/** A read with the read token. */
export async function read<T>(path: string): Promise<T> {
  const res = await fetch(base() + path, { headers: { authorization: `Bearer ${token()}` }, cache: 'no-store' });
  return parse<T>(res);
}

/** A read of text (the report): the body as is, or the API's error. */
export async function readText(path: string): Promise<string> {
  const res = await fetch(base() + path, { headers: { authorization: `Bearer ${token()}` }, cache: 'no-store' });
  if (!res.ok) return parse<string>(res);
  return res.text();
}

const hex = (buf: ArrayBuffer | Uint8Array): string => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

function requestId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}

/** A signed call: HMAC-SHA256 over timestamp, method, path, request id and body (docs/api.md). */
export async function signed<T>(method: string, path: string, payload?: unknown): Promise<T> {
  const secret = ss().getItem(SECRET_KEY);
  if (!secret) throw localError('enter the control secret under Credentials first (it stays in this tab and is never sent)');
  if (!window.crypto || !crypto.subtle) throw localError('this browser cannot sign here: WebCrypto needs https (or localhost)');
  const actor = ss().getItem(ACTOR_KEY) || 'dashboard';
  const body = payload === undefined ? '' : JSON.stringify(payload);
  const ts = Math.floor(serverNow() / 1000);
  const id = requestId();
  let text: string;
  try {
    text = signingText(ts, method, `/${path}`, id, body);
  } catch (err) {
    throw localError((err as Error).message);
  }
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const signature = hex(await crypto.subtle.sign('HMAC', key, enc.encode(text)));
  const headers: Record<string, string> = {
    'x-regionshift-timestamp': String(ts),
    'x-regionshift-request-id': id,
    'x-regionshift-signature': signature,
    'x-regionshift-actor': actor,
  };
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(base() + path, { method, headers, body: body || undefined, cache: 'no-store' });
  return parse<T>(res);
}
