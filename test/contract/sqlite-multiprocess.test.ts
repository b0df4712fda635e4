import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStateStore } from '../../shared/adapters/state-sqlite';

const worker = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'state-sqlite-worker.ts');

interface WorkerReport {
  worker: string;
  committed: number[];
  conflicts: number;
  elapsedMs: number;
  startedAt: number;
  endedAt: number;
}

interface StartedWorker {
  ready: Promise<void>;
  go: () => void;
  running: Promise<void>;
  release: () => void;
  report: Promise<WorkerReport>;
}

/**
 * Spawns a worker that waits, after start-up, for `go()`, and after its first commit for
 * `release()`: releasing them once all are `running` makes every loop overlap every other, which a
 * bare start signal cannot promise on a loaded host (one process may finish before another is
 * scheduled at all).
 */
function startWorker(file: string, mesh: string, increments: number, id: number): StartedWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, file, mesh, String(increments), String(id)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let markRunning: () => void = () => undefined;
  const running = new Promise<void>((resolve) => {
    markRunning = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith('ready\n')) markReady();
    if (out.startsWith('ready\nrunning\n')) markRunning();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const report = new Promise<WorkerReport>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`worker ${id} exited with ${code}: ${err}`));
      else resolve(JSON.parse(out.slice('ready\nrunning\n'.length).trim()) as WorkerReport);
    });
  });
  return { ready, go: () => child.stdin.write('go\n'), running, release: () => child.stdin.end('all\n'), report };
}

describe('SQLite state store shared by several processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'regionshift-mp-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('one process × 200 read→CAS increments: the baseline, every version once', async () => {
    const file = join(dir, 'state.db');
    const single = startWorker(file, 'mesh-alone', 200, 0);
    await single.ready;
    single.go();
    await single.running;
    single.release();
    const report = await single.report;
    expect({ committed: report.committed, conflicts: report.conflicts }).toEqual({
      committed: Array.from({ length: 200 }, (_, i) => i + 1),
      conflicts: 0,
    });
    console.info(
      `1-process SQLite: 200 commits in ${report.elapsedMs.toFixed(0)} ms (${(200 / (report.elapsedMs / 1000)).toFixed(0)} commits/s)`,
    );
  });

  test('4 processes × 50 read→CAS→retry increments end at exactly 200, each version committed once', async () => {
    const file = join(dir, 'state.db');
    await new SqliteStateStore(file).close();
    const workers = [0, 1, 2, 3].map((id) => startWorker(file, 'mesh-shared', 50, id));
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.go();
    await Promise.all(workers.map((w) => w.running));
    for (const w of workers) w.release();
    const reports = await Promise.all(workers.map((w) => w.report));

    // The loops really overlapped: every process started before any finished.
    expect(Math.max(...reports.map((r) => r.startedAt))).toBeLessThan(Math.min(...reports.map((r) => r.endedAt)));

    const versions = reports.flatMap((r) => r.committed).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    for (const report of reports) expect(report.committed).toHaveLength(50);

    const store = new SqliteStateStore(file);
    try {
      const { state, version } = await store.load('mesh-shared');
      expect({ seq: state?.seq, version }).toEqual({ seq: 200, version: 200 });
      const events = await store.listEvents('mesh-shared', { limit: 1000 });
      expect(events.map((e) => e.at)).toEqual(Array.from({ length: 200 }, (_, i) => 200 - i));
    } finally {
      await store.close();
    }
    const wallMs = Math.max(...reports.map((r) => r.endedAt)) - Math.min(...reports.map((r) => r.startedAt));
    const conflicts = reports.reduce((n, r) => n + r.conflicts, 0);
    console.info(
      `4-process SQLite: 200 commits in ${wallMs} ms (${(200 / (Math.max(wallMs, 1) / 1000)).toFixed(0)} commits/s), ${conflicts} lost CAS races retried`,
    );
  });
});
