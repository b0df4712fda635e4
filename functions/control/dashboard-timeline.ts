/**
 * The incident timeline panel's markup and style; its script is dashboard/timeline.ts (what it
 * draws and how it opens: the latest incident, or a notification's moment).
 */

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
  .tl-marker { position: absolute; top: 0; transform: translateX(-50%); padding: 0 .3rem; font-size: .72rem; line-height: 18px; border-radius: 9px; background: #24292f; color: #fff; border: none; white-space: nowrap; }
  .tl-marker.dot { width: 10px; height: 10px; padding: 0; margin-top: 4px; font-size: 0; line-height: 0; }
  ul.tl-legend { list-style: none; display: flex; flex-wrap: wrap; gap: .3rem 1rem; padding: 0; margin: .3rem 0; color: var(--muted); }
  ul.tl-legend li { display: flex; align-items: center; gap: .3rem; }
  .tl-swatch { display: inline-block; width: 14px; height: 10px; border-radius: 2px; }
  .tl-swatch.b-HEALTHY { background: var(--ok); } .tl-swatch.b-DEGRADED { background: #d4a72c; }
  .tl-swatch.b-DOWN { background: var(--bad); } .tl-swatch.b-RECOVERING { background: var(--rec); }
  .tl-swatch.filled { background: #0969dabb; } .tl-swatch.dashed { height: 0; border-top: 2px dashed #0969da; border-radius: 0; }
  .tl-swatch.marker { width: 18px; border-radius: 9px; background: #24292f; }
  .tl-marker.refused { background: var(--bad); }
  .tl-marker[aria-pressed="true"] { outline: 3px solid #d4a72c; outline-offset: 1px; z-index: 1; }
  #tl-detail:empty { display: none; }
`;

export const TIMELINE_PANEL = `
    <section class="panel" aria-labelledby="h-timeline"><h2 id="h-timeline">Incident timeline</h2>
      <div class="tl-controls">
        <div class="field"><label for="tl-range">Range</label><select id="tl-range"><option value="incident" selected>latest incident</option><option value="15">last 15 min</option><option value="60">last 1 h</option><option value="1440">last 24 h</option><option value="custom">custom</option></select></div>
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
