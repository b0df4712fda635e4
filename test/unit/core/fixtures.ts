import { decide } from '../../../shared/core/decide';
import { PolicyError } from '../../../shared/core/errors';
import { parsePolicy, type Policy } from '../../../shared/core/policy';
import type {
  ControlCommand,
  Decision,
  Input,
  MeshConfig,
  MeshState,
  Plan,
  Severity,
  Signal,
  Step,
  TrafficMatrix,
} from '../../../shared/core/types';

/**
 * Shared fixtures for the decision-core tables: the Bookinfo policy in two and three regions,
 * signal and command builders, a driver that threads the state through `decide` with explicit
 * `now` values, and builders for the expected steps. The expected mesh configs are derived
 * here from design §2 directly (not through the renderer), so a plan is checked against the
 * design rather than against itself.
 */

export const HZ = 'cn-hangzhou';
export const SH = 'cn-shanghai';
export const BJ = 'cn-beijing';
export const S = 1000;
export const M = 60 * S;
export const H = 60 * M;

/** Monday 2024-06-03 10:00 in Asia/Shanghai. */
export const T0 = Date.parse('2024-06-03T02:00:00Z');

export const DEPLOYMENT = 'productpage-v1';
export const NAMESPACE = 'bookinfo';
export const CLUSTER: Record<string, string> = { [HZ]: 'c-hangzhou', [SH]: 'c-shanghai', [BJ]: 'c-beijing' };

type Bounds = { normalReplicas?: number; min?: number; max?: number };

/** productpage-v1 in every region: normal 2, min 1, max 6, unless `bounds` says otherwise. */
export function scaling(regions: string[], bounds: Record<string, Bounds> = {}) {
  return {
    deployments: [
      {
        name: DEPLOYMENT,
        namespace: NAMESPACE,
        regions: Object.fromEntries(regions.map((r) => [r, { normalReplicas: 2, min: 1, max: 6, ...bounds[r] }])),
      },
    ],
  };
}

function regionsOf(ids: string[]) {
  return Object.fromEntries(ids.map((r) => [r, { clusters: [{ id: CLUSTER[r] }] }]));
}

/** cn-hangzhou and cn-shanghai; `extra` replaces whole top-level sections. */
export function policy2(extra: Record<string, unknown> = {}): Policy {
  return parsePolicy({
    name: 'bookinfo',
    mesh: { backend: 'asm', meshId: 'bookinfo-mesh', apiRegion: HZ },
    regions: regionsOf([HZ, SH]),
    scaling: scaling([HZ, SH]),
    ...extra,
  });
}

/**
 * Three regions. cn-hangzhou fails over to cn-beijing first (not to the region declared
 * next), so a drain that follows the failover order is told apart from one that follows
 * declaration order.
 */
export function policy3(extra: Record<string, unknown> = {}): Policy {
  return parsePolicy({
    name: 'bookinfo',
    mesh: { backend: 'asm', meshId: 'bookinfo-mesh', apiRegion: HZ },
    regions: regionsOf([HZ, SH, BJ]),
    failover: { [HZ]: [BJ, SH], [SH]: [HZ, BJ], [BJ]: [SH, HZ] },
    scaling: scaling([HZ, SH, BJ]),
    ...extra,
  });
}

export const identity2: TrafficMatrix = { [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } };
export const identity3: TrafficMatrix = { [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 }, [BJ]: { [BJ]: 100 } };
/** cn-hangzhou drained in two regions. */
export const hzDrained2: TrafficMatrix = { [HZ]: { [SH]: 100 }, [SH]: { [SH]: 100 } };

/** The locality LB config design §2 prescribes for a matrix: identity → failover, else distribute. */
export function configOf(policy: Policy, m: TrafficMatrix): MeshConfig {
  const ids = policy.regionIds;
  const isIdentity = ids.every((s) => ids.every((d) => (m[s]?.[d] ?? 0) === (s === d ? 100 : 0)));
  if (isIdentity)
    return { mode: 'failover', localityLbSetting: { failover: ids.map((from) => ({ from, to: policy.failover[from]?.[0] as string })) } };
  return {
    mode: 'distribute',
    localityLbSetting: {
      distribute: ids.map((src) => ({
        from: `${src}/*`,
        to: Object.fromEntries(ids.filter((d) => (m[src]?.[d] ?? 0) > 0).map((d) => [`${d}/*`, m[src]?.[d] as number])),
      })),
    },
  };
}

export const mesh = (policy: Policy, matrix: TrafficMatrix): Step => ({ kind: 'mesh', config: configOf(policy, matrix), matrix });
export const view = (policy: Policy, matrix: TrafficMatrix) => ({ matrix, config: configOf(policy, matrix) });

export function scaleUp(region: string, from: number, to: number, waitReady: boolean): Step {
  return { kind: 'scale', cluster: CLUSTER[region] as string, namespace: NAMESPACE, deployment: DEPLOYMENT, region, from, to, waitReady };
}

export function scaleDown(region: string, from: number, to: number, notBefore: number): Step {
  return {
    kind: 'scale',
    cluster: CLUSTER[region] as string,
    namespace: NAMESPACE,
    deployment: DEPLOYMENT,
    region,
    from,
    to,
    waitReady: false,
    notBefore,
  };
}

export const notify = (level: 'info' | 'warning' | 'critical', message: string): Step => ({ kind: 'notify', level, message });

export const deploymentKey = (region: string) => `${CLUSTER[region]}/${NAMESPACE}/${DEPLOYMENT}`;

export function planId(seq: number): string {
  return `bookinfo-${String(seq).padStart(6, '0')}`;
}

/** A plan that changes nothing: no steps, no refusals, no new config. */
export function emptyPlan(policy: Policy, seq: number, at: number, trigger: string, reasons: string[], applied: TrafficMatrix): Plan {
  return { id: planId(seq), at, trigger, reasons, before: view(policy, applied), after: null, steps: [], refused: [] };
}

interface SignalOpts {
  source?: string;
  rule?: string;
  ttl?: number;
  at?: number;
  name?: string;
}

/** A signal built without `at` is stamped with the instant it is fed (a sender whose clock agrees with ours). */
export const FED_AT = -1;

/** `input` with a FED_AT signal time replaced by `now`. */
export function stamped(input: Input, now: number): Input {
  return input.kind === 'signal' && input.signal.at === FED_AT ? { ...input, signal: { ...input.signal, at: now } } : input;
}

export function signal(key: string, region: string, severity: Severity, status: 'firing' | 'resolved', o: SignalOpts = {}): Signal {
  return {
    key,
    source: o.source ?? 'cms',
    rule: o.rule ?? 'cms-5xx',
    region,
    severity,
    status,
    at: o.at ?? FED_AT,
    ttl: o.ttl ?? 10 * M,
    ...(o.name ? { name: o.name } : {}),
  };
}

export const fire = (key: string, region: string, severity: Severity, o: SignalOpts = {}): Input => ({
  kind: 'signal',
  signal: signal(key, region, severity, 'firing', o),
});
export const resolve = (key: string, region: string, severity: Severity, o: SignalOpts = {}): Input => ({
  kind: 'signal',
  signal: signal(key, region, severity, 'resolved', o),
});
export const tick: Input = { kind: 'tick' };
export const command = (c: ControlCommand): Input => ({ kind: 'command', command: c });

/** Threads the state through `decide`, one input at a time, at the given instants. */
export class Driver {
  state: MeshState | null;
  readonly decisions: Decision[] = [];

  constructor(
    readonly policy: Policy,
    state: MeshState | null = null,
  ) {
    this.state = state;
  }

  feed(now: number, input: Input): Decision {
    const d = decide(this.policy, this.state, stamped(input, now), now);
    this.state = d.state;
    this.decisions.push(d);
    return d;
  }

  /** Feed several inputs; returns the last decision. */
  run(inputs: Array<[number, Input]>): Decision {
    let last: Decision | undefined;
    for (const [now, input] of inputs) last = this.feed(now, input);
    if (!last) throw new Error('no inputs');
    return last;
  }

  get health(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.state?.health ?? {}).map(([r, h]) => [r, h.status]));
  }

  get applied(): TrafficMatrix | null {
    return this.state?.applied?.matrix ?? null;
  }
}

/** A driver whose mesh already carries the normal matrix (first decision at `at`). */
export function started(policy: Policy, at = T0): Driver {
  const d = new Driver(policy);
  d.feed(at, tick);
  return d;
}

/** How explain and notify lines name a signal behind a transition. */
export const cause = (key: string, source = 'cms', rule = 'cms-5xx') => `${key} (${source}, rule ${rule})`;

/** The alertmanager signal used for DEGRADED cases. */
export const AM = { source: 'alertmanager', rule: 'am-errors' } as const;

/** The problems a policy parse reports ([] when it parses). */
export function policyProblems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof PolicyError) return e.problems;
    throw e;
  }
  return [];
}

/**
 * Decides a timeline of inputs `dt` ms apart from the property suites' start instant, each alarm
 * stamped as it arrives (a sender whose clock agrees with ours: none is stale). `visit` sees each
 * decision with the state it was decided from and the input as decided.
 */
export function replay(
  policy: Policy,
  inputs: Array<{ dt: number; input: Input }>,
  visit: (d: Decision, prev: MeshState | null, input: Input, now: number) => void,
): void {
  let state: MeshState | null = null;
  let now = Date.parse('2026-03-03T03:00:00Z');
  for (const { dt, input } of inputs) {
    now += dt;
    const stamped: Input = input.kind === 'signal' ? { ...input, signal: { ...input.signal, at: now } } : input;
    const d = decide(policy, state, stamped, now);
    visit(d, state, stamped, now);
    state = d.state;
  }
}
