/**
 * The dashboard's incident timeline panel: for each source region the share served in each
 * region (stacked, uPlot), health bands per region, one marker per decision (click: its
 * explanation, steps and refusals), a range picker, and a report download. Reads
 * `v1/timeline` and `v1/report` with the page's `read()`; kept apart from the rest of the page.
 * Opened with `#at=<ISO time or epoch ms>` (a notification's link, optionally `&plan=<plan id>`),
 * it shows a custom range of 30 min either side of that moment (the end clamped to now) with the
 * decision of that plan (else the one nearest the moment) marked and its details open.
 */

/** How far either side of a linked moment the timeline opens (minutes). */
export const MOMENT_WINDOW_MIN = 30;

export const TIMELINE_STYLE = String.raw`
  .tl-controls { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; margin-bottom: .5rem; }
  .tl-chart { margin: .2rem 0 .6rem; }
  .tl-chart h3 { font-size: .85rem; margin: 0; color: var(--muted); font-weight: 600; }
  .tl-strip { position: relative; height: 16px; margin: 2px 0; }
  .tl-strip .tl-label { position: absolute; left: 0; font-size: .75rem; color: var(--muted); }
  .tl-band { position: absolute; top: 0; height: 14px; border-radius: 2px; }
  .tl-band.b-HEALTHY { background: var(--ok); } .tl-band.b-DEGRADED { background: #d4a72c; }
  .tl-band.b-DOWN { background: var(--bad); } .tl-band.b-RECOVERING { background: var(--rec); }
  .tl-markers { position: relative; height: 22px; }
  .tl-marker { position: absolute; top: 0; transform: translateX(-50%); padding: 0 .3rem; font-size: .72rem; border-radius: 9px; background: #24292f; color: #fff; border: none; }
  .tl-marker.refused { background: var(--bad); }
  .tl-marker[aria-pressed="true"] { outline: 3px solid #d4a72c; outline-offset: 1px; z-index: 1; }
  #tl-detail:empty { display: none; }
`;

export const TIMELINE_SCRIPT = String.raw`
  // ---- incident timeline ------------------------------------------------------------------
  const TL_COLORS = ['#0969da', '#1a7f37', '#9a6700', '#8250df', '#cf222e', '#1b7c83'];
  let tlPlots = [];
  let tlData = null;
  function tlRange() {
    const pick = $('tl-range').value;
    if (pick === 'custom') {
      const from = Date.parse($('tl-from').value), to = Date.parse($('tl-to').value);
      if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error('custom range: enter both From and To');
      return { from, to };
    }
    const to = Date.now() + clockOffsetMs;
    return { from: to - Number(pick) * 60000, to };
  }
  // A moment to open at (from the fragment's 'at'), and the decision to select there, once.
  let tlPick = null;
  let tlWarn = null;
  function tlMoment(params) {
    const raw = params.get('at');
    if (raw === null) return null;
    // ISO time (what notifications send) or epoch milliseconds.
    const at = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (!Number.isFinite(at)) throw new Error('#at: not a time (an ISO time such as 2026-01-01T02:30:00Z, or epoch ms): ' + raw);
    return { at, plan: params.get('plan') };
  }
  function tlLocal(ms) {
    // The value a datetime-local input takes: local time to the second.
    const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 19);
  }
  function tlOpenAt(m) {
    const win = ${MOMENT_WINDOW_MIN} * 60000;
    const now = Date.now() + clockOffsetMs;
    // Whole seconds (what the inputs hold), widened so the moment itself stays inside; not past now
    // unless the moment itself is (a clock ahead of ours).
    const from = Math.floor((m.at - win) / 1000) * 1000;
    const to = Math.ceil(Math.max(Math.min(m.at + win, now), m.at + 1000) / 1000) * 1000;
    $('tl-range').value = 'custom';
    $('tl-custom').hidden = false;
    $('tl-from').value = tlLocal(from);
    $('tl-to').value = tlLocal(to);
    tlPick = m;
  }
  function tlSelect(t, markers) {
    const m = tlPick;
    tlPick = null;
    if (!m || !t.decisions.length) return;
    let i = m.plan ? t.decisions.findIndex((d) => d.planId === m.plan) : -1;
    if (i < 0) {
      i = 0;
      t.decisions.forEach((d, k) => { if (Math.abs(d.at - m.at) < Math.abs(t.decisions[i].at - m.at)) i = k; });
    }
    markers[i].setAttribute('aria-pressed', 'true');
    tlDetail(t.decisions[i], i);
  }
  function tlDetail(d, i) {
    for (const b of document.querySelectorAll('.tl-marker[aria-pressed="true"]')) if (b.dataset.index !== String(i)) b.setAttribute('aria-pressed', 'false');
    const mk = document.querySelector('.tl-marker[data-index="' + i + '"]');
    if (mk) mk.setAttribute('aria-pressed', 'true');
    const box = $('tl-detail');
    const steps = el('ol', {}, ...d.steps.map((s) => el('li', { text: s.text + ' — ' + s.status + (s.afterMs !== null ? ' after ' + Math.round(s.afterMs / 100) / 10 + ' s' : '') + (s.error ? ': ' + s.error : '') })));
    const refused = el('ul', {}, ...d.refused.map((r) => el('li', { text: r.rule + ': ' + r.message })));
    box.replaceChildren(
      el('h3', { text: 'D' + (i + 1) + ' · ' + new Date(d.at).toLocaleString() + ' · by ' + d.actor }),
      el('pre', { class: 'explain', text: (d.explain.length ? d.explain : [d.summary]).join('\n') }),
      d.steps.length ? el('div', {}, el('strong', { text: 'Steps' }), steps) : el('p', { class: 'muted', text: 'no steps' }),
      d.refused.length ? el('div', {}, el('strong', { text: 'Refused' }), refused) : '',
      // Service scopes: the hosts this decision routed apart from the default, or back to it.
      d.scopeChanges && d.scopeChanges.length
        ? el('div', {}, el('strong', { text: 'Scopes changed' }), el('ul', { 'aria-label': 'Scopes changed' }, ...d.scopeChanges.map((c) => el('li', {}, el('code', { text: c.host }),
          ': ' + (c.matrix ? Object.entries(c.matrix).map(([src, row]) => src + ' → ' + Object.entries(row).filter(([, p]) => p > 0).map(([dst, p]) => dst + ' ' + p + '%').join(', ')).join('; ') : 'back to the default')))))
        : '',
    );
  }
  function tlRender(t) {
    tlData = t;
    for (const p of tlPlots) p.destroy();
    tlPlots = [];
    const host = $('tl-charts');
    host.replaceChildren();
    // Which range is drawn, for whoever waits for a new one (the browser test).
    host.dataset.from = String(t.from);
    host.dataset.to = String(t.to);
    $('tl-detail').replaceChildren();
    const sources = Object.keys(t.shares.bySource);
    $('tl-note').textContent = sources.length ? (Object.entries(t.truncated).filter(([, v]) => v).map(([k]) => k + ' truncated').join(', ')) : 'no matrix in this range';
    const width = Math.max(300, host.clientWidth - 10);
    const xs = t.shares.at.map((ms) => ms / 1000);
    for (const src of sources) {
      const box = el('div', { class: 'tl-chart', 'data-source': src }, el('h3', { text: 'traffic entering in ' + src }));
      host.append(box);
      // Stacked: each series is the running total; drawn largest first so each fill shows its own share.
      const rows = t.regions.map((dst) => t.shares.bySource[src][dst] || t.shares.at.map(() => 0));
      const totals = rows.map((_, k) => rows[0].map((__, i) => rows.slice(0, k + 1).reduce((n, r) => n + r[i], 0)));
      const order = t.regions.map((_, k) => t.regions.length - 1 - k);
      const opts = {
        width, height: 150,
        scales: { x: { time: true, range: [t.from / 1000, t.to / 1000] }, y: { range: [0, 100] } },
        legend: { show: true },
        series: [{}].concat(order.map((k) => ({ label: 'served in ' + t.regions[k], stroke: TL_COLORS[k % TL_COLORS.length], fill: TL_COLORS[k % TL_COLORS.length] + 'bb', paths: uPlot.paths.stepped({ align: 1 }), value: (u, v, si, i) => i == null ? '' : rows[k][i] + '%' }))),
        axes: [{}, { values: (u, vals) => vals.map((v) => v + '%') }],
      };
      const plot = new uPlot(opts, [xs].concat(order.map((k) => totals[k])), box);
      tlPlots.push(plot);
    }
    const bands = el('div', { id: 'tl-bands' });
    const markers = el('div', { class: 'tl-markers', 'aria-label': 'Decisions' });
    const placed = [];
    for (const region of t.regions) {
      const strip = el('div', { class: 'tl-strip', 'data-region': region }, el('span', { class: 'tl-label', text: region }));
      for (const b of t.health[region] || []) {
        const band = el('span', { class: 'tl-band b-' + b.status, title: region + ' ' + b.status + ' from ' + new Date(b.from).toLocaleString() });
        placed.push(() => { band.style.left = xpos(b.from) + 'px'; band.style.width = Math.max(2, xpos(b.to) - xpos(b.from)) + 'px'; });
        strip.append(band);
      }
      bands.append(strip);
    }
    t.decisions.forEach((d, i) => {
      const m = el('button', { type: 'button', class: 'tl-marker' + (d.refused.length ? ' refused' : ''), title: d.summary, 'aria-label': 'Decision D' + (i + 1) + ': ' + d.summary, 'aria-pressed': 'false', 'data-index': String(i), 'data-plan': d.planId || '', text: 'D' + (i + 1) });
      placed.push(() => { m.style.left = xpos(d.at) + 'px'; });
      m.addEventListener('click', () => tlDetail(d, i));
      markers.append(m);
    });
    host.append(bands, markers);
    tlSelect(t, markers.children);
    // Bands and markers line up with the plotting area of the charts (uPlot's .u-over), measured
    // once uPlot has laid it out (it sizes its elements after the constructor returns).
    let left = 50, plotW = width - 60;
    function xpos(ms) { return left + ((ms - t.from) / Math.max(1, t.to - t.from)) * plotW; }
    requestAnimationFrame(() => {
      const ref = tlPlots[0];
      if (ref) {
        const over = ref.over.getBoundingClientRect();
        left = over.left - host.getBoundingClientRect().left;
        plotW = over.width;
      }
      for (const place of placed) place();
      host.dataset.placed = String(t.from);
    });
  }
  async function tlLoad() {
    const err = $('tl-err');
    err.replaceChildren();
    // A bad '#at' is said once, above the default range shown instead.
    if (tlWarn) { showError(err, tlWarn); tlWarn = null; }
    try {
      const { from, to } = tlRange();
      tlRender(await read('v1/timeline?from=' + Math.round(from) + '&to=' + Math.round(to)));
    } catch (e) { showError(err, e); }
  }
  async function tlReport() {
    const err = $('tl-err');
    try {
      const { from, to } = tlRange();
      const token = ss.getItem(TOKEN_KEY);
      const res = await fetch(base + 'v1/report?from=' + Math.round(from) + '&to=' + Math.round(to), { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' });
      if (!res.ok) return parse(res);
      const text = await res.text();
      const a = el('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/markdown' })), download: 'regionshift-report-' + new Date(from).toISOString().slice(0, 16).replace(':', '') + '.md' });
      document.body.append(a); a.click(); a.remove();
    } catch (e) { showError(err, e); }
  }
  function tlWire(params) {
    try {
      const m = tlMoment(params);
      if (m) tlOpenAt(m);
    } catch (e) { tlWarn = e; }
    $('tl-range').addEventListener('change', () => { $('tl-custom').hidden = $('tl-range').value !== 'custom'; if ($('tl-range').value !== 'custom') tlLoad(); });
    $('tl-apply').addEventListener('click', tlLoad);
    $('tl-report').addEventListener('click', tlReport);
    tlLoad();
  }
`;

export const TIMELINE_PANEL = `
    <section class="panel" aria-labelledby="h-timeline"><h2 id="h-timeline">Incident timeline</h2>
      <div class="tl-controls">
        <div class="field"><label for="tl-range">Range</label><select id="tl-range"><option value="15">last 15 min</option><option value="60" selected>last 1 h</option><option value="1440">last 24 h</option><option value="custom">custom</option></select></div>
        <span id="tl-custom" class="row" hidden>
          <div class="field"><label for="tl-from">From</label><input type="datetime-local" id="tl-from" step="1"></div>
          <div class="field"><label for="tl-to">To</label><input type="datetime-local" id="tl-to" step="1"></div>
        </span>
        <button type="button" id="tl-apply">Show</button>
        <button type="button" id="tl-report">Download report</button>
        <span class="small muted" id="tl-note"></span>
      </div>
      <div class="err" id="tl-err" role="alert"></div>
      <div id="tl-charts"></div>
      <div id="tl-detail" aria-live="polite"></div>
    </section>`;
