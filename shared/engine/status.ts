import { drillSignal } from '../core/commands';
import { matrixEquals } from '../core/matrix';
import { lowerLayer, type LayerScope } from '../core/layers';
import type { Policy } from '../core/policy';
import { renderMeshConfig } from '../core/render';
import type { MeshState, Refusal, RegionHealth, ScopedRouting } from '../core/types';
import type { PlanRecord, StoredEvent } from '../ports/state-store';
import type { EntryView, RegionHealthView, ScheduleView, ScopeStatus, StatusView } from './api';

const iso = (t: number) => new Date(t).toISOString();

/**
 * The refusals status shows: the latest decision's, as the state keeps them. A row written before
 * the state kept them falls back to the newest decision in `recent` audit events.
 */
function latestRefusals(state: MeshState | null, recent: StoredEvent[]): { refused: Refusal[]; since: StatusView['refusedSince'] } {
  if (state && state.lastRefusals !== undefined) {
    const kept = state.lastRefusals;
    return kept ? { refused: kept.refused, since: { at: iso(kept.at), trigger: kept.trigger } } : { refused: [], since: null };
  }
  const lastDecision = recent.find((e) => e.kind === 'decision');
  const refused = ((lastDecision?.detail as { refused?: Refusal[] } | undefined)?.refused ?? []) as Refusal[];
  return { refused, since: lastDecision && refused.length ? { at: iso(lastDecision.at), trigger: lastDecision.summary } : null };
}

/**
 * A recovery step as everything shown to people numbers it: from 1, of the policy's steps, with
 * its share (`step 1/3 (25%)`). The core's state keeps the index into `recovery.steps` (from 0).
 */
function recoveryStep(policy: Policy, index: number): { step: number; steps: number; percent: number } {
  const steps = policy.recovery.steps;
  return { step: index + 1, steps: steps.length, percent: steps[index] ?? 100 };
}

// `since` 0 is the core's "never changed": null, not the 1970 epoch.
const healthView = (policy: Policy, h: RegionHealth | undefined): RegionHealthView => ({
  status: h?.status ?? 'HEALTHY',
  since: h?.since ? iso(h.since) : null,
  ...(h?.step !== undefined ? recoveryStep(policy, h.step) : {}),
  causes: h?.causes ?? [],
});

/**
 * The hosts routed apart from the default, intended and confirmed side by side. A host on one side
 * only follows the other side's default there: its rule is still to come, or still to go. Null when
 * neither side has any, so status stays as it was for meshes without service scopes.
 */
function scopeStatus(state: MeshState | null): Record<string, ScopeStatus> | null {
  const intended: ScopedRouting = state?.applied?.scopes ?? {};
  const confirmed: ScopedRouting = state?.meshConfirmed?.scopes ?? {};
  const hosts = [...new Set([...Object.keys(intended), ...Object.keys(confirmed)])].sort();
  if (hosts.length === 0) return null;
  const decided = Boolean(state?.applied);
  return Object.fromEntries(
    hosts.map((host) => {
      const i = intended[host];
      const c = confirmed[host];
      // As for the default: nothing decided is nothing to shift to; otherwise the mesh must hold the same per-host matrix.
      const shifting = decided && (i === undefined ? c !== undefined : c === undefined || !matrixEquals(i.matrix, c.matrix));
      return [
        host,
        {
          intended: i ? { matrix: i.matrix, mode: i.config.mode } : null,
          confirmed: c ? { matrix: c.matrix, mode: c.config.mode } : null,
          shifting,
        },
      ];
    }),
  );
}

/** The scoped service an override or drill names (service scopes), as `{service}`; nothing when it names none. */
const serviceOf = (x: object): { service?: string } => {
  const service = (x as { service?: unknown }).service;
  return typeof service === 'string' ? { service } : {};
};

/** Health per region, per scoped service; null when the state keeps none. */
function serviceHealthView(policy: Policy, state: MeshState | null): Record<string, Record<string, RegionHealthView>> | null {
  const byRegion = state?.serviceHealth ?? {};
  const regions = Object.keys(byRegion).filter((r) => Object.keys(byRegion[r] ?? {}).length > 0);
  if (regions.length === 0) return null;
  return Object.fromEntries(
    regions.map((r) => [r, Object.fromEntries(Object.entries(byRegion[r] ?? {}).map(([svc, h]) => [svc, healthView(policy, h)]))]),
  );
}

/** Where the entry services come from (service scopes); null when the policy scopes no services. */
function entryView(policy: Policy, state: MeshState | null): EntryView | null {
  const s = policy.scopes;
  if (!s) return null;
  if (!s.entryFrom) return { source: 'policy', services: [...(s.entry ?? [])] };
  const e = state?.entry;
  return {
    source: 'virtualservices',
    services: e?.services ?? [],
    gateways: [...s.entryFrom.gateways],
    from: e?.from ?? [],
    since: e?.since ? iso(e.since) : null,
    problem: e?.problem ? { message: e.problem.message, since: iso(e.problem.since) } : null,
  };
}

/**
 * The schedules in force now: the mesh-wide one, then one per scoped service that has its own
 * (as the decisions' layers pick them: the first open schedule of each scope).
 */
export function activeSchedules(policy: Policy, now: number): ScheduleView[] {
  const services = [...new Set(policy.schedules.flatMap((s) => (s.service !== undefined ? [s.service] : [])))];
  const scopes: LayerScope[] = [{ global: true }, ...services.map((service) => ({ service, global: false }))];
  const out: ScheduleView[] = [];
  for (const scope of scopes) {
    const layer = lowerLayer(policy, now, scope);
    if (layer.layer !== 'schedule' || layer.source === undefined || layer.until === undefined) continue;
    out.push({
      name: layer.source,
      until: iso(layer.until),
      matrix: layer.matrix,
      ...(scope.service !== undefined ? { service: scope.service } : {}),
    });
  }
  return out;
}

/**
 * The status the control API and dashboard show: health, what the mesh has and what is intended
 * (`shifting` while they differ), layers, open plans, the latest refusals.
 */
export function statusView(
  policy: Policy,
  state: MeshState | null,
  version: number,
  open: PlanRecord[],
  recent: StoredEvent[],
  now: number,
): StatusView {
  const { refused, since } = latestRefusals(state, recent);
  const confirmed = state?.meshConfirmed ?? null;
  const intended = state?.applied
    ? { matrix: state.applied.matrix, config: renderMeshConfig(state.applied.matrix, policy), at: iso(state.applied.at) }
    : null;
  const scopes = scopeStatus(state);
  const serviceHealth = serviceHealthView(policy, state);
  const entry = entryView(policy, state);
  const shifting =
    (intended !== null && (confirmed === null || !matrixEquals(confirmed.matrix, intended.matrix))) ||
    Object.values(scopes ?? {}).some((sc) => sc.shifting);
  const signals = state ? Object.values(state.signals) : [];
  const drill = state ? drillSignal(state) : null;
  if (drill) signals.push(drill);
  return {
    mesh: policy.name,
    version,
    at: iso(now),
    paused: state?.paused ? { actor: state.paused.actor, at: iso(state.paused.at), reason: state.paused.reason } : null,
    health: Object.fromEntries(policy.regionIds.map((r) => [r, healthView(policy, state?.health[r])])),
    matrix: confirmed?.matrix ?? null,
    config: confirmed?.config ?? null,
    intended,
    confirmed: confirmed ? { matrix: confirmed.matrix, config: confirmed.config, at: iso(confirmed.at), planId: confirmed.planId } : null,
    shifting,
    override: state?.override
      ? {
          id: state.override.id,
          ...serviceOf(state.override),
          ...(state.override.matrix ? { matrix: state.override.matrix } : {}),
          ...(state.override.drain ? { drain: state.override.drain } : {}),
          force: state.override.force,
          expiresAt: iso(state.override.expiresAt),
          actor: state.override.actor,
          reason: state.override.reason,
        }
      : null,
    drill: state?.drill
      ? {
          id: state.drill.id,
          region: state.drill.region,
          ...serviceOf(state.drill),
          severity: state.drill.severity,
          endsAt: iso(state.drill.endsAt),
          actor: state.drill.actor,
        }
      : null,
    // The service and the measure when the signal has them (a telemetry signal's measured 5xx share, a CMS curValue).
    activeSignals: signals.map((s) => ({
      key: s.key,
      source: s.source,
      region: s.region,
      ...(s.service !== undefined ? { service: s.service } : {}),
      severity: s.severity,
      at: iso(s.at),
      ...(s.measure ? { measure: s.measure } : {}),
    })),
    openPlans: open.map((p) => ({
      id: p.plan.id,
      status: p.status,
      steps: p.plan.steps.length,
      done: p.outcomes.filter((o) => o.status === 'done' || o.status === 'skipped').length,
      dueAt: iso(p.dueAt),
    })),
    schedules: activeSchedules(policy, now),
    refused,
    refusedSince: since,
    // Only when there are any: a mesh without service scopes gets the status it always had.
    ...(scopes ? { scopes } : {}),
    ...(serviceHealth ? { serviceHealth } : {}),
    ...(entry ? { entry } : {}),
  };
}
