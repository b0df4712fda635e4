import type { Incident } from './incidents';
import { DEFAULT_SEEDS, runIncident, type RunResult } from './run';
import type { Strategy } from './strategies';

/**
 * Every incident against every strategy over every seed, one after the other (each on a fresh
 * lab). A strategy that is not available yet (`unavailable`) is not run: the report says so.
 */
export async function runBenchmark(
  list: Incident[],
  strategies: Strategy[],
  opts: { seeds?: number[]; progress?: (line: string) => void } = {},
): Promise<RunResult[]> {
  const seeds = opts.seeds ?? DEFAULT_SEEDS;
  const results: RunResult[] = [];
  for (const incident of list) {
    for (const strategy of strategies) {
      if (strategy.unavailable) {
        opts.progress?.(`${incident.id} × ${strategy.id}: not available (${strategy.unavailable})`);
        continue;
      }
      for (const seed of seeds) {
        const t0 = Date.now();
        const r = await runIncident(incident, strategy, { seed });
        opts.progress?.(
          `${incident.id} × ${strategy.id} seed ${seed}: failed ${r.failed}/${r.requests}, mesh changes ${r.meshChanges}, detect ${r.detectS ?? '—'} s (${((Date.now() - t0) / 1000).toFixed(1)} s)${r.errors.length ? ` errors: ${r.errors.slice(0, 3).join(' | ')}` : ''}`,
        );
        results.push(r);
      }
    }
  }
  return results;
}

/** The seeds of a run: `--seeds=N` (the first N of 7, 1, 2, 3, …) or `--seed=a,b,c`. */
export function seedsFrom(args: string[]): number[] {
  const list = args.find((a) => a.startsWith('--seed='))?.slice('--seed='.length);
  if (list !== undefined) {
    const seeds = list.split(',').map((x) => Number(x));
    if (seeds.length === 0 || seeds.some((x) => !Number.isInteger(x) || x < 0))
      throw new Error(`--seed: a comma-separated list of non-negative integers, not ${JSON.stringify(list)}`);
    return seeds;
  }
  const n = args.find((a) => a.startsWith('--seeds='))?.slice('--seeds='.length);
  if (n === undefined) return DEFAULT_SEEDS;
  const count = Number(n);
  if (!Number.isInteger(count) || count < 1 || count > 50)
    throw new Error(`--seeds: a whole number from 1 to 50, not ${JSON.stringify(n)}`);
  const more = Array.from({ length: count + DEFAULT_SEEDS.length }, (_, k) => k + 1).filter((x) => !DEFAULT_SEEDS.includes(x));
  return [...DEFAULT_SEEDS, ...more].slice(0, count);
}
