import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * SLS's request signature (the "Request signatures" page of the SLS API reference, version 1, the
 * one `@alicloud/gateway-sls` sends by default):
 *
 *   Authorization: LOG <AccessKeyId>:<Signature>
 *   Signature = base64(HMAC(AccessKeySecret, SignString)), HMAC-SHA1, or HMAC-SHA256 when
 *               `x-log-signaturemethod: hmac-sha256` (what the gateway sends)
 *   SignString = VERB + "\n" + CONTENT-MD5 + "\n" + CONTENT-TYPE + "\n" + DATE + "\n"
 *                + CanonicalizedLOGHeaders + CanonicalizedResource
 *   CanonicalizedLOGHeaders: every `x-log-*` and `x-acs-*` header, lower-case name, sorted by name,
 *                `name:value\n` each
 *   CanonicalizedResource: the path, then `?` and the query parameters sorted by name, `k=v`
 *                joined by `&`, values not URL-encoded
 *
 * A request with a body also carries its MD5 (upper-case hex) in `Content-MD5`, checked against the
 * body. STS credentials add `x-acs-security-token`, which must be the token issued with the key.
 */

export interface SlsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export class SlsAuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 401,
  ) {
    super(message);
  }
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

export function slsStringToSign(method: string, path: string, query: URLSearchParams, headers: IncomingHttpHeaders): string {
  const logHeaders = Object.keys(headers)
    .map((k) => k.toLowerCase())
    .filter((k) => k.startsWith('x-log-') || k.startsWith('x-acs-'))
    .sort()
    .map((k) => `${k}:${header(headers, k)}\n`)
    .join('');
  const names = [...new Set(query.keys())].sort();
  const resource = names.length === 0 ? path : `${path}?${names.map((k) => `${k}=${query.get(k) ?? ''}`).join('&')}`;
  return `${method}\n${header(headers, 'content-md5')}\n${header(headers, 'content-type')}\n${header(headers, 'date')}\n${logHeaders}${resource}`;
}

/** Throws SlsAuthError unless the request is signed with `creds` as SLS's signature version 1 says. */
export function verifySlsSignature(
  method: string,
  path: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
  body: Buffer,
  creds: SlsCredentials,
): void {
  const auth = header(headers, 'authorization');
  const m = /^LOG ([^:]+):(.+)$/.exec(auth);
  if (!m) throw new SlsAuthError('Unauthorized', 'the Authorization header is not "LOG <AccessKeyId>:<Signature>"');
  if (m[1] !== creds.accessKeyId) throw new SlsAuthError('Unauthorized', `AccessKeyId ${m[1]} is not known`);
  if (creds.securityToken !== undefined && header(headers, 'x-acs-security-token') !== creds.securityToken) {
    throw new SlsAuthError('Unauthorized', 'x-acs-security-token is missing or not the token of this AccessKeyId');
  }
  if (!header(headers, 'date')) throw new SlsAuthError('Unauthorized', 'the Date header is missing');
  if (body.length > 0) {
    const md5 = createHash('md5').update(body).digest('hex').toUpperCase();
    if (header(headers, 'content-md5') !== md5) throw new SlsAuthError('InvalidContentMD5', 'Content-MD5 does not match the body', 400);
  }
  const algorithm = header(headers, 'x-log-signaturemethod').toLowerCase() === 'hmac-sha256' ? 'sha256' : 'sha1';
  const expected = createHmac(algorithm, creds.accessKeySecret)
    .update(slsStringToSign(method, path, query, headers))
    .digest();
  const given = Buffer.from(m[2] as string, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SlsAuthError('SignatureNotMatch', 'the request signature does not match the one calculated from the request');
  }
}
