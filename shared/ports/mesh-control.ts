import type { MeshConfig } from '../core/types';

/** What the mesh says is live: its locality LB config (null when locality LB is off or unset). */
export interface LiveMeshConfig {
  enabled: boolean;
  config: MeshConfig | null;
  /**
   * Per-host rules the product owns (only those), keyed by host FQDN: their locality config.
   * Absent when the adapter keeps no per-host rules.
   */
  scopes?: Record<string, MeshConfig>;
}

/** Read and apply the mesh-wide (ASM) or per-DestinationRule (Istio) locality LB config. */
export interface MeshControl {
  /** The live config, as the mesh reports it now. */
  read(): Promise<LiveMeshConfig>;
  /**
   * Apply the whole config in one call and return once the mesh has accepted it (ASM: `State`
   * back to `running`). Idempotent: applying the live config again is harmless.
   * Throws `MeshRejectedError` (not retryable) or `UpstreamError` (retryable when throttled/5xx).
   * `deadline` (epoch ms) ends any wait for the mesh to settle sooner than the adapter's own limit:
   * the invocation's time is up then.
   * `scopes`: per-host configs that override the default for those hosts (keyed by host FQDN).
   * Given (even empty), it is the whole set: owned per-host rules not in it are removed. Absent:
   * the adapter leaves per-host rules as they are.
   */
  apply(config: MeshConfig, opts?: MeshApplyOptions): Promise<void>;
}

export interface MeshApplyOptions {
  deadline?: number;
  scopes?: Record<string, MeshConfig>;
  /**
   * Whether the config is still wanted: null while it is, else why not (a newer decision replaced
   * it). An adapter that waits on the mesh asks it before each poll it would sleep for, and before
   * it sends an update, and on a reason ends the apply with `SupersededError` without sending
   * anything more: waiting for a config a newer plan has overwritten would last until the timeout
   * (the mesh never reports it), and re-sending it would overwrite the newer one. Answers from a
   * state read, so adapters ask it only where they would wait or write anyway.
   */
  superseded?: () => Promise<string | null>;
}
