import type { TrafficMatrix } from '../core/types';

/**
 * What each audit row says to a person (the dashboard's history, `regionshift history`): a
 * decision by what it did ("cn-hangzhou DOWN → drain cn-hangzhou: cn-hangzhou → cn-shanghai
 * 100%", "held: …"), not by its trigger; a step by its target. Pure: reads only the rows, so the
 * browser bundle and the CLI share it.
 */

/** The fields of an audit row this module reads (StoredEvent has them all). */
export interface HistoryEvent {
  seq: number;
  at: number;
  kind: string;
  actor: string;
  summary: string;
  planId?: string | null;
  detail?: unknown;
}

export interface HistoryStep {
  seq: number;
  at: number;
  text: string;
  status: string;
}

export interface HistoryRow {
  seq: number;
  at: number;
  kind: string;
  actor: string;
  planId: string | null;
  /** What happened, in words. */
  text: string;
  /** The decision's explain lines (decisions only). */
  explain: string[];
  /** Step outcomes of this row's plan found in the same page, oldest first (grouped under it). */
  steps: HistoryStep[];
  /** How many steps the decision planned (decisions only; 0 otherwise). */
  planned: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function matrixOf(v: unknown): TrafficMatrix | null {
  if (!isRecord(v)) return null;
  const out: TrafficMatrix = {};
  for (const [src, row] of Object.entries(v)) {
    if (!isRecord(row)) return null;
    const r: Record<string, number> = {};
    for (const [dst, p] of Object.entries(row)) if (typeof p === 'number') r[dst] = p;
    out[src] = r;
  }
  return out;
}

const rowText = (row: Record<string, number> | undefined): string =>
  Object.entries(row ?? {})
    .filter(([, p]) => p > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dst, p]) => `${dst} ${p}%`)
    .join(', ') || 'nowhere';

const sameRow = (a: Record<string, number> | undefined, b: Record<string, number> | undefined) => rowText(a) === rowText(b);

/** Regions that serve nothing in `m` (no row sends them a share). */
function drained(m: TrafficMatrix, regions: string[]): string[] {
  return regions.filter((r) => Object.values(m).every((row) => !(row[r] ?? 0)));
}

/** The target of a step in a few words: the deployment it scales, the mesh it routes, the level it notifies. */
export function stepTarget(step: unknown, mesh?: string): string {
  if (!isRecord(step)) return 'step';
  if (step.kind === 'scale')
    return `scale ${String(step.cluster)}/${String(step.namespace)}/${String(step.deployment)} ${String(step.from)}→${String(step.to)}`;
  if (step.kind === 'mesh')
    return `mesh ${mesh ?? ''}${isRecord(step.config) ? ` ${String(step.config.mode)}` : ''}`.replace(/\s+/g, ' ').trim();
  if (step.kind === 'notify') return `notify ${String(step.level)}`;
  return String(step.kind ?? 'step');
}

/**
 * Scale steps in a few words: each named when there are at most two, else counted per cluster
 * and direction ("scale up 4 deployments in c-shanghai; scale down 4 in c-hangzhou").
 */
function scaleText(scales: Array<Record<string, unknown>>): string {
  if (scales.length <= 2) return scales.map((s) => stepTarget(s)).join('; ');
  const groups = new Map<string, number>();
  for (const s of scales) {
    const key = `${Number(s.to) > Number(s.from) ? 'up' : 'down'}\u0000${String(s.cluster)}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups]
    .map(([key, n], i) => {
      const [dir, cluster] = key.split('\u0000');
      return `scale ${dir} ${n}${i === 0 ? ` deployment${n === 1 ? '' : 's'}` : ''} in ${cluster}`;
    })
    .join('; ');
}

/**
 * A decision in one line: the health it left (regions not HEALTHY), then what it did: the source
 * rows its mesh step changed (a newly drained region named), the deployments it scaled, or why it
 * held (its first refusal); the layer when a schedule or an override set the target.
 */
export function decisionText(detail: unknown, fallback = 'decision'): string {
  if (!isRecord(detail)) return fallback;
  const health = isRecord(detail.health) ? Object.entries(detail.health).filter(([, s]) => typeof s === 'string') : [];
  const sick = health.filter(([, s]) => s !== 'HEALTHY').map(([r, s]) => `${r} ${String(s)}`);
  const state = health.length === 0 ? '' : sick.length ? sick.join(', ') : 'all HEALTHY';
  const steps = Array.isArray(detail.steps) ? detail.steps.filter(isRecord) : [];
  const refused = Array.isArray(detail.refused) ? detail.refused.filter(isRecord) : [];
  const reasons = Array.isArray(detail.reasons) ? detail.reasons.filter((r): r is string => typeof r === 'string') : [];
  const actions: string[] = [];
  const mesh = [...steps].reverse().find((s) => s.kind === 'mesh');
  const after = mesh ? matrixOf(mesh.matrix) : null;
  if (after) {
    const known = matrixOf(detail.before);
    const before = known ?? {};
    const regions = [
      ...new Set([
        ...Object.keys(after),
        ...Object.values(after).flatMap((r) => Object.keys(r)),
        ...Object.keys(before),
        ...Object.values(before).flatMap((r) => Object.keys(r)),
      ]),
    ].sort();
    const newlyDrained = drained(after, regions).filter((r) => !drained(before, regions).includes(r));
    const changed = Object.keys(after)
      .sort()
      .filter((src) => !sameRow(after[src], before[src]));
    const rows = (changed.length ? changed : Object.keys(after).sort()).map((src) => `${src} → ${rowText(after[src])}`).join('; ');
    actions.push(
      !known
        ? `apply: ${rows}`
        : newlyDrained.length
          ? `drain ${newlyDrained.join(', ')}: ${rows}`
          : changed.length
            ? `shift: ${rows}`
            : `mesh re-applied: ${rows}`,
    );
    if (isRecord(mesh?.scopes) && Object.keys(mesh.scopes).length)
      actions.push(`routed apart: ${Object.keys(mesh.scopes).sort().join(', ')}`);
  }
  const scales = steps.filter((s) => s.kind === 'scale');
  if (scales.length) actions.push(scaleText(scales));
  if (!after && refused.length)
    actions.push(
      `held: ${String(refused[0]?.message ?? refused[0]?.rule)}${refused.length > 1 ? ` (+${refused.length - 1} more refused)` : ''}`,
    );
  else if (refused.length) actions.push(`${refused.length} refused (${refused.map((r) => String(r.rule)).join(', ')})`);
  const notifies = steps.filter((s) => s.kind === 'notify');
  if (actions.length === 0 && notifies.length) actions.push(`notify ${String(notifies[0]?.level)}: ${String(notifies[0]?.message)}`);
  if (actions.length === 0) actions.push('no change');
  const layer = reasons.map((r) => /^layer (schedule|override) \(([^)]*)\)/.exec(r)).find(Boolean);
  const why = layer ? ` [${layer[1]} ${layer[2]}]` : '';
  return `${state ? `${state} → ` : ''}${actions.join('; ')}${why}`;
}

/**
 * History rows, newest first as the API gives them: a decision says what it did; the step
 * outcomes of a plan whose decision is on the page go under that decision instead of a row
 * each; those whose decision is on an older page become one row per plan.
 */
export function historyRows(events: readonly HistoryEvent[], mesh?: string): HistoryRow[] {
  const decisions = new Map<string, { row: HistoryRow; steps: unknown[] }>();
  for (const e of events) {
    if (e.kind !== 'decision' || !e.planId) continue;
    const d = isRecord(e.detail) ? e.detail : {};
    const row: HistoryRow = {
      seq: e.seq,
      at: e.at,
      kind: e.kind,
      actor: e.actor,
      planId: e.planId,
      text: decisionText(e.detail, e.summary),
      explain: Array.isArray(d.explain) ? d.explain.filter((x): x is string => typeof x === 'string') : [],
      steps: [],
      planned: Array.isArray(d.steps) ? d.steps.length : 0,
    };
    decisions.set(e.planId, { row, steps: Array.isArray(d.steps) ? d.steps : [] });
  }
  const orphans = new Map<string, HistoryRow>();
  const out: HistoryRow[] = [];
  for (const e of events) {
    const planId = e.planId ?? null;
    if (e.kind === 'step' && planId) {
      const d = isRecord(e.detail) ? e.detail : {};
      const index = typeof d.index === 'number' ? d.index : -1;
      const status = typeof d.status === 'string' ? d.status : '';
      const owner = decisions.get(planId);
      const step = owner?.steps[index];
      const of = owner ? `/${owner.steps.length}` : '';
      const text =
        index >= 0
          ? `step ${index + 1}${of} ${step ? stepTarget(step, mesh) : String(d.kind ?? '')} ${status}${typeof d.error === 'string' ? `: ${d.error}` : ''}`.replace(
              /\s+/g,
              ' ',
            )
          : e.summary;
      const item: HistoryStep = { seq: e.seq, at: e.at, text, status };
      if (owner) {
        owner.row.steps.unshift(item);
        continue;
      }
      const grouped = orphans.get(planId);
      if (grouped) {
        grouped.steps.unshift(item);
        grouped.text = `${grouped.steps.length} step outcomes of plan ${planId}`;
        continue;
      }
      const row: HistoryRow = { seq: e.seq, at: e.at, kind: 'step', actor: e.actor, planId, text, explain: [], steps: [item], planned: 0 };
      orphans.set(planId, row);
      out.push(row);
      continue;
    }
    const own = e.kind === 'decision' && planId ? decisions.get(planId)?.row : undefined;
    out.push(own ?? { seq: e.seq, at: e.at, kind: e.kind, actor: e.actor, planId, text: e.summary, explain: [], steps: [], planned: 0 });
  }
  return out;
}

/** How far a decision's steps got, for its row: "3/3 steps done", "2/3 steps done, 1 failed". */
export function stepsSummary(row: HistoryRow): string {
  if (row.steps.length === 0) return '';
  const planned = row.planned;
  const count = (s: string) => row.steps.filter((x) => x.status === s).length;
  const done = count('done') + count('skipped');
  const failed = count('failed');
  return `${done}${planned ? `/${planned}` : ''} step${(planned || done) === 1 ? '' : 's'} done${failed ? `, ${failed} failed` : ''}`;
}
