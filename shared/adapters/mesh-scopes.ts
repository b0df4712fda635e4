import type { CustomObjectsApi } from '@kubernetes/client-node';
import { MeshRejectedError, RegionshiftError } from '../core/errors';
import { localityLbProblems, type LocalityLbSettingInput } from '../core/mesh-validation';
import type { MeshConfig } from '../core/types';
import type { LiveMeshConfig } from '../ports/mesh-control';
import { k8sRequestOptions, kubernetesFailure, kubernetesUpstreamError } from './kubeconfig';
import { MANAGED_BY, MANAGED_BY_LABEL, ownedByProduct } from './mesh-ownership';

/**
 * Per-host DestinationRules for service scopes, shared by the Istio and ASM adapters.
 *
 * Which rules the product owns, and how it knows:
 * - a rule it created for a scoped host carries the label `app.kubernetes.io/managed-by:
 *   regionshift` and the annotation `regionshift.io/created: "true"`: deleted when its host
 *   leaves the scope set;
 * - a rule an operator handed over with the label alone (ASM: a host whose rule has subsets the
 *   product must not delete) is never deleted: its locality setting is reset instead;
 * - on Istio, the rules the policy names (`mesh.destinationRules`) carry the mesh-wide default,
 *   or a scope's config when their host is scoped.
 * Any of these that carries a per-host config has the annotation `regionshift.io/scope-host`
 * naming the host: `read` reports exactly those as `scopes`, and nothing else. A rule without
 * the label and not named in the policy is never written and never reported.
 *
 * A scoped host whose only rule is someone else's is refused: Istio does not merge the top-level
 * traffic policy of two rules for one host, so a second rule would be ignored or would silently
 * override theirs.
 */

export { MANAGED_BY, MANAGED_BY_LABEL } from './mesh-ownership';
export const SCOPE_HOST_ANNOTATION = 'regionshift.io/scope-host';
export const CREATED_ANNOTATION = 'regionshift.io/created';
export const OWNED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

const GROUP = 'networking.istio.io';
const PLURAL = 'destinationrules';
const CLUSTER_DOMAIN = 'cluster.local';

export interface DestinationRuleRef {
  namespace: string;
  name: string;
}

export interface DestinationRuleObject {
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string> | null;
    annotations?: Record<string, string> | null;
  };
  spec?: {
    host?: string;
    trafficPolicy?: {
      outlierDetection?: unknown;
      loadBalancer?: { localityLbSetting?: LocalityLbSettingInput | null } | null;
    } | null;
  };
}

/** Istio's ResolveShortnameToFQDN (pilot/pkg/model/config.go): a host without a dot gets `<namespace>.svc.cluster.local`. */
export function resolveRuleHost(host: string, namespace: string): string {
  // `*`, an FQDN and an IP address (IPv4 has dots, IPv6 colons) are taken as they are.
  if (host === '*' || host.includes('.') || host.includes(':')) return host;
  return `${host}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

export function refOf(rule: DestinationRuleObject): DestinationRuleRef {
  return { namespace: rule.metadata?.namespace ?? '', name: rule.metadata?.name ?? '' };
}

export function ruleName(ref: DestinationRuleRef): string {
  return `DestinationRule ${ref.namespace}/${ref.name}`;
}

export function ruleHostOf(rule: DestinationRuleObject): string {
  const { namespace } = refOf(rule);
  return resolveRuleHost(rule.spec?.host ?? '', namespace);
}

export function isOwned(rule: DestinationRuleObject): boolean {
  return ownedByProduct(rule.metadata?.labels);
}

function isCreated(rule: DestinationRuleObject): boolean {
  return isOwned(rule) && rule.metadata?.annotations?.[CREATED_ANNOTATION] === 'true';
}

export function scopeHostOf(rule: DestinationRuleObject): string | null {
  return rule.metadata?.annotations?.[SCOPE_HOST_ANNOTATION] ?? null;
}

export function localitySettingOfRule(rule: DestinationRuleObject): LocalityLbSettingInput | null | undefined {
  return rule.spec?.trafficPolicy?.loadBalancer?.localityLbSetting;
}

const SERVICE_FQDN = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc\.cluster\.local$/;

/** Where the product puts the rule it creates for `host`: `regionshift-<service>` in the service's namespace. */
export function createdRuleRef(host: string): DestinationRuleRef {
  const m = SERVICE_FQDN.exec(host);
  if (!m) {
    throw new MeshRejectedError(
      `scope ${host}: no DestinationRule for this host, and the product creates one only for a host of the form <service>.<namespace>.svc.cluster.local; create a rule for it labelled ${OWNED_SELECTOR}`,
    );
  }
  return { namespace: m[3]!, name: `regionshift-${m[1]!}` };
}

/** Istio's validation of every rule's setting before anything is written; a refusal names the host. */
export function assertScopesValid(config: MeshConfig, scopes: Record<string, MeshConfig> | undefined): void {
  const problems: string[] = [];
  const check = (label: string, c: MeshConfig): void => {
    const shape = 'failover' in c.localityLbSetting ? 'failover' : 'distribute';
    const found = localityLbProblems(c.localityLbSetting);
    if (shape !== c.mode) found.push(`mode is ${c.mode} but the setting holds ${shape}`);
    problems.push(...found.map((p) => `${label}: ${p}`));
  };
  check('default', config);
  for (const [host, c] of Object.entries(scopes ?? {})) {
    if (host.length === 0 || host === '*' || host.startsWith('*.'))
      problems.push(`scope ${JSON.stringify(host)}: a scope names one host (FQDN), not a wildcard`);
    else check(`scope ${host}`, c);
  }
  if (problems.length > 0) throw new MeshRejectedError(`locality LB config would be rejected by the mesh: ${problems.join('; ')}`);
}

/** The setting written for a config: enabled, the mode's key, the other mode's key nulled so a flip never leaves both. */
export function localityBody(config: MeshConfig): Record<string, unknown> {
  const s = config.localityLbSetting;
  return 'failover' in s
    ? { enabled: true, failover: s.failover, distribute: null }
    : { enabled: true, distribute: s.distribute, failover: null };
}

/** One write the plan makes. `config: null` clears the rule's own setting (the mesh-wide one applies again: ASM). */
export type RuleWrite =
  | {
      kind: 'patch';
      ref: DestinationRuleRef;
      resourceVersion: string | undefined;
      config: MeshConfig | null;
      scopeHost: string | null;
      hadScopeHost: boolean;
      why: string;
    }
  | { kind: 'create'; ref: DestinationRuleRef; host: string; config: MeshConfig; outlierDetection: unknown; why: string }
  | { kind: 'delete'; ref: DestinationRuleRef; why: string };

export interface ScopePlanInput {
  /** Every DestinationRule the mesh holds (all namespaces). */
  all: DestinationRuleObject[];
  /** Istio: the rules the policy names (they carry the default). ASM: none. */
  named: DestinationRuleRef[];
  defaultConfig: MeshConfig;
  scopes: Record<string, MeshConfig>;
  /** What an owned rule that is not deleted gets when its host is not scoped: the default (Istio) or no own setting (ASM: the mesh-wide one applies). */
  reset: 'default' | 'mesh-wide';
  /** Carried by the rules the product creates (Istio needs it for failover to act); null when none is known. */
  outlierDetection: unknown;
}

function sameRef(a: DestinationRuleRef, b: DestinationRuleRef): boolean {
  return a.namespace === b.namespace && a.name === b.name;
}

/** Whether the rule already has this setting (or, for `null`, none) and this annotation: nothing to write then. */
function inPlace(
  rule: DestinationRuleObject,
  config: MeshConfig | null,
  scopeHost: string | null,
  same: (a: LiveMeshConfig, b: LiveMeshConfig) => boolean,
  liveOf: (s: LocalityLbSettingInput | null | undefined) => LiveMeshConfig,
): boolean {
  if (scopeHostOf(rule) !== scopeHost) return false;
  const own = localitySettingOfRule(rule);
  if (config === null) return own === undefined || own === null;
  return same(liveOf(own), { enabled: true, config });
}

/**
 * The writes that make the owned rules match `default` + `scopes`, or a MeshRejectedError when a
 * scope cannot be placed; pure, so a refusal changes nothing.
 */
export function planScopedRules(
  input: ScopePlanInput,
  same: (a: LiveMeshConfig, b: LiveMeshConfig) => boolean,
  liveOf: (s: LocalityLbSettingInput | null | undefined) => LiveMeshConfig,
): RuleWrite[] {
  const { all, named, defaultConfig, scopes } = input;
  const isNamed = (r: DestinationRuleObject) => named.some((n) => sameRef(n, refOf(r)));
  const byHost = new Map<string, DestinationRuleObject[]>();
  for (const r of all) {
    const host = ruleHostOf(r);
    byHost.set(host, [...(byHost.get(host) ?? []), r]);
  }
  const writes: RuleWrite[] = [];
  const placed = new Set<string>();
  const kept = new Set<string>();
  const key = (r: DestinationRuleObject) => `${refOf(r).namespace}/${refOf(r).name}`;
  const problems: string[] = [];
  const failoverNeedsOutlier = (rule: DestinationRuleObject | null, config: MeshConfig | null, host: string, what: string): void => {
    if (config?.mode !== 'failover') return;
    const has = rule ? Boolean(rule.spec?.trafficPolicy?.outlierDetection) : Boolean(input.outlierDetection);
    if (!has)
      problems.push(
        `scope ${host}: failover refused: ${what} has no spec.trafficPolicy.outlierDetection, so Envoy would never eject a failing region and failover would do nothing`,
      );
  };
  const patch = (rule: DestinationRuleObject, config: MeshConfig | null, scopeHost: string | null, why: string): void => {
    if (inPlace(rule, config, scopeHost, same, liveOf)) return;
    writes.push({
      kind: 'patch',
      ref: refOf(rule),
      resourceVersion: rule.metadata?.resourceVersion,
      config,
      scopeHost,
      hadScopeHost: scopeHostOf(rule) !== null,
      why,
    });
  };

  // 1. Named rules: the scope's config when their host is scoped, else the default.
  for (const r of all.filter(isNamed)) {
    const host = ruleHostOf(r);
    const scoped = scopes[host];
    if (scoped) {
      failoverNeedsOutlier(r, scoped, host, ruleName(refOf(r)));
      patch(r, scoped, host, `scope ${host}`);
      placed.add(host);
    } else {
      patch(r, defaultConfig, null, 'default');
    }
  }
  // 2. Scoped hosts without a named rule: the product's own rule for the host, or a new one.
  for (const [host, config] of Object.entries(scopes)) {
    if (placed.has(host)) continue;
    const rules = byHost.get(host) ?? [];
    const owned = rules
      .filter((r) => isOwned(r) && !isNamed(r))
      .sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
    const foreign = rules.filter((r) => !isOwned(r) && !isNamed(r));
    if (foreign.length > 0) {
      problems.push(
        `scope ${host}: ${foreign.map((r) => ruleName(refOf(r))).join(', ')} already sets the traffic policy for this host and is not the product's; Istio does not merge two rules' traffic policy for one host. Name it in the policy (Istio: mesh.destinationRules) or label it ${OWNED_SELECTOR} to hand its locality setting over`,
      );
      continue;
    }
    const mine = owned[0];
    if (mine) {
      failoverNeedsOutlier(mine, config, host, ruleName(refOf(mine)));
      patch(mine, config, host, `scope ${host}`);
      placed.add(host);
      kept.add(key(mine));
      continue;
    }
    let ref: DestinationRuleRef;
    try {
      ref = createdRuleRef(host);
    } catch (e) {
      problems.push((e as Error).message);
      continue;
    }
    const taken = all.find((r) => sameRef(refOf(r), ref));
    if (taken) {
      problems.push(`scope ${host}: the rule the product would create, ${ruleName(ref)}, already exists for host ${ruleHostOf(taken)}`);
      continue;
    }
    failoverNeedsOutlier(null, config, host, `the rule the product would create (no named rule has outlierDetection to copy)`);
    writes.push({ kind: 'create', ref, host, config, outlierDetection: input.outlierDetection, why: `scope ${host}` });
    placed.add(host);
  }
  // 3. Owned rules not used above: created ones are deleted, handed-over ones reset.
  for (const r of all.filter((x) => isOwned(x) && !isNamed(x))) {
    const host = ruleHostOf(r);
    if (kept.has(key(r))) continue;
    if (isCreated(r))
      writes.push({ kind: 'delete', ref: refOf(r), why: scopes[host] ? `duplicate rule for scope ${host}` : `scope ${host} dropped` });
    else patch(r, input.reset === 'default' ? defaultConfig : null, null, `scope ${host} dropped`);
  }
  if (problems.length > 0) throw new MeshRejectedError(problems.join('; '));
  return writes;
}

/** The per-host configs the owned rules carry now, by host (rules without the scope annotation follow the default). */
export function scopesOf(
  rules: DestinationRuleObject[],
  liveOf: (s: LocalityLbSettingInput | null | undefined) => LiveMeshConfig,
): Record<string, MeshConfig> {
  const out: Record<string, MeshConfig> = {};
  for (const r of rules) {
    const host = scopeHostOf(r);
    if (host === null) continue;
    const live = liveOf(localitySettingOfRule(r));
    // An owned rule whose setting was switched off or removed by hand is still reported, as a
    // config that cannot match anything applied, so drift detection sees it: an empty failover.
    out[host] = live.enabled && live.config ? live.config : { mode: 'failover', localityLbSetting: { failover: [] } };
  }
  return out;
}

/** Kubernetes calls on DestinationRules, with the errors every adapter translates the same way. */
export class DestinationRuleClient {
  constructor(
    private readonly api: CustomObjectsApi,
    private readonly version: string,
    private readonly timeoutMs: number,
  ) {}

  async get(ref: DestinationRuleRef): Promise<DestinationRuleObject> {
    try {
      return (await this.api.getNamespacedCustomObject(
        { group: GROUP, version: this.version, namespace: ref.namespace, plural: PLURAL, name: ref.name },
        k8sRequestOptions({ timeoutMs: this.timeoutMs }),
      )) as DestinationRuleObject;
    } catch (e) {
      throw translate(`read ${ruleName(ref)}`, e, false);
    }
  }

  /** Every rule in the mesh (all namespaces), or only the owned ones. */
  async list(ownedOnly: boolean): Promise<DestinationRuleObject[]> {
    try {
      const reply = (await this.api.listClusterCustomObject(
        { group: GROUP, version: this.version, plural: PLURAL, ...(ownedOnly ? { labelSelector: OWNED_SELECTOR } : {}) },
        k8sRequestOptions({ timeoutMs: this.timeoutMs }),
      )) as { items?: DestinationRuleObject[] };
      return reply.items ?? [];
    } catch (e) {
      throw translate(`list DestinationRules${ownedOnly ? ` (${OWNED_SELECTOR})` : ''}`, e, false);
    }
  }

  /** Creates and patches first, deletes last: a host briefly keeps its old rule rather than briefly having none. */
  async writeAll(writes: RuleWrite[]): Promise<void> {
    for (const w of [...writes.filter((x) => x.kind !== 'delete'), ...writes.filter((x) => x.kind === 'delete')]) await this.write(w);
  }

  async write(w: RuleWrite): Promise<void> {
    const what = `${w.kind} ${ruleName(w.ref)} (${w.why})`;
    try {
      if (w.kind === 'patch') {
        const body = {
          metadata: {
            ...(w.resourceVersion ? { resourceVersion: w.resourceVersion } : {}),
            // Only when there is an annotation to set or remove: a default patch of a named rule stays as it always was.
            ...(w.scopeHost !== null || w.hadScopeHost ? { annotations: { [SCOPE_HOST_ANNOTATION]: w.scopeHost } } : {}),
          },
          spec: { trafficPolicy: { loadBalancer: { localityLbSetting: w.config ? localityBody(w.config) : null } } },
        };
        await this.api.patchNamespacedCustomObject(
          { group: GROUP, version: this.version, namespace: w.ref.namespace, plural: PLURAL, name: w.ref.name, body },
          k8sRequestOptions({ timeoutMs: this.timeoutMs, mergePatch: true }),
        );
      } else if (w.kind === 'create') {
        const body = {
          apiVersion: `${GROUP}/${this.version}`,
          kind: 'DestinationRule',
          metadata: {
            name: w.ref.name,
            namespace: w.ref.namespace,
            labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
            annotations: { [CREATED_ANNOTATION]: 'true', [SCOPE_HOST_ANNOTATION]: w.host },
          },
          spec: {
            host: w.host,
            trafficPolicy: {
              ...(w.outlierDetection ? { outlierDetection: w.outlierDetection } : {}),
              loadBalancer: { localityLbSetting: { enabled: true, ...structuredClone(w.config.localityLbSetting) } },
            },
          },
        };
        await this.api.createNamespacedCustomObject(
          { group: GROUP, version: this.version, namespace: w.ref.namespace, plural: PLURAL, body },
          k8sRequestOptions({ timeoutMs: this.timeoutMs }),
        );
      } else {
        await this.api.deleteNamespacedCustomObject(
          { group: GROUP, version: this.version, namespace: w.ref.namespace, plural: PLURAL, name: w.ref.name },
          k8sRequestOptions({ timeoutMs: this.timeoutMs }),
        );
      }
    } catch (e) {
      // A rule already gone is what a delete wanted (a retried apply).
      if (w.kind === 'delete' && kubernetesFailure(e).status === 404) return;
      throw translate(what, e, true);
    }
  }
}

/** 422 is a schema rejection, 400 the shape a webhook denial (validation.istio.io) takes. */
export function translate(what: string, err: unknown, isWrite: boolean): RegionshiftError {
  const f = kubernetesFailure(err);
  // 422 is a schema rejection, 400 the shape a webhook denial (validation.istio.io) takes.
  if (isWrite && (f.status === 422 || f.status === 400))
    return new MeshRejectedError(`${what}: the mesh rejected the locality setting: ${f.message}`, { cause: err });
  return kubernetesUpstreamError(what, err);
}
