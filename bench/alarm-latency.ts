/**
 * Alarm post → plan committed, on the local FC host with SQLite (the real functions, engine and
 * store; a fake mesh and clusters). Baseline in the same run: a duplicate alarm post, which goes
 * through the same HTTP, middleware, parsing and state read but commits nothing.
 *
 *   npm run bench
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFcHost, type HandlerModule } from '../lab/host/fc-host';
import type { FcContext, Runtime } from '../shared/http/runtime-types';
import { buildRuntime } from '../shared/runtime/index';
import { systemClock } from '../shared/ports/clock';
import { FakeClusterScaler, FakeMeshControl } from '../test/fakes';

const N = Number(process.env.BENCH_N ?? 300);
const TOKEN = 'bench-alarm-token-0123456789';
const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-bench-'));
const file = path.join(dir, 'state.db');
const env = { ...process.env, REGIONSHIFT_POLICY_FILE: 'examples/bookinfo.yaml', REGIONSHIFT_SQLITE_FILE: file, REGIONSHIFT_ALARM_TOKEN: TOKEN, REGIONSHIFT_CONTROL_SECRET: 'bench-control-secret-0123456789' };
const mesh = new FakeMeshControl();
const scaler = new FakeClusterScaler(systemClock);
let runtime: Promise<Runtime> | null = null;
const getRuntime = (ctx: FcContext) => (runtime ??= buildRuntime(env, ctx, { mesh, scaler, log: () => undefined }));
const host = await startFcHost({
  sYamlPath: 's.yaml',
  port: 0,
  env,
  log: () => undefined,
  loadHandler: async (key) => ({ handler: ((await import(pathToFileURL(path.resolve('functions', key, 'handler.ts')).href)) as { makeHandler: (g: typeof getRuntime) => unknown }).makeHandler(getRuntime) }) as HandlerModule,
});
const alert = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8');
const post = () => fetch(`${host.url}/alarm/cms?token=${TOKEN}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: alert });
await (await post()).arrayBuffer(); // builds the runtime, which creates the schema
const db = new Database(file);
const reset = () => db.exec('DELETE FROM mesh_state; DELETE FROM plans; DELETE FROM audit_events;');

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(2)} ms  p99 ${pct(xs, 99).toFixed(2)} ms  (n=${xs.length})`;

async function time(fn: () => Promise<Response>): Promise<number> {
  const t = performance.now();
  const res = await fn();
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return performance.now() - t;
}

for (let i = 0; i < 30; i++) { reset(); await time(post); } // warm-up: module loading, JIT, SQLite pages
const committed: number[] = [];
const duplicate: number[] = [];
for (let i = 0; i < N; i++) {
  reset();
  const applies = mesh.applied.length;
  committed.push(await time(post));
  if (mesh.applied.length !== applies + 1) throw new Error('the alarm did not drain the region');
  duplicate.push(await time(post));
}
reset();
const storm = performance.now();
const statuses = await Promise.all(Array.from({ length: 200 }, () => post().then((r) => r.status)));
const stormMs = performance.now() - storm;
const transitions = (db.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE kind = 'signal'").get() as { n: number }).n;

console.log(`alarm post → plan committed and mesh applied: ${fmt(committed)}`);
console.log(`baseline, duplicate alarm (no commit):       ${fmt(duplicate)}`);
console.log(`commit overhead at p50: ${(pct(committed, 50) - pct(duplicate, 50)).toFixed(2)} ms`);
console.log(`storm: 200 concurrent identical posts in ${stormMs.toFixed(0)} ms, non-200: ${statuses.filter((s) => s !== 200).length}, signals recorded: ${transitions}`);
db.close();
await host.stop();
