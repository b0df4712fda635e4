import PopCore from '@alicloud/pop-core';
import { RegionshiftError, UpstreamError } from '../core/errors';

/**
 * Alibaba Cloud credentials, and the signed POP clients (`@alicloud/pop-core`) built on them.
 * In Function Compute the role's STS credentials arrive with every invocation on
 * `context.credentials` and expire, so clients take a provider that is asked on every call.
 */

export interface CloudCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export type CredentialsProvider = () => CloudCredentials | Promise<CloudCredentials>;

/** The part of the FC 3.0 handler context that carries the function role's STS credentials. */
export interface FcCredentialsContext {
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string } | null;
}

export const ENV_ACCESS_KEY_ID = 'ALIBABA_CLOUD_ACCESS_KEY_ID';
export const ENV_ACCESS_KEY_SECRET = 'ALIBABA_CLOUD_ACCESS_KEY_SECRET';
export const ENV_SECURITY_TOKEN = 'ALIBABA_CLOUD_SECURITY_TOKEN';

/**
 * FC's `context.credentials` when present (all three parts required: they are STS), else the
 * `ALIBABA_CLOUD_*` environment variables. Throws `CONFIG.CREDENTIALS` naming what is missing.
 */
export function resolveCloudCredentials(
  source: { context?: FcCredentialsContext | null; env?: Record<string, string | undefined> } = {},
): CloudCredentials {
  const fc = source.context?.credentials;
  if (fc && (fc.accessKeyId || fc.accessKeySecret || fc.securityToken)) {
    const missing = (['accessKeyId', 'accessKeySecret', 'securityToken'] as const).filter((k) => !fc[k]);
    if (missing.length > 0) {
      throw new RegionshiftError(
        'CONFIG.CREDENTIALS',
        `FC context.credentials is incomplete: missing ${missing.join(', ')} (the function's role must be set)`,
      );
    }
    return { accessKeyId: fc.accessKeyId!, accessKeySecret: fc.accessKeySecret!, securityToken: fc.securityToken! };
  }
  const env = source.env ?? process.env;
  const id = env[ENV_ACCESS_KEY_ID];
  const secret = env[ENV_ACCESS_KEY_SECRET];
  const token = env[ENV_SECURITY_TOKEN];
  const missing = [id ? null : ENV_ACCESS_KEY_ID, secret ? null : ENV_ACCESS_KEY_SECRET].filter((m): m is string => m !== null);
  if (missing.length > 0) {
    const none = !id && !secret && !token;
    throw new RegionshiftError(
      'CONFIG.CREDENTIALS',
      none
        ? `no Alibaba Cloud credentials: the FC context has no credentials and ${ENV_ACCESS_KEY_ID}, ${ENV_ACCESS_KEY_SECRET} are not set`
        : `incomplete Alibaba Cloud credentials in the environment: ${missing.join(', ')} not set`,
    );
  }
  return { accessKeyId: id!, accessKeySecret: secret!, ...(token ? { securityToken: token } : {}) };
}

/** What pop-core's RPCClient and ROAClient offer; its bundled typings cover only part of RPC. */
export interface PopRpcClient {
  request<T>(action: string, params: Record<string, unknown>, options?: { method?: 'GET' | 'POST'; timeout?: number }): Promise<T>;
}
export interface PopRoaClient {
  request<T>(
    method: string,
    uriPattern: string,
    query?: Record<string, string>,
    body?: string,
    headers?: Record<string, string>,
    options?: { timeout?: number },
  ): Promise<T>;
}
type PopClientConstructor<C> = new (config: {
  endpoint: string;
  apiVersion: string;
  credentialsProvider: { getCredentials(): Promise<CloudCredentials> };
}) => C;

function credentialsProviderOf(credentials: CloudCredentials | CredentialsProvider): { getCredentials(): Promise<CloudCredentials> } {
  return { getCredentials: async () => (typeof credentials === 'function' ? credentials() : credentials) };
}

export function popRpcClient(opts: {
  endpoint: string;
  apiVersion: string;
  credentials: CloudCredentials | CredentialsProvider;
}): PopRpcClient {
  const Rpc = PopCore as unknown as PopClientConstructor<PopRpcClient>;
  return new Rpc({ endpoint: opts.endpoint, apiVersion: opts.apiVersion, credentialsProvider: credentialsProviderOf(opts.credentials) });
}

export function popRoaClient(opts: {
  endpoint: string;
  apiVersion: string;
  credentials: CloudCredentials | CredentialsProvider;
}): PopRoaClient {
  const Roa = (PopCore as unknown as { ROAClient: PopClientConstructor<PopRoaClient> }).ROAClient;
  return new Roa({ endpoint: opts.endpoint, apiVersion: opts.apiVersion, credentialsProvider: credentialsProviderOf(opts.credentials) });
}

/** The fields pop-core puts on the errors it throws (RPC: `data`, `entry`; ROA: `result`, `statusCode`). */
interface PopSdkError extends Error {
  code?: unknown;
  data?: { Code?: string; Message?: string; RequestId?: string };
  result?: { Code?: string; Message?: string; RequestId?: string; code?: string; message?: string; requestId?: string };
  statusCode?: number;
  entry?: { response?: { statusCode?: number } };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'ENOTFOUND',
]);
const RETRYABLE_CODE = /^(Throttling|ServiceUnavailable|InternalError|UnknownError|SystemBusy|Request\.Timeout)/;

export interface PopFailure {
  /** The vendor's error code, `NETWORK`, `TIMEOUT` or `BAD_RESPONSE`. */
  vendorCode: string;
  message: string;
  httpStatus: number | undefined;
  retryable: boolean;
}

/** Classify what pop-core threw: vendor error, transport failure, or a body that was not JSON. */
export function popFailure(err: unknown): PopFailure {
  const e = err as PopSdkError;
  const httpStatus = e.statusCode ?? e.entry?.response?.statusCode;
  const body = e.data ?? e.result;
  const vendorCode =
    body?.Code ?? (e.result?.code || undefined) ?? (typeof e.code === 'string' && !NETWORK_CODES.has(e.code) ? e.code : undefined);
  if (vendorCode) {
    const message = body?.Message ?? e.result?.message ?? e.message;
    const requestId = body?.RequestId ?? e.result?.requestId;
    return {
      vendorCode,
      message: requestId ? `${message} (RequestId ${requestId})` : message,
      httpStatus,
      retryable: RETRYABLE_CODE.test(vendorCode) || (httpStatus !== undefined && httpStatus >= 500),
    };
  }
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code))
    return { vendorCode: 'NETWORK', message: e.message, httpStatus, retryable: true };
  if (/Timeout/i.test(e.name ?? '')) return { vendorCode: 'TIMEOUT', message: e.message, httpStatus, retryable: true };
  // A gateway's HTML error page or a truncated body: the call may not have been processed.
  // (json-bigint throws a plain object named SyntaxError, not a SyntaxError instance.)
  if (e instanceof SyntaxError || e.name === 'SyntaxError' || e.name === 'FormatError')
    return { vendorCode: 'BAD_RESPONSE', message: e.message, httpStatus, retryable: true };
  return { vendorCode: 'UNKNOWN', message: e.message ?? String(err), httpStatus, retryable: false };
}

/** `service` names the API (`ASM`, `CS`) in the error code; `what` says which call failed. */
export function popUpstreamError(service: string, what: string, err: unknown): UpstreamError {
  const f = popFailure(err);
  return new UpstreamError(`${service}.${f.vendorCode}`, `${what} failed: ${f.vendorCode}: ${f.message}`, {
    retryable: f.retryable,
    cause: err,
  });
}
