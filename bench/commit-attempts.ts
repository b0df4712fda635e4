/**
 * Compare-and-set attempts per alarm under contention: N senders (each its own process with its
 * own runtime and store connection, as N function instances are) commit distinct CMS alarms at once on one state, on
 * SQLite and on the Tablestore twin over HTTP. An alarm's attempts are the `commit` calls its
 * decision took (1 = no conflict; each lost compare-and-set re-reads, re-decides and tries again,
 * up to the engine's maxCommitAttempts, 20, then the alarm is answered 503 STATE.BUSY and the
 * sender retries it: CMS 3 times). Baseline in the same run: 1 sender. Several seeds per case (a
 * seed sets the senders' start offsets and the pauses between their alarms; the engine's own
 * back-off jitter is not seeded); printed: p50/p99/max pooled over the seeds, the spread of p99
 * and max across seeds, and the alarms that ran out of attempts.
 *
 *   npm run bench:commits
 *   BENCH_SENDERS=1,4,8,16 BENCH_ALARMS=20 BENCH_SEEDS=5 BENCH_BACKENDS=sqlite npx tsx bench/commit-attempts.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { StateConflictError } from '../shared/core/errors';
import { Engine } from '../shared/engine/engine';
import { buildRuntime } from '../shared/runtime/index';
import { parseCmsCallback } from '../shared/signals/cms-webhook';
import { toSignals } from '../shared/signals/detection';
import { cmsForm } from '../lab/support/cms';
import { startTwins } from '../lab/support/twins';

const list = (name: string, dflt: string) =>
  (process.env[name] ?? dflt)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const MAX_ATTEMPTS = 20;

/** A small seeded generator (mulberry32): the same seed, the same offsets and pauses. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Job {
  tag: string;
  seed: number;
  alarms: number;
  startAt: number;
}
interface Done {
  attempts: number[];
  exhausted: number;
}

/** One sender: its own runtime (the state and twins from the environment); runs each job it is sent on stdin. */
async function sender(index: number): Promise<void> {
  const rt = await buildRuntime(
    process.env,
    { requestId: `bench-${index}`, function: { name: 'bench', handler: 'x', memory: 512, timeout: 60 } },
    { log: () => undefined },
  );
  const engine = rt.engine;
  if (!(engine instanceof Engine)) throw new Error('the runtime engine is not the Engine: cannot reach its compare-and-set loop');
  let commits = 0;
  const commit = rt.store.commit.bind(rt.store);
  rt.store.commit = (...args) => {
    commits++;
    return commit(...args);
  };
  if (index === 0) await engine.tick(); // the normal config, as the deployed scheduler would apply it
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const job = JSON.parse(line) as Job;
    const random = rng(job.seed * 7919 + index);
    const done: Done = { attempts: [], exhausted: 0 };
    await sleep(Math.max(0, job.startAt - Date.now()) + Math.floor(random() * 20));
    for (let j = 0; j < job.alarms; j++) {
      const raw = parseCmsCallback(cmsForm(`${job.tag}-${index}-${j}`, 'ALERT', Date.now() - 1_000), 'application/x-www-form-urlencoded');
      // Alternate the regions: each holds at most detection.maxSignalsPerRegion, so the state row keeps its size.
      const { signals } = toSignals({ ...raw, urlRegion: j % 2 ? 'cn-shanghai' : 'cn-hangzhou' }, rt.policy);
      const before = commits;
      try {
        await engine.decideAndCommit({ kind: 'signals', signals }, 'cms');
      } catch (err) {
        if (!(err instanceof StateConflictError)) throw err;
        done.exhausted++;
      }
      done.attempts.push(commits - before);
      await sleep(Math.floor(random() * 3));
    }
    process.stdout.write(`${JSON.stringify(done)}\n`);
  }
  await rt.store.close();
}

interface Proc {
  child: ChildProcess;
  next: () => Promise<string>;
}

function startSender(index: number, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/commit-attempts.ts', '--sender', String(index)], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  return {
    child,
    next: async () => {
      const r = await lines.next();
      if (r.done) throw new Error(`sender ${index} ended`);
      return r.value as string;
    },
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const SENDERS = list('BENCH_SENDERS', '1,4,8,16').map(Number);
  const ALARMS = Number(process.env.BENCH_ALARMS ?? 20);
  const SEEDS = Number(process.env.BENCH_SEEDS ?? 5);
  const BACKENDS = list('BENCH_BACKENDS', 'sqlite,tablestore') as Array<'sqlite' | 'tablestore'>;
  const rows: string[] = [];
  process.stdout.write(
    `commit attempts per alarm: senders ${SENDERS.join(', ')} (one process each); ${ALARMS} alarms per sender; ${SEEDS} seeds; engine maxCommitAttempts ${MAX_ATTEMPTS}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  for (const backend of BACKENDS) {
    const twins = await startTwins({ tablestore: backend === 'tablestore' });
    const env = twins.env({ state: backend, budgetMs: 60_000 });
    const procs: Proc[] = [];
    try {
      // Sender 0 ticks first (alone), then the rest start.
      procs.push(startSender(0, env));
      await (procs[0] as Proc).next();
      for (let i = 1; i < Math.max(...SENDERS); i++) procs.push(startSender(i, env));
      await Promise.all(procs.slice(1).map((p) => p.next()));
      for (const senders of SENDERS) {
        const perSeed: Done[] = [];
        let ms = 0;
        for (let seed = 1; seed <= SEEDS; seed++) {
          const t0 = Date.now();
          const job: Job = { tag: `b-${backend}-${senders}-${seed}`, seed, alarms: ALARMS, startAt: t0 + 200 };
          const active = procs.slice(0, senders);
          for (const p of active) p.child.stdin?.write(`${JSON.stringify(job)}\n`);
          const dones = (await Promise.all(active.map((p) => p.next()))).map((l) => JSON.parse(l) as Done);
          ms += Date.now() - t0;
          perSeed.push({ attempts: dones.flatMap((d) => d.attempts), exhausted: dones.reduce((n, d) => n + d.exhausted, 0) });
        }
        const all = perSeed.flatMap((c) => c.attempts);
        const p99s = perSeed.map((c) => pct(c.attempts, 99));
        const maxes = perSeed.map((c) => Math.max(...c.attempts));
        const exhausted = perSeed.reduce((n, c) => n + c.exhausted, 0);
        rows.push(
          `| ${backend} | ${senders}${senders === 1 ? ' (baseline)' : ''} | ${all.length} | ${pct(all, 50)} | ${pct(all, 99)} | ${Math.max(...all)} | ${Math.min(...p99s)}–${Math.max(...p99s)} | ${Math.min(...maxes)}–${Math.max(...maxes)} | ${(all.reduce((a, b) => a + b, 0) / all.length).toFixed(2)} | ${exhausted} | ${(ms / 1000).toFixed(1)} s |`,
        );
        process.stdout.write(`${rows.at(-1)}\n`);
      }
    } finally {
      for (const p of procs) p.child.stdin?.end();
      await Promise.all(procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)))));
      await twins.stop();
    }
  }
  process.stdout.write(
    [
      '',
      '| state | senders | alarms | p50 | p99 | max | p99 across seeds | max across seeds | mean | out of attempts | time |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

const at = process.argv.indexOf('--sender');
if (at >= 0) await sender(Number(process.argv[at + 1]));
else await main();
