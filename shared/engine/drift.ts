import { SupersededError } from '../core/errors';
import { matrixEquals } from '../core/matrix';
import { configEquals, matrixFromConfig, renderMeshConfig } from '../core/render';
import type { MeshConfig, MeshState, TrafficMatrix } from '../core/types';
import type { DecisionOutcome } from './api';
import { appendAudit, type AuditDeps } from './audit';
import { alert, recordMeshConfirmed, scopeConfigs, supersededCheck } from './confirm';
import type { ExecutorDeps } from './executor';
import { isRetryable, unlessSuperseded, withRetry } from './retry';

/**
 * Drift: the live mesh config compared with what was applied, on each tick after the plans due.
 * Detect (read the mesh, compare the default and the owned per-host rules), then act per policy
 * `drift`: `reapply` what was applied, `adopt` the live default as an override, or `alert` only.
 *
 *   tick ─ no open mesh step? ─ read live ─ same ─ confirm (meshConfirmed) ─ done
 *                                          └ differs ─ audit 'drift' ─ reapply │ adopt │ alert
 */

/** What a drift check did; null when there was nothing to compare (no state, a mesh step still open, the mesh unreadable). */
export type DriftOutcome = 'reapplied' | 'reapply superseded' | 'reapply failed' | 'adopted' | 'adopt overruled' | 'alerted';

export interface DriftDeps {
  /** The executor's dependencies: the mesh's name, policy, store, mesh control, notifier, clock, log. */
  exec: ExecutorDeps;
  /** Where the drift line is written (bounded by the tick's deadline). */
  audit: AuditDeps;
  /** Decide and commit the live matrix as adopted (an `adopt` input), running its plan. */
  adopt: (matrix: TrafficMatrix) => Promise<DecisionOutcome>;
}

/** Compare the live mesh config with what was applied; act per policy.drift. */
export async function checkDrift(d: DriftDeps, deadline: number): Promise<DriftOutcome | null> {
  const { store, policy, meshControl, meshName, clock, log } = d.exec;
  const { state } = await store.load(meshName);
  if (!state?.applied) return null;
  const applied = state.applied;
  const open = await store.listOpenPlans(meshName);
  // A plan still applying its mesh step is not drift.
  if (
    open.some((p) =>
      p.plan.steps.some((s, i) => s.kind === 'mesh' && p.outcomes[i]?.status !== 'done' && p.outcomes[i]?.status !== 'skipped'),
    )
  )
    return null;
  const expected = renderMeshConfig(applied.matrix, policy);
  let live;
  try {
    live = await meshControl.read();
  } catch (err) {
    log({ msg: 'drift check could not read the mesh', error: (err as Error).message });
    return null;
  }
  // Read back as decided: the mesh has it (also how a state row older than meshConfirmed, or a
  // crash between the mesh step and its record, comes to show it confirmed).
  const appliedScopes = applied.scopes;
  const expectedScopes = policy.scopes ? scopeConfigs(appliedScopes) : undefined;
  const confirm = () =>
    recordMeshConfirmed(d.exec, {
      matrix: applied.matrix,
      config: expected,
      ...(appliedScopes ? { scopes: appliedScopes } : {}),
      planId: null,
      decidedAt: applied.at,
    });
  // Per-host rules are compared only when the policy scopes services and the adapter reports them.
  const scopesDrift = expectedScopes && live.scopes ? scopesDifference(live.scopes, expectedScopes) : null;
  const defaultLive = live.enabled && configEquals(live.config, expected);
  if (defaultLive && !scopesDrift) {
    if (
      !state.meshConfirmed ||
      (policy.scopes && state.meshConfirmed.decidedAt !== applied.at) ||
      !matrixEquals(state.meshConfirmed.matrix, applied.matrix)
    )
      await confirm();
    return null;
  }
  const what = defaultLive
    ? `live per-host rules differ from applied: ${scopesDrift}`
    : `live mesh config ${live.enabled ? JSON.stringify(live.config?.localityLbSetting ?? null) : '(locality LB disabled)'} differs from applied ${JSON.stringify(expected.localityLbSetting)}${scopesDrift ? `; per-host rules: ${scopesDrift}` : ''}`;
  await appendAudit(d.audit, [
    { mesh: meshName, at: clock.now(), kind: 'drift', actor: 'scheduler', summary: what, detail: { live, expected, action: policy.drift } },
  ]);
  if (policy.drift === 'reapply') {
    // A newer decision committed while the repair waits on the mesh (or backs off) makes the
    // repair moot, as for a plan's mesh step: the adapter stops at its next poll instead of
    // polling to updateTimeout, and nothing re-sends the older config over the newer one.
    const superseded = supersededCheck(d.exec, { drift: 'reapply' }, (latest) => driftRepairSupersededBy(applied, latest));
    const { attempt } = unlessSuperseded(
      () => meshControl.apply(expected, { deadline, superseded, ...(expectedScopes ? { scopes: expectedScopes } : {}) }),
      superseded,
    );
    // Same fault handling as a plan's mesh step; a tick that throws would skip the rest of its work.
    try {
      await withRetry(attempt, { clock, deadline, ...(d.exec.random ? { random: d.exec.random } : {}) });
    } catch (err) {
      if (err instanceof SupersededError) {
        // Not a failure: the newer plan's own mesh step carries the mesh on (and confirms it).
        log({ msg: 'drift re-apply superseded', why: err.reason, repairing: applied.at });
        return 'reapply superseded';
      }
      await alert(
        d.exec,
        isRetryable(err) ? 'warning' : 'critical',
        `drift: ${what}; re-apply failed, the next tick tries again: ${(err as Error).message}`,
      );
      return 'reapply failed';
    }
    await confirm();
    await alert(d.exec, 'warning', `drift: ${what}; re-applied`);
    return 'reapplied';
  }
  // Adopting takes the mesh-wide default as an override; per-host rules edited by hand are not
  // adopted (there is no per-host override to hold them), only reported.
  if (policy.drift === 'adopt' && !defaultLive && live.enabled && live.config) return adoptLive(d, live.config, what);
  await alert(d.exec, 'warning', `drift: ${what}; left as is (drift: ${policy.drift})`);
  return 'alerted';
}

/**
 * Whether the applied config a drift repair re-sends is still the one wanted: null while it is,
 * else why not. A decision committed since sets a newer `applied` (every mesh step's plan does,
 * adopt too), and a newer confirmation means the mesh already carries a later decision. A state
 * read that fails answers "still wanted": the repair carries on, bounded by its deadline.
 */
export function driftRepairSupersededBy(repairing: NonNullable<MeshState['applied']>, state: MeshState | null): string | null {
  if (!state) return null;
  if (!state.applied || state.applied.at !== repairing.at || !matrixEquals(state.applied.matrix, repairing.matrix))
    return 'a newer plan was decided';
  if (state.meshConfirmed && state.meshConfirmed.decidedAt > repairing.at) return 'a newer plan was confirmed on the mesh';
  return null;
}

/**
 * Take the live config as the applied matrix. The core still decides on top of it: when the
 * layers or health want another matrix (a hand edit that routes to a DOWN region), the
 * decision plans the way back, and that plan runs now rather than at the next tick.
 */
async function adoptLive(d: DriftDeps, config: MeshConfig, what: string): Promise<DriftOutcome> {
  const { policy, store, meshName } = d.exec;
  let matrix;
  try {
    matrix = matrixFromConfig(config, policy.regionIds);
  } catch (err) {
    await alert(d.exec, 'warning', `drift: ${what}; cannot adopt it: ${(err as Error).message}`);
    return 'alerted';
  }
  const outcome = await d.adopt(matrix);
  const { state } = await store.load(meshName);
  if (state?.applied && matrixEquals(state.applied.matrix, matrix)) {
    await alert(d.exec, 'warning', `drift: ${what}; adopted`);
    return 'adopted';
  }
  await alert(
    d.exec,
    'warning',
    `drift: ${what}; adopted, but overruled by the decision (${outcome.explain.slice(1).join('; ')}): plan ${outcome.plan.id} moves it back`,
    outcome.plan.id,
  );
  return 'adopt overruled';
}

/** Which owned per-host rules differ between the mesh and what was applied, or null when none does. */
export function scopesDifference(live: Record<string, MeshConfig>, expected: Record<string, MeshConfig>): string | null {
  const hosts = [...new Set([...Object.keys(live), ...Object.keys(expected)])].sort();
  const differ = hosts.filter((h) => !configEquals(live[h] ?? null, expected[h] ?? null));
  if (differ.length === 0) return null;
  return differ.map((h) => `${h} ${h in live ? (h in expected ? 'changed' : 'not applied by us') : 'missing'}`).join(', ');
}
