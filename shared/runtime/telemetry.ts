import { lazy } from '../core/lazy';
import type { CloudCredentials } from '../adapters/cloud-credentials';
import type { AccessLogReader, AccessLogReaderFactory } from '../ports/access-logs';
import type { FcContext, Runtime } from './types';

/**
 * The telemetry function's runtime: the shared one, with an SLS reader per endpoint (the trigger
 * event's, or REGIONSHIFT_SLS_ENDPOINT). Its own module so that only the telemetry function's
 * bundle reaches the SLS SDK (`@alicloud/sls20201230` and its native lz4 module); the SDK itself
 * loads with the first read.
 */
export function slsReaders(credentials: () => CloudCredentials, endpointOverride: string | undefined): AccessLogReaderFactory {
  const readers = new Map<string, AccessLogReader>();
  return (endpoint) => {
    const at = endpointOverride ?? endpoint;
    let reader = readers.get(at);
    if (!reader) {
      const sls = lazy(() =>
        import('../adapters/access-logs-sls').then(({ slsAccessLogReader }) => slsAccessLogReader({ endpoint: at, credentials })),
      );
      reader = { readRange: async (range, o) => (await sls()).readRange(range, o) };
      readers.set(at, reader);
    }
    return reader;
  };
}

const factory = lazy(async () => (await import('./index')).runtimeFactory(process.env, { accessLogs: slsReaders }));

export async function telemetryRuntime(context: FcContext): Promise<Runtime> {
  return (await factory())(context);
}
