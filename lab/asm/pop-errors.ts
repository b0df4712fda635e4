import { randomUUID } from 'node:crypto';
import type { TwinReply } from '../twin-common/http-io';

/** POP error envelopes and the HTTP status each error code travels with. */

const STATUS_BY_CODE: Array<[RegExp, number]> = [
  [/^Throttling/, 400],
  [/^ServiceUnavailable/, 503],
  [/^InternalError|^UnknownError/, 500],
  [/NotFound$/, 404],
  [/^Forbidden/, 403],
];

const MESSAGE_BY_CODE: Record<string, string> = {
  'Throttling.User': 'Request was denied due to user flow control.',
  'Throttling.Api': 'Request was denied due to api flow control.',
  Throttling: 'Request was denied due to flow control.',
  ServiceUnavailable: 'The request has failed due to a temporary failure of the server.',
  InternalError: 'The request processing has failed due to some unknown error, exception or failure.',
};

export function statusForCode(code: string): number {
  return STATUS_BY_CODE.find(([pattern]) => pattern.test(code))?.[1] ?? 400;
}

export function messageForCode(code: string): string {
  return MESSAGE_BY_CODE[code] ?? `Injected failure ${code}.`;
}

export function requestId(): string {
  return randomUUID().toUpperCase();
}

/** RPC gateways answer with capitalised keys; pop-core throws on any `Code` that is not a success code. */
export function rpcError(code: string, message: string, httpStatus: number, host: string): TwinReply {
  return {
    status: httpStatus,
    body: {
      RequestId: requestId(),
      HostId: host,
      Code: code,
      Message: message,
      Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(code)}`,
    },
  };
}
