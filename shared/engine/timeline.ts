import type { HealthStatus, Refusal, Step, TrafficMatrix } from '../core/types';
import type { StoredEvent } from '../ports/state-store';

/**
 * The incident timeline, built from audit events only (no state row, no plan journal), so the
 * API, the dashboard and the postmortem report tell the same story from the same rows. Pure:
 * the caller reads the events; this module only folds them.
 *
 * What each event kind contributes:
 * - decision: the matrix of its mesh step (the share served per region from then on), the
 *   health it left (`detail.health`, written since the timeline exists), explanation, steps,
 *   refusals and actor;
 * - step: a step's outcome and timing (`detail.index/status/attempts/error`);
 * - signal, command, alert, drift: listed with actor and summary (the "who did what").
 */

export const TIMELINE_MAX_POINTS = 500;
export const TIMELINE_MAX_DECISIONS = 200;
export const TIMELINE_MAX_EVENTS = 500;

export interface TimelineStep {
  index: number;
  kind: Step['kind'];
  text: string;
  status: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  /** When the outcome was recorded, and how long after the decision. */
  at: number | null;
  afterMs: number | null;
  attempts: number;
  error?: string;
}

export interface TimelineDecision {
  at: number;
  planId: string | null;
  actor: string;
  summary: string;
  explain: string[];
  reasons: string[];
  refused: Refusal[];
  steps: TimelineStep[];
  /**
   * Service scopes: the hosts whose routing this decision's mesh step changed, with the matrix
   * each now follows on its own (null: back to the default). Absent when it changed none.
   */
  scopeChanges?: Array<{ host: string; matrix: TrafficMatrix | null }>;
  /** The first matrix ever applied (nothing was routed before it): a start, not a move of traffic. */
  first?: true;
}

/** A step function per source and serving region: `bySource[src][dst][i]` holds from `at[i]`. */
export interface Shares {
  at: number[];
  bySource: Record<string, Record<string, number[]>>;
}

export interface HealthBand {
  status: HealthStatus;
  from: number;
  to: number;
}

export interface TimelineEvent {
  at: number;
  kind: string;
  actor: string;
  summary: string;
}

export interface Timeline {
  mesh: string;
  from: number;
  to: number;
  /** Every region seen in a matrix or a health map, sorted. */
  regions: string[];
  /**
   * The share (percent) of each source region's traffic served in each region, as a step
   * function: `at[i]` is when the value `bySource[src][dst][i]` starts. The first point is `from`
   * (the matrix in force then, when one is known), the last is `to`.
   */
  shares: Shares;
  /**
   * The same shares as the mesh confirmed them: a decision's matrix from when its mesh step was
   * recorded done (the mesh reported it applied), not from when it was decided. The first point
   * is the last confirmation before `from`, else the matrix in force there as `shares` has it.
   */
  confirmed: Shares;
  health: Record<string, HealthBand[]>;
  decisions: TimelineDecision[];
  /** Signals, commands, alerts and drift checks, oldest first (the "who did what"). */
  events: TimelineEvent[];
  /** What was left out to keep the answer bounded (see docs/api.md). */
  truncated: { points: boolean; decisions: boolean; events: boolean; scan: boolean };
}

export interface TimelineOptions {
  mesh: string;
  from: number;
  to: number;
  maxPoints?: number;
  maxDecisions?: number;
  maxEvents?: number;
  /** The caller stopped reading older events before reaching `from` (the scan bound). */
  scanTruncated?: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const HEALTH: readonly HealthStatus[] = ['HEALTHY', 'DEGRADED', 'DOWN', 'RECOVERING'];

function matrixOf(v: unknown): TrafficMatrix | null {
  if (!isRecord(v)) return null;
  const out: TrafficMatrix = {};
  for (const [src, row] of Object.entries(v)) {
    if (!isRecord(row)) return null;
    out[src] = {};
    for (const [dst, pct] of Object.entries(row)) if (typeof pct === 'number') (out[src] as Record<string, number>)[dst] = pct;
  }
  return out;
}

/**
 * The per-host routing a decision's last mesh step sent (host → matrix), or null when it has no
 * mesh step. A mesh step without `scopes` routes every host by the default (an empty map).
 */
function decidedScopes(detail: Record<string, unknown>): Record<string, TrafficMatrix> | null {
  const steps = Array.isArray(detail.steps) ? detail.steps : [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i];
    if (!isRecord(s) || s.kind !== 'mesh') continue;
    const out: Record<string, TrafficMatrix> = {};
    if (isRecord(s.scopes))
      for (const [host, r] of Object.entries(s.scopes)) {
        const m = isRecord(r) ? matrixOf(r.matrix) : null;
        if (m) out[host] = m;
      }
    return out;
  }
  return null;
}

/** The hosts whose routing differs between two per-host maps, sorted, with where each now goes. */
function scopeChanges(
  before: Record<string, TrafficMatrix>,
  after: Record<string, TrafficMatrix>,
): Array<{ host: string; matrix: TrafficMatrix | null }> {
  const hosts = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return hosts
    .filter((h) => JSON.stringify(before[h] ?? null) !== JSON.stringify(after[h] ?? null))
    .map((host) => ({ host, matrix: after[host] ?? null }));
}

/** The matrix a decision sent to the mesh: its last mesh step's, else its `after`. */
function decidedMatrix(detail: Record<string, unknown>): TrafficMatrix | null {
  const steps = Array.isArray(detail.steps) ? detail.steps : [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i];
    if (isRecord(s) && s.kind === 'mesh') return matrixOf(s.matrix);
  }
  return matrixOf(detail.after);
}

function healthOf(v: unknown): Record<string, HealthStatus> | null {
  if (!isRecord(v)) return null;
  const out: Record<string, HealthStatus> = {};
  for (const [region, status] of Object.entries(v)) if (HEALTH.includes(status as HealthStatus)) out[region] = status as HealthStatus;
  return out;
}

export function stepText(s: unknown): string {
  if (!isRecord(s)) return 'step';
  if (s.kind === 'scale')
    return `scale ${String(s.cluster)}/${String(s.namespace)}/${String(s.deployment)} ${String(s.from)}→${String(s.to)}${s.waitReady ? ' (wait ready)' : ''}`;
  if (s.kind === 'mesh') {
    const m = matrixOf(s.matrix) ?? {};
    const mode = isRecord(s.config) ? String(s.config.mode) : 'mesh';
    const hosts = isRecord(s.scopes) ? Object.keys(s.scopes) : [];
    const scoped = hosts.length ? ` (routed apart: ${hosts.join(', ')})` : '';
    return `mesh ${mode}: ${Object.entries(m)
      .map(
        ([src, row]) =>
          `${src}→{${Object.entries(row)
            .map(([d, p]) => `${d} ${p}%`)
            .join(', ')}}`,
      )
      .join('; ')}${scoped}`;
  }
  if (s.kind === 'notify') return `notify ${String(s.level)}: ${String(s.message)}`;
  return String(s.kind ?? 'step');
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const refusals = (v: unknown): Refusal[] =>
  Array.isArray(v) ? v.filter(isRecord).map((r) => ({ rule: String(r.rule), message: String(r.message) })) : [];

/** Keeps the last value of each of `n` equal time buckets: a step function stays a step function. */
function downsample(at: number[], n: number, from: number, to: number): number[] {
  if (at.length <= n) return at.map((_, i) => i);
  const keep: number[] = [0];
  const width = (to - from) / (n - 2);
  let bucket = -1;
  for (let i = 1; i < at.length - 1; i++) {
    const b = Math.floor(((at[i] as number) - from) / width);
    if (b === bucket) keep[keep.length - 1] = i;
    else keep.push(i);
    bucket = b;
  }
  keep.push(at.length - 1);
  return keep;
}

/**
 * Folds audit events (any order; those before `from` give the matrix and health in force at
 * `from`, those after `to` are ignored) into a bounded timeline.
 */
export function buildTimeline(events: StoredEvent[], opts: TimelineOptions): Timeline {
  const { from, to, mesh } = opts;
  const maxPoints = Math.max(3, opts.maxPoints ?? TIMELINE_MAX_POINTS);
  const maxDecisions = opts.maxDecisions ?? TIMELINE_MAX_DECISIONS;
  const maxEvents = opts.maxEvents ?? TIMELINE_MAX_EVENTS;
  const sorted = events.filter((e) => e.at <= to).sort((a, b) => a.at - b.at || a.seq - b.seq);

  let matrix: TrafficMatrix | null = null;
  // Per-host routing in force (service scopes); none before any mesh step routed a host apart.
  let scopes: Record<string, TrafficMatrix> = {};
  let health: Record<string, HealthStatus> = {};
  const regions = new Set<string>();
  const changes: Array<{ at: number; matrix: TrafficMatrix }> = [];
  const healthAt: Array<{ at: number; health: Record<string, HealthStatus> }> = [];
  const decisions: TimelineDecision[] = [];
  const byPlan = new Map<string, TimelineDecision>();
  // The matrix each plan's mesh step sends (any decision, in range or before), and when the mesh confirmed one.
  const planMesh = new Map<string, { index: number; matrix: TrafficMatrix; decidedAt: number }>();
  const confirmations: Array<{ at: number; matrix: TrafficMatrix }> = [];
  // As the state records it (executor's recordMeshConfirmed): a confirmation of a decision older than one already confirmed is dropped.
  let confirmedDecidedAt = -Infinity;
  const others: TimelineEvent[] = [];

  const note = (m: TrafficMatrix) => {
    for (const [src, row] of Object.entries(m)) {
      regions.add(src);
      for (const dst of Object.keys(row)) regions.add(dst);
    }
  };

  for (const e of sorted) {
    const detail = isRecord(e.detail) ? e.detail : {};
    const inRange = e.at >= from;
    if (e.kind === 'decision') {
      const m = decidedMatrix(detail);
      const h = healthOf(detail.health);
      const sc = decidedScopes(detail);
      const stepList: unknown[] = Array.isArray(detail.steps) ? detail.steps : [];
      const meshIndex = stepList.findLastIndex((s) => isRecord(s) && s.kind === 'mesh');
      const meshStep = stepList[meshIndex];
      const meshMatrix = isRecord(meshStep) ? matrixOf(meshStep.matrix) : null;
      if (e.planId && meshMatrix) planMesh.set(e.planId, { index: meshIndex, matrix: meshMatrix, decidedAt: e.at });
      const scoped = sc ? scopeChanges(scopes, sc) : [];
      if (sc) scopes = sc;
      if (!m && !matrix) {
        const before = matrixOf(detail.before);
        if (before) {
          matrix = before;
          note(before);
        }
      }
      if (m) {
        matrix = m;
        note(m);
        if (inRange) changes.push({ at: e.at, matrix: m });
      }
      if (h) {
        const changed = JSON.stringify(h) !== JSON.stringify(health);
        health = h;
        for (const r of Object.keys(h)) regions.add(r);
        if (inRange && changed) healthAt.push({ at: e.at, health: h });
      }
      if (!inRange) continue;
      const steps: TimelineStep[] = (Array.isArray(detail.steps) ? detail.steps : []).map((s, index) => ({
        index,
        kind: (isRecord(s) ? s.kind : 'notify') as Step['kind'],
        text: stepText(s),
        status: 'pending',
        at: null,
        afterMs: null,
        attempts: 0,
      }));
      const d: TimelineDecision = {
        at: e.at,
        planId: e.planId ?? null,
        actor: e.actor,
        summary: e.summary,
        explain: strings(detail.explain),
        reasons: strings(detail.reasons),
        refused: refusals(detail.refused),
        steps,
        ...(scoped.length ? { scopeChanges: scoped } : {}),
        ...(meshMatrix && detail.before === null ? { first: true as const } : {}),
      };
      decisions.push(d);
      if (e.planId) byPlan.set(e.planId, d);
    } else if (e.kind === 'step') {
      const sent = e.planId ? planMesh.get(e.planId) : undefined;
      if (sent && detail.index === sent.index && detail.status === 'done' && sent.decidedAt >= confirmedDecidedAt) {
        confirmedDecidedAt = sent.decidedAt;
        confirmations.push({ at: e.at, matrix: sent.matrix });
      }
      const d = e.planId ? byPlan.get(e.planId) : undefined;
      const step = d && typeof detail.index === 'number' ? d.steps[detail.index] : undefined;
      if (d && step) {
        step.status = (
          ['pending', 'running', 'done', 'failed', 'skipped'].includes(String(detail.status)) ? detail.status : 'pending'
        ) as TimelineStep['status'];
        step.at = e.at;
        step.afterMs = e.at - d.at;
        step.attempts = typeof detail.attempts === 'number' ? detail.attempts : 0;
        if (typeof detail.error === 'string') step.error = detail.error;
      }
    } else if (inRange) {
      others.push({ at: e.at, kind: e.kind, actor: e.actor, summary: e.summary });
    }
  }

  // Shares: one point at `from`, one per change, one at `to`; the sources and regions of both.
  const regionList = [...regions].sort();
  const start = startingMatrix(sorted, from);
  const commanded = [{ at: from, matrix: start }, ...changes];
  const confirmedBefore = confirmations.filter((c) => c.at < from).at(-1)?.matrix ?? start;
  const confirmedPoints = [{ at: from, matrix: confirmedBefore }, ...confirmations.filter((c) => c.at >= from)];
  const commandedShares = sharesOf(commanded, regionList, { from, to, maxPoints });
  const confirmedShares = sharesOf(confirmedPoints, regionList, { from, to, maxPoints });

  // Health bands: the status in force at `from`, then each change, closed at `to`.
  const bands: Record<string, HealthBand[]> = {};
  const startHealth = healthBefore(sorted, from);
  const timeline = [{ at: from, health: startHealth }, ...healthAt];
  for (const region of regionList) {
    const list: HealthBand[] = [];
    for (const { at, health: h } of timeline) {
      const status = h[region];
      const last = list[list.length - 1];
      if (last && last.status === status) continue;
      if (last) last.to = at;
      if (status) list.push({ status, from: at, to });
    }
    if (list.length) bands[region] = list;
  }

  return {
    mesh,
    from,
    to,
    regions: regionList,
    shares: commandedShares.shares,
    confirmed: confirmedShares.shares,
    health: bands,
    decisions: decisions.slice(-maxDecisions),
    events: others.slice(-maxEvents),
    truncated: {
      points: commandedShares.truncated || confirmedShares.truncated,
      decisions: decisions.length > maxDecisions,
      events: others.length > maxEvents,
      scan: opts.scanTruncated ?? false,
    },
  };
}

/** A step function from `from` to `to` through `points` (each a matrix from its time on), downsampled to `maxPoints`. */
function sharesOf(
  points: Array<{ at: number; matrix: TrafficMatrix | null }>,
  regionList: string[],
  o: { from: number; to: number; maxPoints: number },
): { shares: Shares; truncated: boolean } {
  const all = [...points, { at: o.to, matrix: points[points.length - 1]?.matrix ?? null }];
  const keep = downsample(
    all.map((p) => p.at),
    o.maxPoints,
    o.from,
    o.to,
  );
  const kept = keep.map((i) => all[i] as { at: number; matrix: TrafficMatrix | null });
  const sources = [...new Set(kept.flatMap((p) => Object.keys(p.matrix ?? {})))].sort();
  const bySource: Record<string, Record<string, number[]>> = {};
  for (const src of sources) {
    const row: Record<string, number[]> = {};
    for (const dst of regionList) row[dst] = kept.map((p) => (p.matrix ? (p.matrix[src]?.[dst] ?? 0) : 0));
    bySource[src] = row;
  }
  return { shares: { at: kept.map((p) => p.at), bySource }, truncated: kept.length < all.length };
}

/** The matrix in force at `from`: the last decided one before it, else the first decision's `before`. */
function startingMatrix(sorted: StoredEvent[], from: number): TrafficMatrix | null {
  let m: TrafficMatrix | null = null;
  for (const e of sorted) {
    if (e.kind !== 'decision' || !isRecord(e.detail)) continue;
    if (e.at >= from) return m ?? matrixOf(e.detail.before);
    m = decidedMatrix(e.detail) ?? m;
  }
  return m;
}

function healthBefore(sorted: StoredEvent[], from: number): Record<string, HealthStatus> {
  let h: Record<string, HealthStatus> = {};
  for (const e of sorted) {
    if (e.at >= from) break;
    if (e.kind === 'decision' && isRecord(e.detail)) h = healthOf(e.detail.health) ?? h;
  }
  return h;
}
