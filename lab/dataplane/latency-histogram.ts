import { ceil, floor, log, max, min, pow, round } from './math';
/**
 * Log-scaled latency histogram: bins grow by 10% from 0.1 ms up to ~2 minutes, so any
 * percentile read from it is within 5% of the true value, and histograms of different seconds
 * merge by adding counts (which exact samples could not do within the retention budget).
 */

const MIN_MS = 0.1;
const GROWTH = 1.1;
const LOG_GROWTH = log(GROWTH);
export const LATENCY_BINS = 150;

export function latencyBin(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return min(LATENCY_BINS - 1, 1 + floor(log(ms / MIN_MS) / LOG_GROWTH));
}

/** The value a bin stands for: the geometric middle of its bounds. */
export function binValue(bin: number): number {
  if (bin === 0) return MIN_MS;
  return MIN_MS * pow(GROWTH, bin - 0.5);
}

export interface LatencyPercentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Nearest-rank percentiles of merged counts; null when there are no samples. */
export function percentilesOf(counts: Uint32Array | number[], total: number): LatencyPercentiles | null {
  if (total === 0) return null;
  const targets = [0.5, 0.95, 0.99].map((q) => max(1, ceil(q * total)));
  const out: number[] = [];
  let seen = 0;
  let t = 0;
  for (let bin = 0; bin < counts.length && t < targets.length; bin++) {
    seen += counts[bin] as number;
    while (t < targets.length && seen >= (targets[t] as number)) {
      out.push(round2(binValue(bin)));
      t++;
    }
  }
  return { p50: out[0] ?? 0, p95: out[1] ?? 0, p99: out[2] ?? 0 };
}

export function round2(n: number): number {
  return round(n * 100) / 100;
}

/** Exact nearest-rank percentile of a sorted sample (a batch result has every sample at hand). */
export function exactPercentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = max(1, ceil(q * sorted.length));
  return round2(sorted[rank - 1] as number);
}
