import { capacityShortfalls, type ScaleNeed } from './capacity';
import { limitElective } from './elective';
import { advanceHealth, initialHealth, type HealthTransition } from './health';
import { intendedMatrix, type IntendedMatrix, type LayerScope } from './layers';
import { matrixEquals, roundMatrix, servingRegions } from './matrix';
import { scopeHost, type Policy } from './policy';
import type { DeploymentPolicy } from './policy-schema';
import { renderMeshConfig } from './render';
import { applyHealthResponse, drainRegions, healthyRegions } from './response';
import { ownValue } from './own';
import { guardMoves, type TargetJudge } from './target-guard';
import type { EntryRead, MeshState, Refusal, RegionHealth, ScopedRouting, Signal, Step, TrafficMatrix } from './types';

/**
 * Service scopes: health and routing per (region, service) next to the mesh-wide default.
 *
 * - The default (every host not listed in `ScopedRouting`) follows region-level health. With
 *   `shiftAt: entry` it carries no elective shift: only a region DOWN (not a drill) and a
 *   mesh-wide drain override move it, so a request crosses regions at most once.
 * - An entry host carries today's full result (schedules, overrides, drills, degraded shares,
 *   recovery steps), composed with its own (region, service) health.
 * - Any other scoped host is the default composed with its own health, schedules and overrides.
 */

export interface Scope {
  service: string;
  host: string;
  entry: boolean;
}

export function scopeList(policy: Policy): Scope[] {
  const s = policy.scopes;
  if (!s) return [];
  const entry = s.entry ?? [];
  return Object.keys(s.services).map((service) => ({ service, host: scopeHost(s, service), entry: entry.includes(service) }));
}

/**
 * Policy `scopes.entryFrom`: the policy the decision uses, with `scopes.entry` set to the entry
 * services last derived from the gateways' VirtualServices (`state.entry`), so that everything
 * after treats them exactly like named ones. None derived yet: no entry service (elective shifts
 * are refused, see `decideScopes`). A policy naming `entry` is returned as it is, and a derived
 * set left from an earlier policy is dropped.
 */
export function withDerivedEntry(policy: Policy, state: MeshState): Policy {
  const s = policy.scopes;
  if (!s?.entryFrom) {
    if (state.entry) delete state.entry;
    return policy;
  }
  const known = (state.entry?.services ?? []).filter((service) => ownValue(s.services, service));
  return { ...policy, scopes: { ...s, entry: known } };
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Record one read of the gateways' VirtualServices (policy `scopes.entryFrom`) in `state.entry`.
 * The entry services are the scoped services whose host a route names. A read that failed, or
 * that names no scoped service, changes nothing but the recorded problem: the last derived set
 * stays (never a guess). Returns a note when the set or the problem changed, else null, so an
 * unchanged read every tick writes nothing.
 */
export function recordEntryRead(policy: Policy, state: MeshState, read: EntryRead, now: number): string | null {
  const s = policy.scopes;
  if (!s?.entryFrom) return null;
  const prev = state.entry ?? { services: [], from: [], since: null, problem: null };
  const gateways = s.entryFrom.gateways.join(', ');
  const keep = (message: string): string | null => {
    if (prev.problem?.message === message) return null;
    state.entry = { ...prev, problem: { message, since: now } };
    const kept = prev.services.length
      ? `keeping the entry services derived before (${prev.services.join(', ')})`
      : 'no entry service is known: elective shifts are refused until one is derived';
    return `entry services: ${message}; ${kept}`;
  };
  if (!read.ok) return keep(`could not read the VirtualServices of gateways ${gateways}: ${read.error}`);
  const byHost = new Map(Object.keys(s.services).map((service) => [scopeHost(s, service), service]));
  const services = new Set<string>();
  const from = new Set<string>();
  for (const r of read.routes) {
    const service = byHost.get(r.host);
    if (service === undefined) continue;
    services.add(service);
    from.add(r.virtualService);
  }
  if (services.size === 0) {
    const hosts = [...new Set(read.routes.map((r) => r.host))].sort();
    return keep(
      read.routes.length === 0
        ? `no VirtualService bound to gateways ${gateways} routes anywhere`
        : `the VirtualServices bound to gateways ${gateways} route to no scoped service (hosts: ${hosts.join(', ')})`,
    );
  }
  const list = [...services].sort();
  const fromList = [...from].sort();
  if (sameList(list, prev.services) && sameList(fromList, prev.from) && prev.problem === null) return null;
  const changed = !sameList(list, prev.services);
  state.entry = { services: list, from: fromList, since: changed || prev.since === null ? now : prev.since, problem: null };
  if (!changed) return prev.problem ? `entry services: the VirtualServices of gateways ${gateways} read again (${list.join(', ')})` : null;
  return `entry services derived from ${fromList.join(', ')} (gateways ${gateways}): ${list.join(', ')}${prev.services.length ? ` (were ${prev.services.join(', ')})` : ''}`;
}

/** The scoped service a signal is about, if any; a signal naming an unscoped service is region-level. */
export function signalScope(policy: Policy, s: Pick<Signal, 'service'>): string | undefined {
  // Own keys only: a service label spelled constructor or toString is not a scoped service.
  return s.service !== undefined && ownValue(policy.scopes?.services, s.service) ? s.service : undefined;
}

/** Key of a signal's health record: `region/service` for a scoped service, else the region. */
export function healthKey(policy: Policy, s: Pick<Signal, 'service' | 'region'>): string {
  const service = signalScope(policy, s);
  return service === undefined ? s.region : `${s.region}/${service}`;
}

/** Fill in a HEALTHY record for every (region, service) the policy scopes; drop the rest. */
export function ensureServiceHealth(policy: Policy, state: MeshState): void {
  const scopes = scopeList(policy);
  if (scopes.length === 0) {
    if (state.serviceHealth && Object.keys(state.serviceHealth).length) delete state.serviceHealth;
    return;
  }
  const fresh = initialHealth(policy);
  const out: NonNullable<MeshState['serviceHealth']> = {};
  for (const r of policy.regionIds) {
    const row: Record<string, RegionHealth> = {};
    for (const { service } of scopes) row[service] = state.serviceHealth?.[r]?.[service] ?? structuredClone(fresh[r] as RegionHealth);
    out[r] = row;
  }
  state.serviceHealth = out;
}

/**
 * Advance every (region, service) record with the signals naming that service (the same state
 * machine as a region's). Transitions are labelled `region/service`.
 */
export function updateServiceHealth(
  policy: Policy,
  state: MeshState,
  active: Signal[],
  now: number,
  clearedAt: Record<string, number>,
): HealthTransition[] {
  const out: HealthTransition[] = [];
  for (const region of policy.regionIds) {
    for (const { service } of scopeList(policy)) {
      const h = state.serviceHealth?.[region]?.[service];
      if (!h) continue;
      const key = `${region}/${service}`;
      const mine = active.filter((s) => s.region === region && signalScope(policy, s) === service);
      out.push(...advanceHealth(policy, h, key, mine, now, clearedAt[key]));
    }
  }
  return out;
}

const isDrillKey = (k: string) => k.startsWith('drill|');

/**
 * Region health as the default sees it with `shiftAt: entry`: a region DOWN on real signals
 * drains every scope; anything else (degraded, recovering, a drill) is an elective shift that
 * the entry hosts carry, so the default treats the region as healthy.
 */
export function downOnly(policy: Policy, health: Record<string, RegionHealth>): Record<string, RegionHealth> {
  const out: Record<string, RegionHealth> = {};
  for (const r of policy.regionIds) {
    const h = health[r];
    if (!h) continue;
    const realDown = h.status === 'DOWN' && !h.causes.every(isDrillKey);
    out[r] = realDown ? h : { ...h, status: 'HEALTHY' };
  }
  return out;
}

/** The worse of two health records per region (the one keeping the smaller share). */
function worse(policy: Policy, a: Record<string, RegionHealth>, b: Record<string, RegionHealth> | undefined): Record<string, RegionHealth> {
  const rank: Record<RegionHealth['status'], number> = { HEALTHY: 0, RECOVERING: 1, DEGRADED: 2, DOWN: 3 };
  const out: Record<string, RegionHealth> = {};
  for (const r of policy.regionIds) {
    const x = a[r];
    const y = b?.[r];
    if (!x) continue;
    if (!y) out[r] = x;
    else if (rank[y.status] > rank[x.status]) out[r] = y;
    else if (y.status === 'RECOVERING' && x.status === 'RECOVERING' && (y.step ?? 0) < (x.step ?? 0)) out[r] = y;
    else out[r] = x;
  }
  return out;
}

export interface ScopeView {
  layers: LayerScope;
  health: Record<string, RegionHealth>;
}

/** What the default (every host not scoped apart) is decided from. */
export function defaultView(policy: Policy, state: MeshState): ScopeView {
  const everyHop = policy.scopes?.shiftAt === 'every-hop';
  if (!policy.scopes || everyHop) return { layers: { global: true }, health: state.health };
  return { layers: { global: false }, health: downOnly(policy, state.health) };
}

export function hostView(policy: Policy, state: MeshState, scope: Scope): ScopeView {
  const global = policy.scopes?.shiftAt === 'every-hop' || scope.entry;
  const region = global ? state.health : downOnly(policy, state.health);
  const column: Record<string, RegionHealth> = {};
  for (const r of policy.regionIds) {
    const h = state.serviceHealth?.[r]?.[scope.service];
    if (h) column[r] = h;
  }
  return { layers: { service: scope.service, global }, health: worse(policy, region, column) };
}

export interface ScopeTarget {
  intended: IntendedMatrix;
  target: TrafficMatrix;
  drained: string[];
  health: Record<string, RegionHealth>;
  refused: Refusal[];
  judge?: TargetJudge;
}

/**
 * The matrix one scope should have now: its layers, then its health response. `label` names the
 * scope in refusals ("service reviews: ...") so that "never drain a service everywhere" names it.
 */
export function scopeTarget(
  policy: Policy,
  state: MeshState,
  view: ScopeView,
  now: number,
  current: TrafficMatrix | null,
  label?: string,
  judge?: TargetJudge,
): ScopeTarget {
  const intended = intendedMatrix(policy, state, now, view.layers);
  const refused: Refusal[] = [];
  const prefix = label ? `${label}: ` : '';
  const response = intended.force
    ? { shares: intended.matrix, drained: [], notDrained: [] }
    : applyHealthResponse(policy, intended.matrix, view.health, judge);
  for (const n of response.notDrained) refused.push({ rule: n.rule, message: `${prefix}${n.message}` });
  let target = roundMatrix(response.shares, policy.regionIds);
  if (judge && current && !intended.force) {
    // The target guard per host, as for the default (see decide): a move toward a region not
    // measurably better keeps the host's current routing, its guarded urgent drain excepted.
    const drainFirst = response.drained.length
      ? roundMatrix(drainRegions(policy, current, response.drained, healthyRegions(policy, view.health), judge), policy.regionIds)
      : current;
    const guarded = guardMoves(policy, judge, current, target, guardMoves(policy, judge, current, drainFirst).matrix);
    target = guarded.matrix;
    for (const message of guarded.held) refused.push({ rule: 'safety.doNoHarm', message: `${prefix}${message}` });
  }
  if (servingRegions(target, policy.regionIds).length < policy.safety.minServingRegions) {
    refused.push({
      rule: 'safety.minServingRegions',
      message: `${prefix}the response would leave fewer than ${policy.safety.minServingRegions} regions serving; keeping the last good matrix`,
    });
    target = current ?? policy.normal;
  }
  return { intended, target, drained: response.drained, health: view.health, refused, ...(judge ? { judge } : {}) };
}

/** `A∘B`: where traffic ends up when hop one routes by A and hop two by B (percent). */
export function composeMatrices(a: TrafficMatrix, b: TrafficMatrix, regionIds: string[]): TrafficMatrix {
  const out: Record<string, Record<string, number>> = {};
  for (const s of regionIds) {
    const row: Record<string, number> = {};
    for (const [m, w] of Object.entries(a[s] ?? { [s]: 100 })) {
      for (const [d, v] of Object.entries(b[m] ?? { [m]: 100 })) row[d] = (row[d] ?? 0) + (w * v) / 100;
    }
    out[s] = row;
  }
  return roundMatrix(out, regionIds);
}

/**
 * The matrix a deployment's load follows: users enter by the (first) entry host's matrix; a
 * deployment of a non-entry service then takes its own host's hop. Unscoped deployments follow
 * the entry matrix (the users' distribution).
 */
export function deploymentRouting(
  policy: Policy,
  defaultMatrix: TrafficMatrix,
  scopes: ScopedRouting | undefined,
): (d: DeploymentPolicy) => TrafficMatrix {
  const list = scopeList(policy);
  const of = (service: string) => {
    const host = list.find((s) => s.service === service)?.host;
    return (host && scopes?.[host]?.matrix) || defaultMatrix;
  };
  const entry = list.find((s) => s.entry);
  const entryMatrix = entry ? of(entry.service) : defaultMatrix;
  return (d) => {
    const scope = d.service === undefined ? undefined : list.find((s) => s.service === d.service);
    if (!scope || scope.entry) return scope ? of(scope.service) : entryMatrix;
    return composeMatrices(entryMatrix, of(scope.service), policy.regionIds);
  };
}

export interface ScopeDecision {
  /** Per host: the matrix it has after this decision. */
  next: Record<string, TrafficMatrix>;
  changed: boolean;
  notes: string[];
  refused: Refusal[];
  notify: Step[];
  urgent: boolean;
}

export interface ScopeContext {
  manual: boolean;
  drillAborted: boolean;
  /** Health changed in this decision: refusals are alerted, not only recorded. */
  alert: boolean;
  /** The target guard for one scope's view (its health, the signals about its service). */
  judgeFor?: (health: Record<string, RegionHealth>, service: string) => TargetJudge;
}

/**
 * Decide every scoped host: its target, then the same split as the default (draining DOWN
 * regions is never held back; the rest is elective and rate-limited), with cooldown,
 * stepInterval, maxStepPercent and capacity judged per host (`state.scopeClock`).
 * `currentDefault`: the default matrix before this decision (what an unlisted host has);
 * `nextDefault`: the default after it (already rate-limited by the default's own clock).
 */
export function decideScopes(
  policy: Policy,
  state: MeshState,
  now: number,
  ctx: ScopeContext,
  currentDefault: TrafficMatrix | null,
  nextDefault: TrafficMatrix | null,
): ScopeDecision {
  const out: ScopeDecision = { next: {}, changed: false, notes: [], refused: [], notify: [], urgent: false };
  const noEntry = noEntryRefusal(policy, state, now, currentDefault, nextDefault);
  if (noEntry) {
    out.refused.push(noEntry);
    if (ctx.alert) out.notify.push({ kind: 'notify', level: 'critical', message: `refused ${noEntry.rule}: ${noEntry.message}` });
  }
  for (const scope of scopeList(policy)) {
    const current = state.applied?.scopes?.[scope.host]?.matrix ?? currentDefault;
    const label = `service ${scope.service}`;
    const view = hostView(policy, state, scope);
    const t = scopeTarget(policy, state, view, now, current, label, ctx.judgeFor?.(view.health, scope.service));
    out.refused.push(...t.refused);
    if (ctx.alert)
      for (const r of t.refused) out.notify.push({ kind: 'notify', level: 'critical', message: `refused ${r.rule}: ${r.message}` });
    const target = t.target;
    const changed = () => {
      out.changed = true;
      out.notes.push(`${label} (${scope.host}) → ${t.intended.layer}${t.intended.source ? ` ${t.intended.source}` : ''}`);
    };
    if (current === null) {
      out.next[scope.host] = target;
      out.urgent = true;
      changed();
      continue;
    }
    if (matrixEquals(current, target)) {
      out.next[scope.host] = current;
      continue;
    }
    // A host whose routing is the default's moves with the default (its limits already applied):
    // after a region DOWN the inner hops come back in one move while the entry hosts step.
    if (nextDefault && matrixEquals(target, nextDefault)) {
      out.next[scope.host] = target;
      const lastElectiveAt = state.scopeClock?.[scope.host]?.lastElectiveAt ?? null;
      state.scopeClock = { ...state.scopeClock, [scope.host]: { lastChangeAt: now, lastElectiveAt } };
      changed();
      continue;
    }
    const drainBase = t.drained.length
      ? roundMatrix(drainRegions(policy, current, t.drained, healthyRegions(policy, t.health), t.judge), policy.regionIds)
      : current;
    if (!matrixEquals(drainBase, current)) out.urgent = true;
    let next = target;
    const elective = !ctx.manual && !ctx.drillAborted && !matrixEquals(drainBase, target);
    const clock = state.scopeClock?.[scope.host] ?? { lastChangeAt: null, lastElectiveAt: null };
    let electiveStep = elective;
    if (state.paused && !ctx.manual) {
      out.refused.push({ rule: 'paused', message: `${label}: automation paused by ${state.paused.actor}` });
      next = current;
      electiveStep = false;
    } else if (elective) {
      const limited = limitElective(policy, now, {
        base: drainBase,
        target,
        lastChangeAt: clock.lastChangeAt,
        lastElectiveAt: clock.lastElectiveAt,
        maxStep: policy.safety.maxStepPercent,
        shortfall: (step) => scopeShortfall(policy, state, scope, drainBase, step, target),
        prefix: `${label}: `,
        change: `change of ${scope.host}`,
        electiveStep: `elective step of ${scope.host}`,
      });
      out.refused.push(...limited.refused);
      next = limited.next;
      if (next === drainBase) electiveStep = false;
    }
    out.next[scope.host] = next;
    if (!matrixEquals(current, next)) {
      state.scopeClock = {
        ...state.scopeClock,
        [scope.host]: { lastChangeAt: now, lastElectiveAt: electiveStep ? now : clock.lastElectiveAt },
      };
      changed();
    }
  }
  return out;
}

/**
 * `entryFrom` with no entry service derived: an elective shift (schedule, override, drill,
 * degraded share, recovery step) would be carried by the entry hosts, and there are none, so it
 * is refused with the reason rather than guessed onto some host. A region DOWN still drains every
 * scope through the default, which never depends on the VirtualService read.
 */
function noEntryRefusal(
  policy: Policy,
  state: MeshState,
  now: number,
  currentDefault: TrafficMatrix | null,
  nextDefault: TrafficMatrix | null,
): Refusal | null {
  const s = policy.scopes;
  if (!s?.entryFrom || s.shiftAt !== 'entry' || (s.entry ?? []).length > 0) return null;
  const whole = scopeTarget(policy, state, { layers: { global: true }, health: state.health }, now, currentDefault);
  const base = nextDefault ?? currentDefault ?? policy.normal;
  if (matrixEquals(whole.target, base)) return null;
  const why = state.entry?.problem?.message ?? "the gateways' VirtualServices were not read yet";
  return {
    rule: 'scopes.entryFrom',
    message: `no entry service is known (${why}): the ${whole.intended.layer}${whole.intended.source ? ` ${whole.intended.source}` : ''} shift is not applied at any hop; a region DOWN still drains every scope`,
  };
}

/** Capacity of a scope's own deployments, judged on the whole shift and on this step. */
function scopeShortfall(
  policy: Policy,
  state: MeshState,
  scope: Scope,
  from: TrafficMatrix,
  step: TrafficMatrix,
  target: TrafficMatrix,
): ScaleNeed[] {
  const mine = (d: DeploymentPolicy) => d.service === scope.service;
  return capacityShortfalls(policy, state, from, [target, step], { only: mine });
}

/** The hosts whose matrix differs from the default's, rendered; undefined when none does. */
export function scopedRouting(policy: Policy, defaultMatrix: TrafficMatrix, next: Record<string, TrafficMatrix>): ScopedRouting {
  const out: ScopedRouting = {};
  for (const [host, m] of Object.entries(next).sort(([a], [b]) => a.localeCompare(b))) {
    if (!matrixEquals(m, defaultMatrix)) out[host] = { matrix: m, config: renderMeshConfig(m, policy) };
  }
  return out;
}
