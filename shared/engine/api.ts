import type { ControlCommand, HealthStatus, IgnoredSignal, MeshConfig, Plan, Refusal, Signal, TrafficMatrix } from '../core/types';
import type { PlanRecord, StoredEvent } from '../ports/state-store';

/** What the functions ask of the engine. One engine drives one mesh (one policy, one state row). */

export interface DecisionOutcome {
  plan: Plan;
  explain: string[];
  /** True when the state and plan were committed (false for a dry run or an empty no-op). */
  committed: boolean;
  /** Steps that ran now (immediate), and whether the rest was handed to the executor. */
  executed: number;
  handedOff: boolean;
  /** Signals of the input not acted on because of their time (stale, ahead of the clock, out of order). */
  ignored?: IgnoredSignal[];
  /**
   * The decision stands, but bookkeeping lagged: audit lines queued (the store refused them), or
   * the plan's run stopped on a store failure and the next tick resumes it. Never an error answer.
   */
  warning?: string;
}

/** An active schedule: its name, when its window closes, the matrix it sets, and the scoped service it shifts alone (absent: mesh-wide). */
export interface ScheduleView {
  name: string;
  until: string;
  matrix: TrafficMatrix;
  service?: string;
}

export interface StatusView {
  mesh: string;
  version: number;
  at: string;
  paused: { actor: string; at: string; reason: string } | null;
  /** `since`: when the region last changed status; null when it never has. */
  health: Record<string, RegionHealthView>;
  /**
   * What the mesh has: the matrix (and config) a mesh step, drift check or adoption last
   * confirmed live. Null until one has (a fresh mesh, or a state row written before this was kept).
   */
  matrix: TrafficMatrix | null;
  config: MeshConfig | null;
  /** What was decided: the mesh gets it when the plan's mesh step runs. */
  intended: { matrix: TrafficMatrix; config: MeshConfig; at: string } | null;
  /** The same as `matrix`/`config`, with when and by which plan (null: read back by a drift check, or adopted). */
  confirmed: { matrix: TrafficMatrix; config: MeshConfig; at: string; planId: string | null } | null;
  /** True while the mesh does not have the intended matrix yet (its mesh step has not run, is retrying, or failed), for the default or any scope. */
  shifting: boolean;
  /** `service`: a scoped service the override or drill applies to alone (service scopes); absent: the whole mesh. */
  override: {
    id: string;
    service?: string;
    matrix?: TrafficMatrix;
    drain?: string[];
    force: boolean;
    expiresAt: string;
    actor: string;
    reason: string;
  } | null;
  drill: { id: string; region: string; service?: string; severity: string; endsAt: string; actor: string } | null;
  activeSignals: Array<{
    key: string;
    source: string;
    region: string;
    service?: string;
    severity: string;
    at: string;
    measure?: { kind: 'errorShare' | 'latencyMs' | 'value'; value: number; metric: string };
  }>;
  openPlans: Array<{ id: string; status: string; steps: number; done: number; dueAt: string }>;
  /**
   * The policy's schedules open now and in force (one per scope at most): mesh-wide first, then
   * those naming a scoped service. A schedule sets the target the decisions move towards (an
   * override, the health response and the safety rules still come first). Empty when none is.
   */
  schedules: ScheduleView[];
  /** The latest decision's refusals (kept in the state, so later audit events never hide them). */
  refused: Refusal[];
  /** When that decision first refused them, and what it was about; null when nothing is refused. */
  refusedSince: { at: string; trigger: string } | null;
  /**
   * Service scopes: the hosts whose routing differs from the default matrix above, by host FQDN.
   * Absent when neither the intended nor the confirmed routing has any (every host follows the
   * default). A host whose entry is missing on one side follows that side's default.
   */
  scopes?: Record<string, ScopeStatus>;
  /** Health per region, per scoped service; absent when the policy scopes no services. */
  serviceHealth?: Record<string, Record<string, RegionHealthView>>;
  /** Service scopes: the entry services and where they came from; absent when the policy scopes no services. */
  entry?: EntryView;
}

/**
 * The entry services (where elective shifts apply): named in the policy (`scopes.entry`), or
 * derived from the VirtualServices bound to `scopes.entryFrom.gateways`.
 */
export interface EntryView {
  source: 'policy' | 'virtualservices';
  services: string[];
  /** virtualservices: the gateways read, the VirtualServices that named the services, since when. */
  gateways?: string[];
  from?: string[];
  since?: string | null;
  /** virtualservices: why the latest read was not used (the last derived set stays), since when. */
  problem?: { message: string; since: string } | null;
}

/** One region's (or one region's service's) health as status shows it. */
export interface RegionHealthView {
  status: HealthStatus;
  since: string | null;
  /** RECOVERING: the recovery step it is at, counted from 1 (`step 1/3 (25%)`), of `steps`, giving back `percent` of its traffic. */
  step?: number;
  steps?: number;
  percent?: number;
  causes: string[];
}

/** One host routed apart from the default. */
export interface ScopeStatus {
  /** What was decided for the host; null: it follows the intended default (its own rule is to go). */
  intended: { matrix: TrafficMatrix; mode: MeshConfig['mode'] } | null;
  /** What the mesh confirmed for the host; null: the mesh has no own rule for it (it follows the live default). */
  confirmed: { matrix: TrafficMatrix; mode: MeshConfig['mode'] } | null;
  /** True while the mesh does not have the intended routing of this host. */
  shifting: boolean;
}

export interface EngineApi {
  /** Decide on the signals of one delivery together (one commit), run what is immediate, hand waiting steps to the executor. At most one outcome. */
  /**
   * `answerFirst`: the caller must answer quickly (an alarm callback: CMS waits 5 s): once the
   * decision commits, its plan goes to the executor instead of running here (see Engine.act).
   */
  ingest(signals: Signal[], actor: string, opts?: { answerFirst?: boolean }): Promise<DecisionOutcome[]>;
  /** Run a control command; `dryRun` decides without committing (POST /v1/plan). */
  command(command: ControlCommand, opts: { dryRun: boolean }): Promise<DecisionOutcome>;
  /** The scheduler's tick: schedules, expiries, recovery steps, due delayed steps, lapsed leases, drift. */
  tick(): Promise<{
    decision: DecisionOutcome;
    resumed: string[];
    drift: string | null;
    /** Deployment-availability signals ingested this tick. */ availability?: DecisionOutcome[];
  }>;
  /** Run (or resume) the steps of a committed plan; the executor function's body. */
  execute(planId: string): Promise<PlanRecord | null>;
  status(): Promise<StatusView>;
  history(opts: { limit: number; before?: number }): Promise<StoredEvent[]>;
  /** Audit an alarm that matched no detection rule (acknowledged, not an error). */
  recordUnmatched(source: string, summary: string, detail: unknown): Promise<void>;
}
