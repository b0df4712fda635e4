/**
 * One process of the alarm storm: the real functions from s.yaml on its own local FC host (its
 * runtime built from the environment the parent gave it: the shared state, the ASM/ACK twins),
 * posting its share of the alarms to its own alarm function once the parent says "go".
 *
 *   node --import tsx test/reliability/storm-worker.ts <workerIndex> <workers> <total> <distinctEvery> <concurrency>
 */
import { appendFileSync } from 'node:fs';
import { startFcHost } from '../../lab/host/fc-host';
import { alarmCallbackUrl } from './entry-points';
import { stormAlarm } from './storm-mix';

const [index, workers, total, distinctEvery, concurrency] = process.argv.slice(2).map(Number) as [number, number, number, number, number];
const logFile = process.env.REGIONSHIFT_LOG_FILE;
const host = await startFcHost({
  sYamlPath: 's.yaml',
  port: 0,
  log: (line) => {
    if (logFile) appendFileSync(logFile, `${JSON.stringify(line)}\n`);
  },
});
const url = alarmCallbackUrl(host.url, process.env.REGIONSHIFT_ALARM_TOKEN as string, 'cn-hangzhou');

function request(g: number): RequestInit {
  const { contentType, body } = stormAlarm(g, distinctEvery);
  return { method: 'POST', headers: { 'content-type': contentType }, body };
}

// Warm up before the storm: the first request builds the runtime (modules, SDK clients), which
// would otherwise count against the first alarms' function timeout. A wrong token is refused
// after the runtime is built, and changes nothing.
await (await fetch(alarmCallbackUrl(host.url, 'warm-up-not-the-token-000', 'cn-hangzhou'), { method: 'POST', body: '' })).arrayBuffer();
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const mine: number[] = [];
for (let g = index; g < total; g += workers) mine.push(g);
const statuses: Record<string, number> = {};
const errors: string[] = [];
const startedAt = Date.now();
let next = 0;
async function lane(): Promise<void> {
  while (next < mine.length) {
    const g = mine[next++] as number;
    try {
      const res = await fetch(url, request(g));
      const text = await res.text();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status !== 200 && errors.length < 5) errors.push(`${res.status} ${text.slice(0, 300)}`);
    } catch (err) {
      statuses.network = (statuses.network ?? 0) + 1;
      if (errors.length < 5) errors.push(`${(err as Error).message}${(err as Error).cause ? `: ${String((err as { cause: unknown }).cause)}` : ''}`);
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, () => lane()));
const endedAt = Date.now();
await host.idle();
await host.stop();
process.stdout.write(`${JSON.stringify({ index, sent: mine.length, statuses, errors, startedAt, endedAt })}\n`);
process.exit(0);
