import type { Clock } from '../../shared/ports/clock';
import { localityLbProblems, type LocalityLbSettingInput } from '../../shared/core/mesh-validation';
import { FaultQueue } from '../twin-common/fault-queue';
import type { TwinReply, TwinRequest } from '../twin-common/http-io';
import { PopError, type PopAuthenticator } from './pop-auth';
import { messageForCode, requestId, rpcError, statusForCode } from './pop-errors';
import { RateLimit } from './rate-limit';

/**
 * The ASM OpenAPI subset (servicemesh 2020-01-11, RPC style) the ASM adapter uses. An update
 * puts the mesh in `updating` for `updateDelayMs` of lab time; the data plane keeps the old
 * mesh-wide setting until the mesh is `running` again, as ASM pushes config when the update
 * completes. Describe reports the new spec at once.
 */

export const ASM_API_VERSION = '2020-01-11';
const HOST = 'servicemesh.aliyuncs.com';

/** ASM's LocalityLB as DescribeServiceMeshDetail reports it; the SDK types and doc examples disagree, so both are served. */
export type LocalityLbShape = 'array' | 'wrapper';

/**
 * How DescribeServiceMeshDetail hands the stored rules back. ASM documents neither that it keeps
 * the order it was sent nor how it spells localities (its Describe example lists `cn-shanghai`
 * before `cn-hangzhou` and writes distribute targets as `cn-hangzhou/*` where its UpdateMeshFeature
 * example sends `cn-hangzhou`), so the twin can answer either way and the adapter must cope.
 * `reversed`: the rules in reverse order and each `to` map's keys reversed; `wildcard`: every
 * distribute locality as `region/*` (failover entries are regions only, so they stay bare).
 */
export interface LocalityLbEcho {
  order: 'as-sent' | 'reversed';
  localities: 'as-sent' | 'wildcard';
}

export type MeshState = 'running' | 'updating';

export interface AsmCall {
  at: number;
  action: string;
  /** `OK` or the error code returned. */
  code: string;
  /** For DescribeServiceMeshDetail: the State it reported. */
  state?: MeshState;
}

export interface AsmTwinOptions {
  clock: Clock;
  meshId: string;
  regionId?: string;
  clusterIds: string[];
  updateDelayMs: number;
  authenticator: PopAuthenticator;
  /** The mesh control plane's kubeconfig (DescribeServiceMeshKubeconfig). */
  kubeconfig: () => string;
  localityLbShape?: LocalityLbShape;
  localityLbEcho?: LocalityLbEcho;
  /**
   * The mesh-wide setting the mesh already serves when the twin starts (a mesh the product has
   * run against before). Without it the data plane has no locality LB until the first update
   * completes, and its first requests spread over every region.
   */
  initialLocalityLb?: LocalityLbSettingInput | null;
}

interface MeshRecord {
  createdAt: number;
  updatedAt: number;
  /** What the data plane serves. */
  live: LocalityLbSettingInput | null;
  /** An accepted update that is still being rolled out. */
  pending: { setting: LocalityLbSettingInput; readyAt: number } | null;
}

interface InjectedFault {
  code: string;
  httpStatus: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function popParams(req: TwinRequest): Record<string, string> {
  const params: Record<string, string> = Object.fromEntries(req.query);
  if (req.method === 'POST') Object.assign(params, Object.fromEntries(new URLSearchParams(req.body)));
  return params;
}

function parseLocalityLbConf(raw: string): LocalityLbSettingInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new PopError('InvalidParameter.LocalityLBConf', 400, `The LocalityLBConf is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PopError('InvalidParameter.LocalityLBConf', 400, 'The LocalityLBConf must be a JSON object with "failover" or "distribute".');
  }
  const conf = parsed as Record<string, unknown>;
  const unknownKeys = Object.keys(conf).filter((k) => k !== 'failover' && k !== 'distribute');
  const problems = localityLbProblems(conf as LocalityLbSettingInput);
  if (unknownKeys.length > 0) problems.push(`unknown field(s) ${unknownKeys.join(', ')}`);
  for (const key of ['failover', 'distribute'] as const) {
    if (conf[key] !== undefined && !Array.isArray(conf[key])) problems.push(`${key} must be a list`);
  }
  if (problems.length > 0)
    throw new PopError('InvalidParameter.LocalityLBConf', 400, `The LocalityLBConf is invalid: ${problems.join('; ')}`);
  return conf as LocalityLbSettingInput;
}

function wildcard(locality: unknown): unknown {
  return typeof locality === 'string' && !locality.endsWith('*') ? `${locality}/*` : locality;
}

/** The stored setting as Describe hands it back under `echo` (same routing, other spelling). */
function echoed(setting: LocalityLbSettingInput, echo: LocalityLbEcho): LocalityLbSettingInput {
  const order = <T>(list: T[]): T[] => (echo.order === 'reversed' ? [...list].reverse() : [...list]);
  const out: LocalityLbSettingInput = { enabled: setting.enabled ?? null };
  if (setting.failover) out.failover = order(setting.failover).map((f) => ({ from: f.from, to: f.to }));
  if (setting.distribute) {
    out.distribute = order(setting.distribute).map((d) => {
      const to = Object.entries((d.to ?? {}) as Record<string, unknown>).map(
        ([loc, w]) => [echo.localities === 'wildcard' ? wildcard(loc) : loc, w] as const,
      );
      return { from: echo.localities === 'wildcard' ? wildcard(d.from) : d.from, to: Object.fromEntries(order(to)) };
    });
  }
  return out;
}

function capitalised(stored: LocalityLbSettingInput, shape: LocalityLbShape, echo: LocalityLbEcho): Record<string, unknown> {
  const setting = echoed(stored, echo);
  const out: Record<string, unknown> = { Enabled: setting.enabled !== false };
  if (setting.failover?.length) {
    out.Failover =
      shape === 'array' ? setting.failover.map((f) => ({ From: f.from, To: f.to })) : { failover: structuredClone(setting.failover) };
  }
  if (setting.distribute?.length) {
    out.Distribute =
      shape === 'array'
        ? setting.distribute.map((d) => ({ From: d.from, To: structuredClone(d.to) }))
        : { distribute: structuredClone(setting.distribute) };
  }
  return out;
}

export class AsmTwin {
  readonly calls: AsmCall[] = [];
  private readonly mesh: MeshRecord;
  private readonly faults = new FaultQueue<InjectedFault, string>();
  private rateLimit: RateLimit | null = null;
  private shape: LocalityLbShape;
  private echo: LocalityLbEcho;
  private updateDelayMs: number;

  constructor(private readonly opts: AsmTwinOptions) {
    const now = opts.clock.now();
    this.mesh = {
      createdAt: now,
      updatedAt: now,
      live: opts.initialLocalityLb ? structuredClone(opts.initialLocalityLb) : null,
      pending: null,
    };
    this.shape = opts.localityLbShape ?? 'array';
    this.echo = opts.localityLbEcho ?? { order: 'as-sent', localities: 'as-sent' };
    this.updateDelayMs = opts.updateDelayMs;
  }

  /** The next `times` calls (of `action`, if given) fail with `code`; HTTP status as ASM sends it unless given. */
  failNext(times: number, code = 'Throttling.User', opts: { action?: string; httpStatus?: number } = {}): void {
    this.faults.add(
      times,
      { code, httpStatus: opts.httpStatus ?? statusForCode(code) },
      (action) => opts.action === undefined || opts.action === action,
    );
  }

  /** Answer `Throttling.User` above this rate (lab clock); null lifts the limit. */
  throttle(limit: { requestsPerSecond: number } | null): void {
    this.rateLimit = limit ? new RateLimit(this.opts.clock, limit.requestsPerSecond) : null;
  }

  setLocalityLbShape(shape: LocalityLbShape): void {
    this.shape = shape;
  }

  setLocalityLbEcho(echo: LocalityLbEcho): void {
    this.echo = echo;
  }

  /** How long the next updates stay `updating` (a slow rollout, to watch the product wait for it). */
  setUpdateDelay(ms: number): void {
    this.updateDelayMs = ms;
  }

  /** Turn the mesh-wide locality LB switch off or on, as an operator could in the ASM console (rules kept). */
  setLocalityLbEnabled(enabled: boolean): void {
    this.settle();
    this.mesh.live = { ...(this.mesh.live ?? {}), enabled };
  }

  state(): MeshState {
    this.settle();
    return this.mesh.pending ? 'updating' : 'running';
  }

  /** The mesh-wide locality setting the data plane serves now (lowercase Istio keys), or null when never set. */
  servedLocalityLb(): LocalityLbSettingInput | null {
    this.settle();
    return this.mesh.live ? structuredClone(this.mesh.live) : null;
  }

  handle(req: TwinRequest): TwinReply {
    const params = popParams(req);
    const action = params.Action ?? '';
    const reply = this.dispatch(req.method, action, params);
    const body = reply.body as { Code?: string; ServiceMesh?: { ServiceMeshInfo?: { State?: MeshState } } };
    const state = body.ServiceMesh?.ServiceMeshInfo?.State;
    this.calls.push({ at: this.opts.clock.now(), action, code: body.Code ?? 'OK', ...(state ? { state } : {}) });
    return reply;
  }

  private dispatch(method: string, action: string, params: Record<string, string>): TwinReply {
    try {
      this.opts.authenticator.verifyRpc(method, params);
      if (params.Version !== ASM_API_VERSION) throw new PopError('InvalidVersion', 400, 'Specified parameter Version is not valid.');
      const handler = this.actions[action];
      if (!handler) throw new PopError('InvalidAction.NotFound', 404, 'Specified api is not found, please check your url and method.');
      const fault = this.faults.take(action);
      if (fault) throw new PopError(fault.code, fault.httpStatus, messageForCode(fault.code));
      if (this.rateLimit && !this.rateLimit.tryTake()) throw new PopError('Throttling.User', 400, messageForCode('Throttling.User'));
      if (params.ServiceMeshId === undefined || params.ServiceMeshId === '') {
        throw new PopError(
          'MissingParameter',
          400,
          'The input parameter "ServiceMeshId" that is mandatory for processing this request is not supplied.',
        );
      }
      // Unverified code: ASM's documented error for an unknown mesh id is not confirmed.
      if (params.ServiceMeshId !== this.opts.meshId)
        throw new PopError('ServiceMesh.NotFound', 404, `The service mesh ${params.ServiceMeshId} does not exist.`);
      return { status: 200, body: { RequestId: requestId(), ...handler(params) } };
    } catch (e) {
      if (e instanceof PopError) return rpcError(e.code, e.message, e.httpStatus, HOST);
      return rpcError('InternalError', `${messageForCode('InternalError')} ${(e as Error).message}`, 500, HOST);
    }
  }

  private readonly actions: Record<string, (params: Record<string, string>) => Record<string, unknown>> = {
    UpdateMeshFeature: (params) => {
      this.settle();
      const current = this.mesh.pending?.setting ?? this.mesh.live ?? { enabled: false };
      let next: LocalityLbSettingInput = structuredClone(current);
      if (params.LocalityLBConf !== undefined && params.LocalityLBConf !== '') {
        next = { enabled: current.enabled ?? false, ...parseLocalityLbConf(params.LocalityLBConf) };
      }
      const switchParam = params.LocalityLoadBalancing;
      if (switchParam !== undefined) {
        if (switchParam !== 'true' && switchParam !== 'false')
          throw new PopError('InvalidParameter.LocalityLoadBalancing', 400, 'LocalityLoadBalancing must be true or false.');
        next.enabled = switchParam === 'true';
      }
      const now = this.opts.clock.now();
      this.mesh.pending = { setting: next, readyAt: now + this.updateDelayMs };
      this.mesh.updatedAt = now;
      this.settle();
      return {};
    },
    DescribeServiceMeshDetail: () => {
      const state = this.state();
      const spec = this.mesh.pending?.setting ?? this.mesh.live;
      return {
        ServiceMesh: {
          ServiceMeshInfo: {
            ServiceMeshId: this.opts.meshId,
            Name: this.opts.meshId,
            RegionId: this.opts.regionId ?? 'cn-hangzhou',
            State: state,
            Profile: 'Default',
            CreationTime: iso(this.mesh.createdAt),
            UpdateTime: iso(this.mesh.updatedAt),
          },
          Spec: { MeshConfig: { LocalityLB: spec ? capitalised(spec, this.shape, this.echo) : { Enabled: false } } },
          Clusters: [...this.opts.clusterIds],
        },
      };
    },
    DescribeServiceMeshKubeconfig: () => ({ Kubeconfig: this.opts.kubeconfig() }),
  };

  private settle(): void {
    const pending = this.mesh.pending;
    if (pending && this.opts.clock.now() >= pending.readyAt) {
      this.mesh.live = pending.setting;
      this.mesh.pending = null;
    }
  }
}
