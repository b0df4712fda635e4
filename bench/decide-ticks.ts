/**
 * Where the slow `decide` ticks come from: every tick's duration with its index, whether it
 * planned a mesh step, and whether a GC pause (PerformanceObserver 'gc') overlapped it.
 *
 *   npx tsx bench/decide-ticks.ts            (BENCH_DECIDE_N ticks per case, default 2000)
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { decide } from '../shared/core/decide';
import { loadPolicyYaml, type Policy } from '../shared/core/policy';
import { generatedPolicyYaml, withoutWindows } from './budgets';

const N = Number(process.env.BENCH_DECIDE_N ?? 2000);
const gcs: Array<{ start: number; end: number; kind: number }> = [];
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    gcs.push({
      start: e.startTime,
      end: e.startTime + e.duration,
      kind: (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0,
    });
});
obs.observe({ entryTypes: ['gc'] });

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

/** cpu: the process's CPU time in the tick (all threads); preempted: involuntary context switches during it. */
interface Tick {
  i: number;
  ms: number;
  t0: number;
  t1: number;
  shift: boolean;
  gc: number;
  cpu: number;
  preempted: number;
}

function run(policy: Policy): Tick[] {
  const now = Date.parse('2026-03-10T02:00:00+08:00');
  let prev = decide(policy, null, { kind: 'tick' }, now).state;
  for (let i = 0; i < 200; i++) prev = decide(policy, prev, { kind: 'tick' }, now + i * 60_000).state;
  const ticks: Tick[] = [];
  for (let i = 0; i < N; i++) {
    const r0 = process.resourceUsage();
    const t0 = performance.now();
    const d = decide(policy, prev, { kind: 'tick' }, now + (200 + i) * 60_000);
    const t1 = performance.now();
    const r1 = process.resourceUsage();
    const cpu = (r1.userCPUTime + r1.systemCPUTime - r0.userCPUTime - r0.systemCPUTime) / 1000;
    ticks.push({
      i,
      ms: t1 - t0,
      t0,
      t1,
      shift: d.plan.steps.some((s) => s.kind === 'mesh'),
      gc: 0,
      cpu,
      preempted: r1.involuntaryContextSwitches - r0.involuntaryContextSwitches,
    });
  }
  return ticks;
}

const env = { DINGTALK_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=bench', DINGTALK_SECRET: 'SECbench' };
const cases: Array<[string, Policy]> = [
  ['three-region.yaml', loadPolicyYaml(readFileSync('examples/three-region.yaml', 'utf8'), env)],
  ['20 regions × 10 deployments', loadPolicyYaml(generatedPolicyYaml(), env)],
];
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const [name, p] of cases) {
  for (const [label, policy] of [
    ['windows', p],
    ['baseline', withoutWindows(p)],
  ] as const) {
    gcs.length = 0;
    const ticks = run(policy);
    await new Promise((r) => setTimeout(r, 10)); // let the observer deliver
    for (const t of ticks)
      t.gc = gcs.filter((g) => g.end > t.t0 && g.start < t.t1).reduce((a, g) => a + Math.min(g.end, t.t1) - Math.max(g.start, t.t0), 0);
    const ms = ticks.map((t) => t.ms);
    const p99 = pct(ms, 99);
    const slow = ticks.filter((t) => t.ms >= p99);
    const withGc = slow.filter((t) => t.gc > 0);
    const gcShare = slow.reduce((a, t) => a + t.gc, 0) / slow.reduce((a, t) => a + t.ms, 0);
    const shifts = ticks.filter((t) => t.shift).length;
    const fast = ticks.filter((t) => t.gc === 0).map((t) => t.ms);
    console.log(
      `${name} ${label}: p50 ${pct(ms, 50).toFixed(3)} p90 ${pct(ms, 90).toFixed(3)} p99 ${p99.toFixed(3)} max ${Math.max(...ms).toFixed(3)} ms; ticks planning a mesh step ${shifts}/${N}; GC events ${gcs.length} (${gcs.reduce((a, g) => a + g.end - g.start, 0).toFixed(1)} ms)`,
    );
    const preempted = slow.filter((t) => t.preempted > 0);
    const clean = ticks.filter((t) => t.gc === 0 && t.preempted === 0).map((t) => t.ms);
    console.log(
      `  slowest 1% (${slow.length} ticks, ${slow.reduce((a, t) => a + t.ms, 0).toFixed(1)} ms): ${withGc.length} overlap a GC (GC ${(gcShare * 100).toFixed(0)}% of their time); ${preempted.length} were preempted by the OS (involuntary context switch; wall − CPU ${preempted.reduce((a, t) => a + Math.max(0, t.ms - t.cpu), 0).toFixed(1)} ms); ${slow.filter((t) => t.shift).length} planned a shift`,
    );
    console.log(
      `  ticks with neither GC nor preemption: ${clean.length}/${N}, p99 ${pct(clean, 99).toFixed(3)} ms, max ${Math.max(...clean).toFixed(3)} ms; p99 of ticks with no GC ${pct(fast, 99).toFixed(3)} ms`,
    );
    if (process.env.BENCH_TICKS)
      console.log(
        '  ' +
          slow
            .map(
              (t) =>
                `#${t.i} ${t.ms.toFixed(2)} cpu ${t.cpu.toFixed(2)}${t.gc ? ` gc ${t.gc.toFixed(2)}` : ''}${t.preempted ? ` preempted×${t.preempted}` : ''}${t.shift ? ' shift' : ''}`,
            )
            .join(', '),
      );
  }
}
obs.disconnect();
