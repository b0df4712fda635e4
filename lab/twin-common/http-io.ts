import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** The twins' request/reply shapes: plain values, so the API logic is testable without sockets. */

export interface TwinRequest {
  method: string;
  /** Path below the twin's mount point (for the Kubernetes API, below `/k8s/<scope>`). */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface TwinReply {
  status: number;
  headers?: Record<string, string>;
  /** Serialized as JSON unless it is a string. */
  body: unknown;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendReply(res: ServerResponse, reply: TwinReply): void {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...reply.headers,
  });
  res.end(text);
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
