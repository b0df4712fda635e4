import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { BROWSER_BUNDLE, dashboardScript } from '../functions/control/dashboard-asset';

/**
 * The lab's page: where each gateway's requests are served right now, the 5xx they meet, the
 * faults in force (with a way to inject and delete them), a button that sends a burst of
 * requests, and a link to the product's dashboard that logs it in with the read token (in the
 * URL fragment, so it never reaches a server log). Self-contained: the script (lab/page/, a
 * TypeScript browser app bundled like the dashboard's) talks only to the lab API on the same
 * origin (`lab/v1/traffic|faults|requests`).
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
const scriptJson = (v: unknown) =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

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

/** The page's script: the browser app under lab/page/ (entry main.ts), bundled by esbuild on first use. */
let script: string | undefined;
function labScript(): string {
  if (script === undefined) {
    const out = buildSync({
      ...BROWSER_BUNDLE,
      entryPoints: [fileURLToPath(new URL('./page/main.ts', import.meta.url))],
      write: false,
      logLevel: 'silent',
    });
    script = out.outputFiles[0]?.text ?? '';
  }
  return script;
}

/** Bundles both pages' scripts now (the lab at start): a page that does not build stops the start, not its first view. */
export function bundlePages(): void {
  labScript();
  dashboardScript();
}

/** A script's text safe inside a <script> element. */
const scriptText = (js: string): string => js.replace(/<\/(script)/gi, '<\\/$1');

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
<script>${scriptText(labScript())}</script>
</body>
</html>
`;
}
