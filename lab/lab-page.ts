import { PAGE_DOM_HELPERS } from '../shared/http/page-dom';

/**
 * The lab's page: where each gateway's requests are served right now, the 5xx they meet, the
 * faults in force (with a way to inject and delete them), a button that sends a burst of
 * requests, and a link to the product's dashboard that logs it in with the read token (in the
 * URL fragment, so it never reaches a server log). Self-contained: the script talks only to the
 * lab API on the same origin (`lab/v1/traffic|faults|requests`).
 */

/** What the page can offer in its pickers; learned from the traffic when not given. */
export interface LabPageTopology {
  regions: Array<{ name: string }>;
  services: Array<{ name: string; versions: string[] }>;
  gateways: Array<{ name: string; region: string }>;
}

export interface LabPageOptions {
  controlUrl: string;
  readToken: string;
  topology?: LabPageTopology;
}

export const LAB_BURST = 2000;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const STYLE = String.raw`
  :root { --fg: #1b1f24; --muted: #5b6570; --line: #d8dde3; --bg: #f5f7f9; --ok: #1a7f37; --bad: #cf222e; --accent: #0969da; }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
  header.top { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; padding: .7rem 1.5rem; background: #0d3b66; color: #fff; }
  header.top h1 { font-size: 1.15rem; margin: 0; }
  header.top a { color: #fff; background: #1f883d; padding: .3rem .8rem; border-radius: 5px; text-decoration: none; font-weight: 600; }
  #conn { margin-left: auto; font-size: .85rem; color: #c9d1d9; }
  #conn.bad { color: #ffaba8; }
  main { display: grid; grid-template-columns: minmax(0, 1fr) 380px; gap: 1.2rem; padding: 1rem 1.5rem 2rem; align-items: start; }
  @media (max-width: 1000px) { main { grid-template-columns: 1fr; } }
  section.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; margin-bottom: 1rem; }
  section.panel > h2 { font-size: .95rem; margin: 0 0 .6rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: .8rem; }
  article.gw { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; }
  article.gw h3 { margin: 0; font-size: 1rem; }
  .stats { display: flex; gap: 1rem; flex-wrap: wrap; margin: .3rem 0 .5rem; font-size: .9rem; }
  .stats b { font-variant-numeric: tabular-nums; }
  .bad { color: var(--bad); } .muted { color: var(--muted); } .small { font-size: .85rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .28rem .45rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  thead th { font-size: .8rem; color: var(--muted); font-weight: 600; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.share { text-align: right; font-variant-numeric: tabular-nums; background: linear-gradient(90deg, rgba(9,105,218,.16) calc(var(--p) * 1%), transparent 0); }
  code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; }
  form { display: grid; gap: .45rem; }
  .field { display: grid; gap: .15rem; }
  .field > label { font-size: .85rem; color: var(--muted); }
  .row { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; }
  .row > .field { flex: 1 1 7rem; }
  input, select { font: inherit; padding: .3rem .45rem; border: 1px solid #b7bfc7; border-radius: 5px; background: #fff; color: var(--fg); }
  button { font: inherit; padding: .35rem .8rem; border-radius: 5px; border: 1px solid #8c959f; background: #f6f8fa; cursor: pointer; }
  button.primary { background: #1f883d; border-color: #1a7f37; color: #fff; }
  button.danger { background: #cf222e; border-color: #a40e26; color: #fff; }
  .err:empty, .note:empty { display: none; }
  .err { border: 1px solid #ff8182; background: #ffebe9; color: #82071e; border-radius: 6px; padding: .45rem .6rem; font-size: .9rem; }
  .err ul { margin: .3rem 0 0; padding-left: 1.2rem; }
  .note { border: 1px solid #8dd3a1; background: #dafbe1; border-radius: 6px; padding: .4rem .6rem; font-size: .9rem; }
  [hidden] { display: none !important; }
  figure.chart { margin: .2rem 0 .6rem; }
  figure.chart svg { display: block; width: 100%; height: auto; background: #fbfcfd; border: 1px solid var(--line); border-radius: 4px; }
  figure.chart figcaption { display: flex; gap: .8rem; flex-wrap: wrap; font-size: .78rem; color: var(--muted); margin-top: .2rem; }
  figure.chart .key { display: inline-block; width: .8rem; height: .5rem; border-radius: 2px; margin-right: .25rem; vertical-align: middle; }
`;

const SCRIPT = String.raw`
(() => {
  'use strict';
  const BURST = Number(document.body.dataset.burst);
  const CHART_WINDOW = '5m', CHART_STEP = '5s';
  const hints = JSON.parse(document.getElementById('topology').textContent || 'null');
  const known = { regions: new Set(), services: new Map(), gateways: new Map() };
  if (hints) {
    for (const r of hints.regions) known.regions.add(r.name);
    for (const s of hints.services) known.services.set(s.name, new Set(s.versions));
    for (const g of hints.gateways) known.gateways.set(g.name, g.region);
  }
${PAGE_DOM_HELPERS}
  const pct = (n, total) => (total ? Math.round((1000 * n) / total) / 10 : 0);

  async function call(method, path, body) {
    const init = { method, cache: 'no-store', headers: {} };
    if (body !== undefined) { init.body = JSON.stringify(body); init.headers['content-type'] = 'application/json'; }
    const res = await fetch(path, init);
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = { error: { message: text.slice(0, 200) } }; }
    if (!res.ok) {
      const e = (json && json.error) || {};
      const err = new Error(e.message || 'HTTP ' + res.status);
      err.status = res.status; err.code = e.code || ''; err.problems = e.problems || [];
      throw err;
    }
    return json;
  }
  function showError(box, err) {
    box.replaceChildren(el('strong', { text: (err.status ? err.status + ' ' + (err.code || '') + ': ' : '') }), err.message);
    if (err.problems && err.problems.length > 1) box.append(el('ul', {}, err.problems.map((p) => el('li', { text: p }))));
  }

  function learn(snapshot, faults) {
    for (const g of snapshot ? snapshot.gateways : []) { known.gateways.set(g.gateway, g.region); known.regions.add(g.region); }
    for (const c of snapshot ? snapshot.served : []) {
      known.regions.add(c.region);
      if (!known.services.has(c.service)) known.services.set(c.service, new Set());
      known.services.get(c.service).add(c.version);
    }
    for (const f of faults || []) known.regions.add(f.region);
    const fill = (id, values) => {
      const list = $(id);
      const want = JSON.stringify(values);
      if (list.dataset.values === want) return;
      list.dataset.values = want;
      list.replaceChildren(...values.map((v) => el('option', { value: v })));
    };
    fill('regions', Array.from(known.regions).sort());
    fill('services', Array.from(known.services.keys()).sort());
    fill('versions', Array.from(new Set(Array.from(known.services.values()).flatMap((s) => Array.from(s)))).sort());
    fill('gateways', Array.from(known.gateways.keys()).sort());
  }

  // ---- charts -----------------------------------------------------------------------------
  // Inline SVG, drawn here: no charting library to load, so the page works offline.
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const CHART = { w: 320, top: 8, rateH: 70, gap: 14, shareH: 26, left: 30, right: 6 };
  const RPS_COLOUR = '#0969da', ERR_COLOUR = '#cf222e', ERR_FILL = '#f5c2c6';
  const REGION_COLOURS = ['#2da44e', '#bf8700', '#8250df', '#1b7c83', '#bc4c00', '#6e7781'];
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    for (const c of children.flat()) if (c) node.append(c);
    return node;
  }
  function regionColour(region) {
    const all = Array.from(known.regions).sort();
    const i = all.indexOf(region);
    return REGION_COLOURS[(i < 0 ? all.length : i) % REGION_COLOURS.length];
  }
  const niceMax = (v) => { if (v <= 0) return 1; const p = Math.pow(10, Math.floor(Math.log10(v))); return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v); };
  /** requests/s and 5xx/s as lines with a dot per step, and the share served per region as stacked bars below. */
  function gatewayChart(gateway, line) {
    const points = line.points;
    const plotW = CHART.w - CHART.left - CHART.right;
    const h = CHART.top + CHART.rateH + CHART.gap + CHART.shareH + 14;
    const n = points.length;
    const x = (i) => CHART.left + (n > 1 ? (i * plotW) / (n - 1) : plotW / 2);
    const top = niceMax(Math.max(...points.map((p) => p.rps), ...points.map((p) => p.errors5xxPerSecond)));
    const y = (v) => CHART.top + CHART.rateH - (v / top) * CHART.rateH;
    const path = (key) => points.map((p, i) => (i ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(p[key]).toFixed(1)).join(' ');
    const dots = (key, colour) => points.map((p, i) => svg('circle', { cx: x(i).toFixed(1), cy: y(p[key]).toFixed(1), r: 1.8, fill: colour }));
    const shareTop = CHART.top + CHART.rateH + CHART.gap;
    const barW = Math.max(1, plotW / Math.max(n, 1));
    const bars = points.flatMap((p, i) => {
      let acc = 0;
      return Object.keys(p.servedShare).sort().map((region) => {
        const v = p.servedShare[region];
        const rect = svg('rect', { x: (x(i) - barW / 2).toFixed(1), width: barW.toFixed(1), y: (shareTop + (acc / 100) * CHART.shareH).toFixed(1), height: ((v / 100) * CHART.shareH).toFixed(1), fill: regionColour(region), 'data-region': region });
        acc += v;
        return rect;
      });
    });
    const minutes = Math.round((line.to - line.from) / 60000);
    const label = gateway + ': requests/s, 5xx/s and share served per region, last ' + minutes + ' min';
    const regionsShown = Array.from(new Set(points.flatMap((p) => Object.keys(p.servedShare)))).sort();
    const last = points[points.length - 1] || { rps: 0, errors5xxPerSecond: 0 };
    return el('figure', { class: 'chart', 'data-gateway': gateway, 'data-points': String(n) },
      svg('svg', { viewBox: '0 0 ' + CHART.w + ' ' + h, role: 'img', 'aria-label': label },
        svg('title', {}, label + '; latest ' + last.rps + ' requests/s, ' + last.errors5xxPerSecond + ' 5xx/s'),
        svg('line', { x1: CHART.left, x2: CHART.w - CHART.right, y1: y(0), y2: y(0), stroke: '#d8dde3' }),
        svg('line', { x1: CHART.left, x2: CHART.w - CHART.right, y1: y(top), y2: y(top), stroke: '#eef1f4' }),
        svg('text', { x: CHART.left - 4, y: y(top) + 4, 'text-anchor': 'end', 'font-size': 9, fill: '#5b6570' }, String(top)),
        svg('text', { x: CHART.left - 4, y: y(0) + 3, 'text-anchor': 'end', 'font-size': 9, fill: '#5b6570' }, '0'),
        // 5xx/s first, as a filled area: it stays visible when every request failed and the requests/s line lies on it.
        n ? svg('path', { d: path('errors5xxPerSecond') + ' L' + x(n - 1).toFixed(1) + ' ' + y(0).toFixed(1) + ' L' + x(0).toFixed(1) + ' ' + y(0).toFixed(1) + ' Z', fill: ERR_FILL, stroke: 'none' }) : null,
        svg('path', { d: path('errors5xxPerSecond'), fill: 'none', stroke: ERR_COLOUR, 'stroke-width': 1.5, class: 'errors' }),
        dots('errors5xxPerSecond', ERR_COLOUR),
        svg('path', { d: path('rps'), fill: 'none', stroke: RPS_COLOUR, 'stroke-width': 1.5, class: 'rps' }),
        dots('rps', RPS_COLOUR),
        svg('rect', { x: CHART.left, y: shareTop, width: plotW, height: CHART.shareH, fill: 'none', stroke: '#eef1f4' }),
        svg('text', { x: CHART.left - 4, y: shareTop + CHART.shareH / 2 + 3, 'text-anchor': 'end', 'font-size': 9, fill: '#5b6570' }, '%'),
        bars,
        svg('text', { x: CHART.left, y: h - 2, 'font-size': 9, fill: '#5b6570' }, '−' + minutes + ' min'),
        svg('text', { x: CHART.w - CHART.right, y: h - 2, 'text-anchor': 'end', 'font-size': 9, fill: '#5b6570' }, 'now'),
      ),
      el('figcaption', {},
        el('span', {}, el('span', { class: 'key', style: 'background:' + RPS_COLOUR }), 'requests/s'),
        el('span', {}, el('span', { class: 'key', style: 'background:' + ERR_COLOUR }), '5xx/s'),
        regionsShown.map((r) => el('span', {}, el('span', { class: 'key', style: 'background:' + regionColour(r) }), 'served in ' + r)),
      ),
    );
  }

  // ---- traffic ----------------------------------------------------------------------------
  function gatewayCard(g, snapshot, line) {
    const cells = snapshot.served.filter((c) => c.sourceRegion === g.region);
    const shared = snapshot.gateways.filter((x) => x.region === g.region).length > 1;
    const services = Array.from(new Set(cells.map((c) => c.service))).sort();
    const regions = Array.from(new Set(cells.map((c) => c.region).concat(Array.from(known.regions)))).sort();
    const rows = services.map((svc) => {
      const mine = cells.filter((c) => c.service === svc);
      const total = mine.reduce((a, c) => a + c.requests, 0);
      const errors = mine.reduce((a, c) => a + c.errors5xx, 0);
      const versions = Array.from(new Set(mine.map((c) => c.version))).sort().join(', ');
      return el('tr', {},
        el('th', { scope: 'row' }, svc, ' ', el('span', { class: 'muted small', text: versions })),
        regions.map((r) => {
          const n = mine.filter((c) => c.region === r).reduce((a, c) => a + c.requests, 0);
          const p = pct(n, total);
          return el('td', { class: 'share', style: '--p:' + p, 'data-region': r, title: n + ' of ' + total + ' calls', text: p + '%' });
        }),
        el('td', { class: 'num' + (errors ? ' bad' : ''), text: String(errors) }),
      );
    });
    return el('article', { class: 'gw', 'aria-labelledby': 'gw-' + g.gateway },
      el('h3', { id: 'gw-' + g.gateway }, g.gateway, ' ', el('span', { class: 'muted small', text: 'enters in ' + g.region })),
      el('div', { class: 'stats' },
        el('span', {}, el('b', { text: String(g.requests) }), ' requests'),
        el('span', {}, el('b', { text: String(g.rps) }), ' rps'),
        el('span', { class: g.errors5xx ? 'bad' : '' }, el('b', { text: String(g.errors5xx) }), ' 5xx (' + g.errorPercent + '%)'),
        g.latencyMs ? el('span', {}, 'p99 ', el('b', { text: String(g.latencyMs.p99) }), ' ms') : null,
      ),
      line ? gatewayChart(g.gateway, line) : null,
      rows.length
        ? el('table', { 'aria-label': 'Where ' + g.gateway + ' requests are served' },
            el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'service · served in →' }), regions.map((r) => el('th', { scope: 'col', class: 'num', text: r })), el('th', { scope: 'col', class: 'num', text: '5xx' }))),
            el('tbody', {}, rows))
        : el('p', { class: 'muted small', text: 'no calls reached a pod' }),
      shared ? el('p', { class: 'muted small', text: 'Served shares count every gateway entering in ' + g.region + '.' }) : null,
    );
  }
  function renderTraffic(snapshot, series) {
    const box = $('traffic');
    // A gateway quiet for the last 10 s keeps its card while its chart still has traffic.
    const lines = new Map(series.gateways.map((s) => [s.gateway, { from: series.from, to: series.to, points: s.points }]));
    const cards = snapshot.gateways.slice();
    for (const s of series.gateways) {
      if (!cards.some((g) => g.gateway === s.gateway)) cards.push({ gateway: s.gateway, region: s.region, requests: 0, rps: 0, errors5xx: 0, errorPercent: 0, latencyMs: null });
    }
    cards.sort((a, b) => a.gateway.localeCompare(b.gateway));
    box.replaceChildren(...(cards.length
      ? cards.map((g) => gatewayCard(g, snapshot, lines.get(g.gateway)))
      : [el('p', { class: 'muted', text: 'No requests in the last ' + Math.round((series.to - series.from) / 60000) + ' min. Send some with the button, or run the lab with background traffic (npm start).' })]));
    const dests = snapshot.destinations;
    $('destinations').replaceChildren(
      el('thead', {}, el('tr', {}, ['region', 'service', 'version'].map((h) => el('th', { scope: 'col', text: h })), ['requests', '5xx', '5xx %', 'p99 ms'].map((h) => el('th', { scope: 'col', class: 'num', text: h })))),
      el('tbody', {}, dests.length ? dests.map((d) => el('tr', {},
        el('td', { text: d.region }), el('td', { text: d.service }), el('td', { text: d.version }),
        el('td', { class: 'num', text: String(d.requests) }),
        el('td', { class: 'num' + (d.errors5xx ? ' bad' : ''), text: String(d.errors5xx) }),
        el('td', { class: 'num' + (d.errors5xx ? ' bad' : ''), text: String(d.errorPercent) }),
        el('td', { class: 'num', text: d.latencyMs ? String(d.latencyMs.p99) : '—' }),
      )) : [el('tr', {}, el('td', { colspan: 7, class: 'muted', text: 'no traffic' }))]),
    );
  }

  // ---- faults -----------------------------------------------------------------------------
  let faultsJson = '';
  function renderFaults(faults) {
    const json = JSON.stringify(faults);
    if (json === faultsJson) return;
    faultsJson = json;
    const body = $('faults').querySelector('tbody');
    body.replaceChildren(...(faults.length ? faults.map((f) => el('tr', { 'data-fault': f.id },
      el('td', {}, el('code', { text: f.id })),
      el('td', { text: f.kind }),
      el('td', { text: f.region }),
      el('td', { text: f.service || 'every service' }),
      el('td', { text: f.version || '—' }),
      el('td', { text: f.kind === 'error-rate' ? Math.round(f.rate * 1000) / 10 + '% 5xx' : f.kind === 'latency' ? '+' + f.latencyMs + ' ms' : f.service ? 'pods down' : 'pods and gateway down' }),
      el('td', { text: f.expiresAt === null ? 'until deleted' : new Date(f.expiresAt).toLocaleTimeString() }),
      el('td', {}, el('button', { type: 'button', class: 'danger', 'aria-label': 'Delete fault ' + f.id, onclick: () => deleteFault(f.id) }, 'Delete')),
    )) : [el('tr', {}, el('td', { colspan: 8, class: 'muted', text: 'no faults: the mesh is healthy' }))]));
  }
  async function deleteFault(id) {
    const err = $('faults-err');
    err.replaceChildren();
    try { await call('DELETE', 'lab/v1/faults/' + encodeURIComponent(id)); } catch (e) { showError(err, e); }
    refresh();
  }
  function syncKind() {
    const kind = $('fault-kind').value;
    $('fault-rate-label').hidden = kind !== 'error-rate';
    $('fault-latency-label').hidden = kind !== 'latency';
  }
  $('fault-kind').addEventListener('change', syncKind);
  $('fault-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const err = $('fault-err'), note = $('fault-note');
    err.replaceChildren(); note.replaceChildren();
    const spec = { kind: $('fault-kind').value, region: $('fault-region').value.trim() };
    const opt = (id) => $(id).value.trim();
    if (opt('fault-service')) spec.service = opt('fault-service');
    if (opt('fault-version')) spec.version = opt('fault-version');
    if (spec.kind === 'error-rate') spec.rate = Number(opt('fault-rate')) / 100;
    if (spec.kind === 'latency') spec.latencyMs = Number(opt('fault-latency'));
    if (opt('fault-duration')) spec.duration = /^\d+$/.test(opt('fault-duration')) ? Number(opt('fault-duration')) : opt('fault-duration');
    try {
      const r = await call('POST', 'lab/v1/faults', spec);
      note.textContent = 'Injected ' + r.id + '.';
    } catch (ex) { showError(err, ex); }
    refresh();
  });

  // ---- burst ------------------------------------------------------------------------------
  $('send-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const err = $('send-err'), out = $('send-result');
    err.replaceChildren();
    const gateway = $('send-gateway').value.trim();
    const button = $('send-button');
    button.disabled = true;
    try {
      const r = await call('POST', 'lab/v1/requests', { gateway, count: BURST });
      const services = Object.keys(r.byService).sort();
      const regions = Array.from(new Set(services.flatMap((s) => Object.keys(r.byService[s])).concat(Array.from(known.regions)))).sort();
      const statuses = Object.entries(r.statuses).map(([code, n]) => code + ' × ' + n).join(', ');
      const noUp = Object.entries(r.noUpstream).map(([s, n]) => s + ' ' + n).join(', ');
      out.replaceChildren(...[
        el('p', {}, el('strong', { text: r.count + ' requests via ' + r.gateway + ': ' }), r.ok + ' ok, ', el('span', { class: r.failed ? 'bad' : '', text: r.failed + ' failed' }), ' · ' + statuses + ' · p50 ' + r.latencyMs.p50 + ' ms, p99 ' + r.latencyMs.p99 + ' ms'),
        noUp ? el('p', { class: 'bad small', text: 'no healthy upstream: ' + noUp }) : null,
        el('table', { 'aria-label': 'Served breakdown' },
          el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'service' }), regions.map((reg) => el('th', { scope: 'col', class: 'num', text: reg })))),
          el('tbody', {}, services.map((s) => {
            const row = r.byService[s];
            const total = Object.values(row).reduce((a, n) => a + n, 0);
            return el('tr', {}, el('th', { scope: 'row', text: s }), regions.map((reg) => {
              const n = row[reg] || 0;
              return el('td', { class: 'share', style: '--p:' + pct(n, total), 'data-region': reg, text: n + ' (' + pct(n, total) + '%)' });
            }));
          })),
        ),
      ].filter(Boolean));
    } catch (ex) {
      showError(err, ex);
    } finally {
      button.disabled = false;
    }
    refresh();
  });

  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    const conn = $('conn');
    try {
      const [snapshot, series, faults] = await Promise.all([call('GET', 'lab/v1/traffic?window=10s'), call('GET', 'lab/v1/traffic/series?window=' + CHART_WINDOW + '&step=' + CHART_STEP), call('GET', 'lab/v1/faults')]);
      learn(snapshot, faults.faults);
      renderTraffic(snapshot, series);
      renderFaults(faults.faults);
      conn.className = '';
      conn.textContent = 'updated ' + new Date().toLocaleTimeString();
    } catch (e) {
      conn.className = 'bad';
      conn.textContent = 'lab API: ' + e.message;
    } finally {
      busy = false;
    }
  }
  learn(null, []);
  const firstGateway = Array.from(known.gateways.keys()).sort()[0];
  if (firstGateway && !$('send-gateway').value) $('send-gateway').value = firstGateway;
  syncKind();
  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, 2000);
})();
`;

export function renderLabPage(opts: LabPageOptions): string {
  const dashboard = `${opts.controlUrl}#token=${encodeURIComponent(opts.readToken)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>regionshift lab</title>
<style>${STYLE}</style>
</head>
<body data-burst="${LAB_BURST}">
<header class="top">
  <h1>regionshift lab</h1>
  <a href="${escapeHtml(dashboard)}" target="_blank" rel="noopener">Open the dashboard</a>
  <span id="conn" role="status" aria-live="polite">loading…</span>
</header>
<main>
  <div>
    <section class="panel" aria-labelledby="h-traffic"><h2 id="h-traffic">Live traffic, last 10 s</h2>
      <p class="small muted" style="margin-top:0">For each gateway: requests/s, 5xx/s and the share served per region over the last 5 minutes (one point per 5 s), then where the calls of the requests entering there were served in the last 10 s, per service and region.</p>
      <div class="cards" id="traffic"></div></section>
    <section class="panel" aria-labelledby="h-dest"><h2 id="h-dest">5xx by destination, last 10 s</h2><table id="destinations" aria-label="Traffic by destination"></table></section>
    <section class="panel" aria-labelledby="h-faults"><h2 id="h-faults">Active faults</h2>
      <table id="faults" aria-label="Active faults">
        <thead><tr><th scope="col">id</th><th scope="col">kind</th><th scope="col">region</th><th scope="col">service</th><th scope="col">version</th><th scope="col">effect</th><th scope="col">expires</th><th scope="col"><span hidden>actions</span></th></tr></thead>
        <tbody></tbody>
      </table>
      <div class="err" id="faults-err" role="alert"></div></section>
  </div>
  <aside>
    <section class="panel" aria-labelledby="h-inject"><h2 id="h-inject">Inject a fault</h2>
      <form id="fault-form" autocomplete="off">
        <div class="row">
          <div class="field"><label for="fault-kind">Kind</label><select id="fault-kind"><option value="region-down">region down</option><option value="error-rate">error rate</option><option value="latency">latency</option></select></div>
          <div class="field"><label for="fault-region">Region</label><input id="fault-region" list="regions" placeholder="cn-hangzhou"></div>
        </div>
        <div class="row">
          <div class="field"><label for="fault-service">Service</label><input id="fault-service" list="services" placeholder="every service"></div>
          <div class="field"><label for="fault-version">Version</label><input id="fault-version" list="versions" placeholder="every version"></div>
        </div>
        <div class="row">
          <div class="field" id="fault-rate-label"><label for="fault-rate">Error rate (%)</label><input id="fault-rate" type="number" min="1" max="100" value="50"></div>
          <div class="field" id="fault-latency-label"><label for="fault-latency">Added latency (ms)</label><input id="fault-latency" type="number" min="1" value="500"></div>
          <div class="field"><label for="fault-duration">Fault duration</label><input id="fault-duration" placeholder="until deleted (e.g. 5m)"></div>
        </div>
        <div class="row"><button type="submit" class="danger">Inject fault</button></div>
        <div class="err" id="fault-err" role="alert"></div><div class="note" id="fault-note" role="status"></div>
      </form></section>
    <section class="panel" aria-labelledby="h-send"><h2 id="h-send">Send requests</h2>
      <form id="send-form" autocomplete="off">
        <div class="field"><label for="send-gateway">Gateway</label><input id="send-gateway" list="gateways" placeholder="gw-hangzhou"></div>
        <div class="row"><button type="submit" class="primary" id="send-button">Send ${LAB_BURST} requests</button></div>
        <div class="err" id="send-err" role="alert"></div>
        <div id="send-result" aria-live="polite"></div>
      </form></section>
  </aside>
</main>
<datalist id="regions"></datalist><datalist id="services"></datalist><datalist id="versions"></datalist><datalist id="gateways"></datalist>
<script type="application/json" id="topology">${scriptJson(opts.topology ?? null)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
