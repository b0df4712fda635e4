import { Readable } from 'node:stream';
import { RegionshiftError, UpstreamError } from '../core/errors';
import { lazy } from '../core/lazy';
import type { ExecutorHandoff } from '../ports/executor-handoff';
import type { CloudCredentials, CredentialsProvider } from './cloud-credentials';

/**
 * Hands a plan to the executor function: FC 3.0's InvokeFunction
 * (`POST /2023-03-30/functions/{functionName}/invocations`) with `x-fc-invocation-type: Async`,
 * through `@alicloud/fc20230330`, signed with the calling function's role credentials. FC queues
 * the event `{planId}` and answers 202; the executor needs no trigger of its own, and FC's
 * asynchronous retries re-deliver the same event (the executor is idempotent by plan id).
 */

export interface ExecutorHandoffOptions {
  functionName: string;
  /**
   * `https://<account>.<region>-internal.fc.aliyuncs.com`, or the lab's host (`http://127.0.0.1:<port>`).
   * A function is asked at the first handoff, so a missing endpoint fails that handoff (the tick
   * then runs the plan), not every invocation.
   */
  endpoint: string | (() => string);
  credentials: CredentialsProvider;
  /** Per request, connect and read (default 5 s): queueing an async invocation is quick. */
  timeoutMs?: number;
}

/** FC 3.0's internal endpoint of the calling function's own account and region ("Endpoints", FC 3.0 docs). */
export function fcEndpointFor(context: { accountId?: string; region?: string }): string {
  if (!context.accountId || !context.region) {
    throw new RegionshiftError(
      'CONFIG.FC_ENDPOINT',
      'the FC context names no accountId or region: set REGIONSHIFT_FC_ENDPOINT to reach the executor',
    );
  }
  return `https://${context.accountId}.${context.region}-internal.fc.aliyuncs.com`;
}

type FcModule = typeof import('@alicloud/fc20230330');
type FcClient = InstanceType<FcModule['default']>;
interface FcSdk {
  Client: FcModule['default'];
  InvokeFunctionRequest: FcModule['InvokeFunctionRequest'];
  InvokeFunctionHeaders: FcModule['InvokeFunctionHeaders'];
  GetFunctionRequest: FcModule['GetFunctionRequest'];
}

function keyOf(c: CloudCredentials): string {
  return `${c.accessKeyId}\n${c.accessKeySecret}\n${c.securityToken ?? ''}`;
}

/** The SDK is CommonJS: loaded as an ES module its exports sit on `default`, bundled they do not. */
async function loadSdk(): Promise<FcSdk> {
  const mod = (await import('@alicloud/fc20230330')) as FcModule & {
    default: FcModule['default'] & Partial<FcModule> & { default?: FcModule['default'] };
  };
  const ns = (mod.InvokeFunctionRequest ? mod : mod.default) as unknown as FcModule & {
    default: FcModule['default'] & { default?: FcModule['default'] };
  };
  return {
    Client: ns.default.default ?? ns.default,
    InvokeFunctionRequest: ns.InvokeFunctionRequest,
    InvokeFunctionHeaders: ns.InvokeFunctionHeaders,
    GetFunctionRequest: ns.GetFunctionRequest,
  };
}

export function executorHandoff(opts: ExecutorHandoffOptions): ExecutorHandoff {
  let url: URL | null = null;
  const timeout = opts.timeoutMs ?? 5_000;
  // Loaded on the first handoff only: most invocations never hand anything off.
  const sdk = lazy(loadSdk);
  let current: { key: string; client: FcClient } | null = null;

  async function clientFor(credentials: CloudCredentials): Promise<{ sdk: FcSdk; client: FcClient }> {
    const loaded = await sdk();
    url ??= new URL(typeof opts.endpoint === 'function' ? opts.endpoint() : opts.endpoint);
    const key = keyOf(credentials);
    // The role's STS credentials change while a warm container lives on: a client per key.
    if (current?.key !== key) {
      current = { key, client: fcClient(loaded, credentials, url, timeout) };
    }
    return { sdk: loaded, client: current.client };
  }

  return async function handOff(planId: string): Promise<void> {
    const credentials = await opts.credentials();
    const { sdk: fc, client } = await clientFor(credentials);
    const request = new fc.InvokeFunctionRequest({ body: Readable.from([Buffer.from(JSON.stringify({ planId }))]) });
    const headers = new fc.InvokeFunctionHeaders({ xFcInvocationType: 'Async' });
    let status: number | undefined;
    try {
      const res = await client.invokeFunctionWithOptions(opts.functionName, request, headers, {
        readTimeout: timeout,
        connectTimeout: timeout,
      } as unknown as Parameters<FcClient['invokeFunctionWithOptions']>[3]);
      status = res.statusCode;
      res.body?.resume();
    } catch (err) {
      const e = err as { code?: string; statusCode?: number; message?: string };
      throw new UpstreamError(
        `FC.${e.code ?? 'UNKNOWN'}`,
        `InvokeFunction(${opts.functionName}, Async) failed: ${e.code ?? ''} ${e.message ?? String(err)}`,
        {
          retryable: e.statusCode === undefined || e.statusCode >= 500 || e.statusCode === 429 || /Throttling/.test(e.code ?? ''),
          cause: err,
        },
      );
    }
    if (status !== 202)
      throw new UpstreamError('FC.UNEXPECTED_STATUS', `InvokeFunction(${opts.functionName}, Async) answered ${status}, not 202`, {
        retryable: true,
      });
  };
}

/** An FC 3.0 client signing with these credentials, at the endpoint's host and protocol. */
function fcClient(sdk: FcSdk, credentials: CloudCredentials, url: URL, timeout: number): FcClient {
  const config = {
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
    endpoint: url.host,
    protocol: url.protocol.replace(/:$/, ''),
    readTimeout: timeout,
    connectTimeout: timeout,
  };
  return new sdk.Client(config as unknown as ConstructorParameters<FcModule['default']>[0]);
}

/**
 * FC 3.0's GetFunction (`GET /2023-03-30/functions/{functionName}`): whether the executor exists
 * and the role may see it, without invoking it (the readiness check; nothing runs).
 */
export async function fcGetFunction(opts: ExecutorHandoffOptions): Promise<void> {
  const credentials = await opts.credentials();
  const timeout = opts.timeoutMs ?? 5_000;
  const fc = await loadSdk();
  const url = new URL(typeof opts.endpoint === 'function' ? opts.endpoint() : opts.endpoint);
  const client = fcClient(fc, credentials, url, timeout);
  try {
    await client.getFunctionWithOptions(opts.functionName, new fc.GetFunctionRequest({}), {}, {
      readTimeout: timeout,
      connectTimeout: timeout,
    } as unknown as Parameters<FcClient['getFunctionWithOptions']>[3]);
  } catch (err) {
    const e = err as { code?: string; statusCode?: number; message?: string };
    throw new UpstreamError(
      `FC.${e.code ?? 'UNKNOWN'}`,
      `GetFunction(${opts.functionName}) failed: ${e.code ?? ''} ${e.message ?? String(err)}`,
      { retryable: e.statusCode === undefined || e.statusCode >= 500 || e.statusCode === 429, cause: err },
    );
  }
}
