import {
  ApiException,
  KubeConfig,
  Observable,
  PatchStrategy,
  setHeaderOptions,
  type ConfigurationOptions,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { RegionshiftError, UpstreamError } from '../core/errors';
import { systemClock, type Clock } from '../ports/clock';
import { popRoaClient, popRpcClient, popUpstreamError, type CloudCredentials, type CredentialsProvider } from './cloud-credentials';

/**
 * One kubeconfig per cluster, from a file, an environment variable holding the YAML, ACK's
 * DescribeClusterUserKubeconfig (`GET /k8s/{ClusterId}/user_config`), or, for the mesh control
 * plane, ASM's DescribeServiceMeshKubeconfig. Also the per-request options and error translation
 * shared by the Kubernetes adapters.
 */

export type KubeconfigSource =
  | { from: 'file'; path: string }
  | { from: 'env'; variable: string }
  | { from: 'yaml'; yaml: string }
  | { from: 'ack'; clusterId: string; regionId?: string; endpoint?: string; privateIpAddress?: boolean; temporaryDurationMinutes?: number }
  | { from: 'asm'; meshId: string; endpoint?: string; privateIpAddress?: boolean };

export type KubeconfigProvider = (cluster: string) => Promise<KubeConfig>;

export interface KubeconfigResolverOptions {
  /** By cluster name as the policy names it (the mesh plane under any name the caller picks). */
  sources: Record<string, KubeconfigSource>;
  /** Needed only for `ack` and `asm` sources. */
  credentials?: CloudCredentials | CredentialsProvider;
  env?: Record<string, string | undefined>;
  clock?: Clock;
  requestTimeoutMs?: number;
  /** Fetch a new ACK kubeconfig this long before the issued one expires (default 5 min). */
  refreshMarginMs?: number;
}

export const ASM_ENDPOINT = 'https://servicemesh.aliyuncs.com';
export const ASM_API_VERSION = '2020-01-11';
const CS_API_VERSION = '2015-12-15';

/** Parse a kubeconfig and insist that it names a usable cluster, so a bad one fails here, not on first use. */
export function kubeConfigFromYaml(yaml: string, origin: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(yaml);
  } catch (e) {
    throw new RegionshiftError('CONFIG.KUBECONFIG', `${origin}: not a valid kubeconfig: ${(e as Error).message}`, { cause: e });
  }
  if (!kc.getCurrentCluster()?.server)
    throw new RegionshiftError('CONFIG.KUBECONFIG', `${origin}: the kubeconfig has no current context with a cluster server`);
  return kc;
}

/**
 * DescribeServiceMeshKubeconfig's `ExpireTime` is documented as `YYYY-MM-DD hh:mm:ss` with no
 * zone. Read it in UTC+8 (China Standard Time), the earliest of the plausible readings, so a wrong
 * guess only refreshes early; a value with its own zone (ISO 8601) is read as written.
 */
export function asmExpireTime(value: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(value.trim());
  return m ? Date.parse(`${m[1]}T${m[2]}+08:00`) : Date.parse(value);
}

interface Cached {
  config: Promise<KubeConfig>;
  /** Epoch ms after which it must be fetched again (Infinity for static sources). */
  refreshAt: number;
}

export class KubeconfigResolver {
  private readonly cache = new Map<string, Cached>();
  private readonly clock: Clock;

  constructor(private readonly opts: KubeconfigResolverOptions) {
    this.clock = opts.clock ?? systemClock;
    const needsCredentials = Object.entries(opts.sources).filter(([, s]) => s.from === 'ack' || s.from === 'asm');
    if (needsCredentials.length > 0 && !opts.credentials) {
      throw new RegionshiftError(
        'CONFIG.CREDENTIALS',
        `kubeconfig sources ${needsCredentials.map(([n]) => n).join(', ')} call Alibaba Cloud APIs and need credentials`,
      );
    }
  }

  /** A KubeconfigProvider: `resolver.provider` can be handed to the adapters. */
  readonly provider: KubeconfigProvider = (cluster) => this.get(cluster);

  get(cluster: string): Promise<KubeConfig> {
    const cached = this.cache.get(cluster);
    if (cached && this.clock.now() < cached.refreshAt) return cached.config;
    const source = this.opts.sources[cluster];
    if (!source) {
      return Promise.reject(
        new RegionshiftError(
          'CONFIG.KUBECONFIG',
          `no kubeconfig source for cluster ${JSON.stringify(cluster)}; known: ${Object.keys(this.opts.sources).join(', ') || 'none'}`,
        ),
      );
    }
    const entry: Cached = { config: this.load(cluster, source, (refreshAt) => (entry.refreshAt = refreshAt)), refreshAt: Infinity };
    // A failed load must not be cached: the next call tries again.
    entry.config.catch(() => {
      if (this.cache.get(cluster) === entry) this.cache.delete(cluster);
    });
    this.cache.set(cluster, entry);
    return entry.config;
  }

  /** Forget a cluster's kubeconfig (after a 401, say) so the next call loads it again. */
  invalidate(cluster: string): void {
    this.cache.delete(cluster);
  }

  private async load(cluster: string, source: KubeconfigSource, setRefreshAt: (at: number) => void): Promise<KubeConfig> {
    const timeout = this.opts.requestTimeoutMs ?? 10_000;
    switch (source.from) {
      case 'file': {
        const kc = new KubeConfig();
        try {
          kc.loadFromFile(source.path);
        } catch (e) {
          throw new RegionshiftError(
            'CONFIG.KUBECONFIG',
            `cluster ${cluster}: cannot load kubeconfig file ${source.path}: ${(e as Error).message}`,
            { cause: e },
          );
        }
        if (!kc.getCurrentCluster()?.server)
          throw new RegionshiftError(
            'CONFIG.KUBECONFIG',
            `cluster ${cluster}: ${source.path} has no current context with a cluster server`,
          );
        return kc;
      }
      case 'env': {
        const yaml = (this.opts.env ?? process.env)[source.variable];
        if (!yaml)
          throw new RegionshiftError('CONFIG.KUBECONFIG', `cluster ${cluster}: environment variable ${source.variable} is not set`);
        return kubeConfigFromYaml(yaml, `cluster ${cluster} (${source.variable})`);
      }
      case 'yaml':
        return kubeConfigFromYaml(source.yaml, `cluster ${cluster}`);
      case 'ack': {
        const endpoint = source.endpoint ?? (source.regionId ? `https://cs.${source.regionId}.aliyuncs.com` : 'https://cs.aliyuncs.com');
        const client = popRoaClient({ endpoint, apiVersion: CS_API_VERSION, credentials: this.opts.credentials! });
        const minutes = source.temporaryDurationMinutes ?? 60;
        let reply: { config?: string; expiration?: string };
        try {
          reply = await client.request(
            'GET',
            `/k8s/${encodeURIComponent(source.clusterId)}/user_config`,
            {
              PrivateIpAddress: String(source.privateIpAddress ?? true),
              TemporaryDurationMinutes: String(minutes),
            },
            '',
            {},
            { timeout },
          );
        } catch (e) {
          throw popUpstreamError('CS', `DescribeClusterUserKubeconfig(${source.clusterId})`, e);
        }
        if (!reply.config)
          throw new UpstreamError('CS.BAD_RESPONSE', `DescribeClusterUserKubeconfig(${source.clusterId}) returned no config`, {
            retryable: true,
          });
        const expiresAt = reply.expiration ? Date.parse(reply.expiration) : NaN;
        const lifetime = Number.isNaN(expiresAt) ? minutes * 60_000 : expiresAt - this.clock.now();
        setRefreshAt(this.clock.now() + Math.max(0, lifetime - (this.opts.refreshMarginMs ?? 5 * 60_000)));
        return kubeConfigFromYaml(reply.config, `cluster ${cluster} (ACK ${source.clusterId})`);
      }
      case 'asm': {
        const client = popRpcClient({
          endpoint: source.endpoint ?? ASM_ENDPOINT,
          apiVersion: ASM_API_VERSION,
          credentials: this.opts.credentials!,
        });
        let reply: { Kubeconfig?: string; ExpireTime?: string };
        try {
          reply = await client.request(
            'DescribeServiceMeshKubeconfig',
            { ServiceMeshId: source.meshId, PrivateIpAddress: source.privateIpAddress ?? true },
            { method: 'POST', timeout },
          );
        } catch (e) {
          throw popUpstreamError('ASM', `DescribeServiceMeshKubeconfig(${source.meshId})`, e);
        }
        if (!reply.Kubeconfig)
          throw new UpstreamError('ASM.BAD_RESPONSE', `DescribeServiceMeshKubeconfig(${source.meshId}) returned no Kubeconfig`, {
            retryable: true,
          });
        // ExpireTime: when the kubeconfig's certificate expires. Refresh before then (absent or unreadable: after an hour, never forever).
        const meshExpiresAt = reply.ExpireTime ? asmExpireTime(reply.ExpireTime) : NaN;
        const meshLifetime = Number.isNaN(meshExpiresAt) ? 60 * 60_000 : meshExpiresAt - this.clock.now();
        setRefreshAt(this.clock.now() + Math.max(0, meshLifetime - (this.opts.refreshMarginMs ?? 5 * 60_000)));
        return kubeConfigFromYaml(reply.Kubeconfig, `mesh ${source.meshId}`);
      }
    }
  }
}

/**
 * Per-request options for client-node: a timeout (it has none by default), and for patches the
 * merge-patch content type, which client-node 1.4 does not pick by itself (it sends
 * `application/json-patch+json`, which needs an operation list).
 */
export function k8sRequestOptions(opts: { timeoutMs: number; mergePatch?: boolean }): ConfigurationOptions<ObservableMiddleware> {
  const timeout: ObservableMiddleware = {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(AbortSignal.timeout(opts.timeoutMs));
      return new Observable(Promise.resolve(ctx));
    },
    post: (ctx: ResponseContext) => new Observable(Promise.resolve(ctx)),
  };
  const base: ConfigurationOptions<ObservableMiddleware> = { middleware: [timeout], middlewareMergeStrategy: 'append' };
  return opts.mergePatch ? setHeaderOptions('Content-Type', PatchStrategy.MergePatch, base) : base;
}

export interface KubernetesFailure {
  /** HTTP status, or undefined for transport failures. */
  status: number | undefined;
  reason: string;
  message: string;
  retryable: boolean;
}

/** Status reasons by code, for answers whose body client-node drops (it does for every 401). */
const REASON_BY_STATUS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** Classify what client-node threw: an API status (with its Status body), a timeout, or a transport error. */
export function kubernetesFailure(err: unknown): KubernetesFailure {
  if (err instanceof ApiException) {
    const status = err.code;
    let reason = REASON_BY_STATUS[status] ?? `HTTP${status}`;
    let message = typeof err.body === 'string' && err.body.length > 0 ? err.body : `HTTP ${status}`;
    try {
      const body = JSON.parse(String(err.body)) as { kind?: string; reason?: string; message?: string };
      if (body.kind === 'Status') {
        reason = body.reason || reason;
        message = body.message || message;
      }
    } catch {
      // Not a Status object (a proxy's error page): keep the raw text.
    }
    if (status === 401) message = `${message} (credentials rejected)`;
    return { status, reason, message, retryable: status === 409 || status === 429 || status >= 500 };
  }
  const e = err as { name?: string; type?: string; code?: string; message?: string };
  if (e.name === 'AbortError' || e.name === 'TimeoutError')
    return { status: undefined, reason: 'Timeout', message: e.message ?? 'request timed out', retryable: true };
  if (e.name === 'FetchError' || e.type === 'system')
    return { status: undefined, reason: 'Network', message: e.message ?? String(err), retryable: true };
  return { status: undefined, reason: 'Unknown', message: e.message ?? String(err), retryable: false };
}

export function kubernetesUpstreamError(what: string, err: unknown): UpstreamError {
  const f = kubernetesFailure(err);
  return new UpstreamError(`K8S.${f.reason}`, `${what} failed: ${f.status ?? ''}${f.status ? ' ' : ''}${f.reason}: ${f.message}`, {
    retryable: f.retryable,
    cause: err,
  });
}
