import { $, el } from '../../shared/browser/dom';
import { gatewayChart } from './chart';
import { pct } from './scale';
import type { GatewaySeries, GatewayStats, Known, SeriesPoint, TrafficSnapshot } from './types';

/** The traffic panels: a card per gateway (its chart and where its calls were served), 5xx by destination. */

function gatewayCard(
  g: GatewayStats,
  snapshot: TrafficSnapshot,
  line: { from: number; to: number; points: SeriesPoint[] } | undefined,
  known: Known,
): HTMLElement {
  const cells = snapshot.served.filter((c) => c.sourceRegion === g.region);
  const shared = snapshot.gateways.filter((x) => x.region === g.region).length > 1;
  const services = [...new Set(cells.map((c) => c.service))].sort();
  const regions = [...new Set([...cells.map((c) => c.region), ...known.regions])].sort();
  const rows = services.map((svc) => {
    const mine = cells.filter((c) => c.service === svc);
    const total = mine.reduce((a, c) => a + c.requests, 0);
    const errors = mine.reduce((a, c) => a + c.errors5xx, 0);
    const versions = [...new Set(mine.map((c) => c.version))].sort().join(', ');
    return el(
      'tr',
      {},
      el('th', { scope: 'row' }, svc, ' ', el('span', { class: 'muted small', text: versions })),
      regions.map((r) => {
        const n = mine.filter((c) => c.region === r).reduce((a, c) => a + c.requests, 0);
        const p = pct(n, total);
        return el('td', { class: 'share', style: `--p:${p}`, 'data-region': r, title: `${n} of ${total} calls`, text: `${p}%` });
      }),
      el('td', { class: `num${errors ? ' bad' : ''}`, text: String(errors) }),
    );
  });
  return el(
    'article',
    { class: 'gw', 'aria-labelledby': `gw-${g.gateway}` },
    el('h3', { id: `gw-${g.gateway}` }, g.gateway, ' ', el('span', { class: 'muted small', text: `enters in ${g.region}` })),
    el(
      'div',
      { class: 'stats' },
      el('span', {}, el('b', { text: String(g.requests) }), ' requests'),
      el('span', {}, el('b', { text: String(g.rps) }), ' rps'),
      el('span', { class: g.errors5xx ? 'bad' : '' }, el('b', { text: String(g.errors5xx) }), ` 5xx (${g.errorPercent}%)`),
      g.latencyMs ? el('span', {}, 'p99 ', el('b', { text: String(g.latencyMs.p99) }), ' ms') : null,
    ),
    line ? gatewayChart(g.gateway, line, known.regions) : null,
    rows.length
      ? el(
          'table',
          { 'aria-label': `Where ${g.gateway} requests are served` },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', { scope: 'col', text: 'service · served in →' }),
              regions.map((r) => el('th', { scope: 'col', class: 'num', text: r })),
              el('th', { scope: 'col', class: 'num', text: '5xx' }),
            ),
          ),
          el('tbody', {}, rows),
        )
      : el('p', { class: 'muted small', text: 'no calls reached a pod' }),
    shared ? el('p', { class: 'muted small', text: `Served shares count every gateway entering in ${g.region}.` }) : null,
  );
}

export function renderTraffic(snapshot: TrafficSnapshot, series: GatewaySeries, known: Known): void {
  // A gateway quiet for the last 10 s keeps its card while its chart still has traffic.
  const lines = new Map(series.gateways.map((s) => [s.gateway, { from: series.from, to: series.to, points: s.points }]));
  const cards = snapshot.gateways.slice();
  for (const s of series.gateways) {
    if (!cards.some((g) => g.gateway === s.gateway))
      cards.push({ gateway: s.gateway, region: s.region, requests: 0, rps: 0, errors5xx: 0, errorPercent: 0, latencyMs: null });
  }
  cards.sort((a, b) => a.gateway.localeCompare(b.gateway));
  $('traffic').replaceChildren(
    ...(cards.length
      ? cards.map((g) => gatewayCard(g, snapshot, lines.get(g.gateway), known))
      : [
          el('p', {
            class: 'muted',
            text: `No requests in the last ${Math.round((series.to - series.from) / 60_000)} min. Send some with the button, or run the lab with background traffic (npm start).`,
          }),
        ]),
  );
  const dests = snapshot.destinations;
  $('destinations').replaceChildren(
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ['region', 'service', 'version'].map((h) => el('th', { scope: 'col', text: h })),
        ['requests', '5xx', '5xx %', 'p99 ms'].map((h) => el('th', { scope: 'col', class: 'num', text: h })),
      ),
    ),
    el(
      'tbody',
      {},
      dests.length
        ? dests.map((d) =>
            el(
              'tr',
              {},
              el('td', { text: d.region }),
              el('td', { text: d.service }),
              el('td', { text: d.version }),
              el('td', { class: 'num', text: String(d.requests) }),
              el('td', { class: `num${d.errors5xx ? ' bad' : ''}`, text: String(d.errors5xx) }),
              el('td', { class: `num${d.errors5xx ? ' bad' : ''}`, text: String(d.errorPercent) }),
              el('td', { class: 'num', text: d.latencyMs ? String(d.latencyMs.p99) : '—' }),
            ),
          )
        : [el('tr', {}, el('td', { colspan: 7, class: 'muted', text: 'no traffic' }))],
    ),
  );
}
