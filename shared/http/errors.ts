import { RegionshiftError } from '../core/errors';

/** Errors only the HTTP edge raises. Each carries the status it maps to, so `httpErrors` needs no table. */
export class HttpError extends RegionshiftError {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.status = status;
    this.headers = headers;
  }
}

/** Missing or wrong credentials: the caller may retry with the right ones. */
export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super(401, 'AUTH.UNAUTHORIZED', message, { 'www-authenticate': 'RegionShift-HMAC-SHA256' });
  }
}

/** Valid credentials that may not do this (a read token on a mutating call). */
export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, 'AUTH.FORBIDDEN', message);
  }
}

/** A signed request whose request id was already used. */
export class ReplayError extends HttpError {
  constructor(requestId: string) {
    super(409, 'AUTH.REPLAY', `request id ${requestId} was already used; sign a new request with a fresh x-regionshift-request-id`);
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, 'HTTP.NOT_FOUND', message);
  }
}

export class MethodNotAllowedError extends HttpError {
  constructor(method: string, path: string, allowed: string[]) {
    super(405, 'HTTP.METHOD_NOT_ALLOWED', `${method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`, {
      allow: allowed.join(', '),
    });
  }
}

/** A body, a delivery or a batch larger than the function accepts. The message names the limit. */
export class PayloadTooLargeError extends HttpError {
  constructor(message: string) {
    super(413, 'INPUT.TOO_LARGE', message);
  }
}
