import type { IncomingMessage, ServerResponse } from 'node:http';

/** Translation between a Node HTTP exchange and FC 3.0's HTTP trigger event and reply. */

const TEXT_TYPES = /^(text\/|application\/(json|[\w.+-]*\+json|x-www-form-urlencoded|xml|[\w.+-]*\+xml|javascript|yaml|x-yaml))/i;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Header names as the client sent them (FC does not lowercase them); repeated headers joined. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    const key = seen.get(name.toLowerCase()) ?? name;
    seen.set(name.toLowerCase(), key);
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}

export interface HttpEnvelopeInput {
  req: IncomingMessage;
  body: Buffer;
  /** The path after the function prefix: `/control/v1/status` → `/v1/status`. */
  rawPath: string;
  search: URLSearchParams;
  requestId: string;
  accountId: string;
  now: Date;
}

export function httpEnvelope(i: HttpEnvelopeInput): Record<string, unknown> {
  const headers = headersOf(i.req);
  const contentType = i.req.headers['content-type'] ?? '';
  const binary = i.body.length > 0 && !TEXT_TYPES.test(contentType);
  // FC 3.0 hands a repeated query key over as one string of its values joined by commas
  // ("parameter2": "value1,value2" in its HTTP trigger docs), as it does repeated headers.
  const queryParameters: Record<string, string> = {};
  for (const [k, v] of i.search) queryParameters[k] = k in queryParameters ? `${queryParameters[k]},${v}` : v;
  const host = i.req.headers.host ?? '127.0.0.1';
  return {
    version: 'v1',
    rawPath: i.rawPath,
    headers,
    queryParameters,
    body: binary ? i.body.toString('base64') : i.body.toString('utf8'),
    isBase64Encoded: binary,
    requestContext: {
      accountId: i.accountId,
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: i.req.method ?? 'GET',
        path: i.rawPath,
        protocol: `HTTP/${i.req.httpVersion}`,
        sourceIp: i.req.socket.remoteAddress ?? '',
        userAgent: i.req.headers['user-agent'] ?? '',
      },
      requestId: i.requestId,
      // As in FC 3.0's documented request struct ("2023-09-05T06:41:11Z"); nothing in regionshift reads it.
      time: i.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(i.now.getTime()),
    },
  };
}

interface FcReply {
  statusCode: number;
  headers?: Record<string, unknown>;
  body?: unknown;
  isBase64Encoded?: boolean;
}

function isFcReply(v: unknown): v is FcReply {
  return typeof v === 'object' && v !== null && typeof (v as FcReply).statusCode === 'number';
}

/** FC's reply mapping: `{statusCode, headers, body, isBase64Encoded}`, else the value itself is the 200 body. */
export function writeReply(res: ServerResponse, result: unknown, extraHeaders: Record<string, string>): void {
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  if (isFcReply(result)) {
    for (const [k, v] of Object.entries(result.headers ?? {})) if (v !== undefined && v !== null) res.setHeader(k, String(v));
    const body = result.body;
    let bytes: Buffer;
    if (body === undefined || body === null) bytes = Buffer.alloc(0);
    else if (Buffer.isBuffer(body)) bytes = body;
    else if (typeof body === 'string') bytes = result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
    else bytes = Buffer.from(JSON.stringify(body), 'utf8');
    res.writeHead(result.statusCode).end(bytes);
    return;
  }
  if (result === undefined || result === null) res.writeHead(200).end();
  else if (Buffer.isBuffer(result)) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(result);
  else if (typeof result === 'string') res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(result);
  else res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(result));
}

/** What FC answers when the handler throws or times out: no stack, the error's type and message. */
export function writeFunctionError(res: ServerResponse, err: unknown, requestId: string): void {
  const timedOut = err instanceof FunctionTimeoutError;
  const body = {
    errorMessage: err instanceof Error ? err.message : String(err),
    errorType: timedOut ? 'FunctionTimeout' : err instanceof Error ? err.name : 'Error',
  };
  res
    .writeHead(502, {
      'content-type': 'application/json; charset=utf-8',
      'x-fc-request-id': requestId,
      'x-fc-error-type': timedOut ? 'FunctionTimeout' : 'UnhandledInvocationError',
    })
    .end(JSON.stringify(body));
}

export class FunctionTimeoutError extends Error {
  constructor(fn: string, seconds: number) {
    super(`Function ${fn} timed out after ${seconds} seconds`);
    this.name = 'FunctionTimeout';
  }
}
