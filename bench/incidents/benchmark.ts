import type { Incident } from './incidents';
import { runIncident, type RunResult } from './run';
import type { Strategy } from './strategies';

/** Every incident against every strategy, one after the other (each on a fresh lab). */
export async function runBenchmark(
  list: Incident[],
  strategies: Strategy[],
  opts: { progress?: (line: string) => void } = {},
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const incident of list) {
    for (const strategy of strategies) {
      const t0 = Date.now();
      const r = await runIncident(incident, strategy);
      opts.progress?.(
        `${incident.id} × ${strategy.id}: failed ${r.failed}/${r.requests}, mesh changes ${r.meshChanges} (${((Date.now() - t0) / 1000).toFixed(1)} s)${r.errors.length ? ` errors: ${r.errors.slice(0, 3).join(' | ')}` : ''}`,
      );
      results.push(r);
    }
  }
  return results;
}
