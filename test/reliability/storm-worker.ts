/**
 * One process of the alarm storm: the real functions from s.yaml on its own local FC host (its
 * runtime built from the environment the parent gave it: the shared state, the ASM/ACK twins),
 * posting its share of the alarms to its own alarm function once the parent says "go".
 *
 * Each alarm is sent as CMS sends a callback: a 5 s timeout per attempt and up to 3 retries of
 * the same body (platform facts: "3 retries, 5 s timeout"; the interval between retries is not
 * documented, so a retry follows the failed attempt at once). An attempt failed when it was not
 * answered 200 within the timeout. The alarm is lost only when every attempt failed; its final
 * status is what `statuses` counts, and first-attempt failures are counted apart.
 *
 *   node --import tsx test/reliability/storm-worker.ts <workerIndex> <workers> <total> <distinctEvery> <concurrency>
 */
import { appendFileSync } from 'node:fs';
import { startFcHost } from '../../lab/host/fc-host';
import { alarmCallbackUrl } from './entry-points';
import { CMS_DELIVERY, deliverAsCms, stormAlarm } from './storm-mix';

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
/** What the failed attempts were answered (retried or not), e.g. {"503": 1}. */
const failedAttempts: Record<string, number> = {};
let retried = 0;
const errors: string[] = [];
const startedAt = Date.now();
let next = 0;
async function lane(): Promise<void> {
  while (next < mine.length) {
    const g = mine[next++] as number;
    // CMS sends the same callback again: one body per alarm, whatever the attempt.
    const init = request(g);
    const { final, failed } = await deliverAsCms(
      async (signal) => {
        const res = await fetch(url, { ...init, signal });
        return { status: res.status, text: await res.text() };
      },
      CMS_DELIVERY,
      (e) => {
        if (errors.length < 5) errors.push(e);
      },
    );
    retried += failed.length - (failed.length > CMS_DELIVERY.retries ? 1 : 0);
    for (const f of failed) failedAttempts[f] = (failedAttempts[f] ?? 0) + 1;
    statuses[final] = (statuses[final] ?? 0) + 1;
  }
}
await Promise.all(Array.from({ length: concurrency }, () => lane()));
const endedAt = Date.now();
await host.idle();
await host.stop();
process.stdout.write(`${JSON.stringify({ index, sent: mine.length, statuses, failedAttempts, retried, errors, startedAt, endedAt })}\n`);
process.exit(0);
