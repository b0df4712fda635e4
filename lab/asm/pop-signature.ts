import { createHmac } from 'node:crypto';

/**
 * Alibaba Cloud POP signatures (v1, HMAC-SHA1), computed exactly as `@alicloud/pop-core` 1.8
 * computes them (lib/rpc.js, lib/roa.js), so the twin verifies what the SDK sends.
 */

/** RFC 3986 percent-encoding, as pop-core's `encode`. */
export function popEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/!/g, '%21')
    .replace(/'/g, '%27')
    .replace(/\(/g, '%28')
    .replace(/\)/g, '%29')
    .replace(/\*/g, '%2A');
}

/** RPC: `METHOD&%2F&encode(sorted k=v joined by &)`, every key and value encoded; Signature excluded. */
export function rpcStringToSign(method: string, params: Record<string, string>): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${popEncode(k)}=${popEncode(params[k]!)}`)
    .join('&');
  return `${method.toUpperCase()}&${popEncode('/')}&${popEncode(canonical)}`;
}

/** RPC signs with `secret + '&'`; ROA with the secret alone. */
export function rpcSignature(stringToSign: string, accessKeySecret: string): string {
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}

/**
 * ROA: method, accept, content-md5, content-type, date (each then a newline), the `x-acs-*`
 * headers sorted (`name:value\n`, tabs and newlines turned to spaces, trimmed), then the path
 * below the endpoint with the raw (unencoded) query sorted by key.
 */
export function roaStringToSign(
  method: string,
  uriPattern: string,
  headers: Record<string, string>,
  query: Record<string, string>,
): string {
  const h = (name: string): string => headers[name] ?? '';
  const acs = Object.keys(headers)
    .filter((k) => k.startsWith('x-acs-'))
    .sort()
    .map(
      (k) =>
        `${k}:${h(k)
          .replace(/[\t\n\r\f]/g, ' ')
          .trim()}\n`,
    )
    .join('');
  const keys = Object.keys(query).sort();
  const resource = keys.length === 0 ? uriPattern : `${uriPattern}?${keys.map((k) => `${k}=${query[k]}`).join('&')}`;
  return `${method}\n${h('accept')}\n${h('content-md5')}\n${h('content-type')}\n${h('date')}\n${acs}${resource}`;
}

export function roaSignature(stringToSign: string, accessKeySecret: string): string {
  return createHmac('sha1', accessKeySecret).update(stringToSign, 'utf8').digest('base64');
}
