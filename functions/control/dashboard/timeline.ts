import type UPlot from 'uplot';
import type { Timeline, TimelineDecision } from '../../../shared/engine/timeline';
import { $, el, input } from '../../../shared/browser/dom';
import { read, readText, serverNow } from './api';
import {
  confirmLagSeconds,
  HEALTH_LEGEND,
  INCIDENT_LOOKBACK_MS,
  incidentText,
  incidentWindow,
  latestIncident,
  layoutMarkers,
  markerRows,
  mergedTimes,
  resample,
  stack,
  type Span,
} from './timeline-layout';
import { showError } from './widgets';

/**
 * The incident timeline panel: for each source region the share served in each region (stacked,
 * uPlot; the commanded shares filled, the mesh-confirmed ones dashed beside them), health bands per
 * region with a legend, one marker per decision (stacked so none overlaps; click: its explanation,
 * steps and refusals), a range picker, and a report download. It opens on the latest incident
 * (see timeline-layout.ts); with `#at=<ISO time or epoch ms>` (a notification's link, optionally
 * `&plan=<plan id>`) on 30 min either side of that moment (the end clamped to now), the decision of
 * that plan (else the one nearest the moment) marked and its details open.
 */

/** uPlot, loaded by its own script element before this bundle (functions/control/uplot-asset.ts). */
declare const uPlot: typeof UPlot;

/** How far either side of a linked moment the timeline opens (minutes). */
export const MOMENT_WINDOW_MIN = 30;

const COLORS = ['#0969da', '#1a7f37', '#9a6700', '#8250df', '#cf222e', '#1b7c83'];
const MARKER_ROW_PX = 20;
const MARKER_ROWS = 3;

let plots: UPlot[] = [];
/** A moment to open at (from the fragment's 'at'), and the decision to select there, once. */
let pick: { at: number; plan: string | null } | null = null;
let warn: Error | null = null;
/** The range last drawn (the report of "latest incident" is of that range). */
let drawn: Span | null = null;

function moment(params: URLSearchParams): { at: number; plan: string | null } | null {
  const raw = params.get('at');
  if (raw === null) return null;
  // ISO time (what notifications send) or epoch milliseconds.
  const at = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(at)) throw new Error(`#at: not a time (an ISO time such as 2026-01-01T02:30:00Z, or epoch ms): ${raw}`);
  return { at, plan: params.get('plan') };
}

/** The value a datetime-local input takes: local time to the second. */
const localInput = (ms: number): string => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 19);

function openAt(m: { at: number; plan: string | null }): void {
  const win = MOMENT_WINDOW_MIN * 60_000;
  const now = serverNow();
  // Whole seconds (what the inputs hold), widened so the moment itself stays inside; not past now
  // unless the moment itself is (a clock ahead of ours).
  const from = Math.floor((m.at - win) / 1000) * 1000;
  const to = Math.ceil(Math.max(Math.min(m.at + win, now), m.at + 1000) / 1000) * 1000;
  input('tl-range').value = 'custom';
  $('tl-custom').hidden = false;
  input('tl-from').value = localInput(from);
  input('tl-to').value = localInput(to);
  pick = m;
}

/** The range picked, or for "latest incident" the window around it (null: none in the lookback). */
async function range(): Promise<{ span: Span; note: string }> {
  const choice = input('tl-range').value;
  if (choice === 'custom') {
    const from = Date.parse(input('tl-from').value);
    const to = Date.parse(input('tl-to').value);
    if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error('custom range: enter both From and To');
    return { span: { from, to }, note: '' };
  }
  const to = serverNow();
  if (choice === 'incident') {
    const week = await read<Timeline>(`v1/timeline?from=${Math.round(to - INCIDENT_LOOKBACK_MS)}&to=${Math.round(to)}`);
    const incident = latestIncident(week);
    const span = incidentWindow(incident, to);
    if (span && incident) return { span, note: `latest incident: ${incidentText(incident, (ms) => new Date(ms).toLocaleString())}` };
    return { span: { from: to - 3_600_000, to }, note: 'no incident in the last 7 days: the last hour' };
  }
  return { span: { from: to - Number(choice) * 60_000, to }, note: '' };
}

function select(t: Timeline, markers: HTMLCollection): void {
  const m = pick;
  pick = null;
  if (!m || !t.decisions.length) return;
  let i = m.plan ? t.decisions.findIndex((d) => d.planId === m.plan) : -1;
  if (i < 0) {
    i = 0;
    t.decisions.forEach((d, k) => {
      if (Math.abs(d.at - m.at) < Math.abs((t.decisions[i] as TimelineDecision).at - m.at)) i = k;
    });
  }
  markers[i]?.setAttribute('aria-pressed', 'true');
  detail(t.decisions[i] as TimelineDecision, i, confirmLagSeconds(t.decisions)[i] ?? null);
}

function detail(d: TimelineDecision, i: number, lag: number | null): void {
  for (const b of document.querySelectorAll<HTMLElement>('.tl-marker[aria-pressed="true"]'))
    if (b.dataset.index !== String(i)) b.setAttribute('aria-pressed', 'false');
  document.querySelector(`.tl-marker[data-index="${i}"]`)?.setAttribute('aria-pressed', 'true');
  const steps = el(
    'ol',
    {},
    ...d.steps.map((s) =>
      el('li', {
        text: `${s.text} — ${s.status}${s.afterMs !== null ? ` after ${Math.round(s.afterMs / 100) / 10} s` : ''}${s.error ? `: ${s.error}` : ''}`,
      }),
    ),
  );
  const refused = el('ul', {}, ...d.refused.map((r) => el('li', { text: `${r.rule}: ${r.message}` })));
  $('tl-detail').replaceChildren(
    el('h3', {
      text: `D${i + 1} · ${new Date(d.at).toLocaleString()} · by ${d.actor}${lag !== null ? ` · mesh confirmed after ${lag} s` : ''}`,
    }),
    el('pre', { class: 'explain', text: (d.explain.length ? d.explain : [d.summary]).join('\n') }),
    d.steps.length ? el('div', {}, el('strong', { text: 'Steps' }), steps) : el('p', { class: 'muted', text: 'no steps' }),
    d.refused.length ? el('div', {}, el('strong', { text: 'Refused' }), refused) : '',
    // Service scopes: the hosts this decision routed apart from the default, or back to it.
    d.scopeChanges?.length
      ? el(
          'div',
          {},
          el('strong', { text: 'Scopes changed' }),
          el(
            'ul',
            { 'aria-label': 'Scopes changed' },
            ...d.scopeChanges.map((c) =>
              el(
                'li',
                {},
                el('code', { text: c.host }),
                `: ${
                  c.matrix
                    ? Object.entries(c.matrix)
                        .map(
                          ([src, row]) =>
                            `${src} → ${Object.entries(row)
                              .filter(([, p]) => p > 0)
                              .map(([dst, p]) => `${dst} ${p}%`)
                              .join(', ')}`,
                        )
                        .join('; ')
                    : 'back to the default'
                }`,
              ),
            ),
          ),
        )
      : '',
  );
}

function legend(): HTMLElement {
  return el(
    'ul',
    { class: 'tl-legend small', 'aria-label': 'Legend' },
    HEALTH_LEGEND.map((h) => el('li', {}, el('span', { class: `tl-swatch b-${h.status}` }), `${h.status} ${h.text}`)),
    el('li', {}, el('span', { class: 'tl-swatch filled' }), 'commanded share (filled)'),
    el('li', {}, el('span', { class: 'tl-swatch dashed' }), 'confirmed by the mesh (dashed)'),
    el('li', {}, el('span', { class: 'tl-swatch marker' }), 'D<n> a decision (red: refused something)'),
  );
}

function chart(t: Timeline, src: string, width: number, box: HTMLElement): UPlot {
  const xsMs = mergedTimes(t.shares.at, t.confirmed.at);
  const commanded = resample(t.shares, src, t.regions, xsMs);
  const confirmed = resample(t.confirmed, src, t.regions, xsMs);
  const totals = stack(commanded);
  const confirmedTotals = stack(confirmed);
  // Drawn largest total first so each fill shows its own share; the confirmed lines over them.
  const order = t.regions.map((_, k) => t.regions.length - 1 - k);
  const color = (k: number) => COLORS[k % COLORS.length] as string;
  const value = (rows: number[][], k: number) => (_u: UPlot, _v: number, _si: number, i: number | null) =>
    i == null ? '' : `${rows[k]?.[i] ?? 0}%`;
  const opts: UPlot.Options = {
    width,
    height: 150,
    scales: { x: { time: true, range: [t.from / 1000, t.to / 1000] }, y: { range: [0, 100] } },
    legend: { show: true },
    series: [
      {},
      ...order.map((k) => ({
        label: `served in ${t.regions[k]}`,
        stroke: color(k),
        fill: `${color(k)}bb`,
        paths: uPlot.paths.stepped?.({ align: 1 }),
        value: value(commanded, k),
      })),
      ...order.map((k) => ({
        label: `confirmed in ${t.regions[k]}`,
        stroke: color(k),
        width: 2,
        dash: [6, 4],
        paths: uPlot.paths.stepped?.({ align: 1 }),
        value: value(confirmed, k),
      })),
    ],
    axes: [{}, { values: (_u, vals) => vals.map((v) => `${v}%`) }],
  };
  const data: UPlot.AlignedData = [
    xsMs.map((ms) => ms / 1000),
    ...order.map((k) => totals[k] as number[]),
    ...order.map((k) => confirmedTotals[k] as number[]),
  ];
  return new uPlot(opts, data, box);
}

function render(t: Timeline): void {
  for (const p of plots) p.destroy();
  plots = [];
  drawn = { from: t.from, to: t.to };
  const host = $('tl-charts');
  host.replaceChildren();
  // Which range is drawn, for whoever waits for a new one (the browser test).
  host.dataset.from = String(t.from);
  host.dataset.to = String(t.to);
  $('tl-detail').replaceChildren();
  const sources = Object.keys(t.shares.bySource);
  const note = $('tl-note');
  note.textContent = [
    note.dataset.range ?? '',
    sources.length
      ? Object.entries(t.truncated)
          .filter(([, v]) => v)
          .map(([k]) => `${k} truncated`)
          .join(', ')
      : 'no matrix in this range',
  ]
    .filter(Boolean)
    .join(' · ');
  const width = Math.max(300, host.clientWidth - 10);
  for (const src of sources) {
    const box = el('div', { class: 'tl-chart', 'data-source': src }, el('h3', { text: `traffic entering in ${src}` }));
    host.append(box);
    plots.push(chart(t, src, width, box));
  }
  const bands = el('div', { id: 'tl-bands' });
  const markers = el('div', { class: 'tl-markers', 'aria-label': 'Decisions' });
  const placed: Array<() => void> = [];
  for (const region of t.regions) {
    const strip = el('div', { class: 'tl-strip', 'data-region': region }, el('span', { class: 'tl-label', text: region }));
    for (const b of t.health[region] ?? []) {
      const band = el('span', { class: `tl-band b-${b.status}`, title: `${region} ${b.status} from ${new Date(b.from).toLocaleString()}` });
      placed.push(() => {
        band.style.left = `${xpos(b.from)}px`;
        band.style.width = `${Math.max(2, xpos(b.to) - xpos(b.from))}px`;
      });
      strip.append(band);
    }
    bands.append(strip);
  }
  const lags = confirmLagSeconds(t.decisions);
  const buttons = t.decisions.map((d, i) => {
    const m = el('button', {
      type: 'button',
      class: `tl-marker${d.refused.length ? ' refused' : ''}`,
      title: d.summary,
      'aria-label': `Decision D${i + 1}: ${d.summary}`,
      'aria-pressed': 'false',
      'data-index': String(i),
      'data-plan': d.planId ?? '',
      text: `D${i + 1}`,
    });
    m.addEventListener('click', () => detail(d, i, lags[i] ?? null));
    markers.append(m);
    return m;
  });
  host.append(bands, markers, legend());
  select(t, markers.children);
  // Bands and markers line up with the plotting area of the charts (uPlot's .u-over), measured
  // once uPlot has laid it out (it sizes its elements after the constructor returns).
  let left = 50;
  let plotW = width - 60;
  const xpos = (ms: number) => left + ((ms - t.from) / Math.max(1, t.to - t.from)) * plotW;
  requestAnimationFrame(() => {
    const ref = plots[0];
    if (ref) {
      const over = ref.over.getBoundingClientRect();
      left = over.left - host.getBoundingClientRect().left;
      plotW = over.width;
    }
    for (const place of placed) place();
    // Markers stacked in rows so no label covers another; past the last row, a dot.
    const xs = t.decisions.map((d) => xpos(d.at));
    const slots = layoutMarkers(
      xs,
      buttons.map((b) => b.offsetWidth),
      MARKER_ROWS,
    );
    const rows = markerRows(slots);
    const dots = slots.some((s) => s.row === null);
    buttons.forEach((b, i) => {
      const slot = slots[i];
      const row = slot?.row ?? null;
      if (row === null) b.classList.add('dot');
      b.style.left = `${xs[i]}px`;
      b.style.top = `${(row ?? rows) * MARKER_ROW_PX}px`;
      b.dataset.row = row === null ? 'dot' : String(row);
    });
    markers.style.height = `${Math.max(1, rows + (dots ? 1 : 0)) * MARKER_ROW_PX + 2}px`;
    host.dataset.placed = String(t.from);
  });
}

async function load(): Promise<void> {
  const err = $('tl-err');
  err.replaceChildren();
  // A bad '#at' is said once, above the default range shown instead.
  if (warn) {
    showError(err, warn);
    warn = null;
  }
  try {
    const { span, note } = await range();
    $('tl-note').dataset.range = note;
    render(await read<Timeline>(`v1/timeline?from=${Math.round(span.from)}&to=${Math.round(span.to)}`));
  } catch (e) {
    showError(err, e);
  }
}

async function report(): Promise<void> {
  const err = $('tl-err');
  try {
    const span = input('tl-range').value === 'incident' && drawn ? drawn : (await range()).span;
    const text = await readText(`v1/report?from=${Math.round(span.from)}&to=${Math.round(span.to)}`);
    const a = el('a', {
      href: URL.createObjectURL(new Blob([text], { type: 'text/markdown' })),
      download: `regionshift-report-${new Date(span.from).toISOString().slice(0, 16).replace(':', '')}.md`,
    });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (e) {
    showError(err, e);
  }
}

export function wireTimeline(params: URLSearchParams): void {
  try {
    const m = moment(params);
    if (m) openAt(m);
  } catch (e) {
    warn = e as Error;
  }
  input('tl-range').addEventListener('change', () => {
    const custom = input('tl-range').value === 'custom';
    $('tl-custom').hidden = !custom;
    if (!custom) void load();
  });
  $('tl-apply').addEventListener('click', () => void load());
  $('tl-report').addEventListener('click', () => void report());
  void load();
}
