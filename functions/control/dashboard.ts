import { PAGE_DOM_HELPERS } from '../../shared/http/page-dom';
import { TIMELINE_PANEL, TIMELINE_SCRIPT, TIMELINE_STYLE } from './dashboard-timeline';
import { UPLOT_CSS, UPLOT_JS } from './uplot-asset';

/**
 * The dashboard page served at `GET /`: one self-contained HTML document (no external assets),
 * holding no data itself. Its script reads `v1/status` and `v1/history` with the read token
 * (given once as `#token=…` in the URL, or typed in; kept in the tab's sessionStorage, never sent
 * in a query string, so it stays out of access logs), and signs every command in the browser
 * with WebCrypto HMAC-SHA256 under the control secret the user types in — the secret itself
 * never leaves the tab. URLs are relative to the page, so it works under any path prefix
 * (`…/control/` on the lab's FC host, a trigger URL or a custom domain in the cloud); the path it
 * signs is the one the function sees (`/v1/overrides`).
 */

const STYLE = String.raw`
  :root { --fg: #1b1f24; --muted: #5b6570; --line: #d8dde3; --bg: #f5f7f9; --card: #fff;
          --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --info: #0969da; --rec: #8250df; }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
  header.top { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; padding: .7rem 1.5rem; background: #24292f; color: #fff; }
  header.top h1 { font-size: 1.15rem; margin: 0; font-weight: 600; }
  header.top h1 .mesh { color: #9ecbff; }
  .pill { display: inline-block; padding: .1rem .6rem; border-radius: 999px; background: #3d444d; font-size: .85rem; }
  .pill strong { color: #fff; }
  #conn { margin-left: auto; font-size: .85rem; color: #c9d1d9; }
  #conn.bad { color: #ffaba8; }
  main.layout { display: grid; grid-template-columns: minmax(0, 1fr) 380px; gap: 1.2rem; padding: 1rem 1.5rem 2rem; align-items: start; }
  @media (max-width: 1000px) { main.layout { grid-template-columns: 1fr; } }
  section.panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; margin-bottom: 1rem; }
  section.panel > h2 { font-size: .95rem; margin: 0 0 .6rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: .8rem; }
  article.card { border: 1px solid var(--line); border-left: 5px solid var(--muted); border-radius: 6px; padding: .6rem .8rem; background: #fff; }
  article.card h3 { margin: 0 0 .2rem; font-size: 1rem; }
  /* A grid item is as wide as its longest word by default: long signal keys (no spaces) wrap inside the card instead. */
  article.card { min-width: 0; overflow-wrap: anywhere; }
  article.card code { overflow-wrap: anywhere; word-break: break-all; }
  article.card.s-HEALTHY { border-left-color: var(--ok); }
  article.card.s-DEGRADED { border-left-color: var(--warn); }
  article.card.s-DOWN { border-left-color: var(--bad); }
  article.card.s-RECOVERING { border-left-color: var(--rec); }
  .status { font-weight: 700; font-size: 1.05rem; }
  .s-HEALTHY .status { color: var(--ok); } .s-DEGRADED .status { color: var(--warn); }
  .s-DOWN .status { color: var(--bad); } .s-RECOVERING .status { color: var(--rec); }
  .muted { color: var(--muted); }
  .small { font-size: .85rem; }
  ul.plain { list-style: none; padding: 0; margin: .2rem 0; }
  ul.plain li { margin: .15rem 0; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  thead th { font-size: .8rem; color: var(--muted); font-weight: 600; }
  table.matrix td.pct { text-align: right; font-variant-numeric: tabular-nums; font-weight: 600;
    background: linear-gradient(90deg, rgba(9,105,218,.16) calc(var(--p) * 1%), transparent 0); }
  table.matrix td.pct.zero { color: #aab2bb; font-weight: 400; }
  table.matrix thead th:not(:first-child) { text-align: right; }
  .banner { display: flex; gap: .8rem; align-items: center; flex-wrap: wrap; padding: .6rem 1.5rem; border-bottom: 1px solid var(--line); }
  .banner p { margin: 0; flex: 1 1 auto; }
  .b-override { background: #ddf4ff; } .b-drill { background: #fff8c5; } .b-paused { background: #ffebe9; } .b-shifting { background: #fbefff; }
  #intended-panel h2 { font-size: .95rem; margin: .9rem 0 .3rem; text-transform: uppercase; letter-spacing: .03em; color: var(--rec); }
  code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; }
  form { display: grid; gap: .45rem; }
  .field { display: grid; gap: .15rem; }
  .field > label { font-size: .85rem; color: var(--muted); }
  label.inline { display: flex; align-items: center; gap: .4rem; color: var(--fg); }
  input[type=text], input[type=password], input[type=number], select { font: inherit; padding: .3rem .45rem; border: 1px solid #b7bfc7; border-radius: 5px; background: #fff; color: var(--fg); }
  input[type=number] { width: 5rem; }
  fieldset { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .6rem; margin: 0; }
  legend { font-size: .85rem; color: var(--muted); padding: 0 .3rem; }
  .row { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; }
  .row > .field { flex: 1 1 7rem; }
  button { font: inherit; padding: .35rem .8rem; border-radius: 5px; border: 1px solid #8c959f; background: #f6f8fa; cursor: pointer; }
  button.primary { background: #1f883d; border-color: #1a7f37; color: #fff; }
  button.danger { background: #cf222e; border-color: #a40e26; color: #fff; }
  button:disabled { opacity: .55; cursor: default; }
  .err:empty, .note:empty { display: none; }
  .err { border: 1px solid #ff8182; background: #ffebe9; color: #82071e; border-radius: 6px; padding: .45rem .6rem; font-size: .9rem; }
  .err ul { margin: .3rem 0 0; padding-left: 1.2rem; }
  .note { border: 1px solid #8dd3a1; background: #dafbe1; border-radius: 6px; padding: .4rem .6rem; font-size: .9rem; }
  pre.explain { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: .5rem .7rem; white-space: pre-wrap; margin: .4rem 0; font-size: .82rem; }
  ol.history { list-style: none; padding: 0; margin: 0; max-height: 26rem; overflow: auto; }
  ol.history li { padding: .35rem 0; border-bottom: 1px solid var(--line); }
  .kind { display: inline-block; min-width: 5.2rem; font-size: .75rem; font-weight: 600; text-transform: uppercase; color: var(--info); }
  .kind.k-alert, .kind.k-drift { color: var(--bad); } .kind.k-command { color: var(--rec); } .kind.k-signal { color: var(--warn); }
  details summary { cursor: pointer; color: var(--muted); font-size: .8rem; }
  .creds-state { font-size: .85rem; }
  .grid-matrix td, .grid-matrix th { border: none; padding: .15rem .3rem; }
  #scopes-panel h2 { font-size: .95rem; margin: .9rem 0 .3rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
  article.scope { border-left-color: var(--info); margin-bottom: .6rem; }
  #entry p { margin: 0 0 .4rem; }
  #entry .entry-problem { color: var(--warn); border-left: 3px solid var(--warn); padding-left: .5rem; }
  article.scope.shifting { border-left-color: var(--rec); }
  article.scope h3 { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9rem; }
  article.scope h4 { margin: .4rem 0 .2rem; font-size: .8rem; color: var(--rec); text-transform: uppercase; }
  ul.services { list-style: none; padding: 0; margin: .3rem 0 0; border-top: 1px dashed var(--line); padding-top: .25rem; }
  ul.services li { display: flex; justify-content: space-between; gap: .5rem; font-size: .85rem; }
  ul.services .svc-status { font-weight: 600; }
  ul.services .s-HEALTHY .svc-status { color: var(--ok); } ul.services .s-DEGRADED .svc-status { color: var(--warn); }
  ul.services .s-DOWN .svc-status { color: var(--bad); } ul.services .s-RECOVERING .svc-status { color: var(--rec); }
`;

const SCRIPT = String.raw`
(() => {
  'use strict';
  const TOKEN_KEY = 'regionshift.readToken';
  const SECRET_KEY = 'regionshift.controlSecret';
  const ACTOR_KEY = 'regionshift.actor';
  const REFRESH_MS = 2500;
  const ss = window.sessionStorage;
  const enc = new TextEncoder();

  // The read token may come once in the fragment (the lab's link); it never stays in the address bar.
  // The fragment is read as URLSearchParams, so '#token=…&at=…' logs in and opens a moment; what
  // stays in the address bar (at, plan: a notification's link) carries no token.
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get('token')) {
    ss.setItem(TOKEN_KEY, hash.get('token'));
    hash.delete('token');
    const rest = hash.toString().replace(/%3A/gi, ':');
    history.replaceState(null, '', location.pathname + location.search + (rest ? '#' + rest : ''));
  }
  // Relative to the page, whatever prefix serves it: '…/control/' or '…/control' both end in '/'.
  const base = location.pathname.endsWith('/') ? location.pathname : location.pathname + '/';

${PAGE_DOM_HELPERS}

  let clockOffsetMs = 0;
  let status = null;
  let regions = [];

  // ---- time formatting ------------------------------------------------------------------
  function rel(ms) {
    const s = Math.round(Math.abs(ms) / 1000);
    const text = s < 60 ? s + 's' : s < 3600 ? Math.round(s / 60) + 'm' : s < 172800 ? Math.round(s / 360) / 10 + 'h' : Math.round(s / 86400) + 'd';
    return ms >= 0 ? 'in ' + text : text + ' ago';
  }
  function when(iso) {
    const t = typeof iso === 'number' ? iso : Date.parse(iso);
    if (!Number.isFinite(t) || t <= 0) return null;
    const d = new Date(t);
    const sameDay = d.toDateString() === new Date().toDateString();
    return (sameDay ? d.toLocaleTimeString() : d.toLocaleString()) + ' (' + rel(t - (Date.now() + clockOffsetMs)) + ')';
  }
  function timeEl(iso, fallback) {
    const text = when(iso);
    return text ? el('time', { datetime: typeof iso === 'number' ? new Date(iso).toISOString() : iso, title: typeof iso === 'number' ? new Date(iso).toISOString() : iso, text }) : el('span', { class: 'muted', text: fallback || '—' });
  }

  // ---- HTTP --------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message || ('HTTP ' + status));
      this.status = status;
      this.code = e.code || '';
      this.problems = Array.isArray(e.problems) ? e.problems : [];
      this.refused = Array.isArray(e.refused) ? e.refused : [];
    }
  }
  async function parse(res) {
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = { error: { message: 'HTTP ' + res.status + ': ' + text.slice(0, 200) } }; }
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }
  async function read(path) {
    const token = ss.getItem(TOKEN_KEY);
    if (!token) throw new ApiError(401, { error: { code: 'AUTH.UNAUTHORIZED', message: 'no read token yet: open the link with #token=… or enter it under Credentials' } });
    const res = await fetch(base + path, { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' });
    return parse(res);
  }
  function hex(buf) { return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join(''); }
  function requestId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return hex(crypto.getRandomValues(new Uint8Array(16)));
  }
  /** Path plus the query sorted by key, each part percent-encoded, as the server canonicalises it (shared/http/auth.ts canonicalTarget). */
  function canonical(target) {
    const i = target.indexOf('?');
    if (i < 0) return target;
    const q = new URLSearchParams(target.slice(i + 1));
    const all = Array.from(q.keys());
    const keys = Array.from(new Set(all)).sort();
    // As the server: a repeated key has no one value to sign, so it is refused, not guessed.
    if (keys.length !== all.length) throw new ApiError(0, { error: { message: 'a query parameter is given more than once' } });
    return target.slice(0, i) + (keys.length ? '?' + keys.map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(q.get(k) || '')).join('&') : '');
  }
  /** A signed call: HMAC-SHA256 over timestamp, method, path, request id and body (docs/api.md). */
  async function signed(method, path, payload) {
    const secret = ss.getItem(SECRET_KEY);
    if (!secret) throw new ApiError(0, { error: { message: 'enter the control secret under Credentials first (it stays in this tab and is never sent)' } });
    if (!window.crypto || !crypto.subtle) throw new ApiError(0, { error: { message: 'this browser cannot sign here: WebCrypto needs https (or localhost)' } });
    const actor = ss.getItem(ACTOR_KEY) || 'dashboard';
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const ts = Math.floor((Date.now() + clockOffsetMs) / 1000);
    const id = requestId();
    const text = ts + '\n' + method + '\n' + canonical('/' + path) + '\n' + id + '\n' + body;
    const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const signature = hex(await crypto.subtle.sign('HMAC', key, enc.encode(text)));
    const headers = { 'x-regionshift-timestamp': String(ts), 'x-regionshift-request-id': id, 'x-regionshift-signature': signature, 'x-regionshift-actor': actor };
    if (body) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, { method, headers, body: body || undefined, cache: 'no-store' });
    return parse(res);
  }

  // ---- feedback -------------------------------------------------------------------------
  function showError(box, err) {
    box.replaceChildren();
    const head = err instanceof ApiError && err.status ? (err.status + (err.code ? ' ' + err.code : '') + ': ') : '';
    box.append(el('strong', { text: head }), err.message || String(err));
    const items = [];
    if (err.refused) for (const r of err.refused) items.push(el('li', {}, el('code', { text: r.rule }), ': ' + r.message));
    if (err.problems && !(err.problems.length === 1 && err.problems[0] === err.message)) for (const p of err.problems) items.push(el('li', { text: p }));
    if (items.length) box.append(el('ul', {}, items));
  }
  function stepLine(s) {
    if (s.kind === 'mesh') return 'mesh → ' + s.config.mode + ': ' + Object.entries(s.matrix).map(([src, row]) => src + ' → ' + pctText(row)).join('; ');
    if (s.kind === 'scale') return 'scale ' + s.cluster + ' ' + s.namespace + '/' + s.deployment + ' (' + s.region + '): ' + s.from + ' → ' + s.to + (s.waitReady ? ', waits until ready' : '');
    if (s.kind === 'notify') return 'notify ' + s.level + ': ' + s.message;
    return JSON.stringify(s);
  }
  function pctText(row) { return Object.entries(row).map(([d, p]) => d + ' ' + p + '%').join(', '); }
  function showOutcome(title, outcome) {
    const box = $('result');
    const steps = (outcome.plan && outcome.plan.steps) || [];
    const refused = (outcome.plan && outcome.plan.refused) || [];
    const summary = outcome.dryRun ? 'Dry run: nothing was committed.' : outcome.committed
      ? 'Committed ' + outcome.plan.id + ': ' + outcome.executed + ' of ' + steps.length + ' step' + (steps.length === 1 ? '' : 's') + ' run now' + (outcome.handedOff ? ', the rest handed to the executor.' : '.')
      : 'No change.';
    box.replaceChildren(...[
      el('h3', { text: title }),
      el('p', { text: summary }),
      el('pre', { class: 'explain', 'aria-label': 'Explain', text: (outcome.explain || []).join('\n') || '(no explanation)' }),
      steps.length ? el('div', {}, el('strong', { text: outcome.dryRun ? 'Steps it would run' : 'Steps' }), el('ol', {}, steps.map((s) => el('li', { class: 'small', text: stepLine(s) })))) : el('p', { class: 'muted small', text: 'Steps: none' }),
      refused.length ? el('div', {}, el('strong', { text: 'Refused' }), el('ul', {}, refused.map((r) => el('li', {}, el('code', { text: r.rule }), ': ' + r.message)))) : null,
    ].filter(Boolean));
    if (outcome.dryRun) box.scrollIntoView({ block: 'nearest' });
  }
  /** Runs an action from a form or a button: errors inline in that form, outcomes in the result panel. */
  async function act(errBox, noteBox, title, run) {
    errBox.replaceChildren();
    if (noteBox) noteBox.replaceChildren();
    try {
      const outcome = await run();
      showOutcome(title, outcome);
      if (noteBox) noteBox.textContent = outcome.dryRun ? title + ': see the result below' : title + ': ' + (outcome.committed ? 'committed ' + outcome.plan.id : 'no change');
      refresh();
      return outcome;
    } catch (err) {
      showError(errBox, err);
      if (err && err.refused && err.refused.length) refresh();
      return null;
    }
  }

  // ---- rendering ------------------------------------------------------------------------
  const rendered = new Map();
  /** Re-render a part only when its data changed, so buttons are not swapped out from under a click. */
  function part(key, data, render) {
    const json = JSON.stringify(data);
    if (rendered.get(key) === json) return;
    rendered.set(key, json);
    render(data);
  }

  function regionsOf(s) {
    const list = Object.keys(s.health || {});
    for (const [src, row] of Object.entries(s.matrix || {})) {
      if (!list.includes(src)) list.push(src);
      for (const dst of Object.keys(row)) if (!list.includes(dst)) list.push(dst);
    }
    return list;
  }

  // Recovery steps counted from 1, as the status API gives them: "step 1/3 (25%)".
  function recoveryStepText(h) {
    return 'step ' + h.step + (h.steps !== undefined ? '/' + h.steps : '') + (h.percent !== undefined ? ' (' + h.percent + '%)' : '');
  }

  function renderHealth(s) {
    const cards = Object.entries(s.health).map(([region, h]) => {
      const signals = (s.activeSignals || []).filter((x) => x.region === region);
      const services = Object.entries((s.serviceHealth || {})[region] || {});
      return el('article', { class: 'card s-' + h.status, 'aria-labelledby': 'hc-' + region },
        el('h3', { id: 'hc-' + region, text: region }),
        el('div', { class: 'status', text: h.status + (h.step !== undefined ? ' · ' + recoveryStepText(h) : '') }),
        el('div', { class: 'small muted' }, 'since ', timeEl(h.since, 'the start')),
        h.causes && h.causes.length
          ? el('div', { class: 'small' }, el('span', { class: 'muted', text: 'causes:' }), el('ul', { class: 'plain' }, h.causes.map((c) => el('li', {}, el('code', { text: c })))))
          : el('div', { class: 'small muted', text: 'no active causes' }),
        signals.length ? el('div', { class: 'small muted', text: signals.length + ' active signal' + (signals.length === 1 ? '' : 's') }) : null,
        // Per-service health (service scopes): the region's own status above still governs every service.
        services.length
          ? el('ul', { class: 'services', 'aria-label': 'Services in ' + region }, services.map(([svc, sh]) => el('li', { class: 's-' + sh.status, title: (sh.causes || []).join(', ') },
            el('code', { text: svc }), el('span', { class: 'svc-status', text: sh.status + (sh.step !== undefined ? ' · ' + recoveryStepText(sh) : '') }))))
          : null,
      );
    });
    $('health').replaceChildren(...(cards.length ? cards : [el('p', { class: 'muted', text: 'no regions' })]));
  }

  function matrixRows(matrix, cols) {
    return [
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'source ↓ / served in →' }), cols.map((c) => el('th', { scope: 'col', text: c })))),
      el('tbody', {}, Object.keys(matrix).map((src) => el('tr', {},
        el('th', { scope: 'row', text: src }),
        cols.map((dst) => {
          const p = matrix[src][dst] || 0;
          return el('td', { class: 'pct' + (p ? '' : ' zero'), style: '--p:' + p, 'data-src': src, 'data-dst': dst, text: String(p) });
        }),
      ))),
    ];
  }
  function renderMatrix(d) {
    const table = $(d.id);
    if (!d.matrix) {
      table.replaceChildren(el('caption', { class: 'muted', text: d.empty }));
      return;
    }
    table.replaceChildren(...matrixRows(d.matrix, d.regions));
  }

  function sameMatrix(a, b) {
    const norm = (row) => JSON.stringify(Object.entries(row || {}).filter(([, v]) => v > 0).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
    return Array.from(new Set(Object.keys(a || {}).concat(Object.keys(b || {})))).every((src) => norm((a || {})[src]) === norm((b || {})[src]));
  }
  /** The default matrix itself is shifting (status's shifting is also true while only a scope is). */
  function defaultShifting(s) {
    return Boolean(s.shifting && s.intended && (!s.matrix || !sameMatrix(s.intended.matrix, s.matrix)));
  }

  /** One card per host routed apart from the default: what the mesh has, and while it differs, what is intended. */
  function renderScopes(d) {
    const hosts = Object.entries(d.scopes || {});
    // Shown as soon as the policy scopes services (entry is then always in status), even before any host is routed apart.
    $('scopes-panel').hidden = hosts.length === 0 && !d.entry;
    renderEntry(d.entry);
    $('scopes').replaceChildren(...hosts.map(([host, sc]) => {
      const live = sc.confirmed;
      return el('article', { class: 'card scope' + (sc.shifting ? ' shifting' : ''), 'aria-label': 'Scope ' + host },
        el('h3', { text: host }),
        el('div', { class: 'small' }, 'mode ', el('strong', { text: live ? live.mode : 'follows the default' }), live ? '' : ' (the mesh has no rule for it yet)'),
        live ? el('table', { class: 'matrix', 'aria-label': 'Scope matrix ' + host }, matrixRows(live.matrix, d.regions)) : null,
        sc.shifting ? el('h4', { text: 'Shifting to' + (sc.intended ? ' ' + sc.intended.mode : ' the default (its rule is to be removed)') }) : null,
        sc.shifting && sc.intended ? el('table', { class: 'matrix', 'aria-label': 'Scope intended matrix ' + host }, matrixRows(sc.intended.matrix, d.regions)) : null,
      );
    }));
  }

  /**
   * Where elective shifts apply: the entry services and where they came from. With scopes.entryFrom,
   * a read that was not used (failed, or routed to no scoped service) is shown with the set kept,
   * since the engine keeps deciding on that set rather than guessing.
   */
  function renderEntry(e) {
    const box = $('entry');
    box.hidden = !e;
    if (!e) { box.replaceChildren(); return; }
    const names = (list) => list.flatMap((n, i) => [i ? ', ' : '', el('code', { text: n })]);
    const lines = [];
    if (e.source === 'policy') {
      lines.push(el('p', { class: 'entry-set' }, 'Entry services: ', names(e.services), ' — named in the policy (scopes.entry)'));
    } else {
      const gw = (e.gateways || []).length === 1 ? 'gateway ' : 'gateways ';
      lines.push(e.services.length
        ? el('p', { class: 'entry-set' }, 'Entry services: ', names(e.services), ' — derived from VirtualService' + ((e.from || []).length === 1 ? ' ' : 's '), names(e.from || []), ' bound to ' + gw, names(e.gateways || []), ', since ', timeEl(e.since, 'unknown'))
        : el('p', { class: 'entry-set' }, 'Entry services: none known — scopes.entryFrom, ' + gw, names(e.gateways || []), ': elective shifts are refused until one is derived'));
      if (e.problem) {
        lines.push(el('p', { class: 'entry-problem', role: 'status', 'aria-label': 'Entry services problem' },
          'Latest VirtualService read not used (since ', timeEl(e.problem.since), '): ' + e.problem.message + ' — ',
          e.services.length ? ['keeping ', ...names(e.services)] : 'no entry service is known'));
      }
    }
    box.replaceChildren(...lines);
  }

  function renderBanners(s) {
    const box = $('banners');
    const list = [];
    // The mesh has not confirmed what was decided: the live matrix below is still the old one.
    if (defaultShifting(s)) {
      list.push(el('section', { class: 'banner b-shifting', 'aria-label': 'Shifting' },
        el('p', {}, el('strong', { text: 'Shifting' }), ' to ' + s.intended.config.mode + ' (decided ', timeEl(s.intended.at), '): the mesh has not confirmed it yet · intended ' +
          Object.entries(s.intended.matrix).map(([src, row]) => src + ' → ' + pctText(row)).join('; ')),
      ));
    }
    const shiftingScopes = Object.keys(s.scopes || {}).filter((host) => s.scopes[host].shifting);
    if (shiftingScopes.length) {
      list.push(el('section', { class: 'banner b-shifting', 'aria-label': 'Scopes shifting' },
        el('p', {}, el('strong', { text: 'Shifting' }), ' ' + shiftingScopes.length + ' scope' + (shiftingScopes.length === 1 ? '' : 's') + ': the mesh has not confirmed their routing yet · ', shiftingScopes.flatMap((h, i) => [i ? ', ' : '', el('code', { text: h })])),
      ));
    }
    if (s.paused) {
      list.push(el('section', { class: 'banner b-paused', 'aria-label': 'Automation paused' },
        el('p', {}, el('strong', { text: 'Automation paused' }), ' by ' + s.paused.actor + ' at ', timeEl(s.paused.at), s.paused.reason ? ': “' + s.paused.reason + '”' : ''),
        el('button', { type: 'button', class: 'primary', onclick: () => act($('banner-err'), null, 'Resume automation', () => signed('POST', 'v1/resume')) }, 'Resume automation'),
      ));
    }
    if (s.override) {
      const o = s.override;
      const what = (o.drain ? 'drain ' + o.drain.join(', ') : 'matrix ' + Object.entries(o.matrix || {}).map(([src, row]) => src + ' → ' + pctText(row)).join('; ')) + (o.service ? ' of service ' + o.service : '');
      list.push(el('section', { class: 'banner b-override', 'aria-label': 'Active override' },
        el('p', {}, el('strong', { text: 'Override ' + o.id }), ': ' + what + (o.force ? ' (force)' : '') + ' · until ', timeEl(o.expiresAt), ' · by ' + o.actor + (o.reason ? ': “' + o.reason + '”' : '')),
        el('button', { type: 'button', onclick: () => act($('banner-err'), null, 'Clear override', () => signed('DELETE', 'v1/overrides/' + encodeURIComponent(o.id))) }, 'Clear override'),
      ));
    }
    if (s.drill) {
      const d = s.drill;
      list.push(el('section', { class: 'banner b-drill', 'aria-label': 'Active drill' },
        el('p', {}, el('strong', { text: 'Drill ' + d.id }), ': ' + d.region + (d.service ? ' ' + d.service : '') + ' ' + d.severity + ' · ends ', timeEl(d.endsAt), ' · by ' + d.actor),
        el('button', { type: 'button', class: 'danger', onclick: () => act($('banner-err'), null, 'Abort drill', () => signed('DELETE', 'v1/drills/' + encodeURIComponent(d.id))) }, 'Abort drill'),
      ));
    }
    box.replaceChildren(...list);
  }

  function renderSignals(list) {
    const box = $('signals');
    if (!list.length) return box.replaceChildren(el('p', { class: 'muted', text: 'none' }));
    box.replaceChildren(el('table', { 'aria-label': 'Active signals' },
      el('thead', {}, el('tr', {}, ['region', 'severity', 'source', 'key', 'at'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, list.map((x) => el('tr', {}, el('td', { text: x.region }), el('td', { text: x.severity }), el('td', { text: x.source }), el('td', {}, el('code', { text: x.key })), el('td', {}, timeEl(x.at))))),
    ));
  }

  function renderPlans(list) {
    const box = $('plans');
    if (!list.length) return box.replaceChildren(el('p', { class: 'muted', text: 'none' }));
    box.replaceChildren(el('table', { 'aria-label': 'Open plans' },
      el('thead', {}, el('tr', {}, ['plan', 'status', 'steps done', 'due'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, list.map((p) => el('tr', {}, el('td', {}, el('code', { text: p.id })), el('td', { text: p.status }), el('td', { text: p.done + ' / ' + p.steps }), el('td', {}, timeEl(p.dueAt))))),
    ));
  }

  function renderRefusals(d) {
    const box = $('refusals');
    if (!d.refused.length) return box.replaceChildren(el('p', { class: 'muted', text: 'none' }));
    box.replaceChildren(
      d.since ? el('p', { class: 'small muted' }, 'since ', timeEl(d.since.at), ' · ' + d.since.trigger) : null,
      el('ul', { class: 'plain' }, d.refused.map((r) => el('li', {}, el('code', { text: r.rule }), ': ' + r.message))),
    );
  }

  function renderHistory(events) {
    const box = $('history');
    if (!events.length) return box.replaceChildren(el('li', { class: 'muted', text: 'no events yet' }));
    box.replaceChildren(...events.map((e) => {
      const explain = e.detail && Array.isArray(e.detail.explain) ? e.detail.explain : null;
      return el('li', {},
        el('div', {}, el('span', { class: 'kind k-' + e.kind, text: e.kind }), ' ', el('span', { class: 'small muted' }, '#' + e.seq + ' · ', timeEl(e.at), ' · ' + e.actor + (e.planId ? ' · ' + e.planId : ''))),
        el('div', { text: e.summary }),
        explain && explain.length ? el('details', {}, el('summary', { text: 'explain' }), el('pre', { class: 'explain', text: explain.join('\n') })) : null,
      );
    }));
  }

  /** Region pickers follow the mesh's regions; rebuilt only when that list changes, keeping choices. */
  function renderRegionInputs(list) {
    const drill = $('drill-region');
    const keep = drill.value;
    drill.replaceChildren(...list.map((r) => el('option', { value: r, text: r })));
    if (list.includes(keep)) drill.value = keep;
    const drains = $('drain-regions');
    const checked = new Set(Array.from(drains.querySelectorAll('input:checked'), (i) => i.value));
    drains.replaceChildren(el('legend', { text: 'Regions to drain' }), ...list.map((r) => el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'drain', value: r, checked: checked.has(r) }), r)));
    const presets = $('matrix-presets');
    presets.replaceChildren(...list.map((r) => el('button', { type: 'button', onclick: () => presetMatrix(r) }, '90/10 from ' + r)));
    buildMatrixEditor(list);
  }
  function buildMatrixEditor(list) {
    // Edits start from what is intended (the mesh may still be shifting to it).
    const current = (status && ((status.intended && status.intended.matrix) || status.matrix)) || {};
    const grid = $('matrix-editor');
    grid.replaceChildren(
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', class: 'small muted', text: 'from ↓ to →' }), list.map((c) => el('th', { scope: 'col', class: 'small', text: c })))),
      el('tbody', {}, list.map((src) => el('tr', {},
        el('th', { scope: 'row', class: 'small', text: src }),
        list.map((dst) => {
          const value = current[src] ? (current[src][dst] || 0) : (src === dst ? 100 : 0);
          return el('td', {}, el('input', { type: 'number', min: 0, max: 100, step: 1, 'data-src': src, 'data-dst': dst, 'aria-label': src + ' → ' + dst + ' %', value }));
        }),
      ))),
    );
  }
  function presetMatrix(from) {
    const others = regions.filter((r) => r !== from);
    for (const input of $('matrix-editor').querySelectorAll('input')) {
      const src = input.dataset.src, dst = input.dataset.dst;
      let v = src === dst ? 100 : 0;
      if (src === from) v = dst === from ? 90 : (others.length ? (dst === others[0] ? 10 - Math.floor(10 / others.length) * (others.length - 1) : Math.floor(10 / others.length)) : 0);
      input.value = String(v);
    }
    $('ovr-kind-matrix').checked = true;
    syncOverrideKind();
  }

  let inFlight = false;
  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    const conn = $('conn');
    try {
      const sent = Date.now();
      const [s, h] = await Promise.all([read('v1/status'), read('v1/history?limit=30')]);
      const serverAt = Date.parse(s.at);
      if (Number.isFinite(serverAt)) clockOffsetMs = serverAt - Math.round((sent + Date.now()) / 2);
      status = s;
      $('mesh-name').textContent = s.mesh;
      const live = s.config ? s.config.mode : (s.intended ? 'not confirmed yet' : 'nothing applied yet');
      $('mode').replaceChildren('mode ', el('strong', { text: live }), defaultShifting(s) ? ' → ' + s.intended.config.mode + ' (shifting)' : '');
      document.title = 'regionshift · ' + s.mesh;
      const list = regionsOf(s);
      part('regions', list, (l) => { regions = l; renderRegionInputs(l); });
      part('health', { health: s.health, services: s.serviceHealth || null, signals: s.activeSignals, minute: Math.floor(Date.now() / 30000) }, () => renderHealth(s));
      part('matrix', { id: 'matrix', matrix: s.matrix, regions: list, empty: s.intended ? 'not confirmed by the mesh yet' : 'nothing applied yet' }, renderMatrix);
      $('intended-panel').hidden = !defaultShifting(s);
      part('intended', { id: 'intended', matrix: defaultShifting(s) ? s.intended.matrix : null, regions: list, empty: 'the mesh has what was decided' }, renderMatrix);
      part('scopes', { scopes: s.scopes || null, entry: s.entry || null, regions: list, minute: s.entry ? Math.floor(Date.now() / 30000) : 0 }, renderScopes);
      part('banners', { paused: s.paused, override: s.override, drill: s.drill, shifting: s.shifting, intended: s.intended, matrix: s.matrix, scopes: s.scopes || null, minute: Math.floor(Date.now() / 30000) }, () => renderBanners(s));
      part('signals', s.activeSignals || [], renderSignals);
      part('plans', s.openPlans || [], renderPlans);
      part('refusals', { refused: s.refused || [], since: s.refusedSince || null }, renderRefusals);
      part('history', h.events || [], renderHistory);
      conn.className = '';
      conn.textContent = 'state v' + s.version + ' · updated ' + new Date().toLocaleTimeString();
    } catch (err) {
      conn.className = 'bad';
      conn.textContent = (err.status ? 'HTTP ' + err.status + ': ' : '') + (err.message || String(err));
    } finally {
      inFlight = false;
    }
  }

  // ---- credentials ----------------------------------------------------------------------
  function renderCreds() {
    const parts = [ss.getItem(TOKEN_KEY) ? 'read token set' : 'no read token', ss.getItem(SECRET_KEY) ? 'control secret set' : 'no control secret (read-only)'];
    $('creds-state').textContent = parts.join(' · ') + ' · acting as ' + (ss.getItem(ACTOR_KEY) || 'dashboard');
    $('actor').value = ss.getItem(ACTOR_KEY) || '';
  }
  $('creds-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const err = $('creds-err');
    err.replaceChildren();
    const token = $('read-token').value.trim();
    const secret = $('control-secret').value;
    const actor = $('actor').value.trim();
    if (actor && !/^[A-Za-z0-9._@:\/-]{1,64}$/.test(actor)) {
      showError(err, new ApiError(0, { error: { message: 'Act as: 1-64 characters of letters, digits and . _ @ : / -' } }));
      return;
    }
    if (token) ss.setItem(TOKEN_KEY, token);
    if (secret) ss.setItem(SECRET_KEY, secret);
    if (actor) ss.setItem(ACTOR_KEY, actor); else ss.removeItem(ACTOR_KEY);
    $('read-token').value = '';
    $('control-secret').value = '';
    renderCreds();
    refresh();
  });
  $('creds-forget').addEventListener('click', () => {
    for (const k of [TOKEN_KEY, SECRET_KEY, ACTOR_KEY]) ss.removeItem(k);
    renderCreds();
  });

  // ---- command forms --------------------------------------------------------------------
  function durationValue(text) {
    const t = text.trim();
    return /^\d+$/.test(t) ? Number(t) : t;
  }
  function drillBody() {
    const body = { region: $('drill-region').value, severity: $('drill-severity').value, duration: durationValue($('drill-duration').value) };
    const reason = $('drill-reason').value.trim();
    if (reason) body.reason = reason;
    return body;
  }
  function overrideBody() {
    const body = {};
    if ($('ovr-kind-drain').checked) {
      body.drain = Array.from($('drain-regions').querySelectorAll('input:checked'), (i) => i.value);
    } else {
      const m = {};
      for (const input of $('matrix-editor').querySelectorAll('input')) {
        const v = Number(input.value || 0);
        if (!m[input.dataset.src]) m[input.dataset.src] = {};
        if (v !== 0) m[input.dataset.src][input.dataset.dst] = v;
      }
      body.matrix = m;
    }
    const ttl = $('ovr-ttl').value.trim();
    if (ttl) body.ttl = durationValue(ttl);
    if ($('ovr-force').checked) body.force = true;
    body.reason = $('ovr-reason').value.trim();
    return body;
  }
  function syncOverrideKind() {
    const drain = $('ovr-kind-drain').checked;
    $('drain-regions').hidden = !drain;
    $('matrix-fields').hidden = drain;
  }
  $('ovr-kind-drain').addEventListener('change', syncOverrideKind);
  $('ovr-kind-matrix').addEventListener('change', syncOverrideKind);

  function wire(formId, title, run, dryRunId, dryRun) {
    const form = $(formId);
    const err = form.querySelector('.err');
    const note = form.querySelector('.note');
    form.addEventListener('submit', (e) => { e.preventDefault(); act(err, note, title, run); });
    if (dryRunId) $(dryRunId).addEventListener('click', () => act(err, note, 'Dry run: ' + title.toLowerCase(), () => signed('POST', 'v1/plan', dryRun())));
  }
  wire('drill-form', 'Start drill', () => signed('POST', 'v1/drills', drillBody()), 'drill-dry', () => Object.assign({ kind: 'drill' }, drillBody()));
  wire('override-form', 'Pin override', () => signed('POST', 'v1/overrides', overrideBody()), 'override-dry', () => Object.assign({ kind: 'override' }, overrideBody()));
  wire('pause-form', 'Pause automation', () => signed('POST', 'v1/pause', { reason: $('pause-reason').value.trim() }), 'pause-dry', () => ({ kind: 'pause', reason: $('pause-reason').value.trim() }));

  // ---- readiness (on demand: the checks read the cloud, too much for every refresh) ------
  function renderReadiness(r) {
    const rows = r.checks.map((c) => el('tr', { class: 'rd-' + c.status },
      el('th', { scope: 'row', text: c.id }),
      el('td', {}, el('strong', { text: c.status.toUpperCase() })),
      el('td', {}, el('div', { text: c.message }), el('div', { class: 'small muted', text: 'looked at: ' + c.lookedAt })),
      el('td', { text: c.fix || '' })));
    $('readiness').replaceChildren(
      el('p', { class: 'small', style: 'margin:0 0 .4rem' }, 'Overall ', el('strong', { id: 'readiness-status', text: r.status.toUpperCase() }), ' · checked ', timeEl(r.at)),
      el('table', { class: 'matrix', 'aria-label': 'Readiness checks' },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Check' }), el('th', { scope: 'col', text: 'Status' }), el('th', { scope: 'col', text: 'Finding' }), el('th', { scope: 'col', text: 'Fix' }))),
        el('tbody', {}, ...rows)));
  }
  $('readiness-run').addEventListener('click', async () => {
    const btn = $('readiness-run');
    btn.disabled = true;
    $('readiness-err').textContent = '';
    try { renderReadiness(await read('v1/readiness')); }
    catch (err) { showError($('readiness-err'), err); }
    finally { btn.disabled = false; }
  });

  renderCreds();
  syncOverrideKind();
${TIMELINE_SCRIPT}
  tlWire(hash);
  refresh();
  setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
})();
`;

/** Row colours of the readiness panel (its own rules, appended to the page's style). */
const READINESS_STYLE = `
.rd-pass strong { color: #1a7f37; } .rd-warn strong { color: #9a6700; } .rd-fail strong { color: #cf222e; }
`;

export function renderDashboard(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>regionshift</title>
<style>${UPLOT_CSS}</style>
<style>${STYLE}${READINESS_STYLE}${TIMELINE_STYLE}</style>
</head>
<body>
<header class="top">
  <h1>regionshift · <span class="mesh" id="mesh-name">…</span></h1>
  <span class="pill" id="mode">mode …</span>
  <span id="conn" role="status" aria-live="polite">loading…</span>
</header>
<div id="banners"></div>
<div id="banner-err" class="err" role="alert" style="margin: .6rem 1.5rem 0"></div>
<main class="layout">
  <div>
${TIMELINE_PANEL}
    <section class="panel" aria-labelledby="h-health"><h2 id="h-health">Region health</h2><div class="cards" id="health"></div></section>
    <section class="panel" aria-labelledby="h-matrix"><h2 id="h-matrix">Applied traffic matrix</h2>
      <p class="small muted" style="margin-top:0">What the mesh has (confirmed by the mesh step): percent of the traffic entering in each source region that is served in each region.</p>
      <table class="matrix" id="matrix" aria-label="Applied traffic matrix"></table>
      <div id="intended-panel" hidden>
        <h2 id="h-intended">Intended traffic matrix (shifting)</h2>
        <p class="small muted" style="margin-top:0">Decided, not yet confirmed by the mesh.</p>
        <table class="matrix" id="intended" aria-label="Intended traffic matrix"></table>
      </div>
      <div id="scopes-panel" hidden>
        <h2 id="h-scopes">Service scopes</h2>
        <section id="entry" class="small" aria-label="Entry services" hidden></section>
        <p class="small muted" style="margin-top:0">Hosts routed apart from the default matrix above; every other host follows it.</p>
        <div id="scopes" aria-label="Service scopes"></div>
      </div></section>
    <section class="panel" aria-labelledby="h-signals"><h2 id="h-signals">Active signals</h2><div id="signals"></div></section>
    <section class="panel" aria-labelledby="h-plans"><h2 id="h-plans">Open plans</h2><div id="plans"></div></section>
    <section class="panel" aria-labelledby="h-refusals"><h2 id="h-refusals">Last refusals</h2><div id="refusals"></div></section>
    <section class="panel" aria-labelledby="h-history"><h2 id="h-history">History</h2><ol class="history" id="history" aria-label="History"></ol></section>
  </div>
  <aside>
    <section class="panel" aria-labelledby="h-creds"><h2 id="h-creds">Credentials</h2>
      <form id="creds-form" autocomplete="off">
        <p class="creds-state" id="creds-state" style="margin:0"></p>
        <div class="field"><label for="read-token">Read token</label><input type="password" id="read-token" autocomplete="off" placeholder="kept from the link if left empty"></div>
        <div class="field"><label for="control-secret">Control secret</label><input type="password" id="control-secret" autocomplete="new-password" placeholder="signs commands; never sent"></div>
        <div class="field"><label for="actor">Act as</label><input type="text" id="actor" placeholder="dashboard"></div>
        <div class="row"><button type="submit" class="primary">Save credentials</button><button type="button" id="creds-forget">Forget credentials</button></div>
        <div class="err" id="creds-err" role="alert"></div>
      </form></section>
    <section class="panel" aria-labelledby="h-drill"><h2 id="h-drill">Run a drill</h2>
      <form id="drill-form">
        <div class="row">
          <div class="field"><label for="drill-region">Drill region</label><select id="drill-region"></select></div>
          <div class="field"><label for="drill-severity">Severity</label><select id="drill-severity"><option value="down">down</option><option value="degraded">degraded</option></select></div>
          <div class="field"><label for="drill-duration">Duration</label><input type="text" id="drill-duration" value="15m"></div>
        </div>
        <div class="field"><label for="drill-reason">Drill reason</label><input type="text" id="drill-reason" placeholder="game day"></div>
        <div class="row"><button type="submit" class="danger">Start drill</button><button type="button" id="drill-dry" aria-label="Dry run drill">Dry run</button></div>
        <div class="err" role="alert"></div><div class="note" role="status"></div>
      </form></section>
    <section class="panel" aria-labelledby="h-override"><h2 id="h-override">Pin an override</h2>
      <form id="override-form">
        <div class="row">
          <label class="inline"><input type="radio" name="ovr-kind" id="ovr-kind-drain" value="drain" checked> Drain regions</label>
          <label class="inline"><input type="radio" name="ovr-kind" id="ovr-kind-matrix" value="matrix"> Pin a matrix</label>
        </div>
        <fieldset id="drain-regions"><legend>Regions to drain</legend></fieldset>
        <fieldset id="matrix-fields"><legend>Matrix (each row sums to 100)</legend>
          <table class="grid-matrix" id="matrix-editor" aria-label="Override matrix"></table>
          <div class="row" id="matrix-presets" style="margin-top:.3rem"></div>
        </fieldset>
        <div class="row">
          <div class="field"><label for="ovr-ttl">TTL</label><input type="text" id="ovr-ttl" placeholder="policy default"></div>
          <label class="inline" style="flex:0 0 auto"><input type="checkbox" id="ovr-force"> Force (break-glass)</label>
        </div>
        <div class="field"><label for="ovr-reason">Override reason (required)</label><input type="text" id="ovr-reason" placeholder="why, for the audit log"></div>
        <div class="row"><button type="submit" class="primary">Pin override</button><button type="button" id="override-dry" aria-label="Dry run override">Dry run</button></div>
        <div class="err" role="alert"></div><div class="note" role="status"></div>
      </form></section>
    <section class="panel" aria-labelledby="h-pause"><h2 id="h-pause">Pause automation</h2>
      <form id="pause-form">
        <div class="field"><label for="pause-reason">Pause reason (required)</label><input type="text" id="pause-reason" placeholder="why, for the audit log"></div>
        <div class="row"><button type="submit">Pause automation</button><button type="button" id="pause-dry" aria-label="Dry run pause">Dry run</button></div>
        <div class="err" role="alert"></div><div class="note" role="status"></div>
      </form></section>
    <section class="panel" aria-labelledby="h-result"><h2 id="h-result">Last result</h2><div id="result" aria-live="polite"><p class="muted">Commands and dry runs show their decision here.</p></div></section>
    <section class="panel" aria-labelledby="h-readiness"><h2 id="h-readiness">Readiness</h2>
      <p class="small muted" style="margin-top:0">The preconditions of a failover, read from the mesh, clusters, state and executor (nothing changes).</p>
      <div class="row"><button type="button" id="readiness-run">Run readiness checks</button></div>
      <div class="err" id="readiness-err" role="alert"></div>
      <div id="readiness" aria-live="polite"></div></section>
  </aside>
</main>
<script>${UPLOT_JS}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
