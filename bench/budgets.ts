/**
 * Budgets, each beside a baseline measured in the same run:
 *  - per function: the entry file FC loads at cold start (dist/<fn>/index.js; the SDKs beside it in
 *    dist/<fn>/node_modules are uploaded too but loaded only on first use, so not counted; lazy.js
 *    beside it, loaded on the first invocation, is counted in the size) and its cold `require` time
 *    (and, beside it, `require` plus a first invocation that stops at the missing configuration), the median of BENCH_COLD_N fresh `node` processes; baselines: the same
 *    measurement of an empty file and of `require('zod')` from the repository's node_modules;
 *  - `decide` p50/p90/p99/max on a tick for examples/three-region.yaml and for a generated 20
 *    regions × 10 deployments policy, after a warm-up pass, in blocks alternating with the
 *    baseline: the same policy without freeze windows, schedules or drill windows (a decide with
 *    no cron to evaluate). Ticks the OS preempted are counted and the p99 without them shown too.
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
import type { MeshState } from '../shared/core/types';

const COLD_N = Number(process.env.BENCH_COLD_N ?? 9);
const DECIDE_N = Number(process.env.BENCH_DECIDE_N ?? 2000);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}
const verdict = (ok: boolean) => (ok ? 'within budget' : 'OVER BUDGET');

/** Wall time of `require(file)` in one fresh process (the process start itself not counted). */
function requireOnce(file: string, cwd: string): number {
  const out = execFileSync(
    process.execPath,
    ['-e', `const t = performance.now(); require(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`],
    { cwd, env: { PATH: process.env.PATH }, encoding: 'utf8' },
  );
  return Number(out);
}

/**
 * Wall time of `require('./index.js')` and of a first invocation (which loads lazy.js and the
 * runtime and, with no configuration in the environment, stops there with a configuration
 * error) in one fresh process: what moved out of the cold `require` is paid here, once.
 */
function firstInvocationOnce(cwd: string): number {
  const script = `const t = performance.now(); const m = require('./index.js');
    const event = Buffer.from(JSON.stringify({ version: 'v1', rawPath: '/v1/status', headers: {}, queryParameters: {}, body: '', isBase64Encoded: false, requestContext: { http: { method: 'GET' } } }));
    Promise.resolve(m.handler(event, { requestId: 'bench' })).catch(() => undefined).then(() => process.stdout.write('FIRST ' + (performance.now() - t) + '\\n'));`;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd,
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return Number(
    out
      .split('\n')
      .find((l) => l.startsWith('FIRST '))
      ?.slice(6),
  );
}

/**
 * Median of COLD_N fresh processes per target. Taken round-robin (one of each target per round),
 * so a burst of load on a shared host falls on the baselines and the entries alike.
 */
function coldRequireAll(targets: Array<{ file: string; cwd: string; first?: boolean }>): number[] {
  const times = targets.map(() => [] as number[]);
  for (let i = 0; i < COLD_N; i++)
    targets.forEach((t, j) => times[j]?.push(t.first ? firstInvocationOnce(t.cwd) : requireOnce(t.file, t.cwd)));
  return times.map((xs) => pct(xs, 50));
}

export async function benchBundles(): Promise<void> {
  const out = mkdtempSync(path.join(tmpdir(), 'regionshift-bench-'));
  try {
    const build = (await import(new URL('../scripts/build.mjs', import.meta.url).href)) as {
      buildFunctions: (
        o: object,
      ) => Promise<Array<{ function: string; bytes: number; lazyBytes: number; sdks: string[]; sdkBytes: number }>>;
    };
    const built = await build.buildFunctions({ outRoot: out, withoutPolicy: true, policyFile: '' });
    const empty = path.join(out, 'empty.js');
    writeFileSync(empty, '');
    const load = () =>
      loadavg()
        .map((l) => l.toFixed(2))
        .join(' ');
    const loadBefore = load();
    const [baseEmpty = NaN, baseZod = NaN, baseZodMini = NaN, ...measured] = coldRequireAll([
      { file: empty, cwd: out },
      { file: 'zod', cwd: process.cwd() },
      { file: 'zod/mini', cwd: process.cwd() },
      ...built.map((b) => ({ file: './index.js', cwd: path.join(out, 'dist', b.function) })),
      ...built.map((b) => ({ file: './index.js', cwd: path.join(out, 'dist', b.function), first: true })),
    ]);
    const entries = measured.slice(0, built.length);
    const firsts = measured.slice(built.length);
    console.log(
      `cold require, median of ${COLD_N} fresh node processes, round-robin (entry file only; SDKs load on first use); load average ${loadBefore} before, ${load()} after`,
    );
    console.log(
      `  baseline: empty file ${baseEmpty.toFixed(1)} ms, require('zod') ${baseZod.toFixed(1)} ms, require('zod/mini') ${baseZodMini.toFixed(1)} ms`,
    );
    built.forEach((b, i) => {
      const ms = entries[i] ?? NaN;
      console.log(
        `  ${b.function.padEnd(15)} entry ${(b.bytes / 1024).toFixed(0).padStart(4)} KiB + lazy.js ${(b.lazyBytes / 1024).toFixed(0).padStart(4)} KiB (${verdict(b.bytes + b.lazyBytes < 1_000_000)})  cold require ${ms.toFixed(1).padStart(6)} ms (${verdict(ms < 100)}; ${(ms / baseZod).toFixed(2)}× zod)  require + first invocation ${(firsts[i] ?? NaN).toFixed(1)} ms  SDKs beside it ${(b.sdkBytes / 1024).toFixed(0)} KiB: ${b.sdks.join(', ')}`,
      );
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** 20 regions × 10 deployments, with three-region.yaml's freeze window, schedule and drill windows. */
export function generatedPolicyYaml(regions = 20, deployments = 10, withWindows = true): string {
  const base = parse(readFileSync('examples/three-region.yaml', 'utf8')) as Record<string, unknown> & {
    safety: Record<string, unknown>;
    drills: Record<string, unknown>;
    detection: Record<string, unknown>;
  };
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
      deployments: Array.from({ length: deployments }, (_, d) => ({
        name: `svc-${d}`,
        namespace: 'shop',
        regions: Object.fromEntries(ids.map((id) => [id, { normalReplicas: 3, min: 1, max: 12 }])),
      })),
    },
    schedules: withWindows
      ? [
          {
            name: 'follow-the-sun',
            cron: '0 0 1 * * *',
            timezone: 'Asia/Shanghai',
            duration: '6h',
            matrix: Object.fromEntries(ids.map((id) => [id, id === ids[0] ? { [id]: 100 } : { [ids[0] as string]: 50, [id]: 50 }])),
          },
        ]
      : [],
    drills: withWindows ? base.drills : { ...base.drills, allowedWindows: [] },
  };
  return stringify(doc);
}

export function withoutWindows(p: Policy): Policy {
  return { ...p, safety: { ...p.safety, freezeWindows: [] }, schedules: [], drills: { ...p.drills, allowedWindows: [] } } as Policy;
}

const START = Date.parse('2026-03-10T02:00:00+08:00');
/** Ticks per block: the measured policy and its baseline take turns block by block. */
const BLOCK = 100;
const gcNow = (globalThis as { gc?: () => void }).gc;

interface DecideSample {
  ms: number[];
  /** Ticks the OS preempted (an involuntary context switch while it ran): the host's share, not ours. */
  preempted: boolean[];
}

/**
 * One block of minute ticks from the same previous state, starting at tick `from` (instants from
 * 02:00 China time, inside the night schedule). Each tick's wall time, and whether the process
 * was preempted during it.
 */
function decideBlock(policy: Policy, prev: MeshState, from: number, n: number, into: DecideSample): void {
  for (let i = from; i < from + n; i++) {
    const c0 = process.resourceUsage().involuntaryContextSwitches;
    const t0 = performance.now();
    decide(policy, prev, { kind: 'tick' }, START + (200 + i) * 60_000);
    into.ms.push(performance.now() - t0);
    into.preempted.push(process.resourceUsage().involuntaryContextSwitches !== c0);
  }
}

function settledState(policy: Policy): MeshState {
  let prev = decide(policy, null, { kind: 'tick' }, START).state;
  for (let i = 0; i < 200; i++) prev = decide(policy, prev, { kind: 'tick' }, START + i * 60_000).state;
  return prev;
}

/**
 * The policy and its baseline, each DECIDE_N ticks, in alternating blocks of BLOCK ticks so a
 * burst of load on the shared host falls on both alike. Warm-up first: one full pass of both
 * over the same instants (the windowed run crosses schedule, freeze and drill edges that take
 * other code paths; the first time each is met V8 compiles it, which is not decide's cost).
 */
function timeDecidePair(policy: Policy, baseline: Policy): { warmUp: DecideSample; measured: DecideSample; base: DecideSample } {
  const runs = [
    { policy, prev: settledState(policy) },
    { policy: baseline, prev: settledState(baseline) },
  ];
  const warmUp: DecideSample = { ms: [], preempted: [] };
  runs.forEach((r, k) => decideBlock(r.policy, r.prev, 0, DECIDE_N, k === 0 ? warmUp : { ms: [], preempted: [] }));
  gcNow?.();
  const measured: DecideSample = { ms: [], preempted: [] };
  const base: DecideSample = { ms: [], preempted: [] };
  for (let from = 0; from < DECIDE_N; from += BLOCK) {
    const n = Math.min(BLOCK, DECIDE_N - from);
    runs.forEach((r, k) => decideBlock(r.policy, r.prev, from, n, k === 0 ? measured : base));
  }
  return { warmUp, measured, base };
}

function decideFigures(x: DecideSample): string {
  const quiet = x.ms.filter((_, i) => !x.preempted[i]);
  const f = (v: number) => v.toFixed(3);
  return `p50 ${f(pct(x.ms, 50))} p90 ${f(pct(x.ms, 90))} p99 ${f(pct(x.ms, 99))} max ${f(Math.max(...x.ms))} ms; preempted ${x.ms.length - quiet.length}, p99 without them ${f(pct(quiet, 99))} ms`;
}

export function benchDecide(): void {
  const env = { DINGTALK_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=bench', DINGTALK_SECRET: 'SECbench' };
  const cases: Array<[string, Policy]> = [
    ['three-region.yaml', loadPolicyYaml(readFileSync('examples/three-region.yaml', 'utf8'), env)],
    ['20 regions × 10 deployments', loadPolicyYaml(generatedPolicyYaml(), env)],
  ];
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(
    `decide on a minute tick, ${DECIDE_N} ticks each after a warm-up pass, in alternating blocks of ${BLOCK} with the baseline (the same policy without freeze windows, schedules or drill windows); global.gc ${gcNow ? 'between phases' : 'not exposed'}; load average ${load()}`,
  );
  for (const [name, policy] of cases) {
    const { warmUp, measured, base } = timeDecidePair(policy, withoutWindows(policy));
    const pad = ' '.repeat(name.length);
    console.log(`  ${name}: ${decideFigures(measured)} (${verdict(pct(measured.ms, 99) < 1)})`);
    console.log(`  ${pad}  baseline ${decideFigures(base)}`);
    // Shown, not hidden: the first pass over the instants, as a freshly started instance sees it.
    console.log(`  ${pad}  warm-up pass (first time through each window edge) ${decideFigures(warmUp)}`);
    gcNow?.();
  }
  console.log(`  load average after: ${load()}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve('bench/budgets.ts')) {
  await benchBundles();
  benchDecide();
}
