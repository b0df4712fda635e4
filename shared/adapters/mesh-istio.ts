import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { MeshRejectedError, RegionshiftError } from '../core/errors';
import type { LocalityLbSettingInput } from '../core/mesh-validation';
import type { MeshConfig } from '../core/types';
import type { LiveMeshConfig, MeshControl } from '../ports/mesh-control';
import { k8sRequestOptions } from './kubeconfig';
import {
  assertScopesValid,
  DestinationRuleClient,
  planScopedRules,
  refOf,
  ruleHostOf,
  ruleName,
  scopeHostOf,
  scopesOf,
  translate,
  type DestinationRuleObject,
  type DestinationRuleRef,
} from './mesh-scopes';

/**
 * MeshControl for Istio: the locality LB of the DestinationRules the policy names
 * (`spec.trafficPolicy.loadBalancer.localityLbSetting`). Only that field is ever written, with a
 * JSON merge patch carrying the resourceVersion that was read, so a concurrent edit of the rule
 * makes the patch fail (409, retryable) instead of being overwritten.
 *
 * Several rules cannot be changed atomically. `apply` reads and checks every rule before
 * patching any, so a refusal changes nothing; a failure part-way leaves some rules patched, and
 * since apply is idempotent the retry finishes the job.
 *
 * `failoverPriority`, like every other field, is left as it is: Istio refuses it next to
 * `distribute`, and that refusal comes back as MeshRejectedError naming the rule.
 *
 * Service scopes (`perHostRules`): `apply(config, { scopes })` gives a scoped host its own
 * config: on the named rule whose `spec.host` resolves to it, else on a rule the product owns
 * (created when missing, labelled managed-by regionshift); see mesh-scopes.ts for ownership.
 */

export type { DestinationRuleRef } from './mesh-scopes';

export interface IstioMeshControlOptions {
  /** The cluster whose API server holds the rules (the mesh control plane). */
  kubeconfig: KubeConfig | (() => Promise<KubeConfig>);
  rules: DestinationRuleRef[];
  /**
   * Keep per-host rules for service scopes (the policy has `scopes`). Off: `read` makes no list
   * call (no list permission needed) and an `apply` with scopes is refused.
   */
  perHostRules?: boolean;
  /** networking.istio.io version to use (default v1; Istio < 1.22 serves v1beta1). */
  apiVersion?: 'v1' | 'v1beta1';
  requestTimeoutMs?: number;
}

/**
 * `drift` is present only when the rules disagree: `read` reports the first rule's setting, and
 * each line names a rule whose setting differs from it (applying any config repairs them all).
 */
export interface IstioLiveMeshConfig extends LiveMeshConfig {
  drift?: string[];
}

type DestinationRuleView = DestinationRuleObject;

/** Istio sends locality failover only with outlier detection: failover on a rule without it would do nothing. */
function refuseBlindFailover(rules: DestinationRuleObject[]): void {
  const blind = rules.filter((r) => !r.spec?.trafficPolicy?.outlierDetection);
  if (blind.length > 0) {
    throw new MeshRejectedError(
      `failover mode refused: ${blind.map((r) => ruleName(refOf(r))).join(', ')} has no spec.trafficPolicy.outlierDetection, so Envoy would never eject a failing region and failover would do nothing; add outlierDetection to the rule`,
    );
  }
}

const GROUP = 'networking.istio.io';
const PLURAL = 'destinationrules';

/** How the mesh's setting reads as a MeshConfig: off or unset is `config: null`. */
export function liveMeshConfigOf(setting: LocalityLbSettingInput | null | undefined): LiveMeshConfig {
  if (!setting || setting.enabled === false) return { enabled: false, config: null };
  if (setting.failover && setting.failover.length > 0) {
    return {
      enabled: true,
      config: {
        mode: 'failover',
        localityLbSetting: { failover: setting.failover.map((f) => ({ from: String(f.from), to: String(f.to) })) },
      },
    };
  }
  if (setting.distribute && setting.distribute.length > 0) {
    return {
      enabled: true,
      config: {
        mode: 'distribute',
        localityLbSetting: {
          distribute: setting.distribute.map((d) => ({ from: String(d.from), to: { ...(d.to as Record<string, number>) } })),
        },
      },
    };
  }
  return { enabled: true, config: null };
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Same live config, ignoring key order (a distribute `to` map comes back in any order). */
export function sameLiveConfig(a: LiveMeshConfig, b: LiveMeshConfig): boolean {
  return a.enabled === b.enabled && canonical(a.config) === canonical(b.config);
}

/** The config's setting, refusing a config whose `mode` and setting disagree (a bug upstream, never worth sending). */
export function localitySettingOf(
  config: MeshConfig,
): { failover: Array<{ from: string; to: string }> } | { distribute: Array<{ from: string; to: Record<string, number> }> } {
  const setting = config.localityLbSetting;
  if (config.mode === 'failover' && 'failover' in setting && !('distribute' in setting)) return { failover: setting.failover };
  if (config.mode === 'distribute' && 'distribute' in setting && !('failover' in setting)) return { distribute: setting.distribute };
  throw new RegionshiftError(
    'MESH.CONFIG_INCONSISTENT',
    `mesh config mode ${config.mode} does not match its localityLbSetting keys (${Object.keys(setting).join(', ')})`,
  );
}

/** The merge patch: enable locality LB, set the mode's key, and null the other mode's key so a flip never leaves both. */
function localityPatch(config: MeshConfig, resourceVersion: string | undefined): object {
  const setting = localitySettingOf(config);
  const body =
    'failover' in setting
      ? { enabled: true, failover: setting.failover, distribute: null }
      : { enabled: true, distribute: setting.distribute, failover: null };
  return {
    ...(resourceVersion ? { metadata: { resourceVersion } } : {}),
    spec: { trafficPolicy: { loadBalancer: { localityLbSetting: body } } },
  };
}

export class IstioMeshControl implements MeshControl {
  private readonly version: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: IstioMeshControlOptions) {
    if (opts.rules.length === 0) throw new RegionshiftError('CONFIG.MESH', 'IstioMeshControl needs at least one DestinationRule to manage');
    if (opts.apiVersion !== undefined && opts.apiVersion !== 'v1' && opts.apiVersion !== 'v1beta1') {
      throw new RegionshiftError('CONFIG.MESH', `apiVersion must be v1 or v1beta1 (got ${String(opts.apiVersion)})`);
    }
    this.version = opts.apiVersion ?? 'v1';
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
  }

  async read(): Promise<IstioLiveMeshConfig> {
    const api = await this.api();
    const client = this.client(api);
    const rules = await Promise.all(this.opts.rules.map(async (ref) => ({ ref, rule: await client.get(ref) })));
    // A named rule carrying a scope's config is not the default: it is reported under `scopes`.
    const carrying = rules.filter(({ rule }) => scopeHostOf(rule) === null);
    const scopes = this.opts.perHostRules
      ? await this.ownedScopes(
          client,
          rules.map((r) => r.rule),
        )
      : {};
    const withScopes = <T extends LiveMeshConfig>(live: T): T => (Object.keys(scopes).length > 0 ? { ...live, scopes } : live);
    if (carrying.length === 0) {
      return withScopes({
        enabled: false,
        config: null,
        drift: ['every named DestinationRule carries a service scope; none carries the mesh-wide default'],
      });
    }
    const live = carrying.map(({ ref, rule }) => ({
      ref,
      live: liveMeshConfigOf(rule.spec?.trafficPolicy?.loadBalancer?.localityLbSetting),
    }));
    const first = live[0]!;
    const drift = live
      .slice(1)
      .filter((r) => !sameLiveConfig(r.live, first.live))
      .map((r) => `${ruleName(r.ref)} has ${canonical(r.live)}, ${ruleName(first.ref)} has ${canonical(first.live)}`);
    return withScopes(drift.length > 0 ? { ...first.live, drift } : first.live);
  }

  /** The per-host configs of the named rules that carry a scope and of the owned rules (one labelled list call). */
  private async ownedScopes(client: DestinationRuleClient, named: DestinationRuleObject[]): Promise<Record<string, MeshConfig>> {
    const owned = await client.list(true);
    const seen = new Set(named.map((r) => `${refOf(r).namespace}/${refOf(r).name}`));
    return scopesOf([...named, ...owned.filter((r) => !seen.has(`${refOf(r).namespace}/${refOf(r).name}`))], liveMeshConfigOf);
  }

  async apply(config: MeshConfig, opts: { deadline?: number; scopes?: Record<string, MeshConfig> } = {}): Promise<void> {
    localitySettingOf(config);
    const scopes = opts.scopes;
    if (scopes !== undefined && Object.keys(scopes).length > 0 && !this.opts.perHostRules) {
      throw new RegionshiftError(
        'CONFIG.MESH',
        `per-host rules are off for this mesh (the policy has no scopes), so scopes ${Object.keys(scopes).join(', ')} cannot be applied`,
      );
    }
    if (scopes !== undefined && this.opts.perHostRules) return this.applyScoped(config, scopes);
    const api = await this.api();
    const client = this.client(api);
    const desired: LiveMeshConfig = { enabled: true, config };
    const rules: Array<{ ref: DestinationRuleRef; rule: DestinationRuleView }> = [];
    for (const ref of this.opts.rules) {
      const rule = await client.get(ref);
      // Scopes absent: per-host rules are left as they are, a named rule carrying a scope included.
      if (scopeHostOf(rule) === null) rules.push({ ref, rule });
    }
    if (config.mode === 'failover') refuseBlindFailover(rules.map(({ rule }) => rule));
    for (const { ref, rule } of rules) {
      if (sameLiveConfig(liveMeshConfigOf(rule.spec?.trafficPolicy?.loadBalancer?.localityLbSetting), desired)) continue;
      try {
        await api.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: this.version,
            namespace: ref.namespace,
            plural: PLURAL,
            name: ref.name,
            body: localityPatch(config, rule.metadata?.resourceVersion),
          },
          k8sRequestOptions({ timeoutMs: this.timeoutMs, mergePatch: true }),
        );
      } catch (e) {
        throw translate(`patch ${ruleName(ref)}`, e, true);
      }
    }
  }

  /** The default on the named rules, each scope on its host's rule; every rule read and the whole plan checked before the first write. */
  private async applyScoped(config: MeshConfig, scopes: Record<string, MeshConfig>): Promise<void> {
    assertScopesValid(config, scopes);
    const client = this.client(await this.api());
    const named: DestinationRuleObject[] = [];
    for (const ref of this.opts.rules) named.push(await client.get(ref));
    // The named rules that will carry the default (a scope's host gets its own config).
    if (config.mode === 'failover') refuseBlindFailover(named.filter((r) => !scopes[ruleHostOf(r)]));
    const namedKeys = new Set(named.map((r) => `${refOf(r).namespace}/${refOf(r).name}`));
    const all = [...named, ...(await client.list(false)).filter((r) => !namedKeys.has(`${refOf(r).namespace}/${refOf(r).name}`))];
    // The rule the product creates for a scope carries the named rules' outlier detection: Istio's failover acts only with it.
    const outlierDetection = named.find((r) => r.spec?.trafficPolicy?.outlierDetection)?.spec?.trafficPolicy?.outlierDetection ?? null;
    const writes = planScopedRules(
      { all, named: this.opts.rules, defaultConfig: config, scopes, reset: 'default', outlierDetection },
      sameLiveConfig,
      liveMeshConfigOf,
    );
    await client.writeAll(writes);
  }

  private client(api: CustomObjectsApi): DestinationRuleClient {
    return new DestinationRuleClient(api, this.version, this.timeoutMs);
  }

  private async api(): Promise<CustomObjectsApi> {
    const kc = typeof this.opts.kubeconfig === 'function' ? await this.opts.kubeconfig() : this.opts.kubeconfig;
    return kc.makeApiClient(CustomObjectsApi);
  }
}
