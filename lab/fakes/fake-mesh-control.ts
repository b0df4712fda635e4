import type { MeshConfig } from '../../shared/core/types';
import type { Clock } from '../../shared/ports/clock';
import type { LiveMeshConfig, MeshControl } from '../../shared/ports/mesh-control';
import { FaultQueue, type FaultKind } from './faults';

export interface AppliedConfig {
  config: MeshConfig;
  /** Clock time the mesh accepted it (0 without a clock). */
  at: number;
}

export interface FakeMeshOptions {
  /** What the mesh reports before anything is applied (default: locality LB off). */
  live?: LiveMeshConfig;
  /** Gives `at` to applied configs and, with `applyDelayMs`, models ASM's `updating` phase. */
  clock?: Clock;
  /** Time an apply takes before it returns (ASM: State `updating` until `running`). */
  applyDelayMs?: number;
}

type MeshOp = 'read' | 'apply';

/**
 * An in-memory mesh: `apply` replaces the live locality LB config in one piece and is
 * recorded; `read` returns the live one. Tests script failures (`failNext`) and change the
 * live config behind the product's back (`changeByHand`) to provoke drift.
 */
export class FakeMeshControl implements MeshControl {
  /** Every accepted apply, in order (failed attempts are not here; see `attempts`). */
  readonly applied: AppliedConfig[] = [];
  /** Calls made, failed ones included. */
  readonly attempts: Record<MeshOp, number> = { read: 0, apply: 0 };
  private live: LiveMeshConfig;
  private readonly faults = new FaultQueue<MeshOp>();

  constructor(private readonly opts: FakeMeshOptions = {}) {
    this.live = structuredClone(opts.live ?? { enabled: false, config: null });
  }

  async read(): Promise<LiveMeshConfig> {
    this.attempts.read++;
    this.faults.take('read');
    return structuredClone(this.live);
  }

  async apply(config: MeshConfig): Promise<void> {
    this.attempts.apply++;
    this.faults.take('apply');
    if (this.opts.applyDelayMs && this.opts.clock) await this.opts.clock.sleep(this.opts.applyDelayMs);
    const copy = structuredClone(config);
    this.applied.push({ config: copy, at: this.opts.clock?.now() ?? 0 });
    this.live = { enabled: true, config: structuredClone(copy) };
  }

  /**
   * The next `count` calls of `op` (default `apply`) fail: `'throttle'` is a retryable
   * UpstreamError `Throttling.User`, `'reject'` a MeshRejectedError, or any error given.
   */
  failNext(count: number, kind: FaultKind, op: MeshOp = 'apply'): void {
    this.faults.failNext(op, count, kind);
  }

  /** Drop the failures not yet thrown (the API recovers). */
  recover(op?: MeshOp): void {
    this.faults.clear(op);
  }

  /** Failures still queued for `op`. */
  pendingFailures(op: MeshOp = 'apply'): number {
    return this.faults.pending(op);
  }

  /** Someone edits the mesh by hand (console, kubectl): not recorded as an apply. */
  changeByHand(config: MeshConfig | null, enabled = config !== null): void {
    this.live = { enabled, config: structuredClone(config) };
  }

  /** The live config as the mesh reports it now (a copy). */
  get liveConfig(): LiveMeshConfig {
    return structuredClone(this.live);
  }

  /** The last accepted apply, if any. */
  get lastApplied(): MeshConfig | undefined {
    return this.applied[this.applied.length - 1]?.config;
  }
}
