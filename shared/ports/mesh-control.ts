import type { MeshConfig } from '../core/types';

/** What the mesh says is live: its locality LB config (null when locality LB is off or unset). */
export interface LiveMeshConfig {
  enabled: boolean;
  config: MeshConfig | null;
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
   */
  apply(config: MeshConfig, opts?: { deadline?: number }): Promise<void>;
}
