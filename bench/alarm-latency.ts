/**
 * Alarm post → plan committed, on the local FC host with SQLite (the real functions, engine and
 * store; a fake mesh and clusters). Baseline in the same run: a duplicate alarm post, which goes
 * through the same HTTP, middleware, parsing and state read but commits nothing.
 *
 *   npm run bench
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { systemClock } from '../shared/ports/clock';
import { ALARM_TOKEN as TOKEN, startFunctionsHost } from '../test/support/functions-host';

const N = Number(process.env.BENCH_N ?? 300);
const f = await startFunctionsHost({ clock: systemClock });
const { host, mesh } = f;
const file = f.stateFile;
const alert = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8');
const post = () => fetch(`${host.url}/alarm/cms?region=cn-hangzhou&token=${TOKEN}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: alert });
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
await f.stop();
