import type { HealthBand, Shares, TimelineDecision } from '../../../shared/engine/timeline';

/**
 * The timeline panel's layout, pure (no DOM): which window it opens on, where the decision
 * markers stand, what the legend says, the stacked series the chart draws. Unit-tested; the
 * panel (timeline.ts) only measures the chart and places what these return.
 */

/** Health statuses in the order the legend lists them, with what each band colour means. */
export const HEALTH_LEGEND: ReadonlyArray<{ status: string; text: string }> = [
  { status: 'HEALTHY', text: 'healthy' },
  { status: 'DEGRADED', text: 'degraded (shares shifted away)' },
  { status: 'DOWN', text: 'down (drained)' },
  { status: 'RECOVERING', text: 'recovering (traffic stepped back)' },
];

/** How far back the panel looks for the latest incident when it opens. */
export const INCIDENT_LOOKBACK_MS = 7 * 24 * 3_600_000;
/** Episodes closer than this are one incident (a flap, a retry, the restore after a drain). */
export const INCIDENT_GAP_MS = 10 * 60_000;
/** Margin either side of an incident: a quarter of its length, at least this. */
export const INCIDENT_MIN_PAD_MS = 2 * 60_000;

export interface Span {
  from: number;
  to: number;
}

/**
 * The latest incident in what the timeline holds: the last run of episodes (a region not HEALTHY,
 * a decision that planned steps or refused something, and its steps' outcomes; the first matrix
 * ever applied is no incident) with gaps under
 * `gapMs`. Null when the range holds none.
 */
export function latestIncident(
  t: { health: Record<string, HealthBand[]>; decisions: TimelineDecision[] },
  gapMs = INCIDENT_GAP_MS,
): Span | null {
  const spans: Span[] = [];
  for (const bands of Object.values(t.health)) for (const b of bands) if (b.status !== 'HEALTHY') spans.push({ from: b.from, to: b.to });
  for (const d of t.decisions) {
    if ((d.steps.length === 0 && d.refused.length === 0) || d.first) continue;
    const last = Math.max(d.at, ...d.steps.map((s) => s.at ?? d.at));
    spans.push({ from: d.at, to: last });
  }
  if (spans.length === 0) return null;
  spans.sort((a, b) => a.from - b.from);
  let current = { ...(spans[0] as Span) };
  for (const s of spans.slice(1)) {
    if (s.from - current.to < gapMs) current.to = Math.max(current.to, s.to);
    else current = { ...s };
  }
  return current;
}

/**
 * The window the panel opens on for an incident: the incident with a margin either side (a
 * quarter of its length, at least `minPadMs`), whole seconds, not past `now`. Null without one.
 */
export function incidentWindow(incident: Span | null, now: number, minPadMs = INCIDENT_MIN_PAD_MS): Span | null {
  if (!incident) return null;
  const pad = Math.max(minPadMs, (incident.to - incident.from) / 4);
  const from = Math.floor((incident.from - pad) / 1000) * 1000;
  const to = Math.ceil(Math.min(now, incident.to + pad) / 1000) * 1000;
  return { from, to: Math.max(to, from + 1000) };
}

/** "<start> – <end> (4 min)": an incident as the panel's note names it; `time` formats an instant. */
export function incidentText(incident: Span, time: (ms: number) => string): string {
  const s = Math.round((incident.to - incident.from) / 1000);
  const length = s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 360) / 10} h`;
  return `${time(incident.from)} – ${time(incident.to)} (${length})`;
}

export interface MarkerSlot {
  /** Row of labelled markers (0 the top), or null: no row had room, drawn as a dot on the dot row. */
  row: number | null;
}

/**
 * Stacks decision markers so none overlaps another (no "D3 D D D D7"): each marker, in time order,
 * takes the first row where it clears the previous marker there by `gap` px; past `maxRows` rows
 * it becomes a dot (its label stays its accessible name and tooltip). `xs` are the markers'
 * centres, `widths` their label widths, both in px.
 */
export function layoutMarkers(xs: readonly number[], widths: readonly number[], maxRows = 3, gap = 4): MarkerSlot[] {
  const rowEnds: number[] = [];
  return xs.map((x, i) => {
    const w = widths[i] ?? 0;
    const left = x - w / 2;
    for (let r = 0; r < maxRows; r++) {
      const end = rowEnds[r];
      if (end === undefined || left >= end + gap) {
        rowEnds[r] = x + w / 2;
        return { row: r };
      }
    }
    return { row: null };
  });
}

/** How many rows the markers take (for the height of their strip). */
export const markerRows = (slots: readonly MarkerSlot[]): number => Math.max(0, ...slots.map((s) => (s.row === null ? 0 : s.row + 1)));

/** Rows (one per serving region) as the chart stacks them: each the running total up to it, so each filled area shows its own share. */
export function stack(rows: readonly number[][]): number[][] {
  return rows.map((_, k) => (rows[0] ?? []).map((__, i) => rows.slice(0, k + 1).reduce((n, r) => n + (r[i] ?? 0), 0)));
}

/**
 * One source's shares on a given time axis, one row per serving region in `regions` (step
 * function: the value in force at each of `at`; 0 where the source has none), so the commanded and
 * the confirmed shares share one x axis.
 */
export function resample(shares: Shares, source: string, regions: readonly string[], at: readonly number[]): number[][] {
  const bySource = shares.bySource[source] ?? {};
  return regions.map((dst) => {
    const values = bySource[dst];
    return at.map((t) => {
      let v = 0;
      for (let i = 0; i < shares.at.length && (shares.at[i] as number) <= t; i++) v = values?.[i] ?? 0;
      return v;
    });
  });
}

/** The union of two step functions' times, sorted, each once. */
export const mergedTimes = (a: readonly number[], b: readonly number[]): number[] => [...new Set([...a, ...b])].sort((x, y) => x - y);

/** Where the mesh lagged the decision: the seconds between a decision and its mesh step recorded done, per decision index. */
export function confirmLagSeconds(decisions: readonly TimelineDecision[]): Array<number | null> {
  return decisions.map((d) => {
    const mesh = d.steps.find((s) => s.kind === 'mesh' && s.status === 'done');
    return mesh && mesh.afterMs !== null ? Math.round(mesh.afterMs / 100) / 10 : null;
  });
}
