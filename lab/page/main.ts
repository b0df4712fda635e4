import { $, el, input } from '../../shared/browser/dom';
import { faultEffect, pct } from './scale';
import { renderTraffic } from './traffic';
import type { BurstResult, Fault, GatewaySeries, Known, TrafficSnapshot } from './types';

/**
 * The lab page's script (bundled by esbuild into the page lab/lab-page.ts serves): live traffic
 * per gateway, the faults in force with a form to inject and delete them, and a burst of
 * requests. It talks only to the lab API on the same origin (`lab/v1/…`).
 */

const BURST = Number(document.body.dataset.burst);
const CHART_WINDOW = '5m';
const CHART_STEP = '5s';

interface TopologyHints {
  regions: Array<{ name: string }>;
  services: Array<{ name: string; versions: string[] }>;
  gateways: Array<{ name: string; region: string }>;
}

const hints = JSON.parse($('topology').textContent || 'null') as TopologyHints | null;
const known: Known = { regions: new Set(), services: new Map(), gateways: new Map() };
if (hints) {
  for (const r of hints.regions) known.regions.add(r.name);
  for (const s of hints.services) known.services.set(s.name, new Set(s.versions));
  for (const g of hints.gateways) known.gateways.set(g.name, g.region);
}

class LabApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly problems: string[],
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = {
    method,
    cache: 'no-store',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
  const res = await fetch(path, init);
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { error: { message: text.slice(0, 200) } };
  }
  if (!res.ok) {
    const e = (json as { error?: { message?: string; code?: string; problems?: string[] } } | null)?.error ?? {};
    throw new LabApiError(e.message || `HTTP ${res.status}`, res.status, e.code ?? '', e.problems ?? []);
  }
  return json as T;
}

function showError(box: HTMLElement, err: unknown): void {
  const e = err instanceof LabApiError ? err : null;
  box.replaceChildren(el('strong', { text: e?.status ? `${e.status} ${e.code}: ` : '' }), err instanceof Error ? err.message : String(err));
  if (e && e.problems.length > 1)
    box.append(
      el(
        'ul',
        {},
        e.problems.map((p) => el('li', { text: p })),
      ),
    );
}

function learn(snapshot: TrafficSnapshot | null, faults: Fault[]): void {
  for (const g of snapshot?.gateways ?? []) {
    known.gateways.set(g.gateway, g.region);
    known.regions.add(g.region);
  }
  for (const c of snapshot?.served ?? []) {
    known.regions.add(c.region);
    const versions = known.services.get(c.service) ?? new Set<string>();
    versions.add(c.version);
    known.services.set(c.service, versions);
  }
  for (const f of faults) known.regions.add(f.region);
  const fill = (id: string, values: string[]) => {
    const list = $(id);
    const want = JSON.stringify(values);
    if (list.dataset.values === want) return;
    list.dataset.values = want;
    list.replaceChildren(...values.map((v) => el('option', { value: v })));
  };
  fill('regions', [...known.regions].sort());
  fill('services', [...known.services.keys()].sort());
  fill('versions', [...new Set([...known.services.values()].flatMap((s) => [...s]))].sort());
  fill('gateways', [...known.gateways.keys()].sort());
}

let faultsJson = '';
function renderFaults(faults: Fault[]): void {
  const json = JSON.stringify(faults);
  if (json === faultsJson) return;
  faultsJson = json;
  const body = $('faults').querySelector('tbody') as HTMLElement;
  body.replaceChildren(
    ...(faults.length
      ? faults.map((f) =>
          el(
            'tr',
            { 'data-fault': f.id },
            el('td', {}, el('code', { text: f.id })),
            el('td', { text: f.kind }),
            el('td', { text: f.region }),
            el('td', { text: f.service || 'every service' }),
            el('td', { text: f.version || '—' }),
            el('td', { text: faultEffect(f) }),
            el('td', { text: f.expiresAt === null ? 'until deleted' : new Date(f.expiresAt).toLocaleTimeString() }),
            el(
              'td',
              {},
              el(
                'button',
                { type: 'button', class: 'danger', 'aria-label': `Delete fault ${f.id}`, onclick: () => void deleteFault(f.id) },
                'Delete',
              ),
            ),
          ),
        )
      : [el('tr', {}, el('td', { colspan: 8, class: 'muted', text: 'no faults: the mesh is healthy' }))]),
  );
}

async function deleteFault(id: string): Promise<void> {
  const err = $('faults-err');
  err.replaceChildren();
  try {
    await call('DELETE', `lab/v1/faults/${encodeURIComponent(id)}`);
  } catch (e) {
    showError(err, e);
  }
  void refresh();
}

function syncKind(): void {
  const kind = input('fault-kind').value;
  $('fault-rate-label').hidden = kind !== 'error-rate';
  $('fault-latency-label').hidden = kind !== 'latency';
}

input('fault-kind').addEventListener('change', syncKind);
$('fault-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = $('fault-err');
  const note = $('fault-note');
  err.replaceChildren();
  note.replaceChildren();
  const opt = (id: string) => input(id).value.trim();
  const spec: Record<string, unknown> = { kind: opt('fault-kind'), region: opt('fault-region') };
  if (opt('fault-service')) spec.service = opt('fault-service');
  if (opt('fault-version')) spec.version = opt('fault-version');
  if (spec.kind === 'error-rate') spec.rate = Number(opt('fault-rate')) / 100;
  if (spec.kind === 'latency') spec.latencyMs = Number(opt('fault-latency'));
  if (opt('fault-duration')) spec.duration = /^\d+$/.test(opt('fault-duration')) ? Number(opt('fault-duration')) : opt('fault-duration');
  try {
    const r = await call<{ id: string }>('POST', 'lab/v1/faults', spec);
    note.textContent = `Injected ${r.id}.`;
  } catch (ex) {
    showError(err, ex);
  }
  void refresh();
});

function renderBurst(r: BurstResult): HTMLElement[] {
  const services = Object.keys(r.byService).sort();
  const regions = [...new Set([...services.flatMap((s) => Object.keys(r.byService[s] ?? {})), ...known.regions])].sort();
  const statuses = Object.entries(r.statuses)
    .map(([code, n]) => `${code} × ${n}`)
    .join(', ');
  const noUp = Object.entries(r.noUpstream)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  const out = [
    el(
      'p',
      {},
      el('strong', { text: `${r.count} requests via ${r.gateway}: ` }),
      `${r.ok} ok, `,
      el('span', { class: r.failed ? 'bad' : '', text: `${r.failed} failed` }),
      ` · ${statuses} · p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`,
    ),
  ];
  if (noUp) out.push(el('p', { class: 'bad small', text: `no healthy upstream: ${noUp}` }));
  out.push(
    el(
      'table',
      { 'aria-label': 'Served breakdown' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { scope: 'col', text: 'service' }),
          regions.map((reg) => el('th', { scope: 'col', class: 'num', text: reg })),
        ),
      ),
      el(
        'tbody',
        {},
        services.map((s) => {
          const row = r.byService[s] ?? {};
          const total = Object.values(row).reduce((a, n) => a + n, 0);
          return el(
            'tr',
            {},
            el('th', { scope: 'row', text: s }),
            regions.map((reg) => {
              const n = row[reg] ?? 0;
              return el('td', { class: 'share', style: `--p:${pct(n, total)}`, 'data-region': reg, text: `${n} (${pct(n, total)}%)` });
            }),
          );
        }),
      ),
    ),
  );
  return out;
}

$('send-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = $('send-err');
  err.replaceChildren();
  const button = $<HTMLButtonElement>('send-button');
  button.disabled = true;
  try {
    const r = await call<BurstResult>('POST', 'lab/v1/requests', { gateway: input('send-gateway').value.trim(), count: BURST });
    $('send-result').replaceChildren(...renderBurst(r));
  } catch (ex) {
    showError(err, ex);
  } finally {
    button.disabled = false;
  }
  void refresh();
});

let busy = false;
async function refresh(): Promise<void> {
  if (busy) return;
  busy = true;
  const conn = $('conn');
  try {
    const [snapshot, series, faults] = await Promise.all([
      call<TrafficSnapshot>('GET', 'lab/v1/traffic?window=10s'),
      call<GatewaySeries>('GET', `lab/v1/traffic/series?window=${CHART_WINDOW}&step=${CHART_STEP}`),
      call<{ faults: Fault[] }>('GET', 'lab/v1/faults'),
    ]);
    learn(snapshot, faults.faults);
    renderTraffic(snapshot, series, known);
    renderFaults(faults.faults);
    conn.className = '';
    conn.textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    conn.className = 'bad';
    conn.textContent = `lab API: ${(e as Error).message}`;
  } finally {
    busy = false;
  }
}

learn(null, []);
const firstGateway = [...known.gateways.keys()].sort()[0];
if (firstGateway && !input('send-gateway').value) input('send-gateway').value = firstGateway;
syncKind();
void refresh();
setInterval(() => {
  if (!document.hidden) void refresh();
}, 2000);
