import { UpstreamError } from '../core/errors';
import { lazy } from '../core/lazy';
import type { AccessLogReader, LogPair, RawLog, ShardRange, ShardRead } from '../ports/access-logs';
import type { CloudCredentials, CredentialsProvider } from './cloud-credentials';

/**
 * The access-log reader on Simple Log Service's `PullLogs`, with `@alicloud/sls20201230` (its
 * gateway, `@alicloud/gateway-sls`, signs the request with SLS's `LOG <ak>:<signature>` scheme and
 * decodes the protobuf `LogGroupList`, lz4/gzip/zstd-compressed). One shard's range is read page
 * by page: each page's `x-log-cursor` response header is the next cursor; the read ends when it
 * equals the end cursor (SLS: "PullLogs", `cursor`, `end_cursor`, `count`; the next cursor in
 * `x-log-cursor`, the page's group count in `x-log-count`). Why this SDK and not `@alicloud/log`:
 * docs/design-choices.md.
 */

type SlsModule = typeof import('@alicloud/sls20201230');
type SlsClient = InstanceType<SlsModule['default']>;
interface SlsSdk {
  Client: SlsModule['default'];
  PullLogsRequest: SlsModule['PullLogsRequest'];
  PullLogsHeaders: SlsModule['PullLogsHeaders'];
}

/** The SDK is CommonJS: loaded as an ES module its exports sit on `default`, bundled they do not. */
async function loadSdk(): Promise<SlsSdk> {
  const mod = (await import('@alicloud/sls20201230')) as SlsModule & {
    default: SlsModule['default'] & Partial<SlsModule> & { default?: SlsModule['default'] };
  };
  const ns = (mod.PullLogsRequest ? mod : mod.default) as unknown as SlsModule & {
    default: SlsModule['default'] & { default?: SlsModule['default'] };
  };
  return { Client: ns.default.default ?? ns.default, PullLogsRequest: ns.PullLogsRequest, PullLogsHeaders: ns.PullLogsHeaders };
}

/** Groups per PullLogs page: SLS accepts 1–1000 (`count`). */
export const DEFAULT_PAGE_GROUPS = 100;

export interface SlsReaderOptions {
  /** The trigger's endpoint (`cn-hangzhou-intranet.log.aliyuncs.com`), or a URL (`http://127.0.0.1:port` in the lab). */
  endpoint: string;
  credentials: CredentialsProvider;
  timeoutMs?: number;
}

function pairs(list: Array<{ key?: string; value?: string }> | undefined): LogPair[] {
  return (list ?? []).filter((p) => typeof p.key === 'string').map((p) => ({ key: p.key!, value: p.value ?? '' }));
}

function keyOf(c: CloudCredentials): string {
  return `${c.accessKeyId}\n${c.accessKeySecret}\n${c.securityToken ?? ''}`;
}

export function slsAccessLogReader(opts: SlsReaderOptions): AccessLogReader {
  const sdk = lazy(loadSdk);
  const timeout = opts.timeoutMs ?? 5_000;
  const url = /^[a-z]+:\/\//i.test(opts.endpoint) ? new URL(opts.endpoint) : new URL(`https://${opts.endpoint}`);
  let current: { key: string; client: SlsClient } | null = null;
  async function client(): Promise<{ s: SlsSdk; client: SlsClient }> {
    const s = await sdk();
    const credentials = await opts.credentials();
    const key = keyOf(credentials);
    if (current?.key !== key) {
      const config = {
        accessKeyId: credentials.accessKeyId,
        accessKeySecret: credentials.accessKeySecret,
        ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
        endpoint: url.host,
        protocol: url.protocol.replace(/:$/, ''),
        readTimeout: timeout,
        connectTimeout: timeout,
      };
      current = { key, client: new s.Client(config as unknown as ConstructorParameters<SlsModule['default']>[0]) };
    }
    return { s, client: current.client };
  }

  return {
    async readRange(range: ShardRange, o): Promise<ShardRead> {
      const { s, client: c } = await client();
      const logs: RawLog[] = [];
      let cursor = range.beginCursor;
      let pages = 0;
      while (cursor !== range.endCursor) {
        if (logs.length >= o.maxLogs || (o.deadline !== undefined && Date.now() >= o.deadline)) return { logs, pages, truncated: true };
        let res: Awaited<ReturnType<SlsClient['pullLogsWithOptions']>>;
        try {
          res = await c.pullLogsWithOptions(
            range.project,
            range.logstore,
            String(range.shardId),
            new s.PullLogsRequest({ cursor, endCursor: range.endCursor, count: o.pageSize ?? DEFAULT_PAGE_GROUPS }),
            new s.PullLogsHeaders({ acceptEncoding: 'lz4' }),
            { readTimeout: timeout, connectTimeout: timeout } as unknown as Parameters<SlsClient['pullLogsWithOptions']>[5],
          );
        } catch (err) {
          const e = err as { code?: string; statusCode?: number; message?: string };
          throw new UpstreamError(
            `SLS.${e.code ?? 'UNKNOWN'}`,
            `PullLogs(${range.project}/${range.logstore}/${range.shardId}) failed: ${e.code ?? ''} ${e.message ?? String(err)}`,
            {
              retryable: e.statusCode === undefined || e.statusCode >= 500 || e.statusCode === 429,
              cause: err,
            },
          );
        }
        pages++;
        for (const group of res.body?.logGroupList ?? []) {
          const tags = pairs(group.logTags);
          for (const item of group.logItems ?? []) logs.push({ time: item.time ?? 0, contents: pairs(item.contents), tags });
        }
        const headers = res.headers ?? {};
        const next = headers['x-log-cursor'] ?? headers['X-Log-Cursor'];
        if (!next)
          throw new UpstreamError(
            'SLS.NO_CURSOR',
            `PullLogs(${range.project}/${range.logstore}/${range.shardId}) answered without x-log-cursor`,
            { retryable: true },
          );
        // No progress and no groups: the range's end is not reachable (yet); stop rather than spin.
        if (next === cursor && (res.body?.logGroupList ?? []).length === 0) break;
        cursor = next;
      }
      return { logs, pages, truncated: false };
    },
  };
}
