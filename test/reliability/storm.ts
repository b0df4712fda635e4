import { spawn } from 'node:child_process';
import type { Runtime } from '../../shared/runtime/types';
import type { StoredEvent } from '../../shared/ports/state-store';
import { buildRuntime } from '../../shared/runtime/index';
import { parseCmsCallback } from '../../shared/signals/cms-webhook';
import { toSignals } from '../../shared/signals/detection';
import { stormAlarm } from './storm-mix';
import { startTwins } from '../../lab/support/twins';

/**
 * The alarm storm: N alarms (a mix of one repeated alarm and distinct ones) posted by W processes,
 * each with its own local FC host and runtime, all on ONE state (a SQLite file, or the Tablestore
 * twin over HTTP) and one ASM twin. Afterwards, from the state and its audit log:
 *   lost signals       distinct alarms neither active in the state nor audited as lapsed by a cap
 *   double transitions a region's health transition recorded twice in a row (two writers both won)
 *   mesh applies       UpdateMeshFeature calls the twin accepted, against the plans with a mesh step
 *   non-200            alarms still not answered 200 after the sender's retries (each process
 *                      sends as CMS does: 3 retries, 5 s timeout; see storm-worker.ts)
 */

export interface StormConfig {
  alarms: number;
  processes: number;
  distinctEvery: number;
  concurrency: number;
}

export interface StormResult {
  backend: 'sqlite' | 'tablestore';
  alarms: number;
  processes: number;
  distinct: number;
  /** Alarms not answered 200 after the sender's retries (CMS: 3 retries, 5 s timeout each): lost at the source. */
  non200: number;
  /** Final answer per alarm, after retries. */
  statuses: Record<string, number>;
  /** Attempts that failed (answered other than 200 or timed out), retried or not. */
  failedAttempts: Record<string, number>;
  retried: number;
  sampleErrors: string[];
  lostSignals: number;
  lostSample: string[];
  lapsedByCap: number;
  transitions: number;
  doubleTransitions: number;
  meshPlans: number;
  meshApplies: number;
  openPlansLeft: number;
  overlapped: boolean;
  wallMs: number;
}

interface WorkerReport {
  index: number;
  sent: number;
  statuses: Record<string, number>;
  failedAttempts: Record<string, number>;
  retried: number;
  errors: string[];
  startedAt: number;
  endedAt: number;
}

function startWorker(env: Record<string, string>, args: number[]): { ready: Promise<void>; go: () => void; report: Promise<WorkerReport> } {
  // Through tsx: the local FC host imports each function's handler.ts by the name s.yaml gives it.
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/reliability/storm-worker.ts', ...args.map(String)], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const report = new Promise<WorkerReport>((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`storm worker ${args[0]} exited with ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(out.slice('ready\n'.length).trim()) as WorkerReport);
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), report };
}

const TRANSITION = /^(\S+) (HEALTHY|DEGRADED|DOWN|RECOVERING) → (HEALTHY|DEGRADED|DOWN|RECOVERING)/;

/** Health transitions in commit order, from the decisions' reasons. */
export function transitionsOf(events: StoredEvent[]): Array<{ region: string; from: string; to: string; seq: number }> {
  const out: Array<{ region: string; from: string; to: string; seq: number }> = [];
  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    if (e.kind !== 'decision') continue;
    for (const line of (e.detail as { reasons?: string[] }).reasons ?? []) {
      const m = TRANSITION.exec(line.trim());
      if (m) out.push({ region: m[1] as string, from: m[2] as string, to: m[3] as string, seq: e.seq });
    }
  }
  return out;
}

/** A transition is doubled when the region's previous transition was the same one: a state cannot leave DOWN by entering DOWN. */
export function doubleTransitions(ts: Array<{ region: string; from: string; to: string }>): number {
  const last = new Map<string, string>();
  let doubles = 0;
  for (const t of ts) {
    const key = `${t.from}→${t.to}`;
    if (last.get(t.region) === key) doubles++;
    last.set(t.region, key);
  }
  return doubles;
}

const hasMeshStep = (e: StoredEvent) =>
  e.kind === 'decision' && ((e.detail as { steps?: Array<{ kind: string }> }).steps ?? []).some((s) => s.kind === 'mesh');

export async function runStorm(backend: 'sqlite' | 'tablestore', cfg: StormConfig): Promise<StormResult> {
  const twins = await startTwins({ tablestore: backend === 'tablestore' });
  const env = twins.env({ state: backend, budgetMs: 60_000 });
  let runtime: Runtime | null = null;
  try {
    runtime = await buildRuntime(
      env,
      { requestId: 'storm-parent', function: { name: 'reliability', handler: 'x', memory: 512, timeout: 60 } },
      { log: () => undefined },
    );
    // The first tick applies the normal config (failover mode), as the deployed scheduler would.
    await runtime.engine.tick();
    const mesh = runtime.policy.name;
    const appliesBefore = twins.meshApplies();
    const seqBefore = (await runtime.store.listEvents(mesh, { limit: 1 }))[0]?.seq ?? 0;

    const workers = Array.from({ length: cfg.processes }, (_, i) =>
      startWorker(env, [i, cfg.processes, cfg.alarms, cfg.distinctEvery, cfg.concurrency]),
    );
    await Promise.all(workers.map((w) => w.ready));
    const t0 = Date.now();
    for (const w of workers) w.go();
    const reports = await Promise.all(workers.map((w) => w.report));
    const wallMs = Date.now() - t0;
    // An alarm answers after 600 ms of steps and hands the rest on (the executor, else the next
    // tick): one tick, as the deployed scheduler runs every minute, before counting work left undone.
    await runtime.engine.tick();

    const { state } = await runtime.store.load(mesh);
    const events = (await runtime.store.listEvents(mesh, { limit: 1_000_000 })).filter((e) => e.seq > seqBefore);
    // Open plans are fine while only their delayed scale-downs wait; any other unsettled step is work left undone.
    const open = (await runtime.store.listOpenPlans(mesh)).filter((p) =>
      p.plan.steps.some((s, i) => {
        const o = p.outcomes[i]?.status;
        return o !== 'done' && o !== 'skipped' && !(s.kind === 'scale' && s.notBefore !== undefined);
      }),
    );
    // The signal keys the alarms stand for, as the product's own parser and detection rules derive them.
    const expected = new Set<string>();
    for (let g = 0; g < cfg.alarms; g += 1) {
      if (g % cfg.distinctEvery !== 0 && g > 1) continue; // the repeats are alarms 1, 2, 3 … (not multiples), one key
      const { contentType, body } = stormAlarm(g, cfg.distinctEvery);
      for (const s of toSignals({ ...parseCmsCallback(body, contentType), urlRegion: 'cn-hangzhou' }, runtime.policy).signals)
        expected.add(s.key);
    }
    // A cap on active signals may lapse the oldest: such a signal must say so in the audit log.
    const audited = events.filter((e) => /laps|cap|evict/i.test(e.summary) || /laps|cap|evict/i.test(JSON.stringify(e.detail ?? '')));
    let lapsedByCap = 0;
    const lost: string[] = [];
    for (const key of expected) {
      if (state?.signals[key]) continue;
      if (audited.some((e) => `${e.summary} ${JSON.stringify(e.detail)}`.includes(key))) lapsedByCap++;
      else lost.push(key);
    }
    const transitions = transitionsOf(events);
    const statuses: Record<string, number> = {};
    for (const r of reports) for (const [s, n] of Object.entries(r.statuses)) statuses[s] = (statuses[s] ?? 0) + n;
    const failedAttempts: Record<string, number> = {};
    for (const r of reports) for (const [s, n] of Object.entries(r.failedAttempts)) failedAttempts[s] = (failedAttempts[s] ?? 0) + n;
    return {
      backend,
      alarms: cfg.alarms,
      processes: cfg.processes,
      distinct: expected.size,
      non200: Object.entries(statuses)
        .filter(([s]) => s !== '200')
        .reduce((n, [, c]) => n + c, 0),
      statuses,
      failedAttempts,
      retried: reports.reduce((n, r) => n + r.retried, 0),
      sampleErrors: reports.flatMap((r) => r.errors).slice(0, 3),
      lostSignals: lost.length,
      lostSample: lost.slice(0, 3),
      lapsedByCap,
      transitions: transitions.length,
      doubleTransitions: doubleTransitions(transitions),
      meshPlans: events.filter(hasMeshStep).length,
      meshApplies: twins.meshApplies() - appliesBefore,
      openPlansLeft: open.length,
      overlapped: Math.max(...reports.map((r) => r.startedAt)) < Math.min(...reports.map((r) => r.endedAt)),
      wallMs,
    };
  } finally {
    await runtime?.store.close();
    await twins.stop();
  }
}
