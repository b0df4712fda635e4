/**
 * Alarm post → plan committed, on the local FC host with SQLite (the real functions, engine and
 * store; a fake mesh and clusters). Baseline in the same run: a duplicate alarm post, which goes
 * through the same HTTP, middleware, parsing and state read but commits nothing. Then one
 * Alertmanager webhook of 3,000 alerts (BENCH_WEBHOOK_N): its time, and how many commits it took.
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
const sampleAlert = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8');
// Stamped now: an alarm older than detection.maxAge is stale and would commit nothing.
const alert = () => sampleAlert.replace(/timestamp=\d+/, `timestamp=${Date.now()}`);
const post = () => fetch(`${host.url}/alarm/cms?region=cn-hangzhou&token=${TOKEN}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: alert() });
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

// One Alertmanager webhook of WEBHOOK_N alerts (distinct fingerprints, both regions, warning):
// one load → decide → commit however many alerts it carries.
const WEBHOOK_N = Number(process.env.BENCH_WEBHOOK_N ?? 3000);
function webhook(n: number): string {
  const startsAt = new Date().toISOString();
  const alerts = Array.from({ length: n }, (_, i) => ({
    status: 'firing',
    labels: { alertname: 'ReviewsHighLatency', mesh: 'bookinfo-mesh', region: i % 2 ? 'cn-hangzhou' : 'cn-shanghai', severity: 'warning', service: 'reviews', pod: `reviews-v2-${i}` },
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
  const ms = await time(() => fetch(`${host.url}/alarm/am?token=${TOKEN}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
  bigRuns.push({ ms, commits: version() - v0, bytes: rowBytes() });
}
const bigMs = bigRuns.map((r) => r.ms);
const bigBody = Buffer.byteLength(webhook(WEBHOOK_N));

console.log(`alarm post → plan committed and mesh applied: ${fmt(committed)}`);
console.log(`baseline, duplicate alarm (no commit):       ${fmt(duplicate)}`);
console.log(`commit overhead at p50: ${(pct(committed, 50) - pct(duplicate, 50)).toFixed(2)} ms`);
console.log(`${WEBHOOK_N.toLocaleString('en-US')}-alert webhook: ${pct(bigMs, 50).toFixed(0)} ms, ${bigRuns[0]?.commits} commit  (p50 of ${bigMs.length}; max ${Math.max(...bigMs).toFixed(0)} ms; commits per webhook: ${[...new Set(bigRuns.map((r) => r.commits))].join('/')}; body ${(bigBody / 1024).toFixed(0)} KiB; state row ${(bigRuns[0]?.bytes ?? 0).toLocaleString('en-US')} bytes)`);
console.log(`storm: 200 concurrent identical posts in ${stormMs.toFixed(0)} ms, non-200: ${statuses.filter((s) => s !== 200).length}, signals recorded: ${transitions}`);
db.close();
await f.stop();
