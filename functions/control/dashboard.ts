import { dashboardScript } from './dashboard-asset';
import { DASHBOARD_STYLE, READINESS_STYLE } from './dashboard-style';
import { TIMELINE_PANEL, TIMELINE_STYLE } from './dashboard-timeline';
import { UPLOT_CSS, UPLOT_JS } from './uplot-asset';

/**
 * The dashboard page served at `GET /`: one self-contained HTML document (no external assets),
 * holding no data itself. Its script is the TypeScript browser app under `dashboard/` (entry
 * `dashboard/main.ts`), bundled by esbuild (dashboard-asset.ts): it reads `v1/status`,
 * `v1/history` and `v1/timeline` with the read token and signs every command in the browser with
 * WebCrypto HMAC-SHA256 under the control secret the user types in — the secret itself never
 * leaves the tab. URLs are relative to the page, so it works under any path prefix.
 */

/** A script's text safe inside a <script> element (no closing tag can end it early). */
const scriptText = (js: string): string => js.replace(/<\/(script)/gi, '<\\/$1');

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
<style>${DASHBOARD_STYLE}${READINESS_STYLE}${TIMELINE_STYLE}</style>
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
<script>${scriptText(dashboardScript())}</script>
</body>
</html>
`;
}
