import { ValidationError } from '../core/errors';
import { parseJsonLimited } from '../core/json-depth';
import { PayloadTooLargeError } from './errors';
import { fcHttpEnvelopeSchema } from './envelope-schemas';
import { decodeFcEvent, parseWith } from './envelope-decode';
import { DEFAULT_BODY_LIMIT, isJsonContentType, type HttpLimits, type HttpRequest } from './http-message';

/**
 * The FC 3.0 HTTP trigger envelope checked and turned into an `HttpRequest`. Apart from
 * http-trigger-middleware.ts because it needs the envelope's zod schema: the middleware loads this on the
 * first request (see `fcHttpEvent`).
 */

function firstValue(v: string | string[]): string {
  return Array.isArray(v) ? (v[0] ?? '') : v;
}

function parseJsonBody(rawBody: string, contentType: string | undefined): { json?: unknown; bodyProblem?: string } {
  if (!isJsonContentType(contentType) || rawBody.trim() === '') return {};
  // JSON between systems is UTF-8 (RFC 8259 §8.1), and the body is read as UTF-8: a body labelled
  // with another charset would be read as something its sender did not write.
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return { bodyProblem: `header content-type: JSON must be UTF-8, got charset=${charset}` };
  }
  try {
    return { json: parseJsonLimited(rawBody, 'body') };
  } catch (err) {
    return { bodyProblem: (err as ValidationError).problems?.[0] ?? 'body: not valid JSON' };
  }
}

const kib = (n: number) => (n >= 1024 * 1024 ? `${Math.round((n / 1024 / 1024) * 10) / 10} MiB` : `${Math.round(n / 1024)} KiB`);

function eventBytes(event: unknown): number | null {
  if (typeof event === 'string') return Buffer.byteLength(event);
  if (event instanceof Uint8Array) return event.byteLength;
  return null;
}

/** Turns the FC 3.0 HTTP trigger envelope (a Buffer of JSON) into an `HttpRequest` on `request.event`. */
export function toHttpRequest(event: unknown, limits: HttpLimits = {}): HttpRequest {
  const max = limits.maxBodyBytes ?? DEFAULT_BODY_LIMIT;
  // The envelope holds the body, maybe base64 (4/3 larger), plus headers: refuse a far larger one before parsing it.
  const envelopeBytes = eventBytes(event);
  if (envelopeBytes !== null && envelopeBytes > Math.ceil((max * 4) / 3) + 64 * 1024) {
    throw new PayloadTooLargeError(`request body too large: at most ${kib(max)} (${max} bytes) for this function`);
  }
  const envelope = parseWith(fcHttpEnvelopeSchema, decodeFcEvent(event), ['(event)']);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(envelope.headers)) {
    const joined = Array.isArray(value) ? value.join(', ') : value;
    headers[name.toLowerCase()] = joined;
  }
  const query: Record<string, string> = {};
  const queryValues: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(envelope.queryParameters ?? {})) {
    query[name] = firstValue(value);
    queryValues[name] = Array.isArray(value) ? value : [value];
  }
  const body = envelope.body ?? '';
  const rawBody = envelope.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  const bodyBytes = Buffer.byteLength(rawBody);
  if (bodyBytes > max)
    throw new PayloadTooLargeError(`request body of ${bodyBytes} bytes too large: at most ${kib(max)} (${max} bytes) for this function`);
  const request: HttpRequest = {
    method: envelope.requestContext.http.method.toUpperCase(),
    path: envelope.rawPath,
    query,
    queryValues,
    headers,
    rawBody,
    sourceIp: envelope.requestContext.http.sourceIp,
  };
  return { ...request, ...parseJsonBody(rawBody, headers['content-type']) };
}
