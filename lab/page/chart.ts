import { el } from '../../shared/browser/dom';
import { niceMax, regionColour } from './scale';
import type { SeriesPoint } from './types';

/**
 * A gateway's chart, inline SVG drawn here (no charting library to load, so the page works
 * offline): requests/s and 5xx/s as lines with a dot per step, the share served per region as
 * stacked bars below.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';
const CHART = { w: 320, top: 8, rateH: 70, gap: 14, shareH: 26, left: 30, right: 6 };
const RPS_COLOUR = '#0969da';
const ERR_COLOUR = '#cf222e';
const ERR_FILL = '#f5c2c6';

type SvgChild = SVGElement | string | null | SvgChild[];

function svg(tag: string, attrs: Record<string, string | number | undefined>, ...children: SvgChild[]): SVGElement {
  const node = document.createElementNS(SVG_NS, tag) as SVGElement;
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) node.setAttribute(k, String(v));
  const add = (list: SvgChild[]) => {
    for (const c of list) {
      if (Array.isArray(c)) add(c);
      else if (c) node.append(c);
    }
  };
  add(children);
  return node;
}

export function gatewayChart(
  gateway: string,
  line: { from: number; to: number; points: SeriesPoint[] },
  known: Iterable<string>,
): HTMLElement {
  const points = line.points;
  const plotW = CHART.w - CHART.left - CHART.right;
  const h = CHART.top + CHART.rateH + CHART.gap + CHART.shareH + 14;
  const n = points.length;
  const x = (i: number) => CHART.left + (n > 1 ? (i * plotW) / (n - 1) : plotW / 2);
  const top = niceMax(Math.max(...points.map((p) => p.rps), ...points.map((p) => p.errors5xxPerSecond)));
  const y = (v: number) => CHART.top + CHART.rateH - (v / top) * CHART.rateH;
  type Key = 'rps' | 'errors5xxPerSecond';
  const path = (key: Key) => points.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)} ${y(p[key]).toFixed(1)}`).join(' ');
  const dots = (key: Key, colour: string) =>
    points.map((p, i) => svg('circle', { cx: x(i).toFixed(1), cy: y(p[key]).toFixed(1), r: 1.8, fill: colour }));
  const shareTop = CHART.top + CHART.rateH + CHART.gap;
  const barW = Math.max(1, plotW / Math.max(n, 1));
  const colour = (r: string) => regionColour(r, known);
  const bars = points.flatMap((p, i) => {
    let acc = 0;
    return Object.keys(p.servedShare)
      .sort()
      .map((region) => {
        const v = p.servedShare[region] ?? 0;
        const rect = svg('rect', {
          x: (x(i) - barW / 2).toFixed(1),
          width: barW.toFixed(1),
          y: (shareTop + (acc / 100) * CHART.shareH).toFixed(1),
          height: ((v / 100) * CHART.shareH).toFixed(1),
          fill: colour(region),
          'data-region': region,
        });
        acc += v;
        return rect;
      });
  });
  const minutes = Math.round((line.to - line.from) / 60_000);
  const label = `${gateway}: requests/s, 5xx/s and share served per region, last ${minutes} min`;
  const regionsShown = [...new Set(points.flatMap((p) => Object.keys(p.servedShare)))].sort();
  const last = points[points.length - 1] ?? { rps: 0, errors5xxPerSecond: 0 };
  const muted = { 'font-size': 9, fill: '#5b6570' };
  return el(
    'figure',
    { class: 'chart', 'data-gateway': gateway, 'data-points': String(n) },
    svg(
      'svg',
      { viewBox: `0 0 ${CHART.w} ${h}`, role: 'img', 'aria-label': label },
      svg('title', {}, `${label}; latest ${last.rps} requests/s, ${last.errors5xxPerSecond} 5xx/s`),
      svg('line', { x1: CHART.left, x2: CHART.w - CHART.right, y1: y(0), y2: y(0), stroke: '#d8dde3' }),
      svg('line', { x1: CHART.left, x2: CHART.w - CHART.right, y1: y(top), y2: y(top), stroke: '#eef1f4' }),
      svg('text', { x: CHART.left - 4, y: y(top) + 4, 'text-anchor': 'end', ...muted }, String(top)),
      svg('text', { x: CHART.left - 4, y: y(0) + 3, 'text-anchor': 'end', ...muted }, '0'),
      // 5xx/s first, as a filled area: it stays visible when every request failed and the requests/s line lies on it.
      n
        ? svg('path', {
            d: `${path('errors5xxPerSecond')} L${x(n - 1).toFixed(1)} ${y(0).toFixed(1)} L${x(0).toFixed(1)} ${y(0).toFixed(1)} Z`,
            fill: ERR_FILL,
            stroke: 'none',
          })
        : null,
      svg('path', { d: path('errors5xxPerSecond'), fill: 'none', stroke: ERR_COLOUR, 'stroke-width': 1.5, class: 'errors' }),
      dots('errors5xxPerSecond', ERR_COLOUR),
      svg('path', { d: path('rps'), fill: 'none', stroke: RPS_COLOUR, 'stroke-width': 1.5, class: 'rps' }),
      dots('rps', RPS_COLOUR),
      svg('rect', { x: CHART.left, y: shareTop, width: plotW, height: CHART.shareH, fill: 'none', stroke: '#eef1f4' }),
      svg('text', { x: CHART.left - 4, y: shareTop + CHART.shareH / 2 + 3, 'text-anchor': 'end', ...muted }, '%'),
      bars,
      svg('text', { x: CHART.left, y: h - 2, ...muted }, `−${minutes} min`),
      svg('text', { x: CHART.w - CHART.right, y: h - 2, 'text-anchor': 'end', ...muted }, 'now'),
    ),
    el(
      'figcaption',
      {},
      el('span', {}, el('span', { class: 'key', style: `background:${RPS_COLOUR}` }), 'requests/s'),
      el('span', {}, el('span', { class: 'key', style: `background:${ERR_COLOUR}` }), '5xx/s'),
      regionsShown.map((r) => el('span', {}, el('span', { class: 'key', style: `background:${colour(r)}` }), `served in ${r}`)),
    ),
  );
}
