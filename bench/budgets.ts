/**
 * Budgets, each beside a baseline measured in the same run:
 *  - per function: the entry file FC loads at cold start (dist/<fn>/index.js; the SDKs beside it in
 *    dist/<fn>/node_modules are uploaded too but loaded only on first use, so not counted) and its
 *    cold `require` time, the median of BENCH_COLD_N fresh `node` processes; baselines: the same
 *    measurement of an empty file and of `require('zod')` from the repository's node_modules;
 *  - `decide` p50/p99 on a tick for examples/three-region.yaml and for a generated 20 regions ×
 *    10 deployments policy; baseline: the same policy without freeze windows, schedules or drill
 *    windows (a decide with no cron to evaluate).
 * Budgets: entry < 1 MB, cold require < 100 ms, decide p99 < 1 ms.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { decide } from '../shared/core/decide';
import { loadPolicyYaml, type Policy } from '../shared/core/policy';

const COLD_N = Number(process.env.BENCH_COLD_N ?? 9);
const DECIDE_N = Number(process.env.BENCH_DECIDE_N ?? 2000);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}
const verdict = (ok: boolean) => (ok ? 'within budget' : 'OVER BUDGET');

/** Wall time of `require(file)` in one fresh process (the process start itself not counted). */
function requireOnce(file: string, cwd: string): number {
  const out = execFileSync(process.execPath, ['-e', `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`], { cwd, env: { PATH: process.env.PATH }, encoding: 'utf8' });
  return Number(out);
}

/**
 * Median of COLD_N fresh processes per target. Taken round-robin (one of each target per round),
 * so a burst of load on a shared host falls on the baselines and the entries alike.
 */
function coldRequireAll(targets: Array<{ file: string; cwd: string }>): number[] {
  const times = targets.map(() => [] as number[]);
  for (let i = 0; i < COLD_N; i++) targets.forEach((t, j) => times[j]?.push(requireOnce(t.file, t.cwd)));
  return times.map((xs) => pct(xs, 50));
}

export async function benchBundles(): Promise<void> {
  const out = mkdtempSync(path.join(tmpdir(), 'regionshift-bench-'));
  try {
    const build = (await import(new URL('../scripts/build.mjs', import.meta.url).href)) as { buildFunctions: (o: object) => Promise<Array<{ function: string; bytes: number; sdks: string[]; sdkBytes: number }>> };
    const built = await build.buildFunctions({ outRoot: out, withoutPolicy: true, policyFile: '' });
    const empty = path.join(out, 'empty.js');
    writeFileSync(empty, '');
    const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
    const loadBefore = load();
    const [baseEmpty = NaN, baseZod = NaN, baseZodMini = NaN, ...entries] = coldRequireAll([
      { file: empty, cwd: out },
      { file: 'zod', cwd: process.cwd() },
      { file: 'zod/mini', cwd: process.cwd() },
      ...built.map((b) => ({ file: './index.js', cwd: path.join(out, 'dist', b.function) })),
    ]);
    console.log(`cold require, median of ${COLD_N} fresh node processes, round-robin (entry file only; SDKs load on first use); load average ${loadBefore} before, ${load()} after`);
    console.log(`  baseline: empty file ${baseEmpty.toFixed(1)} ms, require('zod') ${baseZod.toFixed(1)} ms, require('zod/mini') ${baseZodMini.toFixed(1)} ms`);
    built.forEach((b, i) => {
      const ms = entries[i] ?? NaN;
      console.log(`  ${b.function.padEnd(15)} entry ${(b.bytes / 1024).toFixed(0).padStart(4)} KiB (${verdict(b.bytes < 1_000_000)})  cold require ${ms.toFixed(1).padStart(6)} ms (${verdict(ms < 100)}; ${(ms / baseZod).toFixed(2)}× zod)  SDKs beside it ${(b.sdkBytes / 1024).toFixed(0)} KiB: ${b.sdks.join(', ')}`);
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** 20 regions × 10 deployments, with three-region.yaml's freeze window, schedule and drill windows. */
export function generatedPolicyYaml(regions = 20, deployments = 10, withWindows = true): string {
  const base = parse(readFileSync('examples/three-region.yaml', 'utf8')) as Record<string, unknown> & { safety: Record<string, unknown>; drills: Record<string, unknown>; detection: Record<string, unknown> };
  const ids = Array.from({ length: regions }, (_, i) => `cn-r${String(i).padStart(2, '0')}`);
  const doc = {
    ...base,
    notifications: [{ type: 'log' }],
    // The state row holds at most 1,000 active signals over all regions.
    detection: { ...base.detection, maxSignalsPerRegion: 50 },
    regions: Object.fromEntries(ids.map((id) => [id, { load: 1, clusters: [{ id: `c-${id}`, kubeconfig: { fromCloud: true } }] }])),
    failover: Object.fromEntries(ids.map((id, i) => [id, [ids[(i + 1) % regions], ids[(i + 2) % regions]]])),
    safety: { ...base.safety, minServingRegions: 2, maxDrainedRegions: 5, ...(withWindows ? {} : { freezeWindows: [] }) },
    scaling: {
      scaleDownDelay: '30m',
      deployments: Array.from({ length: deployments }, (_, d) => ({ name: `svc-${d}`, namespace: 'shop', regions: Object.fromEntries(ids.map((id) => [id, { normalReplicas: 3, min: 1, max: 12 }])) })),
    },
    schedules: withWindows
      ? [{ name: 'follow-the-sun', cron: '0 0 1 * * *', timezone: 'Asia/Shanghai', duration: '6h', matrix: Object.fromEntries(ids.map((id) => [id, id === ids[0] ? { [id]: 100 } : { [ids[0] as string]: 50, [id]: 50 }])) }]
      : [],
    drills: withWindows ? base.drills : { ...base.drills, allowedWindows: [] },
  };
  return stringify(doc);
}

function withoutWindows(p: Policy): Policy {
  return { ...p, safety: { ...p.safety, freezeWindows: [] }, schedules: [], drills: { ...p.drills, allowedWindows: [] } } as Policy;
}

/** decide on a tick at a fixed instant inside the night schedule (02:00 China time), DECIDE_N times after a warm-up. */
function timeDecide(policy: Policy): number[] {
  const now = Date.parse('2026-03-10T02:00:00+08:00');
  let prev = decide(policy, null, { kind: 'tick' }, now).state;
  for (let i = 0; i < 200; i++) prev = decide(policy, prev, { kind: 'tick' }, now + i * 60_000).state;
  const xs: number[] = [];
  for (let i = 0; i < DECIDE_N; i++) {
    // A minute tick each time, as the scheduler runs it.
    const t0 = performance.now();
    decide(policy, prev, { kind: 'tick' }, now + (200 + i) * 60_000);
    xs.push(performance.now() - t0);
  }
  return xs;
}

export function benchDecide(): void {
  const env = { DINGTALK_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=bench', DINGTALK_SECRET: 'SECbench' };
  const cases: Array<[string, Policy]> = [
    ['three-region.yaml', loadPolicyYaml(readFileSync('examples/three-region.yaml', 'utf8'), env)],
    ['20 regions × 10 deployments', loadPolicyYaml(generatedPolicyYaml(), env)],
  ];
  console.log(`decide on a minute tick, ${DECIDE_N} runs (baseline: the same policy without freeze windows, schedules or drill windows)`);
  for (const [name, policy] of cases) {
    const xs = timeDecide(policy);
    const base = timeDecide(withoutWindows(policy));
    console.log(`  ${name.padEnd(28)} p50 ${pct(xs, 50).toFixed(3)} ms  p99 ${pct(xs, 99).toFixed(3)} ms (${verdict(pct(xs, 99) < 1)})   baseline p50 ${pct(base, 50).toFixed(3)} ms  p99 ${pct(base, 99).toFixed(3)} ms`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve('bench/budgets.ts')) {
  await benchBundles();
  benchDecide();
}
