import type { StatusView } from '../../../shared/engine/api';
import type { HistoryEvent } from '../../../shared/engine/history-text';
import { $ } from '../../../shared/browser/dom';
import { onCommandDone } from './actions';
import { read, syncClock, TOKEN_KEY, ss } from './api';
import { renderCreds, renderRegionInputs, wireCommands, wireCreds, wireReadiness } from './forms';
import { defaultShifting, regionsOf } from './format';
import { renderHistory } from './history';
import { renderBanners, renderHealth, renderMatrix, renderPlans, renderRefusals, renderScopes, renderSignals } from './status-panels';
import { wireTimeline } from './timeline';
import { part } from './widgets';

/**
 * The dashboard's script (bundled by esbuild into the page functions/control/dashboard.ts
 * serves): reads `v1/status` and `v1/history` every few seconds and draws them; the forms sign
 * commands in the browser. See api.ts for how credentials are kept.
 */

const REFRESH_MS = 2500;

// The read token may come once in the fragment (the lab's link); it never stays in the address bar.
// The fragment is read as URLSearchParams, so '#token=…&at=…' logs in and opens a moment; what
// stays in the address bar (at, plan: a notification's link) carries no token.
const hash = new URLSearchParams(location.hash.slice(1));
const fromLink = hash.get('token');
if (fromLink) {
  ss().setItem(TOKEN_KEY, fromLink);
  hash.delete('token');
  const rest = hash.toString().replace(/%3A/gi, ':');
  history.replaceState(null, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
}

let status: StatusView | null = null;
let inFlight = false;
/** A value that changes every 30 s, so relative times ("3m ago") are redrawn now and then. */
const minute = () => Math.floor(Date.now() / 30_000);

async function refresh(): Promise<void> {
  if (inFlight) return;
  inFlight = true;
  const conn = $('conn');
  try {
    const sent = Date.now();
    const [s, h] = await Promise.all([read<StatusView>('v1/status'), read<{ events: HistoryEvent[] }>('v1/history?limit=30')]);
    syncClock(s.at, sent, Date.now());
    status = s;
    $('mesh-name').textContent = s.mesh;
    const live = s.config ? s.config.mode : s.intended ? 'not confirmed yet' : 'nothing applied yet';
    $('mode').replaceChildren(
      'mode ',
      Object.assign(document.createElement('strong'), { textContent: live }),
      defaultShifting(s) && s.intended ? ` → ${s.intended.config.mode} (shifting)` : '',
    );
    document.title = `regionshift · ${s.mesh}`;
    const list = regionsOf(s);
    part('regions', list, (l) => renderRegionInputs(l, status));
    part('health', { health: s.health, services: s.serviceHealth ?? null, signals: s.activeSignals, minute: minute() }, () =>
      renderHealth(s),
    );
    part(
      'matrix',
      { id: 'matrix', matrix: s.matrix, regions: list, empty: s.intended ? 'not confirmed by the mesh yet' : 'nothing applied yet' },
      renderMatrix,
    );
    $('intended-panel').hidden = !defaultShifting(s);
    part(
      'intended',
      {
        id: 'intended',
        matrix: defaultShifting(s) && s.intended ? s.intended.matrix : null,
        regions: list,
        empty: 'the mesh has what was decided',
      },
      renderMatrix,
    );
    part('scopes', { scopes: s.scopes ?? null, entry: s.entry ?? null, regions: list, minute: s.entry ? minute() : 0 }, renderScopes);
    part(
      'banners',
      {
        paused: s.paused,
        override: s.override,
        drill: s.drill,
        schedules: s.schedules,
        shifting: s.shifting,
        intended: s.intended,
        matrix: s.matrix,
        scopes: s.scopes ?? null,
        minute: minute(),
      },
      () => renderBanners(s),
    );
    part('signals', s.activeSignals, renderSignals);
    part('plans', s.openPlans, renderPlans);
    part('refusals', { refused: s.refused, since: s.refusedSince }, renderRefusals);
    // Redrawn only when the events change: an opened "steps" or "explain" stays open.
    part('history', { events: h.events ?? [], mesh: s.mesh }, renderHistory);
    conn.className = '';
    conn.textContent = `state v${s.version} · updated ${new Date().toLocaleTimeString()}`;
  } catch (err) {
    conn.className = 'bad';
    const e = err as { status?: number; message?: string };
    conn.textContent = (e.status ? `HTTP ${e.status}: ` : '') + (e.message ?? String(err));
  } finally {
    inFlight = false;
  }
}

onCommandDone(() => void refresh());
renderCreds();
wireCreds(() => void refresh());
wireCommands();
wireReadiness();
wireTimeline(hash);
void refresh();
setInterval(() => {
  if (!document.hidden) void refresh();
}, REFRESH_MS);
