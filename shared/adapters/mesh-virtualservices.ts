import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { EntryRoute } from '../core/types';
import { k8sRequestOptions, kubernetesUpstreamError } from './kubeconfig';
import { resolveRuleHost } from './mesh-scopes';

/**
 * Policy `scopes.entryFrom`: which hosts the gateways send their traffic to, read from the
 * VirtualServices bound to them (Istio's VirtualService reference):
 * - `spec.gateways` binds a VirtualService to gateways: `<namespace>/<name>`, or a bare `<name>`
 *   meaning a gateway in the VirtualService's own namespace. Without `gateways` it applies to the
 *   sidecars only (the reserved `mesh`), so it is not an entry route.
 * - `spec.http[].route[].destination.host` is where a matching request goes; a short name is
 *   resolved in the VirtualService's namespace (not the service's), as for a DestinationRule host.
 * Read-only: the product never writes a VirtualService.
 */

const GROUP = 'networking.istio.io';

export interface VirtualServiceObject {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    gateways?: string[] | null;
    http?: Array<{ route?: Array<{ destination?: { host?: string | null } | null }> | null } | null> | null;
  };
}

/** The gateway a `spec.gateways` entry names, as `<namespace>/<name>` (Istio: no namespace means the VirtualService's). */
export function gatewayRef(entry: string, vsNamespace: string): string {
  return entry.includes('/') ? entry : `${vsNamespace}/${entry}`;
}

/**
 * The routes the given gateways take: every `http[].route[].destination.host` (as an FQDN) of the
 * VirtualServices whose `spec.gateways` names one of them. Sorted, one per (host, VirtualService).
 */
export function entryRoutes(items: VirtualServiceObject[], gateways: readonly string[]): EntryRoute[] {
  const wanted = new Set(gateways);
  const seen = new Set<string>();
  const out: EntryRoute[] = [];
  for (const vs of items) {
    const namespace = vs.metadata?.namespace ?? 'default';
    const bound = (vs.spec?.gateways ?? []).some((g) => typeof g === 'string' && wanted.has(gatewayRef(g, namespace)));
    if (!bound) continue;
    const virtualService = `${namespace}/${vs.metadata?.name ?? ''}`;
    for (const http of vs.spec?.http ?? []) {
      for (const route of http?.route ?? []) {
        const host = route?.destination?.host;
        if (typeof host !== 'string' || host.length === 0) continue;
        const fqdn = resolveRuleHost(host, namespace);
        const key = `${fqdn} ${virtualService}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ host: fqdn, virtualService });
      }
    }
  }
  return out.sort((a, b) => a.host.localeCompare(b.host) || a.virtualService.localeCompare(b.virtualService));
}

export interface VirtualServiceReaderOptions {
  /** The Kubernetes API holding the Istio config: the cluster (Istio) or the mesh's (ASM, DescribeServiceMeshKubeconfig). */
  kubeconfig: KubeConfig | (() => Promise<KubeConfig>);
  /** networking.istio.io version (default v1; Istio < 1.22 serves v1beta1), as for the DestinationRules. */
  apiVersion?: 'v1' | 'v1beta1';
  requestTimeoutMs?: number;
}

/** Lists VirtualServices in all namespaces (one call, `list` on virtualservices) and derives the gateways' routes. */
export class VirtualServiceReader {
  constructor(private readonly opts: VirtualServiceReaderOptions) {}

  async list(): Promise<VirtualServiceObject[]> {
    const kc = typeof this.opts.kubeconfig === 'function' ? await this.opts.kubeconfig() : this.opts.kubeconfig;
    const api = kc.makeApiClient(CustomObjectsApi);
    try {
      const reply = (await api.listClusterCustomObject(
        { group: GROUP, version: this.opts.apiVersion ?? 'v1', plural: 'virtualservices' },
        k8sRequestOptions({ timeoutMs: this.opts.requestTimeoutMs ?? 5_000 }),
      )) as { items?: VirtualServiceObject[] };
      return reply.items ?? [];
    } catch (e) {
      throw kubernetesUpstreamError('list VirtualServices', e);
    }
  }

  async routes(gateways: readonly string[]): Promise<EntryRoute[]> {
    return entryRoutes(await this.list(), gateways);
  }
}
