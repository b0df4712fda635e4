import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Alibaba Cloud's V3 request signature (ACS3-HMAC-SHA256), checked the way the OpenAPI gateway
 * checks what `@alicloud/openapi-core` (the core of `@alicloud/fc20230330`) sends: its
 * `Utils.getAuthorization` in dist/utils.js builds
 *
 *   canonical request = METHOD \n pathname \n sorted, encoded query \n
 *                       lowercased x-acs-*, host, content-type headers "name:value\n", sorted \n
 *                       their names joined by ";" \n hex sha256 of the body
 *   Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex hmac-sha256(secret, "ACS3-HMAC-SHA256\n" + hex sha256(canonical request))>
 */

export interface Acs3Credential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export class Acs3Error extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
    this.name = 'Acs3Error';
  }
}

/** The SDK's `encode`: RFC 3986 percent-encoding. */
function encode(value: string): string {
  return encodeURIComponent(value)
    .replace(/!/g, '%21')
    .replace(/'/g, '%27')
    .replace(/\(/g, '%28')
    .replace(/\)/g, '%29')
    .replace(/\*/g, '%2A');
}

export function acs3CanonicalRequest(req: {
  method: string;
  pathname: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  signedHeaders: string[];
  payloadHash: string;
}): string {
  const uri = req.pathname.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
  const query = [...new Set(req.query.keys())]
    .sort()
    .map((k) => `${k}=${encode(req.query.get(k) ?? '')}`)
    .join('&');
  const headers = req.signedHeaders.map((h) => `${h}:${(req.headers[h] ?? '').trim()}\n`).join('');
  return `${req.method}\n${uri}\n${query}\n${headers}\n${req.signedHeaders.join(';')}\n${req.payloadHash}`;
}

const FRESHNESS_MS = 15 * 60_000;
const SIGNED_ALWAYS = ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'];

export class Acs3Verifier {
  private readonly nonces = new Map<string, number>();

  constructor(
    /** The keys accepted now (looked up on every request, so a rotation takes effect at once). */
    private readonly credentials: () => Acs3Credential[],
    private readonly wallClock: () => number = () => Date.now(),
  ) {}

  /** Returns the AccessKeyId that signed; throws Acs3Error as the gateway would refuse. */
  verify(req: { method: string; pathname: string; query: URLSearchParams; headers: Record<string, string>; body: Buffer }): string {
    const auth = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(req.headers.authorization ?? '');
    if (!auth) throw new Acs3Error('MissingAuthorization', 401, 'the Authorization header is missing or not ACS3-HMAC-SHA256');
    const [, accessKeyId, signedList, signature] = auth as unknown as [string, string, string, string];
    const signedHeaders = signedList.split(';');
    const unsigned = SIGNED_ALWAYS.filter((h) => !signedHeaders.includes(h));
    if (unsigned.length) throw new Acs3Error('IncompleteSignature', 400, `headers not signed: ${unsigned.join(', ')}`);
    const credential = this.credentials().find((c) => c.accessKeyId === accessKeyId);
    if (!credential) throw new Acs3Error('InvalidAccessKeyId.NotFound', 403, 'Specified access key is not found or expired.');
    if ((credential.securityToken ?? '') !== (req.headers['x-acs-security-token'] ?? '')) {
      throw new Acs3Error('InvalidSecurityToken.MismatchWithAccessKey', 403, 'Specified SecurityToken mismatch with the AccessKey.');
    }
    const payloadHash = createHash('sha256').update(req.body).digest('hex');
    if (req.headers['x-acs-content-sha256'] !== payloadHash)
      throw new Acs3Error('ContentSHA256Mismatch', 400, 'x-acs-content-sha256 does not match the body');
    const canonical = acs3CanonicalRequest({ ...req, signedHeaders, payloadHash });
    const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`;
    const expected = createHmac('sha256', credential.accessKeySecret).update(stringToSign).digest();
    const sent = Buffer.from(signature, 'hex');
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
      throw new Acs3Error(
        'SignatureDoesNotMatch',
        403,
        `Specified signature does not match our calculation. canonical request: ${JSON.stringify(canonical)}`,
      );
    }
    const at = Date.parse(req.headers['x-acs-date'] ?? '');
    const now = this.wallClock();
    if (Number.isNaN(at) || Math.abs(now - at) > FRESHNESS_MS)
      throw new Acs3Error('InvalidTimeStamp.Expired', 403, 'x-acs-date is missing or too far from the current time');
    const nonce = req.headers['x-acs-signature-nonce'] as string;
    for (const [n, expires] of this.nonces) if (expires < now) this.nonces.delete(n);
    if (this.nonces.has(nonce)) throw new Acs3Error('SignatureNonceUsed', 403, 'Specified signature nonce was used already.');
    this.nonces.set(nonce, now + 2 * FRESHNESS_MS);
    return accessKeyId;
  }
}
