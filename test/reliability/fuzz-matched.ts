import fc from 'fast-check';
import type { MeshState } from '../../shared/core/types';
import { FakeClock } from '../../lab/fakes';
import { ALARM_TOKEN, startFunctionsHost, type FunctionsHost } from '../../lab/support/functions-host';
import { activeFor, cmsFields } from '../../lab/support/cms';
import { alarmCallbackUrl } from './entry-points';

/**
 * Fuzz payloads that DO match a detection rule (the example policy's `cms-5xx`: CRITICAL → down,
 * WARN → degraded, region from the callback URL), each with one field spoilt: a level that is a
 * property name of every JavaScript object (`toString`, `constructor`, `__proto__`…), an odd
 * timestamp (seconds, negative, hex, huge, not a number), or a callback URL naming another or no
 * region. Unlike the plain fuzz, such a payload may be valid and change the state; what must hold
 * after every payload:
 *   - no answer ≥ 500, and a rejected payload (4xx) changes nothing;
 *   - every active signal has a severity the policy knows (down, degraded), a declared region and
 *     a time within detection.maxAge (1 h) of now;
 *   - the payload's own alarm, when active, sits in the region its URL named.
 * Then two floods, each on a fresh host: a real CRITICAL alarm followed by 100 alarms with a
 * prototype-name level, and a real CRITICAL followed by 100 newer WARNs (100 is the policy's
 * detection.maxSignalsPerRegion). The CRITICAL must still be active after either.
 */

const PROTO_LEVELS = [
  'toString',
  'constructor',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
];
const ODD_LEVELS = ['critical', 'CRITICAL ', ' WARN', '', 'OK', 'INFO', 'CRITICAL,WARN', 'Critical'];
const REGIONS_DECLARED = ['cn-hangzhou', 'cn-shanghai'];
const ODD_REGIONS = [
  'cn-shanghai',
  'cn-shanghai',
  '__proto__',
  'constructor',
  'toString',
  'cn-nowhere',
  '',
  'CN-HANGZHOU',
  'cn-hangzhou ',
  'cn-hangzhou,cn-shanghai',
];
const SEVERITIES = new Set(['down', 'degraded']);
const MAX_AGE_MS = 3_600_000;
const FLOOD = 100;

export type MatchedSpoil = 'level-proto' | 'level-odd' | 'timestamp' | 'region';

export interface MatchedFuzzResult {
  payloads: number;
  bySpoil: Record<string, number>;
  statuses: Record<string, number>;
  fiveXx: number;
  rejectedChanged: number;
  badSignals: number;
  wrongRegion: number;
  failures: Array<{ spoil: string; value: string; status: number | string; problem: string }>;
  floods: Array<{ name: string; posted: number; statuses: Record<string, number>; criticalActive: boolean }>;
  wallMs: number;
}

function oddTimestamps(now: number): string[] {
  return [
    '-1',
    '0',
    'NaN',
    'Infinity',
    '1e309',
    '9'.repeat(25),
    String(Math.floor(now / 1000)),
    `0x${now.toString(16)}`,
    String(now + 0.5),
    '',
    ' ',
    new Date(now).toISOString(),
    String(now + 365 * 86_400_000),
    `${now}abc`,
    '١٧٩٣٦٧٢١٣٠٠٠٠',
    String(-now),
    '1e12',
    'null',
    'toString',
  ];
}

/** Problems of the active signals: a severity the policy does not know, an undeclared region, a time far from now. */
export function signalProblems(state: MeshState | null, now: number): string[] {
  const out: string[] = [];
  for (const s of Object.values(state?.signals ?? {})) {
    if (!SEVERITIES.has(s.severity as string)) out.push(`signal ${s.key} has severity ${JSON.stringify(s.severity) ?? 'none'}`);
    if (!REGIONS_DECLARED.includes(s.region)) out.push(`signal ${s.key} in undeclared region ${JSON.stringify(s.region)}`);
    if (typeof s.at !== 'number' || !Number.isFinite(s.at) || Math.abs(s.at - now) > MAX_AGE_MS + 600_000)
      out.push(`signal ${s.key} stamped ${String(s.at)}, not within 1 h of now`);
  }
  return out;
}

async function post(f: FunctionsHost, region: string, fields: Record<string, string>, asJson: boolean): Promise<number | string> {
  try {
    const res = await fetch(alarmCallbackUrl(f.host.url, ALARM_TOKEN, region), {
      method: 'POST',
      headers: { 'content-type': asJson ? 'application/json' : 'application/x-www-form-urlencoded' },
      body: asJson ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
    });
    await res.arrayBuffer();
    return res.status;
  } catch (e) {
    return `network: ${(e as Error).message}`;
  }
}

async function host(): Promise<{ f: FunctionsHost; clock: FakeClock }> {
  const clock = new FakeClock(Date.parse('2026-03-03T03:00:00Z'));
  const f = await startFunctionsHost({ clock });
  await (
    await fetch(`${f.host.url}/_invoke/scheduler`, {
      method: 'POST',
      body: JSON.stringify({ triggerTime: new Date(clock.now()).toISOString(), triggerName: 'tick', payload: '{"task":"tick"}' }),
    })
  ).arrayBuffer();
  return { f, clock };
}

/** A real CRITICAL alarm, then FLOOD alarms of distinct instances made by `flood(i)`: is the CRITICAL still active? */
async function floodAfterCritical(
  name: string,
  flood: (i: number, now: number) => Record<string, string>,
): Promise<MatchedFuzzResult['floods'][number]> {
  const { f, clock } = await host();
  try {
    const first = await post(f, 'cn-hangzhou', cmsFields('real-critical', 'ALERT', clock.now() - 60_000), false);
    if (first !== 200 || activeFor((await f.store.load('bookinfo')).state, 'real-critical').length === 0)
      throw new Error(`${name}: the real CRITICAL answered ${first} and is not active`);
    const statuses: Record<string, number> = {};
    for (let i = 0; i < FLOOD; i++) {
      clock.advance(1_000);
      const s = await post(f, 'cn-hangzhou', flood(i, clock.now()), i % 2 === 1);
      statuses[String(s)] = (statuses[String(s)] ?? 0) + 1;
    }
    await f.host.idle();
    return { name, posted: FLOOD, statuses, criticalActive: activeFor((await f.store.load('bookinfo')).state, 'real-critical').length > 0 };
  } finally {
    await f.stop();
  }
}

export async function runMatchedFuzz(opts: { payloads: number; seed: number }): Promise<MatchedFuzzResult> {
  const t0 = Date.now();
  const result: MatchedFuzzResult = {
    payloads: 0,
    bySpoil: {},
    statuses: {},
    fiveXx: 0,
    rejectedChanged: 0,
    badSignals: 0,
    wrongRegion: 0,
    failures: [],
    floods: [],
    wallMs: 0,
  };
  const draws = fc.sample(
    fc.record({
      spoil: fc.constantFrom<MatchedSpoil>('level-proto', 'level-odd', 'timestamp', 'region'),
      pick: fc.nat(),
      state: fc.constantFrom<'ALERT' | 'OK'>('ALERT', 'ALERT', 'ALERT', 'OK'),
      json: fc.boolean(),
      age: fc.integer({ min: 0, max: 600_000 }),
    }),
    { seed: opts.seed, numRuns: opts.payloads },
  );
  const { f, clock } = await host();
  try {
    for (const [i, d] of draws.entries()) {
      clock.advance(1_000);
      const now = clock.now();
      const instance = `fm-${i}`;
      let region = 'cn-hangzhou';
      let value: string;
      const fields = cmsFields(instance, d.state, now - d.age);
      if (d.spoil === 'level-proto') fields.triggerLevel = value = PROTO_LEVELS[d.pick % PROTO_LEVELS.length] as string;
      else if (d.spoil === 'level-odd') fields.triggerLevel = value = ODD_LEVELS[d.pick % ODD_LEVELS.length] as string;
      else if (d.spoil === 'timestamp') {
        const ts = oddTimestamps(now);
        fields.timestamp = value = ts[d.pick % ts.length] as string;
      } else region = value = ODD_REGIONS[d.pick % ODD_REGIONS.length] as string;
      const before = await f.store.load('bookinfo');
      const status = await post(f, region, fields, d.json);
      const after = await f.store.load('bookinfo');
      result.payloads++;
      result.bySpoil[d.spoil] = (result.bySpoil[d.spoil] ?? 0) + 1;
      result.statuses[String(status)] = (result.statuses[String(status)] ?? 0) + 1;
      const fail = (problem: string) => result.failures.push({ spoil: d.spoil, value, status, problem });
      if (typeof status !== 'number' || status >= 500) {
        result.fiveXx++;
        fail(`answered ${status}`);
      }
      if (typeof status === 'number' && status >= 400 && status < 500 && after.version !== before.version) {
        result.rejectedChanged++;
        fail(`rejected with ${status} but the state moved ${before.version} → ${after.version}`);
      }
      // Only what this payload brought in: a bad signal stays until it lapses, and is counted once.
      const known = new Set(signalProblems(before.state, now));
      const problems = signalProblems(after.state, now).filter((p) => !known.has(p));
      if (problems.length) {
        result.badSignals++;
        fail(problems.slice(0, 2).join('; '));
      }
      const mine = activeFor(after.state, instance);
      const named = region.trim().toLowerCase();
      if (mine.some((s) => s.region !== named)) {
        result.wrongRegion++;
        fail(`alarm posted on the URL of ${JSON.stringify(region)} is active in ${mine.map((s) => JSON.stringify(s.region)).join(', ')}`);
      }
    }
  } finally {
    await f.stop();
  }
  result.floods.push(
    await floodAfterCritical(`${FLOOD} alarms with a prototype-name level after a CRITICAL`, (i, now) =>
      cmsFields(`proto-${i}`, 'ALERT', now - 1_000, PROTO_LEVELS[i % 3] as string),
    ),
  );
  result.floods.push(
    await floodAfterCritical(`${FLOOD} newer WARNs after a CRITICAL`, (i, now) => cmsFields(`warn-${i}`, 'ALERT', now - 1_000, 'WARN')),
  );
  result.wallMs = Date.now() - t0;
  return result;
}
