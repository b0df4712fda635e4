/** The dashboard's style sheet (the page: functions/control/dashboard.ts; the timeline panel's own rules: dashboard-timeline.ts). */
export const DASHBOARD_STYLE = String.raw`
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
  .b-override { background: #ddf4ff; } .b-drill { background: #fff8c5; } .b-paused { background: #ffebe9; } .b-shifting { background: #fbefff; } .b-schedule { background: #eef6ee; }
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
  ol.history details.steps ol { margin: .2rem 0 0; }
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

/** Row colours of the readiness panel. */
export const READINESS_STYLE = `
.rd-pass strong { color: #1a7f37; } .rd-warn strong { color: #9a6700; } .rd-fail strong { color: #cf222e; }
`;
