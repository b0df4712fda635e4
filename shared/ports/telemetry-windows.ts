/**
 * The telemetry function's window row: one small versioned document per mesh, written under
 * compare-and-set (shards are invoked in parallel, on any instance). The document is opaque here
 * (JSON text of `shared/telemetry/windows.ts`'s `TelemetryRow`); the store only versions it.
 */
export interface VersionedText {
  /** null: no row yet (version 0). */
  text: string | null;
  version: number;
}

export interface TelemetryWindowStore {
  loadWindows(mesh: string): Promise<VersionedText>;
  /** Write `text` only if the row is still at `expectedVersion`; the new version. Throws `StateConflictError` otherwise. */
  saveWindows(mesh: string, expectedVersion: number, text: string): Promise<number>;
}
