/** The vocabulary of the decision core. Times are epoch milliseconds, durations milliseconds. */

/** `W[src][dst]`: percent of the traffic originating in `src` that is served in `dst`. Zero entries are omitted. */
export type TrafficMatrix = Record<string, Record<string, number>>;

export type Severity = 'degraded' | 'down';

export interface Signal {
  /** Identifies the alarm instance: the same key firing twice is one signal. */
  key: string;
  /** Where it came from: cms, alertmanager, ack, drill, lab, … */
  source: string;
  /** The detection rule that produced it (quorum counts distinct sources or rules). */
  rule?: string;
  region: string;
  service?: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  /** The alarm's own time as its source stamped it (not when it arrived): orders a resolve against its firing. */
  at: number;
  /** In the state: when the latest notification of this active signal arrived; its TTL counts from here. */
  seenAt?: number;
  /** How long a firing signal stays active without a resolve (alarm systems lose OK notifications). */
  ttl: number;
  /** The alarm's own name, for outcome-alarm matching and explain text. */
  name?: string;
  /** What the source observed (CMS `curValue`, an Alertmanager annotation): how bad, not only how graded. */
  measure?: SignalMeasure;
}

/**
 * A signal's magnitude. Values are compared only within one `metric` (a latency against a
 * latency); an `errorShare` measure (0..1) is comparable across every rule that gives one, and
 * is what the target guard weighs regions by.
 */
export interface SignalMeasure {
  kind: 'errorShare' | 'latencyMs' | 'value';
  /** errorShare: the failed share in 0..1; otherwise the value as the source reported it. */
  value: number;
  /** The metric the value belongs to (the alarm's metric name, else its rule). */
  metric: string;
}

/**
 * What the engine read just before deciding a move, for the target guard: per region, whether
 * every deployment the policy places there has ready pods. Absent: not read (the guard then
 * judges by health alone and says so).
 */
export interface Observations {
  ready?: Record<string, RegionReadiness>;
}

export interface RegionReadiness {
  /** Every service the policy runs (in any region) has a Deployment with a ready pod here. */
  ready: boolean;
  /** What is not: a service with no Deployment placed here, or its Deployments here (`cluster/namespace/name`) with no ready pod; sorted. */
  missing: string[];
  /** Deployments whose read failed: unknown, never counted as ready or not. */
  unknown: string[];
}

/** What the state remembers of a resolved alarm (see `MeshState.tombstones`). */
export interface SignalTombstone {
  region: string;
  /** The latest resolve's own time as its source stamped it. */
  resolvedAt: number;
}

export type HealthStatus = 'HEALTHY' | 'DEGRADED' | 'DOWN' | 'RECOVERING';

export interface RegionHealth {
  status: HealthStatus;
  since: number;
  /** RECOVERING: index into `recovery.steps` of the share currently given back. */
  step?: number;
  /** RECOVERING: the state it is recovering from (a relapse goes straight back there). */
  from?: 'DEGRADED' | 'DOWN';
  /** When every signal of the region last became clear (start of the hold), or null while any is active. */
  clearSince: number | null;
  /** Current hold before recovery starts; doubles on a relapse, capped at recovery.maxHold. */
  hold: number;
  /**
   * DEGRADED or DOWN: the worst error share its signals last measured (0..1), kept through the
   * hold after they clear, so the target guard still knows how sick it was; absent otherwise.
   */
  measured?: number;
  /** Keys of the signals behind the current status. */
  causes: string[];
}

export interface Override {
  id: string;
  /** A pinned matrix, or regions to drain (their traffic follows the failover order). */
  matrix?: TrafficMatrix;
  drain?: string[];
  /** A scoped service: the override applies to that service's host only. */
  service?: string;
  force: boolean;
  reason: string;
  actor: string;
  createdAt: number;
  expiresAt: number;
}

export interface Drill {
  id: string;
  region: string;
  /** A scoped service: the drill fails that (region, service) only. */
  service?: string;
  severity: Severity;
  actor: string;
  startedAt: number;
  endsAt: number;
  reason: string;
}

export interface PendingScaleDown {
  to: number;
  notBefore: number;
  planId: string;
}

export interface DeploymentScale {
  /** The replica count the product last asked for (what the plans have set). */
  replicas: number;
  pendingDown?: PendingScaleDown;
}

/** The decision state of one mesh: one row, versioned by the store. */
export interface MeshState {
  /** Active firing signals by key. */
  signals: Record<string, Signal>;
  /**
   * Resolved alarms by signal key, kept for `detection.maxAge` after their resolve and capped per
   * region like the signals: a firing stamped at or before its resolve (a retry, an at-least-once
   * redelivery) is out of order and ignored. Absent in rows written before it existed, and while
   * none is kept.
   */
  tombstones?: Record<string, SignalTombstone>;
  health: Record<string, RegionHealth>;
  /**
   * Health per (region, service) for services the policy scopes: `serviceHealth[region][service]`.
   * Absent or empty when the policy has no service scopes; a region-level status still governs
   * every scope (a DOWN region drains them all).
   */
  serviceHealth?: Record<string, Record<string, RegionHealth>>;
  override: Override | null;
  drill: Drill | null;
  paused: { actor: string; at: number; reason: string } | null;
  /** The matrix last committed to the mesh (the last good one), and when. */
  applied: { matrix: TrafficMatrix; at: number; scopes?: ScopedRouting } | null;
  /** Last automatic mesh change (cooldown) and last elective step (stepInterval). */
  lastChangeAt: number | null;
  lastElectiveAt: number | null;
  /**
   * Per scoped host: its last mesh change and last elective step, so that cooldown and
   * stepInterval hold per scope. Absent when the policy has no scopes.
   */
  scopeClock?: Record<string, { lastChangeAt: number | null; lastElectiveAt: number | null }>;
  /** Desired replicas per deployment key `cluster/namespace/name`. */
  scale: Record<string, DeploymentScale>;
  /** Monotonic counter for plan ids. */
  seq: number;
  /**
   * What the mesh was last confirmed to have: set when a plan's mesh step returns (the mesh
   * reported the config applied), by a drift check that reads it back, or by adopting the live
   * config. `applied` is what was decided; while the two differ the mesh is still shifting.
   * Absent in rows written before it existed (read as unknown).
   */
  meshConfirmed?: MeshConfirmed | null;
  /**
   * The refusals of the latest decision, kept in the state so status shows them however many
   * audit events come after. Replaced when a decision refuses a different set of rules, cleared
   * by one that refuses nothing; `at` is when this set was first refused.
   */
  lastRefusals?: LastRefusals | null;
  /**
   * Policy `scopes.entryFrom`: the entry services as last derived from the gateways'
   * VirtualServices. Absent until the first read, and with a policy that names `scopes.entry`.
   */
  entry?: DerivedEntry;
}

/** The entry services derived from the gateways' VirtualServices (see `Input` tick `entry`). */
export interface DerivedEntry {
  /** The scoped services the gateways route to, sorted; empty while none was ever derived. */
  services: string[];
  /** The VirtualServices (`namespace/name`) that named them. */
  from: string[];
  /** When this set was first derived; null while none was. */
  since: number | null;
  /** Why the latest read was not used (it failed, or routed to no scoped service), and since when; null after a usable read. */
  problem: { message: string; since: number } | null;
}

/** One route of a VirtualService bound to a policy gateway: the host it sends the gateway's traffic to (an FQDN). */
export interface EntryRoute {
  host: string;
  /** `namespace/name` of the VirtualService. */
  virtualService: string;
}

/** What the runtime read of the gateways' VirtualServices: their routes, or why it could not read them. */
export type EntryRead = { ok: true; routes: EntryRoute[] } | { ok: false; error: string };

export interface MeshConfirmed {
  matrix: TrafficMatrix;
  config: MeshConfig;
  /** Per-host routing confirmed with it (absent: every host follows the default). */
  scopes?: ScopedRouting;
  /** The plan whose mesh step confirmed it; null when a drift check read it back or it was adopted without a plan. */
  planId: string | null;
  /** When it was confirmed. */
  at: number;
  /** When the confirmed matrix was decided (`applied.at` of that decision), to order confirmations. */
  decidedAt: number;
}

export interface LastRefusals {
  /** When the decision first refused this set of rules. */
  at: number;
  /** What the decision was about (`tick`, `signal …`, `command …`). */
  trigger: string;
  refused: Refusal[];
}

export type ControlCommand =
  | {
      kind: 'override';
      matrix?: TrafficMatrix;
      drain?: string[];
      service?: string;
      ttl?: number;
      force?: boolean;
      reason?: string;
      actor: string;
    }
  | { kind: 'clearOverride'; id?: string; actor: string }
  | { kind: 'drill'; region: string; service?: string; severity?: Severity; duration: number; reason?: string; actor: string }
  | { kind: 'abortDrill'; id?: string; actor: string }
  | { kind: 'pause'; reason?: string; actor: string }
  | { kind: 'resume'; actor: string };

export type Input =
  | { kind: 'signal'; signal: Signal }
  /** The signals of one delivery (a webhook's alerts), decided and committed together. */
  | { kind: 'signals'; signals: Signal[] }
  /** `entry`: the gateways' VirtualServices as the runtime read them on this tick (policy `scopes.entryFrom`). */
  | { kind: 'tick'; entry?: EntryRead }
  | { kind: 'command'; command: ControlCommand }
  /** The live mesh config differs from what was applied; adopt it as the new applied matrix. */
  | { kind: 'adopt'; matrix: TrafficMatrix; actor: string };

export type LocalityLbSetting =
  { failover: Array<{ from: string; to: string }> } | { distribute: Array<{ from: string; to: Record<string, number> }> };

/** What is sent to the mesh: the mode, the locality setting, and the matrix it came from. */
export interface MeshConfig {
  mode: 'failover' | 'distribute';
  localityLbSetting: LocalityLbSetting;
}

/**
 * Service scopes (issue: service-scoped shifts). The mesh-wide matrix/config stay the default;
 * `ScopedRouting` lists the hosts whose routing differs from it, keyed by the host's FQDN
 * (`reviews.default.svc.cluster.local`). A host absent from the map follows the default. An
 * empty or absent map means every host follows the default, as before scopes existed.
 */
export type ScopedRouting = Record<string, { matrix: TrafficMatrix; config: MeshConfig }>;

export type Step =
  | {
      kind: 'scale';
      cluster: string;
      namespace: string;
      deployment: string;
      region: string;
      from: number;
      to: number;
      waitReady: boolean;
      notBefore?: number;
    }
  | { kind: 'mesh'; config: MeshConfig; matrix: TrafficMatrix; scopes?: ScopedRouting }
  | { kind: 'notify'; level: 'info' | 'warning' | 'critical'; message: string };

export interface Refusal {
  rule: string;
  message: string;
}

export interface Plan {
  id: string;
  at: number;
  trigger: string;
  reasons: string[];
  before: { matrix: TrafficMatrix; config: MeshConfig; scopes?: ScopedRouting } | null;
  after: { matrix: TrafficMatrix; config: MeshConfig; scopes?: ScopedRouting } | null;
  steps: Step[];
  refused: Refusal[];
}

/** A signal the decision did not act on because of its time (see `signalTimeVerdict`). */
export interface IgnoredSignal {
  key: string;
  status: Signal['status'];
  region: string;
  at: number;
  reason: 'stale' | 'future' | 'out-of-order';
  message: string;
}

/** An active signal dropped because its region held detection.maxSignalsPerRegion newer ones. */
export interface LapsedSignal {
  key: string;
  region: string;
  at: number;
}

export interface Decision {
  state: MeshState;
  plan: Plan;
  /** Human-readable account of the decision: what changed, why, what was refused. */
  explain: string[];
  /** Signals of the input not acted on because of their time (audited by the shell). */
  ignored?: IgnoredSignal[];
  /** Active signals dropped by the per-region cap (audited by the shell). */
  lapsed?: LapsedSignal[];
}
