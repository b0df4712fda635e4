import { escapeMarkdown as md } from '../core/markdown';
import type { Timeline } from './timeline';

/**
 * The postmortem report of an incident: Markdown with the timeline drawn as SVG (its own small
 * stacked-area renderer, so the report needs no browser and no charting library). Pure.
 */

const COLORS = ['#0969da', '#1a7f37', '#9a6700', '#8250df', '#cf222e', '#1b7c83', '#bf3989', '#57606a'];
const HEALTH_COLORS: Record<string, string> = { HEALTHY: '#1a7f37', DEGRADED: '#d4a72c', DOWN: '#cf222e', RECOVERING: '#8250df' };
const W = 900;
const ROW_H = 120;
const BAND_H = 14;
const PAD = { left: 110, right: 20, top: 30 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const num = (n: number) => (Math.round(n * 10) / 10).toString();

/**
 * One stacked-area chart per source region (the share served in each region over time, as
 * steps), a health band per region, and one marker (`class="marker"`) per decision.
 */
export function renderTimelineSvg(t: Timeline): string {
  const sources = Object.keys(t.shares.bySource);
  const plotW = W - PAD.left - PAD.right;
  const x = (at: number) => PAD.left + ((at - t.from) / Math.max(1, t.to - t.from)) * plotW;
  const bandsTop = PAD.top + sources.length * (ROW_H + 10);
  const height = bandsTop + t.regions.length * (BAND_H + 6) + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">`,
  ];
  out.push(`<rect width="${W}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${PAD.left}" y="16" font-size="13" font-weight="bold">${esc(t.mesh)}: ${iso(t.from)} – ${iso(t.to)}</text>`);
  const at = t.shares.at;
  sources.forEach((src, row) => {
    const top = PAD.top + row * (ROW_H + 10);
    const y = (pct: number) => top + ROW_H - (pct / 100) * ROW_H;
    out.push(`<text x="${PAD.left - 6}" y="${top + ROW_H / 2}" text-anchor="end">from ${esc(src)}</text>`);
    out.push(`<rect x="${PAD.left}" y="${top}" width="${plotW}" height="${ROW_H}" fill="none" stroke="#d8dde3"/>`);
    const lower = at.map(() => 0);
    t.regions.forEach((dst, k) => {
      const values = t.shares.bySource[src]?.[dst] ?? [];
      if (!values.some((v) => v > 0)) return;
      const upper = values.map((v, i) => (lower[i] as number) + v);
      // Steps: each value holds until the next point.
      const topEdge: string[] = [];
      const bottomEdge: string[] = [];
      for (let i = 0; i < at.length; i++) {
        const x0 = x(at[i] as number);
        const x1 = x((at[i + 1] ?? at[i]) as number);
        topEdge.push(`${num(x0)},${num(y(upper[i] as number))}`, `${num(x1)},${num(y(upper[i] as number))}`);
        bottomEdge.unshift(`${num(x1)},${num(y(lower[i] as number))}`, `${num(x0)},${num(y(lower[i] as number))}`);
      }
      out.push(
        `<path class="area" data-source="${esc(src)}" data-region="${esc(dst)}" d="M${topEdge.join('L')}L${bottomEdge.join('L')}Z" fill="${COLORS[k % COLORS.length]}" fill-opacity="0.75"/>`,
      );
      upper.forEach((v, i) => (lower[i] = v));
    });
  });
  t.regions.forEach((region, k) => {
    const top = bandsTop + k * (BAND_H + 6);
    out.push(`<text x="${PAD.left - 6}" y="${top + BAND_H - 3}" text-anchor="end">${esc(region)}</text>`);
    for (const b of t.health[region] ?? []) {
      out.push(
        `<rect class="band" data-status="${b.status}" x="${num(x(b.from))}" y="${top}" width="${num(Math.max(1, x(b.to) - x(b.from)))}" height="${BAND_H}" fill="${HEALTH_COLORS[b.status] ?? '#999'}"><title>${esc(region)} ${b.status}</title></rect>`,
      );
    }
  });
  const bottom = height - 30;
  t.decisions.forEach((d, i) => {
    const mx = num(x(d.at));
    out.push(
      `<g class="marker"><line x1="${mx}" x2="${mx}" y1="${PAD.top}" y2="${bottom}" stroke="#24292f" stroke-dasharray="3,2"/><circle cx="${mx}" cy="${PAD.top - 4}" r="4" fill="#24292f"/><text x="${mx}" y="${bottom + 12}" text-anchor="middle">D${i + 1}</text><title>${esc(iso(d.at))} ${esc(d.summary)}</title></g>`,
    );
  });
  const legend = t.regions.map(
    (r, k) =>
      `<rect x="${PAD.left + k * 140}" y="${height - 12}" width="10" height="10" fill="${COLORS[k % COLORS.length]}"/><text x="${PAD.left + k * 140 + 14}" y="${height - 3}">served in ${esc(r)}</text>`,
  );
  out.push(...legend, '</svg>');
  return out.join('\n');
}

const dur = (ms: number | null) =>
  ms === null ? '—' : ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${num(ms / 1000)} s` : `${num(ms / 60_000)} min`;

export interface Report {
  markdown: string;
  svg: string;
}

/**
 * `image: 'inline'` embeds the chart as a data URI (one file, the dashboard's download);
 * a file name links it beside the Markdown (the CLI writes both).
 */
export function renderReport(t: Timeline, opts: { image: 'inline' | { file: string } }): Report {
  const svg = renderTimelineSvg(t);
  const src = opts.image === 'inline' ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}` : opts.image.file;
  const lines: string[] = [];
  lines.push(`# Incident report: ${md(t.mesh)}`, '', `From ${iso(t.from)} to ${iso(t.to)}.`, '');
  const notes = Object.entries(t.truncated)
    .filter(([, v]) => v)
    .map(([k]) => k);
  if (notes.length) lines.push(`> Bounded answer: ${notes.join(', ')} truncated (see the API's limits).`, '');
  lines.push('## Timeline', '', `![Share served per region, health bands and decisions](${src})`, '');
  lines.push('## Health', '');
  for (const region of t.regions) {
    const bands = t.health[region] ?? [];
    lines.push(
      `- **${md(region)}**: ${bands.length ? bands.map((b) => `${b.status} ${iso(b.from)} → ${iso(b.to)}`).join('; ') : 'no health recorded'}`,
    );
  }
  lines.push('', '## Decisions', '');
  if (!t.decisions.length) lines.push('No decision in this range.');
  t.decisions.forEach((d, i) => {
    lines.push(`### D${i + 1} ${iso(d.at)} — ${md(d.summary)}`, '', `Plan \`${d.planId ?? '—'}\`, by **${md(d.actor)}**.`, '');
    if (d.explain.length) lines.push(...d.explain.map((e) => `> ${md(e)}`), '');
    if (d.scopeChanges?.length) {
      const routing = (m: Record<string, Record<string, number>>) =>
        Object.entries(m)
          .map(
            ([src, row]) =>
              `${src} → ${Object.entries(row)
                .filter(([, p]) => p > 0)
                .map(([dst, p]) => `${dst} ${p}%`)
                .join(', ')}`,
          )
          .join('; ');
      lines.push(
        'Scopes changed:',
        '',
        ...d.scopeChanges.map((c) => `- \`${c.host}\`: ${c.matrix ? md(routing(c.matrix)) : 'back to the default'}`),
        '',
      );
    }
    if (d.steps.length) {
      lines.push('| # | Step | Status | After the decision | Attempts |', '|---|---|---|---|---|');
      for (const s of d.steps)
        lines.push(
          `| ${s.index + 1} | ${md(s.text)} | ${s.status}${s.error ? `: ${md(s.error)}` : ''} | ${dur(s.afterMs)} | ${s.attempts} |`,
        );
      lines.push('');
    }
    if (d.refused.length) lines.push('Refused:', '', ...d.refused.map((r) => `- \`${r.rule}\`: ${md(r.message)}`), '');
  });
  lines.push('## Signals, commands and alerts', '');
  if (!t.events.length) lines.push('None in this range.');
  else {
    lines.push('| Time | Kind | Who | What |', '|---|---|---|---|');
    for (const e of t.events) lines.push(`| ${iso(e.at)} | ${e.kind} | ${md(e.actor)} | ${md(e.summary)} |`);
  }
  lines.push('');
  return { markdown: lines.join('\n'), svg };
}
