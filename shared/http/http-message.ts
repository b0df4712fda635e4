/**
 * The HTTP trigger's request and reply as the handlers see them, and the body limits: shared by
 * the middleware (http-trigger-middleware.ts) and the parser it loads on the first request
 * (http-trigger-parser.ts). No zod here.
 */

/** An HTTP trigger request as the handlers see it: header names lowercased, body decoded. */
export interface HttpRequest {
  method: string;
  path: string;
  /** One value per key: the first, when the trigger gave a key several (see `queryValues`). */
  query: Record<string, string>;
  /**
   * Every value of every query key as the trigger gave them. FC 3.0 joins a repeated key into one
   * string ("a,b"); an envelope may also carry an array, which the signature check refuses.
   */
  queryValues?: Record<string, string[]>;
  headers: Record<string, string>;
  /** The body as text; base64-decoded when FC flagged it. */
  rawBody: string;
  /**
   * The parsed body when its content type says JSON. A body without a content type is never read
   * as JSON: guessing from the text would let a caller skip the declared contract, and the same
   * bytes would mean different things to different handlers.
   */
  json?: unknown;
  /**
   * Why a JSON-typed body did not parse. Not thrown here: authentication runs after this
   * middleware, and an unauthenticated caller must get 401, not a critique of its body.
   */
  bodyProblem?: string;
  sourceIp?: string;
}

/** What an HTTP-triggered FC 3.0 function returns. */
export interface HttpReply {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

export function jsonReply(statusCode: number, value: unknown, headers: Record<string, string> = {}): HttpReply {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
    isBase64Encoded: false,
  };
}

export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mime === 'application/json' || mime.endsWith('+json');
}

/**
 * Request bodies a function accepts by default; functions that take larger ones (alarm
 * webhooks) say so. Checked before anything parses the body.
 */
export const DEFAULT_BODY_LIMIT = 256 * 1024;

export interface HttpLimits {
  /** Largest request body in bytes (after base64 decoding); beyond it, 413. */
  maxBodyBytes?: number;
}
