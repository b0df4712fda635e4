import { incidents, FULL_TIMING, QUICK_TIMING, QUICK_INCIDENTS } from './incidents';
import { STRATEGIES } from './strategies';
import { runBenchmark } from './benchmark';
import { writeReport } from './report';

/**
 * `npm run bench:incidents` — every incident against every strategy, on simulated time; writes
 * docs/benchmarks/incidents.md and one SVG chart per incident under docs/benchmarks/incidents/.
 * `-- --quick`: three incidents, short, written to stdout only (what the CI smoke test runs).
 * `-- --incident=<id>,… --strategy=<id>,…`: a subset (stdout only).
 */
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const pick = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3).split(',');
const onlyIncidents = pick('incident') ?? (quick ? QUICK_INCIDENTS : undefined);
const onlyStrategies = pick('strategy');
const all = incidents(quick ? QUICK_TIMING : FULL_TIMING).filter((i) => !onlyIncidents || onlyIncidents.includes(i.id));
const strategies = STRATEGIES.filter((s) => !onlyStrategies || onlyStrategies.includes(s.id));
const started = Date.now();
const results = await runBenchmark(all, strategies, { progress: (line) => process.stderr.write(`${line}\n`) });
const wallS = (Date.now() - started) / 1000;
if (quick || onlyIncidents || onlyStrategies) {
  for (const r of results) {
    process.stdout.write(`${JSON.stringify({ incident: r.incident, strategy: r.strategy, failed: r.failed, requests: r.requests, overSlo: r.overSlo, crossHopsPerRequest: Number(r.crossHopsPerRequest.toFixed(3)), mitigateS: r.mitigateS, restoreS: r.restoreS, meshChanges: r.meshChanges, peakExtraReplicas: r.peakExtraReplicas, errors: r.errors.length })}\n`);
  }
  process.stderr.write(`wall time ${wallS.toFixed(1)} s\n`);
} else {
  writeReport(all, strategies, results, { wallS });
  process.stderr.write(`wrote docs/benchmarks/incidents.md (wall time ${wallS.toFixed(1)} s)\n`);
}
