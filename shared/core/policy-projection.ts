import { deploymentKey } from './capacity';
import { applyCommand } from './commands';
import { roundMatrix } from './matrix';
import type { Policy } from './policy';
import { renderMeshConfig } from './render';
import { scopeList } from './scopes';
import type { ControlCommand, Decision, Input, MeshState, Plan, ScopedRouting, Step, TrafficMatrix } from './types';

/**
 * A state committed under another version of the policy, projected onto the current one. A
 * region, a scoped service or a scaled deployment the policy no longer declares (removed, or
 * renamed: a rename is a removal and an addition) is dropped from the state, so that nothing the
 * decision reads names it; each drop is a note the plan's reasons carry ("policy changed: …").
 *
 * Without this, state from a three-region policy under the same policy minus one region made
 * every decision throw on the applied matrix (a row and a column the policy no longer declares):
 * tick, alarms and even pause failed, and nothing could unwedge it.
 *
 * What is dropped, and why:
 * - health, signals and scopes' health of a removed region, scopes' health and clocks of a removed
 *   service, scale entries of a deployment the policy no longer scales: nothing can act on them;
 * - an override or a drill naming a removed region or service: the human intent it carried cannot
 *   be honoured as given, and half of it would be a different intent (it is cleared, and said so);
 * - the applied matrix when its rows, columns or per-host rules are not the policy's: the mesh
 *   config names regions the policy no longer has (or lacks one it added), so the next decision
 *   renders and applies the whole config afresh, as a first decision does (urgent, no rate limit);
 * - the confirmed matrix is kept as far as it goes: rows and columns of removed regions dropped,
 *   each row renormalised, a region without a row serving itself, its config re-rendered.
 */

export interface PolicyProjection {
  /** The state as the current policy sees it; the same object when nothing had to change. */
  state: MeshState | null;
  /** One line per change, for the plan's reasons; empty when the state already fits the policy. */
  notes: string[];
}

const list = (xs: Iterable<string>) => [...xs].join(', ');

/** The scale-entry keys the policy's deployments have (as capacity.ts builds them). */
function scaledKeys(policy: Policy): Set<string> {
  const keys = new Set<string>();
  for (const d of policy.scaling.deployments) {
    for (const region of policy.regionIds) {
      const r = d.regions[region];
      if (!r) continue;
      keys.add(deploymentKey(r.cluster ?? policy.regions[region]?.clusters[0]?.id ?? region, d.namespace, d.name));
    }
  }
  return keys;
}

/** Every region a matrix names, as a source or a destination. */
function regionsOf(m: TrafficMatrix): Set<string> {
  const out = new Set<string>();
  for (const [src, row] of Object.entries(m)) {
    out.add(src);
    for (const [dst, w] of Object.entries(row)) if (w !== 0) out.add(dst);
  }
  return out;
}

/** Does the matrix have exactly the policy's rows and name no other region? */
function fitsRegions(m: TrafficMatrix, policy: Policy): boolean {
  // Runs on every decision (twice): plain loops, no arrays built.
  const declared = declaredBy(policy).regions;
  for (const src in m) {
    if (!declared.has(src)) return false;
    const row = m[src] as Record<string, number>;
    for (const dst in row) if (row[dst] !== 0 && !declared.has(dst)) return false;
  }
  for (const r of policy.regionIds) if (m[r] === undefined) return false;
  return true;
}

/** Rows and columns of undeclared regions dropped, rows renormalised; a row left empty (or missing) serves itself. */
export function projectMatrix(m: TrafficMatrix, regionIds: string[]): TrafficMatrix {
  const shares: TrafficMatrix = {};
  for (const src of regionIds) {
    const row: Record<string, number> = {};
    for (const dst of regionIds) {
      const w = m[src]?.[dst] ?? 0;
      if (w > 0) row[dst] = w;
    }
    shares[src] = Object.keys(row).length ? row : { [src]: 100 };
  }
  return roundMatrix(shares, regionIds);
}

function projectRouting(routing: ScopedRouting | undefined, hosts: ReadonlySet<string>, policy: Policy): ScopedRouting | undefined {
  if (!routing) return undefined;
  const out: ScopedRouting = {};
  for (const [host, r] of Object.entries(routing)) {
    if (!hosts.has(host)) continue;
    const matrix = projectMatrix(r.matrix, policy.regionIds);
    out[host] = { matrix, config: renderMeshConfig(matrix, policy) };
  }
  return out;
}

/** What the policy declares, as sets: derived once per policy object (every decision asks). */
interface Declared {
  regions: ReadonlySet<string>;
  services: ReadonlySet<string>;
  hosts: ReadonlySet<string>;
  scaled: ReadonlySet<string>;
}
const declaredOfPolicy = new WeakMap<Policy, Declared>();
function declaredBy(policy: Policy): Declared {
  let d = declaredOfPolicy.get(policy);
  if (!d) {
    d = {
      regions: new Set(policy.regionIds),
      services: new Set(Object.keys(policy.scopes?.services ?? {})),
      hosts: new Set(scopeList(policy).map((s) => s.host)),
      scaled: scaledKeys(policy),
    };
    declaredOfPolicy.set(policy, d);
  }
  return d;
}

export function projectOntoPolicy(policy: Policy, prev: MeshState | null): PolicyProjection {
  if (!prev) return { state: prev, notes: [] };
  const { regions: declared, services, hosts, scaled } = declaredBy(policy);
  const notes: string[] = [];
  // Work on a copy only once something has to change: most decisions find nothing to project.
  let copy: MeshState | null = null;
  const state = (): MeshState => (copy ??= structuredClone(prev));

  const removedRegions = Object.keys(prev.health).filter((r) => !declared.has(r));
  if (removedRegions.length) {
    for (const r of removedRegions) delete state().health[r];
    notes.push(`policy changed: region ${list(removedRegions)} removed; ${removedRegions.length > 1 ? 'their' : 'its'} health is dropped`);
  }
  const staleSignals = Object.values(prev.signals).filter((s) => !declared.has(s.region));
  if (staleSignals.length) {
    for (const s of staleSignals) delete state().signals[s.key];
    notes.push(
      `policy changed: ${staleSignals.length} active signal${staleSignals.length > 1 ? 's' : ''} of a removed region dropped (${list(staleSignals.slice(0, 5).map((s) => s.key))}${staleSignals.length > 5 ? ', …' : ''})`,
    );
  }
  if (prev.serviceHealth) {
    const goneServices = new Set<string>();
    for (const [region, row] of Object.entries(prev.serviceHealth)) {
      if (!declared.has(region)) {
        delete state().serviceHealth?.[region];
        continue;
      }
      for (const service of Object.keys(row)) {
        if (services.has(service)) continue;
        goneServices.add(service);
        delete state().serviceHealth?.[region]?.[service];
      }
    }
    if (goneServices.size)
      notes.push(`policy changed: scoped service ${list([...goneServices].sort())} removed; its health per region is dropped`);
  }
  if (prev.scopeClock) {
    const goneHosts = Object.keys(prev.scopeClock).filter((h) => !hosts.has(h));
    for (const h of goneHosts) delete state().scopeClock?.[h];
  }
  // Only deployment keys (cluster/namespace/name) are judged: anything else is not a scale entry the policy could name.
  const goneScale = Object.keys(prev.scale).filter((k) => !scaled.has(k) && k.split('/').length === 3);
  if (goneScale.length) {
    for (const k of goneScale) delete state().scale[k];
    notes.push(
      `policy changed: deployment ${list(goneScale)} no longer scaled; ${goneScale.length > 1 ? 'their scale entries are' : 'its scale entry is'} dropped`,
    );
  }

  const o = prev.override;
  if (o) {
    const named = [...(o.drain ?? []), ...(o.matrix ? regionsOf(o.matrix) : [])].filter((r) => !declared.has(r));
    const goneService = o.service !== undefined && !services.has(o.service);
    if (named.length || goneService) {
      state().override = null;
      notes.push(
        `policy changed: override ${o.id} cleared: it names ${named.length ? `removed region ${list(new Set(named))}` : `service ${o.service}, no longer scoped`}`,
      );
    }
  }
  const d = prev.drill;
  if (d && (!declared.has(d.region) || (d.service !== undefined && !services.has(d.service)))) {
    state().drill = null;
    notes.push(
      `policy changed: drill ${d.id} ended: it names ${declared.has(d.region) ? `service ${d.service}, no longer scoped` : `removed region ${d.region}`}`,
    );
  }

  const a = prev.applied;
  if (a) {
    const badHosts = Object.keys(a.scopes ?? {}).filter((h) => !hosts.has(h));
    const badScopeRegions = Object.values(a.scopes ?? {}).some((r) => !fitsRegions(r.matrix, policy));
    if (!fitsRegions(a.matrix, policy) || badHosts.length || badScopeRegions) {
      state().applied = null;
      notes.push(
        `policy changed: the applied mesh config ${badHosts.length ? `has per-host rules for ${list(badHosts)}, no longer scoped` : 'names other regions than the policy declares'}; it is rendered and applied afresh for ${list(policy.regionIds)}`,
      );
    }
  }
  const c = prev.meshConfirmed;
  if (c) {
    const badHosts = Object.keys(c.scopes ?? {}).some((h) => !hosts.has(h));
    const badScopeRegions = Object.values(c.scopes ?? {}).some((r) => !fitsRegions(r.matrix, policy));
    if (!fitsRegions(c.matrix, policy) || badHosts || badScopeRegions) {
      const matrix = projectMatrix(c.matrix, policy.regionIds);
      const scopes = projectRouting(c.scopes, hosts, policy);
      state().meshConfirmed = { ...c, matrix, config: renderMeshConfig(matrix, policy), ...(scopes ? { scopes } : {}) };
    }
  }
  return copy ? { state: copy, notes } : { state: prev, notes: [] };
}

type Decide = (policy: Policy, prev: MeshState | null, input: Input, now: number) => Decision;
type Explain = (plan: Plan) => string[];

/**
 * Set while this module's own call of `decide` runs, so that `decide`, calling back here, is let
 * through. Decisions are synchronous: no other decision can run in between.
 */
let inside = false;

/**
 * The hook at the top of `decide`. Null (decide as usual) when the state fits the policy and the
 * input is not a pause; else decides on the projected state, the projection's notes first in the
 * reasons and in a notification, and a pause that the decision fails on still pauses.
 */
export function decideAcrossPolicyChange(
  policy: Policy,
  prev: MeshState | null,
  input: Input,
  now: number,
  decide: Decide,
  explain: Explain,
): Decision | null {
  if (inside) return null;
  const pause = input.kind === 'command' && input.command.kind === 'pause' ? input.command : null;
  const projection = projectOntoPolicy(policy, prev);
  if (projection.notes.length === 0 && !pause) return null;
  let decision: Decision;
  inside = true;
  try {
    decision = decide(policy, projection.state, input, now);
  } catch (err) {
    if (!pause) throw err;
    return pauseWithoutDeciding(policy, projection, pause, now, err, explain);
  } finally {
    inside = false;
  }
  if (projection.notes.length === 0) return decision;
  return withNotes(decision, projection, explain);
}

/** The projection's notes in the plan's reasons and a warning to the operators: a policy change that drops state is worth a look. */
function withNotes(decision: Decision, projection: PolicyProjection, explain: Explain): Decision {
  const plan: Plan = {
    ...decision.plan,
    reasons: [...projection.notes, ...decision.plan.reasons],
    steps: [...decision.plan.steps, notice(projection.notes)],
  };
  // A plan with a step takes its sequence number; the decision did not if nothing else changed.
  const given = projection.state?.seq ?? 0;
  const state = decision.state.seq === given ? { ...decision.state, seq: given + 1 } : decision.state;
  return { ...decision, state, plan, explain: explain(plan) };
}

function notice(notes: string[]): Step {
  return {
    kind: 'notify',
    level: 'warning',
    message: notes.length === 1 ? (notes[0] as string) : `${notes[0]} (+${notes.length - 1} more, see the plan's reasons)`,
  };
}

/**
 * Pause is how an operator stops an autopilot that has wedged: when the decision itself fails
 * (an internal invariant), the pause is still recorded, with no traffic decision and no mesh
 * step, and the failure is named (critical) so it gets looked at.
 */
function pauseWithoutDeciding(
  policy: Policy,
  projection: PolicyProjection,
  cmd: ControlCommand,
  now: number,
  err: unknown,
  explain: Explain,
): Decision {
  const state: MeshState = projection.state ? structuredClone(projection.state) : emptyState();
  const seq = state.seq + 1;
  const effect = applyCommand(policy, state, cmd, now, String(seq));
  const failure = `the decision failed (${err instanceof Error ? err.message : String(err)}); paused without deciding the traffic: the mesh keeps what it has until resume`;
  const steps: Step[] = effect.refused.length ? [] : [{ kind: 'notify', level: 'critical', message: failure }];
  if (steps.length) state.seq = seq;
  const plan: Plan = {
    id: `${policy.name}-${String(seq).padStart(6, '0')}`,
    at: now,
    trigger: `command ${cmd.kind} by ${cmd.actor}`,
    reasons: [...projection.notes, ...effect.notes, failure],
    before: null,
    after: null,
    steps,
    refused: effect.refused,
  };
  return { state, plan, explain: explain(plan) };
}

function emptyState(): MeshState {
  return {
    signals: {},
    health: {},
    override: null,
    drill: null,
    paused: null,
    applied: null,
    lastChangeAt: null,
    lastElectiveAt: null,
    scale: {},
    seq: 0,
    meshConfirmed: null,
    lastRefusals: null,
  };
}
