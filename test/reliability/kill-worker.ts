/**
 * One process of the kill -9 check: the real runtime from the environment (the SQLite state file,
 * the ASM/ACK twins behind the parent's proxy), on a clock `REL_CLOCK_OFFSET_MS` ahead of the
 * wall clock, so a later process can be "after the lease" without waiting for it.
 *
 *   node --import tsx test/reliability/kill-worker.ts ingest   # one CMS alarm: commit the drain and run it
 *   node --import tsx test/reliability/kill-worker.ts tick     # one scheduler tick: resume what is due
 */
import { readFileSync } from 'node:fs';
import { ingestAlarms } from '../../shared/http/alarm-intake';
import { systemClock, type Clock } from '../../shared/ports/clock';
import { buildRuntime } from '../../shared/runtime/index';
import { parseCmsCallback } from '../../shared/signals/cms-webhook';

const offset = Number(process.env.REL_CLOCK_OFFSET_MS ?? 0);
const clock: Clock = { now: () => Date.now() + offset, sleep: systemClock.sleep };
const runtime = await buildRuntime(
  process.env,
  { requestId: `kill-${process.pid}`, function: { name: 'reliability-kill', handler: 'x', memory: 512, timeout: 60 } },
  { clock },
);
if (process.argv[2] === 'ingest') {
  // Stamped now, so that no staleness rule can set it aside.
  const alert = new URLSearchParams(readFileSync('events/alarms/cms-callback-alert.txt', 'utf8').trim());
  alert.set('timestamp', String(clock.now()));
  // CRITICAL: the region is down, an urgent drain (no readiness wait). WARN: degraded, a shift that waits for readiness.
  alert.set('triggerLevel', process.env.REL_ALARM_LEVEL ?? 'CRITICAL');
  await ingestAlarms(
    runtime,
    [{ ...parseCmsCallback(alert.toString(), 'application/x-www-form-urlencoded'), urlRegion: 'cn-hangzhou' }],
    'cms',
  );
} else {
  await runtime.engine.tick();
}
await runtime.store.close();
process.stdout.write('done\n');
process.exit(0);
