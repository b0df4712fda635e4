import { RegionshiftError, StateConflictError } from '../core/errors';
import { matrixEquals } from '../core/matrix';
import type { MeshConfig, MeshState, ScopedRouting, TrafficMatrix } from '../core/types';
import type { Clock } from '../ports/clock';
import type { Notifier } from '../ports/notifier';
import type { StateStore } from '../ports/state-store';
import { appendAudit } from './audit';

/**
 * Around a mesh change, for the executor's steps and the drift repair alike: whether a newer
 * decision made it moot while it waits (supersededCheck), recording that the mesh has it
 * (recordMeshConfirmed), and telling the on-call (alert).
 */

/** The mesh a change is about, and where its records go. */
export interface MeshContext {
  /** The mesh's name (the policy's `name`): the key of its state row, plans and audit lines. */
  meshName: string;
  store: StateStore;
  notifier: Notifier;
  clock: Clock;
  log: (line: Record<string, unknown>) => void;
}

/**
 * A check, asked while a change waits (each poll, before each retry), of whether a newer decision
 * made it moot: `rule` on the latest state. A state that cannot be read answers "still wanted"
 * (logged): the change goes on as it would have without the check.
 */
export function supersededCheck(
  deps: Pick<MeshContext, 'store' | 'meshName' | 'log'>,
  what: Record<string, unknown>,
  rule: (state: MeshState | null) => string | null,
): () => Promise<string | null> {
  return async () => {
    try {
      return rule((await deps.store.load(deps.meshName)).state);
    } catch (err) {
      deps.log({ msg: 'could not check whether the change is still wanted', ...what, error: (err as Error).message });
      return null;
    }
  };
}

/**
 * Record in the state that the mesh has `matrix` (its apply returned: the mesh reported it
 * applied). Status tells this apart from what was decided, so it never calls a drain live
 * before the mesh has it. A confirmation of an older decision than the one already recorded is
 * dropped; a lost compare-and-set re-reads and tries again. Failing to record is logged, not
 * thrown: the step is done, and the next drift check reads the mesh and records it.
 */
export async function recordMeshConfirmed(
  deps: Pick<MeshContext, 'store' | 'clock' | 'meshName' | 'log'>,
  what: { matrix: TrafficMatrix; config: MeshConfig; scopes?: ScopedRouting; planId: string | null; decidedAt: number },
): Promise<void> {
  for (let attempt = 1; attempt <= 10; attempt++) {
    let loaded;
    try {
      loaded = await deps.store.load(deps.meshName);
    } catch (err) {
      if (!(err instanceof RegionshiftError)) throw err;
      deps.log({ msg: 'could not record the mesh confirmation', plan: what.planId, error: err.message });
      return;
    }
    const { state, version } = loaded;
    if (!state) return;
    const prev = state.meshConfirmed;
    if (prev && prev.decidedAt > what.decidedAt) return;
    if (prev && prev.decidedAt === what.decidedAt && prev.planId === what.planId && matrixEquals(prev.matrix, what.matrix)) return;
    const next: MeshState = {
      ...state,
      meshConfirmed: {
        matrix: what.matrix,
        config: what.config,
        ...(what.scopes ? { scopes: what.scopes } : {}),
        planId: what.planId,
        at: deps.clock.now(),
        decidedAt: what.decidedAt,
      },
    };
    try {
      await deps.store.commit(deps.meshName, version, next, null, []);
      return;
    } catch (err) {
      if (!(err instanceof StateConflictError)) {
        deps.log({ msg: 'could not record the mesh confirmation', plan: what.planId, error: (err as Error).message });
        return;
      }
    }
  }
  deps.log({ msg: 'could not record the mesh confirmation (state contended)', plan: what.planId });
}

/** The per-host configs of a mesh step, as `MeshControl.apply` takes them: the whole owned set (empty: none). */
export function scopeConfigs(scopes: ScopedRouting | undefined): Record<string, MeshConfig> {
  return Object.fromEntries(Object.entries(scopes ?? {}).map(([host, r]) => [host, r.config]));
}

export async function alert(deps: MeshContext, level: 'warning' | 'critical', text: string, planId?: string): Promise<void> {
  const at = deps.clock.now();
  deps.log({ msg: 'alert', level, text });
  // The on-call hears of it even when the audit log cannot take the line (it is queued then).
  await appendAudit(deps, [
    { mesh: deps.meshName, at, kind: 'alert', actor: 'regionshift', ...(planId ? { planId } : {}), summary: text, detail: { level } },
  ]);
  await deps.notifier.notify({ level, title: `regionshift ${deps.meshName}`, text, mesh: deps.meshName, at }).catch(() => undefined);
}
