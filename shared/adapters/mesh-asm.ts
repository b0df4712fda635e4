import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { MeshRejectedError, RegionshiftError, SupersededError, UpstreamError, ValidationError } from '../core/errors';
import { configEquals, parseLiveLocalityLb, toAsmLocalityLbConf } from '../core/render';
import type { MeshConfig } from '../core/types';
import { systemClock, type Clock } from '../ports/clock';
import type { LiveMeshConfig, MeshApplyOptions, MeshControl } from '../ports/mesh-control';
import {
  popFailure,
  popRpcClient,
  popUpstreamError,
  type CloudCredentials,
  type CredentialsProvider,
  type PopRpcClient,
} from './cloud-credentials';
import { ASM_API_VERSION, ASM_ENDPOINT } from './kubeconfig';
import { liveMeshConfigOf, localitySettingOf } from './mesh-istio';
import { assertScopesValid, DestinationRuleClient, planScopedRules, scopesOf, type RuleWrite } from './mesh-scopes';

/**
 * MeshControl for Alibaba Cloud Service Mesh: the mesh-wide locality LB, set with
 * `UpdateMeshFeature` and read back with `DescribeServiceMeshDetail`. An update is asynchronous:
 * the mesh reports `updating` until the control plane has pushed it, so `apply` polls until the
 * mesh is `running` again *and* reports the config it was given.
 *
 *   apply ──Describe──▶ running? same config? ─yes─▶ done (nothing sent)
 *         └─UpdateMeshFeature─▶ sleep ─Describe─▶ updating … running + same config ─▶ done
 *                                                   └─ deadline ─▶ UpstreamError(retryable)
 *
 * With `superseded` (the executor's mesh step), each poll after the first asks whether a newer
 * decision has replaced the config: a newer plan's update overwrites this one's and the mesh never
 * reports it, so the poll would otherwise run to the deadline, and an update sent after waiting
 * out the newer plan's rollout would overwrite the newer config.
 *
 * "Same config" is semantic: ASM may hand the rules back in another order, a distribute
 * locality as `cn-x/*` where `cn-x` was sent, weights in any key order. A byte comparison would
 * never see the update land and would resend UpdateMeshFeature until the deadline.
 *
 * Service scopes: with `kubeconfig` (the mesh control plane's, from DescribeServiceMeshKubeconfig)
 * the mesh-wide LocalityLBConf is the default and each scoped host gets a DestinationRule of its
 * own through the mesh's Kubernetes API, whose localityLbSetting replaces the mesh-wide one for
 * that host. Only rules labelled managed-by regionshift are written or read (mesh-scopes.ts).
 * Every rule is validated and every owned rule read before the first write, so a refusal
 * changes nothing.
 */

/**
 * The outlier detection a rule the product creates for a scope carries: locality failover acts
 * only with one (ASM's "Route traffic based on locality" requires it for both modes). Istio's
 * defaults, except that every endpoint of a failing region may be ejected.
 */
export const SCOPE_RULE_OUTLIER_DETECTION = {
  consecutive5xxErrors: 5,
  interval: '10s',
  baseEjectionTime: '30s',
  maxEjectionPercent: 100,
} as const;

export interface AsmMeshControlOptions {
  meshId: string;
  credentials: CloudCredentials | CredentialsProvider;
  endpoint?: string;
  clock?: Clock;
  /** How long `apply` waits for the mesh to be `running` with the new config (default 120 s). */
  applyTimeoutMs?: number;
  pollIntervalMs?: number;
  requestTimeoutMs?: number;
  /** The mesh control plane's Kubernetes API: set to keep per-host rules for service scopes. */
  kubeconfig?: KubeConfig | (() => Promise<KubeConfig>);
  /** networking.istio.io version the mesh's Kubernetes API serves (default v1; before Istio 1.22, v1beta1). */
  rulesApiVersion?: 'v1' | 'v1beta1';
  /** What a rule created for a scope carries (default SCOPE_RULE_OUTLIER_DETECTION). */
  scopeOutlierDetection?: Record<string, unknown>;
}

interface MeshDetail {
  ServiceMesh?: {
    ServiceMeshInfo?: { State?: string };
    // The switch is LocalityLB.Enabled; MeshConfig has no LocalityLoadBalancing field (that name is UpdateMeshFeature's request parameter).
    Spec?: { MeshConfig?: { LocalityLB?: unknown } };
  };
}

/** The same routing: both on or both off, and the same rules whatever their order or locality spelling. */
export function sameAsmLiveConfig(a: LiveMeshConfig, b: LiveMeshConfig): boolean {
  return a.enabled === b.enabled && configEquals(a.config, b.config);
}

export class AsmMeshControl implements MeshControl {
  private readonly client: PopRpcClient;
  private readonly clock: Clock;
  private readonly applyTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly requestTimeoutMs: number;

  constructor(private readonly opts: AsmMeshControlOptions) {
    this.client = popRpcClient({ endpoint: opts.endpoint ?? ASM_ENDPOINT, apiVersion: ASM_API_VERSION, credentials: opts.credentials });
    this.clock = opts.clock ?? systemClock;
    this.applyTimeoutMs = opts.applyTimeoutMs ?? 120_000;
    this.pollIntervalMs = opts.pollIntervalMs ?? 3_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
  }

  async read(): Promise<LiveMeshConfig> {
    const live = (await this.describe()).live;
    const rules = await this.rules();
    if (!rules) return live;
    const scopes = scopesOf(await rules.list(true), liveMeshConfigOf);
    return Object.keys(scopes).length > 0 ? { ...live, scopes } : live;
  }

  async apply(config: MeshConfig, opts: MeshApplyOptions = {}): Promise<void> {
    localitySettingOf(config); // refuses a config whose mode and keys disagree, before anything is sent
    const conf = toAsmLocalityLbConf(config);
    const desired: LiveMeshConfig = { enabled: true, config };
    const scopes = opts.scopes;
    // The per-host rules are planned (every rule read, every config validated) before the mesh-wide update is sent.
    let plan: { rules: DestinationRuleClient; writes: RuleWrite[] } | null = null;
    if (scopes !== undefined) {
      const rules = await this.rules();
      if (!rules && Object.keys(scopes).length > 0) {
        throw new RegionshiftError(
          'CONFIG.MESH',
          `mesh ${this.opts.meshId}: per-host rules are off (no mesh kubeconfig; the policy has no scopes), so scopes ${Object.keys(scopes).join(', ')} cannot be applied`,
        );
      }
      if (rules) {
        assertScopesValid(config, scopes);
        const writes = planScopedRules(
          {
            all: await rules.list(false),
            named: [],
            defaultConfig: config,
            scopes,
            reset: 'mesh-wide',
            outlierDetection: this.opts.scopeOutlierDetection ?? SCOPE_RULE_OUTLIER_DETECTION,
          },
          sameAsmLiveConfig,
          liveMeshConfigOf,
        );
        plan = { rules, writes };
      }
    }
    // Polling stops at updateTimeout or when the invocation's time is up, whichever comes first.
    const deadline = Math.min(this.clock.now() + this.applyTimeoutMs, opts.deadline ?? Infinity);
    // An update sent while another is rolling out would race it; wait for the mesh to settle.
    const before = await this.untilRunning(deadline, null, opts.superseded);
    // Having waited out another rollout (a newer plan's, maybe), the last poll asked `superseded`
    // just before it read the mesh: the update below never overwrites a newer plan's config
    // that was already committed then.
    if (!sameAsmLiveConfig(before.live, desired)) {
      try {
        await this.client.request(
          'UpdateMeshFeature',
          { ServiceMeshId: this.opts.meshId, LocalityLoadBalancing: true, LocalityLBConf: conf },
          { method: 'POST', timeout: this.requestTimeoutMs },
        );
      } catch (e) {
        const f = popFailure(e);
        if (/^InvalidParameter/.test(f.vendorCode))
          throw new MeshRejectedError(`ASM rejected LocalityLBConf for mesh ${this.opts.meshId}: ${f.vendorCode}: ${f.message}`, {
            cause: e,
          });
        throw popUpstreamError('ASM', `UpdateMeshFeature(${this.opts.meshId})`, e);
      }
      await this.untilRunning(deadline, desired, opts.superseded);
    }
    if (!plan) return;
    await plan.rules.writeAll(plan.writes);
  }

  /** The mesh's DestinationRules, when per-host rules are on. */
  private async rules(): Promise<DestinationRuleClient | null> {
    const source = this.opts.kubeconfig;
    if (!source) return null;
    const kc = typeof source === 'function' ? await source() : source;
    return new DestinationRuleClient(kc.makeApiClient(CustomObjectsApi), this.opts.rulesApiVersion ?? 'v1', this.requestTimeoutMs);
  }

  private async stopIfSuperseded(superseded: MeshApplyOptions['superseded']): Promise<void> {
    const why = superseded ? await superseded() : null;
    if (why !== null) throw new SupersededError(why);
  }

  /**
   * Poll until the mesh is `running` (and, when `want` is given, reports it); throttling and 5xx
   * while polling are waited out. `superseded` is asked before each poll after the first, not
   * before the first: a mesh that already has what is wanted costs no state read.
   */
  private async untilRunning(
    deadline: number,
    want: LiveMeshConfig | null,
    superseded?: MeshApplyOptions['superseded'],
  ): Promise<{ state: string; live: LiveMeshConfig }> {
    let lastSeen = 'nothing yet';
    for (let first = true; ; first = false) {
      if (!first) {
        const left = deadline - this.clock.now();
        if (left <= 0) {
          throw new UpstreamError(
            'ASM.APPLY_TIMEOUT',
            `mesh ${this.opts.meshId} did not reach running${want ? ' with the new locality config' : ''} within ${this.applyTimeoutMs} ms (last seen: ${lastSeen})`,
            { retryable: true },
          );
        }
        await this.clock.sleep(Math.min(this.pollIntervalMs, left));
        // Asked after the sleep: a newer plan committed meanwhile is seen before this poll, not one later.
        await this.stopIfSuperseded(superseded);
      }
      let detail: { state: string; live: LiveMeshConfig };
      try {
        detail = await this.describe();
      } catch (e) {
        if (e instanceof UpstreamError && e.retryable) {
          lastSeen = e.message;
          continue;
        }
        throw e;
      }
      lastSeen = `State ${detail.state}`;
      if (/fail/i.test(detail.state)) {
        throw new UpstreamError(
          'ASM.MESH_FAILED',
          `mesh ${this.opts.meshId} is in state ${detail.state}; it needs attention in the ASM console`,
          { retryable: false },
        );
      }
      if (detail.state !== 'running') continue;
      if (!want || sameAsmLiveConfig(detail.live, want)) return detail;
      lastSeen = `State running with a different locality config (${JSON.stringify(detail.live)})`;
    }
  }

  private async describe(): Promise<{ state: string; live: LiveMeshConfig }> {
    let reply: MeshDetail;
    try {
      reply = await this.client.request<MeshDetail>(
        'DescribeServiceMeshDetail',
        { ServiceMeshId: this.opts.meshId },
        { method: 'POST', timeout: this.requestTimeoutMs },
      );
    } catch (e) {
      throw popUpstreamError('ASM', `DescribeServiceMeshDetail(${this.opts.meshId})`, e);
    }
    const mesh = reply.ServiceMesh;
    const state = mesh?.ServiceMeshInfo?.State;
    if (typeof state !== 'string')
      throw new UpstreamError(
        'ASM.BAD_RESPONSE',
        `DescribeServiceMeshDetail(${this.opts.meshId}) returned no ServiceMesh.ServiceMeshInfo.State`,
        { retryable: true },
      );
    // LocalityLB read by the core's one parser (render.ts), the one its property test proves
    // against what toAsmLocalityLbConf sends. A reply it cannot read is a bad reply, retried.
    try {
      return { state, live: parseLiveLocalityLb(mesh?.Spec?.MeshConfig?.LocalityLB) };
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      throw new UpstreamError(
        'ASM.BAD_RESPONSE',
        `DescribeServiceMeshDetail(${this.opts.meshId}) returned a LocalityLB this product cannot read: ${e.message}`,
        { retryable: true },
      );
    }
  }
}
