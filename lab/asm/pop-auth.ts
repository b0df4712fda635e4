import { timingSafeEqual } from 'node:crypto';
import { roaSignature, roaStringToSign, rpcSignature, rpcStringToSign } from './pop-signature';

/**
 * The POP gateway's checks in front of every Alibaba Cloud API: the AccessKey exists, the
 * signature matches, the STS token belongs to the key, the timestamp is fresh and the nonce is
 * new. Timestamps are what the SDK wrote from the machine's real clock, so freshness is judged
 * against the real clock too, never against the lab's (possibly virtual) one.
 */

export interface AccessKeyCredential {
  accessKeyId: string;
  accessKeySecret: string;
  /** When set, the key is an STS key and every request must carry this token. */
  securityToken?: string;
}

export class PopError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  constructor(code: string, httpStatus: number, message: string) {
    super(message);
    this.name = 'PopError';
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

const FRESHNESS_MS = 15 * 60 * 1000;

function sameString(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export class PopAuthenticator {
  private readonly credentials = new Map<string, AccessKeyCredential>();
  private readonly nonces = new Map<string, number>();

  constructor(
    credentials: AccessKeyCredential[],
    private readonly wallClock: () => number = () => Date.now(),
  ) {
    for (const c of credentials) this.addCredential(c);
  }

  addCredential(credential: AccessKeyCredential): void {
    this.credentials.set(credential.accessKeyId, { ...credential });
  }

  /** Stop accepting a key (an expired STS session). */
  removeCredential(accessKeyId: string): void {
    this.credentials.delete(accessKeyId);
  }

  /** RPC style: everything, the signature included, travels as parameters. */
  verifyRpc(method: string, params: Record<string, string>): AccessKeyCredential {
    for (const name of ['AccessKeyId', 'Signature', 'SignatureNonce', 'Timestamp'] as const) {
      if (!params[name])
        throw new PopError(
          'MissingParameter',
          400,
          `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
        );
    }
    if (params.SignatureMethod !== 'HMAC-SHA1' || (params.SignatureVersion ?? '1.0') !== '1.0') {
      throw new PopError(
        'IncompleteSignature',
        400,
        'The request signature does not conform to Aliyun standards (HMAC-SHA1, version 1.0).',
      );
    }
    const credential = this.credential(params.AccessKeyId!, params.SecurityToken);
    const stringToSign = rpcStringToSign(method, params);
    if (!sameString(rpcSignature(stringToSign, credential.accessKeySecret), params.Signature!)) {
      throw new PopError(
        'SignatureDoesNotMatch',
        400,
        `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
      );
    }
    this.checkFresh(Date.parse(params.Timestamp!), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(params.Timestamp!));
    this.useNonce(params.SignatureNonce!);
    return credential;
  }

  /** ROA style: `Authorization: acs <AccessKeyId>:<signature>` over method, headers and path. */
  verifyRoa(method: string, uriPattern: string, headers: Record<string, string>, query: Record<string, string>): AccessKeyCredential {
    const match = /^acs ([^:]+):(.+)$/.exec(headers.authorization ?? '');
    if (!match)
      throw new PopError(
        'MissingParameter',
        400,
        'The input parameter "Authorization" that is mandatory for processing this request is not supplied.',
      );
    const [, accessKeyId, signature] = match as unknown as [string, string, string];
    const credential = this.credential(accessKeyId, headers['x-acs-security-token']);
    const stringToSign = roaStringToSign(method, uriPattern, headers, query);
    if (!sameString(roaSignature(stringToSign, credential.accessKeySecret), signature)) {
      throw new PopError(
        'SignatureDoesNotMatch',
        400,
        `Specified signature is not matched with our calculation. server string to sign is:${stringToSign}`,
      );
    }
    const date = headers.date ?? '';
    this.checkFresh(Date.parse(date), date.length > 0);
    const nonce = headers['x-acs-signature-nonce'];
    if (nonce) this.useNonce(nonce);
    return credential;
  }

  private credential(accessKeyId: string, securityToken: string | undefined): AccessKeyCredential {
    const credential = this.credentials.get(accessKeyId);
    if (!credential) throw new PopError('InvalidAccessKeyId.NotFound', 404, 'Specified access key is not found.');
    if ((credential.securityToken ?? '') !== (securityToken ?? '')) {
      throw new PopError('InvalidSecurityToken.MismatchWithAccessKey', 400, 'Specified SecurityToken mismatch with the AccessKey.');
    }
    return credential;
  }

  private checkFresh(at: number, wellFormed: boolean): void {
    if (!wellFormed || Number.isNaN(at))
      throw new PopError('InvalidTimeStamp.Format', 400, 'Specified time stamp or date value is not well formatted.');
    if (Math.abs(this.wallClock() - at) > FRESHNESS_MS)
      throw new PopError('InvalidTimeStamp.Expired', 400, 'Specified time stamp or date value is expired.');
  }

  private useNonce(nonce: string): void {
    const now = this.wallClock();
    // A nonce only has to stay unique while its timestamp could still pass the freshness check.
    for (const [n, expires] of this.nonces) if (expires < now) this.nonces.delete(n);
    if (this.nonces.has(nonce)) throw new PopError('SignatureNonceUsed', 400, 'Specified signature nonce was used already.');
    this.nonces.set(nonce, now + 2 * FRESHNESS_MS);
  }
}
