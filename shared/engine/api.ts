import type { ControlCommand, HealthStatus, MeshConfig, Plan, Refusal, Signal, TrafficMatrix } from '../core/types';
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
}

export interface StatusView {
  mesh: string;
  version: number;
  at: string;
  paused: { actor: string; at: string; reason: string } | null;
  /** `since`: when the region last changed status; null when it never has. */
  health: Record<string, { status: HealthStatus; since: string | null; step?: number; causes: string[] }>;
  matrix: TrafficMatrix | null;
  config: MeshConfig | null;
  override: { id: string; matrix?: TrafficMatrix; drain?: string[]; force: boolean; expiresAt: string; actor: string; reason: string } | null;
  drill: { id: string; region: string; severity: string; endsAt: string; actor: string } | null;
  activeSignals: Array<{ key: string; source: string; region: string; severity: string; at: string }>;
  openPlans: Array<{ id: string; status: string; steps: number; done: number; dueAt: string }>;
  refused: Refusal[];
}

export interface EngineApi {
  /** Decide on each signal (in order), commit, run what is immediate, hand waiting steps to the executor. */
  ingest(signals: Signal[], actor: string): Promise<DecisionOutcome[]>;
  /** Run a control command; `dryRun` decides without committing (POST /v1/plan). */
  command(command: ControlCommand, opts: { dryRun: boolean }): Promise<DecisionOutcome>;
  /** The scheduler's tick: schedules, expiries, recovery steps, due delayed steps, lapsed leases, drift. */
  tick(): Promise<{ decision: DecisionOutcome; resumed: string[]; drift: string | null }>;
  /** Run (or resume) the steps of a committed plan; the executor function's body. */
  execute(planId: string): Promise<PlanRecord | null>;
  status(): Promise<StatusView>;
  history(opts: { limit: number; before?: number }): Promise<StoredEvent[]>;
  /** Audit an alarm that matched no detection rule (acknowledged, not an error). */
  recordUnmatched(source: string, summary: string, detail: unknown): Promise<void>;
}
