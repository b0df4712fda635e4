import type { Fault } from './types';

/** The lab page's pure parts (no DOM): axis tops, region colours, percents, fault effects. */

const REGION_COLOURS = ['#2da44e', '#bf8700', '#8250df', '#1b7c83', '#bc4c00', '#6e7781'];

/** The colour of a region: its place among the regions known, sorted. */
export function regionColour(region: string, known: Iterable<string>): string {
  const all = [...known].sort();
  const i = all.indexOf(region);
  return REGION_COLOURS[(i < 0 ? all.length : i) % REGION_COLOURS.length] as string;
}

/** The top of a rate axis: the smallest of 1, 2, 5, 10 × a power of ten at or above `v` (1 for nothing). */
export function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v) ?? 10 * p;
}

/** `n` of `total` as a percent with one decimal (0 of nothing). */
export const pct = (n: number, total: number): number => (total ? Math.round((1000 * n) / total) / 10 : 0);

/** What a fault does, in a few words. */
export function faultEffect(f: Pick<Fault, 'kind' | 'service' | 'rate' | 'latencyMs'>): string {
  if (f.kind === 'error-rate') return `${Math.round((f.rate ?? 0) * 1000) / 10}% 5xx`;
  if (f.kind === 'latency') return `+${f.latencyMs} ms`;
  return f.service ? 'pods down' : 'pods and gateway down';
}
