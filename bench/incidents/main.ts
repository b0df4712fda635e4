import { incidents, controlPlaneDownPhases, FULL_TIMING, QUICK_TIMING, QUICK_INCIDENTS } from './incidents';
import { STRATEGIES } from './strategies';
import { runBenchmark, seedsFrom } from './benchmark';
import { cellsOf, entriesPerRequest, benchLoad, TELEMETRY_FUNCTION, writeReport } from './report';
import { telemetryCost } from './telemetry-cost';
import { TELEMETRY_INTERVAL_S } from './strategies';
import type { RunResult } from './run';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * `npm run bench:incidents` — every incident against every strategy, on simulated time; writes
 * docs/benchmarks/incidents.md and one SVG chart per incident under docs/benchmarks/incidents/.
 * `-- --quick`: three incidents, short, written to stdout only (what the CI smoke test runs).
 * `-- --incident=<id>,… --strategy=<id>,…`: a subset (stdout only).
 * `-- --seeds=N` (the first N of 7, 1, 2, 3, …; default 3) or `-- --seed=a,b,…`: the data plane's
 * seeds each incident × strategy runs over; the report shows the median and the min–max over them.
 */
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const pick = (name: string) =>
  args
    .find((a) => a.startsWith(`--${name}=`))
    ?.slice(name.length + 3)
    .split(',');
const onlyIncidents = pick('incident') ?? (quick ? QUICK_INCIDENTS : undefined);
// `-- --render`: the report again from the kept results; `-- --merge --strategy=…`: rerun a subset into them.
const onlyStrategies = pick('strategy');
const seeds = seedsFrom(args);
const all = incidents(quick ? QUICK_TIMING : FULL_TIMING).filter((i) => !onlyIncidents || onlyIncidents.includes(i.id));
const strategies = STRATEGIES.filter((s) => !onlyStrategies || onlyStrategies.includes(s.id));
// The full run's results are kept (git-ignored) so the report can be re-rendered without rerunning: `-- --render`.
const CACHE = '.regionshift/bench-incidents.json';
let results: RunResult[];
let wallS: number;
/** Reruns merged into the kept results since the full run, each with its wall time, for the report's head. */
type Merge = { what: string; runs: number; wallS: number };
let merges: Merge[] = [];
if (args.includes('--merge')) {
  // Rerun a subset (--incident/--strategy) and put its results in place of the kept ones.
  const kept = JSON.parse(readFileSync(CACHE, 'utf8')) as { results: RunResult[]; wallS: number; merges?: Merge[] };
  const started = Date.now();
  const fresh = await runBenchmark(all, strategies, { seeds, progress: (line) => process.stderr.write(`${line}\n`) });
  merges = [
    ...(kept.merges ?? []),
    {
      what: args.filter((a) => a.startsWith('--incident=') || a.startsWith('--strategy=')).join(' ') || 'everything',
      runs: fresh.length,
      wallS: (Date.now() - started) / 1000,
    },
  ];
  const key = (r: RunResult) => `${r.incident}|${r.strategy}|${r.seed}`;
  const byKey = new Map(fresh.map((r) => [key(r), r]));
  results = kept.results.map((r) => byKey.get(key(r)) ?? r);
  for (const r of fresh) if (!kept.results.some((k) => key(k) === key(r))) results.push(r);
  wallS = kept.wallS;
  writeFileSync(CACHE, JSON.stringify({ results, wallS, merges }));
} else if (args.includes('--render')) {
  let kept: Merge[] | undefined;
  ({ results, wallS, merges: kept } = JSON.parse(readFileSync(CACHE, 'utf8')) as { results: RunResult[]; wallS: number; merges?: Merge[] });
  merges = kept ?? [];
} else {
  const started = Date.now();
  results = await runBenchmark(all, strategies, { seeds, progress: (line) => process.stderr.write(`${line}\n`) });
  wallS = (Date.now() - started) / 1000;
  if (!quick && !onlyIncidents && !onlyStrategies) {
    mkdirSync('.regionshift', { recursive: true });
    writeFileSync(CACHE, JSON.stringify({ results, wallS }));
  }
}
const rendering = args.includes('--render') || args.includes('--merge');
if (rendering) {
  const allIncidents = incidents(FULL_TIMING);
  const notes =
    merges.length === 0
      ? ''
      : `The wall time above is the last full run's; reruns merged into its results since: ${merges.map((m) => `\`${m.what}\` (${m.runs} runs, ${m.wallS.toFixed(0)} s)`).join('; ')}.\n`;
  writeReport(
    allIncidents.filter((i) => results.some((r) => r.incident === i.id)),
    STRATEGIES,
    results,
    { wallS, notes, seeds: [...new Set(results.map((r) => r.seed))] },
  );
  process.stderr.write('wrote docs/benchmarks/incidents.md from the kept results\n');
} else if (quick || onlyIncidents || onlyStrategies) {
  for (const r of results) {
    process.stdout.write(
      `${JSON.stringify({ incident: r.incident, strategy: r.strategy, seed: r.seed, failed: r.failed, requests: r.requests, overSlo: r.overSlo, crossHopsPerRequest: Number(r.crossHopsPerRequest.toFixed(3)), detectS: r.detectS, mitigateS: r.mitigateS, restoreS: r.restoreS, meshChanges: r.meshChanges, peakExtraReplicas: r.peakExtraReplicas, firstMeshChangeS: r.firstMeshChangeS ?? null, errors: r.errors.length })}\n`,
    );
    // The static-stability incidents, phase by phase (what users got while regionshift was away):
    // "detection" is the first of the delivered ALERT and the first mesh change (a read-back acts without a callback).
    if (r.incident.startsWith('control-plane-down')) {
      const acted = [r.detectS, r.firstMeshChangeS ?? null].filter((x): x is number => x !== null);
      for (const p of controlPlaneDownPhases(r.samples, acted.length ? Math.min(...acted) : null))
        process.stdout.write(`  ${JSON.stringify(p)}\n`);
    }
  }
  // Per incident × strategy over the seeds: the median and the min–max, as the report shows them.
  const range = (xs: Array<number | null>) => {
    const v = xs.map((x) => (x === null ? Infinity : x)).sort((a, b) => a - b);
    const m = v[Math.floor((v.length - 1) / 2)] as number;
    const show = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);
    return {
      median: show(v.length % 2 === 1 ? m : (m + (v[v.length / 2] as number)) / 2),
      min: show(v[0] as number),
      max: show(v[v.length - 1] as number),
    };
  };
  for (const c of cellsOf(results)) {
    process.stdout.write(
      `${JSON.stringify({ cell: `${c.incident} × ${c.strategy}`, seeds: c.runs.map((r) => r.seed), failed: range(c.runs.map((r) => r.failed)), detectS: range(c.runs.map((r) => r.detectS)), mitigateS: range(c.runs.map((r) => r.mitigateS)), meshChanges: range(c.runs.map((r) => r.meshChanges)) })}\n`,
    );
  }
  const perRequest = entriesPerRequest(results, all);
  if (perRequest !== null) {
    const cost = telemetryCost({ ...benchLoad(), entriesPerRequest: perRequest, intervalS: TELEMETRY_INTERVAL_S, ...TELEMETRY_FUNCTION });
    process.stdout.write(
      `${JSON.stringify({ telemetryCostPerMonth: { usd: Math.round(cost.totalUsd * 100) / 100, slsReadUsd: Math.round(cost.readUsd * 100) / 100, fcUsd: Math.round(cost.fcUsd * 100) / 100, readGb: Math.round(cost.readGbPerMonth * 100) / 100, invocations: cost.invocationsPerMonth, entryBytes: cost.entryBytes, compression: Math.round(cost.compression * 1000) / 1000, entriesPerRequest: Math.round(perRequest * 100) / 100 } })}\n`,
    );
  }
  process.stderr.write(`wall time ${wallS.toFixed(1)} s\n`);
} else {
  writeReport(all, strategies, results, { wallS, seeds });
  process.stderr.write(`wrote docs/benchmarks/incidents.md (wall time ${wallS.toFixed(1)} s)\n`);
}
