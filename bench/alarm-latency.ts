/**
 * Alarm post → plan committed, on the local FC host with SQLite (the real functions, engine and
 * store; a fake mesh and clusters). Baseline in the same run: a duplicate alarm post, which goes
 * through the same HTTP, middleware, parsing and state read but commits nothing; and the same
 * alarm on a second host whose store checkpoints its WAL inside the commit (the old way), post by
 * post in alternation. Each post's time is broken down by store call, mesh apply, GC and OS
 * preemption. Then one
 * Alertmanager webhook of 3,000 alerts (BENCH_WEBHOOK_N): its time, and how many commits it took.
 *
 * Last, CloudMonitor's 5-s contract on the lab (the real functions, adapters and SDKs against the
 * ASM and Kubernetes twins, the ASM twin's lab update window of 1.5 s and the product's own poll
 * periods): a region DOWN's first CMS ALERT, answered first (REGIONSHIFT_ALARM_ANSWER=first, the
 * product) and after its steps (after-steps, the old behaviour, as the baseline), alternating, in
 * a fresh lab each, over BENCH_LAB_SEEDS seeds of BENCH_LAB_ALARMS alarms per mode. Each seed
 * picks the region that goes down and a pause before the alarm. Measured: alarm → HTTP answer,
 * and alarm → mesh-applied (the data plane is served the drained row).
 *
 *   npm run bench
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../shared/ports/clock';
import { ALARM_TOKEN as TOKEN, startFunctionsHost } from '../lab/support/functions-host';
import { startLab, type Lab } from '../lab/world';
import { cmsCallbackForm, cmsCallbackUrlFor } from '../lab/dataplane/alarm-payloads';
import { SeededRandom } from '../lab/dataplane/prng';
import { scheduleFreePolicyFile } from '../lab/support/policy-files';

const N = Number(process.env.BENCH_N ?? 300);
const f = await startFunctionsHost({ clock: systemClock });
const { host, mesh } = f;
// Same functions, with SQLite's automatic checkpoint inside the commit (as before the background
// checkpointer): measured in alternation with the main host, post by post.
const inline = await startFunctionsHost({ clock: systemClock, checkpoint: 'inline' });

/**
 * Breakdown: time spent in each store call and in the mesh apply during one post (the same
 * objects the runtime uses, wrapped here, so the functions are unchanged), GC pauses and OS
 * preemptions (involuntary context switches) of this process. The rest is HTTP (client and
 * FC host in this one process), middleware, parsing, the engine and decide.
 */
const parts = new Map<string, number>();
function timed<T extends object>(label: string, target: T, names: string[]): void {
  for (const name of names) {
    const fn = (target as Record<string, unknown>)[name];
    if (typeof fn !== 'function') throw new Error(`${label}.${name} is not a method`);
    (target as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const t = performance.now();
      try {
        return await (fn as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      } finally {
        const key = `${label}.${name}`;
        parts.set(key, (parts.get(key) ?? 0) + performance.now() - t);
      }
    };
  }
}
for (const h of [f, inline]) {
  timed('store', h.store, [
    'load',
    'commit',
    'appendEvents',
    'getPlan',
    'listOpenPlans',
    'acquireLease',
    'releaseLease',
    'recordStep',
    'rememberKey',
  ]);
  timed('mesh', h.mesh, ['read', 'apply']);
}
// GC entries are delivered after the fact: kept with their times and matched to posts at the end.
const gcs: Array<{ start: number; end: number }> = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration });
});
gcObserver.observe({ entryTypes: ['gc'] });
interface Sample {
  ms: number;
  t0: number;
  parts: Record<string, number>;
  gc: number;
  preempted: number;
}
const file = f.stateFile;
const sampleAlert = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8');
// Stamped now: an alarm older than detection.maxAge is stale and would commit nothing.
const alert = () => sampleAlert.replace(/timestamp=\d+/, `timestamp=${Date.now()}`);
const post = () =>
  fetch(`${host.url}/alarm/cms?region=cn-hangzhou&token=${TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: alert(),
  });
await (await post()).arrayBuffer(); // builds the runtime, which creates the schema
const db = new Database(file);
const reset = () => db.exec('DELETE FROM mesh_state; DELETE FROM plans; DELETE FROM audit_events;');

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(2)} ms  p90 ${pct(xs, 90).toFixed(2)} ms  p99 ${pct(xs, 99).toFixed(2)} ms  max ${Math.max(...xs).toFixed(2)} ms  (n=${xs.length})`;

async function time(fn: () => Promise<Response>): Promise<number> {
  const t = performance.now();
  const res = await fn();
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return performance.now() - t;
}

/** One post with its breakdown (GC entries arrive after the tick they happened in: read next time). */
async function sample(fn: () => Promise<Response>): Promise<Sample> {
  parts.clear();
  const c0 = process.resourceUsage().involuntaryContextSwitches;
  const t0 = performance.now();
  const ms = await time(fn);
  const preempted = process.resourceUsage().involuntaryContextSwitches - c0;
  return { ms, t0, parts: Object.fromEntries(parts), gc: 0, preempted };
}
function attributeGc(xs: Sample[]): void {
  for (const x of xs)
    x.gc = gcs
      .filter((g) => g.end > x.t0 && g.start < x.t0 + x.ms)
      .reduce((a, g) => a + Math.min(g.end, x.t0 + x.ms) - Math.max(g.start, x.t0), 0);
}

/** Mean of each part over the fastest half and over the slowest 1% of posts: what the tail adds. */
function breakdown(xs: Sample[]): string {
  const sorted = [...xs].sort((a, b) => a.ms - b.ms);
  const tail = sorted.slice(Math.floor(sorted.length * 0.99));
  const head = sorted.slice(0, Math.ceil(sorted.length / 2));
  const keys = [...new Set(xs.flatMap((x) => Object.keys(x.parts)))].sort();
  const mean = (g: Sample[], f: (x: Sample) => number) => g.reduce((a, x) => a + f(x), 0) / g.length;
  const row = (g: Sample[]) => {
    const ours = keys.map((k) => `${k} ${mean(g, (x) => x.parts[k] ?? 0).toFixed(2)}`).join(', ');
    const rest = mean(g, (x) => x.ms - keys.reduce((a, k) => a + (x.parts[k] ?? 0), 0));
    return `total ${mean(g, (x) => x.ms).toFixed(2)} ms = ${ours}, rest (HTTP, middleware, engine, decide) ${rest.toFixed(2)}; GC ${mean(g, (x) => x.gc).toFixed(2)} ms; preempted in ${g.filter((x) => x.preempted > 0).length}/${g.length}`;
  };
  return `    fastest half: ${row(head)}\n    slowest 1%:   ${row(tail)}`;
}

for (let i = 0; i < 30; i++) {
  reset();
  await time(post);
} // warm-up: module loading, JIT, SQLite pages
const inlineDb = new Database(inline.stateFile);
const inlinePost = () =>
  fetch(`${inline.host.url}/alarm/cms?region=cn-hangzhou&token=${TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: alert(),
  });
const inlineReset = () => inlineDb.exec('DELETE FROM mesh_state; DELETE FROM plans; DELETE FROM audit_events;');
for (let i = 0; i < 30; i++) {
  inlineReset();
  await time(inlinePost);
}
const committedSamples: Sample[] = [];
const duplicateSamples: Sample[] = [];
const inlineSamples: Sample[] = [];
for (let i = 0; i < N; i++) {
  reset();
  const applies = mesh.applied.length;
  committedSamples.push(await sample(post));
  if (mesh.applied.length !== applies + 1) throw new Error('the alarm did not drain the region');
  duplicateSamples.push(await sample(post));
  inlineReset();
  inlineSamples.push(await sample(inlinePost));
}
await new Promise((r) => setTimeout(r, 50));
gcObserver.disconnect();
for (const xs of [committedSamples, duplicateSamples, inlineSamples]) attributeGc(xs);
inlineDb.close();
await inline.stop();
const committed = committedSamples.map((x) => x.ms);
const duplicate = duplicateSamples.map((x) => x.ms);
reset();
const storm = performance.now();
const statuses = await Promise.all(Array.from({ length: 200 }, () => post().then((r) => r.status)));
const stormMs = performance.now() - storm;
const transitions = (db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE kind = 'signal'").get() as { n: number }).n;

// One Alertmanager webhook of WEBHOOK_N alerts (distinct fingerprints, both regions, warning):
// one load → decide → commit however many alerts it carries.
const WEBHOOK_N = Number(process.env.BENCH_WEBHOOK_N ?? 3000);
function webhook(n: number): string {
  const startsAt = new Date().toISOString();
  const alerts = Array.from({ length: n }, (_, i) => ({
    status: 'firing',
    labels: {
      alertname: 'ReviewsHighLatency',
      mesh: 'bookinfo-mesh',
      region: i % 2 ? 'cn-hangzhou' : 'cn-shanghai',
      severity: 'warning',
      service: 'reviews',
      pod: `reviews-v2-${i}`,
    },
    annotations: { summary: `reviews p99 latency high on pod ${i}` },
    startsAt,
    endsAt: '0001-01-01T00:00:00Z',
    fingerprint: i.toString(16).padStart(16, '0'),
  }));
  return JSON.stringify({ version: '4', status: 'firing', receiver: 'regionshift', groupKey: 'bench', alerts });
}
const version = () => (db.prepare('SELECT version FROM mesh_state').get() as { version: number } | undefined)?.version ?? 0;
const rowBytes = () => (db.prepare('SELECT length(CAST(json AS BLOB)) AS n FROM mesh_state').get() as { n: number } | undefined)?.n ?? 0;
const bigRuns: Array<{ ms: number; commits: number; bytes: number }> = [];
for (let i = 0; i < 5; i++) {
  reset();
  await (await post()).arrayBuffer(); // a state row to start from (hangzhou drained)
  const body = webhook(WEBHOOK_N);
  const v0 = version();
  const ms = await time(() =>
    fetch(`${host.url}/alarm/am?token=${TOKEN}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
  );
  bigRuns.push({ ms, commits: version() - v0, bytes: rowBytes() });
}
const bigMs = bigRuns.map((r) => r.ms);
const bigBody = Buffer.byteLength(webhook(WEBHOOK_N));

console.log(`alarm post → plan committed and mesh applied: ${fmt(committed)}`);
console.log(`baseline, duplicate alarm (no commit):       ${fmt(duplicate)}`);
console.log(
  `commit overhead at p50: ${(pct(committed, 50) - pct(duplicate, 50)).toFixed(2)} ms; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(`  breakdown of the committing post (ms, means):\n${breakdown(committedSamples)}`);
console.log(`  breakdown of the duplicate post (ms, means):\n${breakdown(duplicateSamples)}`);
console.log(
  `same alarm, WAL checkpoint inside the commit (SQLite's automatic one, the old way), alternating: ${fmt(inlineSamples.map((x) => x.ms))}`,
);
console.log(`  breakdown (ms, means):\n${breakdown(inlineSamples)}`);
console.log(
  `${WEBHOOK_N.toLocaleString('en-US')}-alert webhook: ${pct(bigMs, 50).toFixed(0)} ms, ${bigRuns[0]?.commits} commit  (p50 of ${bigMs.length}; max ${Math.max(...bigMs).toFixed(0)} ms; commits per webhook: ${[...new Set(bigRuns.map((r) => r.commits))].join('/')}; body ${(bigBody / 1024).toFixed(0)} KiB; state row ${(bigRuns[0]?.bytes ?? 0).toLocaleString('en-US')} bytes)`,
);
console.log(
  `storm: 200 concurrent identical posts in ${stormMs.toFixed(0)} ms, non-200: ${statuses.filter((s) => s !== 200).length}, signals recorded: ${transitions}`,
);
db.close();
await f.stop();

// ── CloudMonitor's 5-s contract on the lab: answer-first against after-steps, same run ──
type AnswerMode = 'first' | 'after-steps';
const SEEDS = Number(process.env.BENCH_LAB_SEEDS ?? 5);
const PER_SEED = Number(process.env.BENCH_LAB_ALARMS ?? 3);
const OTHER: Record<string, string> = { 'cn-hangzhou': 'cn-shanghai', 'cn-shanghai': 'cn-hangzhou' };
const bare = (locality: unknown) => String(locality).replace(/\/\*$/, '');

/** The region's row as the data plane is served it for productpage now. */
function servedRow(lab: Lab, region: string): Record<string, number> | null {
  const lb = lab.controlPlane.routing.trafficPolicy('productpage').localityLb;
  if (lb?.failover?.length) return { [region]: 100 };
  const to = lb?.distribute?.find((d) => bare(d.from) === region)?.to as Record<string, number> | undefined;
  return to ? Object.fromEntries(Object.entries(to).map(([loc, w]) => [bare(loc), w])) : null;
}

interface LabSample {
  mode: AnswerMode;
  seed: number;
  region: string;
  answerMs: number;
  appliedMs: number;
  updatingAtAnswer: boolean;
}

/** One region DOWN alarm on a fresh lab: the time to its answer and to the mesh serving the drain. */
async function labSample(mode: AnswerMode, seed: number, region: string, pauseMs: number): Promise<LabSample> {
  const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-bench-'));
  const lab = await startLab({
    background: false,
    policyFile: scheduleFreePolicyFile(dir),
    stateFile: path.join(dir, 'state.db'),
    alarmAnswer: mode,
  });
  try {
    await new Promise((r) => setTimeout(r, pauseMs));
    const rule = lab.topology.alarms.find(
      (r) => r.kind === 'error-ratio' && r.service === 'productpage' && r.region === region && r.version === undefined,
    );
    if (rule?.kind !== 'error-ratio') throw new Error(`no productpage 5xx rule for ${region} in the lab's topology`);
    const body = cmsCallbackForm({
      ruleId: rule.id,
      alertName: rule.name,
      state: 'ALERT',
      level: rule.level,
      metricName: rule.metricName,
      curValue: '100',
      expression: `$Average>${rule.thresholdPercent}`,
      instanceName: `${rule.service} (${rule.region})`,
      dimensions: { service: rule.service },
      userId: lab.topology.account,
      at: Date.now(),
    }).toString();
    const url = cmsCallbackUrlFor(`${lab.hostUrl}/alarm/cms?token=${lab.secrets.alarmToken}`, region);
    const drained = () => servedRow(lab, region)?.[OTHER[region] as string] === 100;
    let appliedAt: number | null = null;
    // The data plane's view, read every 2 ms from the post on (the twin settles on read, by the clock).
    const watch = setInterval(() => {
      if (appliedAt === null && drained()) appliedAt = performance.now();
    }, 2);
    const t0 = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    const answerMs = performance.now() - t0;
    const updatingAtAnswer = lab.controlPlane.asm.state() === 'updating';
    if (res.status !== 200) throw new Error(`${mode}: the alarm answered ${res.status}`);
    const until = Date.now() + 30_000;
    while (appliedAt === null && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    clearInterval(watch);
    if (appliedAt === null) throw new Error(`${mode}: the drain of ${region} was not served within 30 s`);
    await lab.host.idle(); // the executor's confirmation, before the lab stops
    return { mode, seed, region, answerMs, appliedMs: (appliedAt as number) - t0, updatingAtAnswer };
  } finally {
    await lab.stop();
  }
}

const labSamples: LabSample[] = [];
for (let seed = 1; seed <= SEEDS; seed++) {
  const rand = new SeededRandom(seed);
  for (let k = 0; k < PER_SEED; k++) {
    const region = rand.chance(0.5) ? 'cn-hangzhou' : 'cn-shanghai';
    const pauseMs = rand.int(1000);
    // Alternating which mode goes first, so neither always runs on the warmer process.
    const modes: AnswerMode[] = (seed + k) % 2 ? ['first', 'after-steps'] : ['after-steps', 'first'];
    for (const mode of modes) labSamples.push(await labSample(mode, seed, region, pauseMs));
  }
}
const of = (mode: AnswerMode, f: (x: LabSample) => number) => labSamples.filter((x) => x.mode === mode).map(f);
const seedSpread = (mode: AnswerMode, f: (x: LabSample) => number) => {
  const medians = Array.from({ length: SEEDS }, (_, i) => pct(labSamples.filter((x) => x.mode === mode && x.seed === i + 1).map(f), 50));
  return `${Math.min(...medians).toFixed(0)}–${Math.max(...medians).toFixed(0)} ms`;
};
const row = (mode: AnswerMode, label: string, f: (x: LabSample) => number) => {
  const xs = of(mode, f);
  return `| ${mode} | ${label} | ${pct(xs, 50).toFixed(0)} | ${pct(xs, 99).toFixed(0)} | ${Math.max(...xs).toFixed(0)} | ${seedSpread(mode, f)} |`;
};
console.log(
  `\nCMS ALERT of a region DOWN on the lab (ASM twin update window 1.5 s, product poll periods), ${SEEDS} seeds x ${PER_SEED} alarms per mode, alternating; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log('| mode | measure | p50 ms | p99 ms | max ms | spread of seed medians |');
console.log('|---|---|---|---|---|---|');
for (const mode of ['first', 'after-steps'] as const) {
  console.log(row(mode, 'alarm → HTTP answer', (x) => x.answerMs));
  console.log(row(mode, 'alarm → mesh applied', (x) => x.appliedMs));
}
const firstApplied = pct(
  of('first', (x) => x.appliedMs),
  50,
);
const baseApplied = pct(
  of('after-steps', (x) => x.appliedMs),
  50,
);
console.log(
  `answered while ASM was still updating: first ${of('first', (x) => Number(x.updatingAtAnswer)).reduce((a, b) => a + b, 0)}/${of('first', () => 1).length}, after-steps ${of('after-steps', (x) => Number(x.updatingAtAnswer)).reduce((a, b) => a + b, 0)}/${of('after-steps', () => 1).length}`,
);
console.log(
  `mesh applied, p50 first − p50 after-steps: ${(firstApplied - baseApplied).toFixed(0)} ms (negative: answer-first drains sooner)`,
);
