/**
 * The reliability suite: `npm run test:reliability`. Runs the fuzz (plain, and payloads that match
 * a detection rule with a spoilt field), the alarm storm (SQLite and the Tablestore twin), the
 * ALERT/OK storm, kill -9 at every step boundary of a drain, the audit store failing during a
 * drain, forged timer ticks against replay memory, and the stale/out-of-order alarms; prints one
 * table of figures, writes it to RELIABILITY_REPORT (default .regionshift/reliability.md, not
 * tracked; `npm run reliability:publish` writes docs/reliability.md), and exits non-zero when any
 * check fails. Counts come from the environment (see docs/reliability.md); the defaults are the
 * CI ones.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runAuditFaultChecks, type AuditFaultCase } from './audit-fault';
import { runFuzz, type FuzzResult } from './fuzz';
import { runMatchedFuzz, type MatchedFuzzResult } from './fuzz-matched';
import { runReplayCheck, type ReplayResult } from './replay';
import { runResolveStorm, type ResolveStormResult } from './resolve-storm';
import { runKillChecks, type KillMode, type KillResult, type KillScenario } from './kill';
import { runStaleChecks, type StaleCase } from './stale';
import { runStorm, type StormResult } from './storm';
import { ALL_CHECKS, DEFAULT_REPORT, renderReport, type Row } from './report';

const env = process.env;
const num = (name: string, dflt: number) => {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: must be a whole number (got ${JSON.stringify(v)})`);
  return n;
};
const list = (name: string, dflt: string) =>
  (env[name] ?? dflt)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export const config = {
  checks: list('RELIABILITY_CHECKS', ALL_CHECKS.join(',')),
  seed: num('RELIABILITY_SEED', 20260303),
  fuzzPayloads: num('RELIABILITY_FUZZ_PAYLOADS', 2400),
  matchedPayloads: num('RELIABILITY_FUZZ_MATCHED', 240),
  resolvePairs: num('RELIABILITY_RESOLVE_PAIRS', 160),
  resolveClients: Math.max(1, num('RELIABILITY_RESOLVE_CLIENTS', 16)),
  replayTicks: num('RELIABILITY_REPLAY_TICKS', 300),
  stormAlarms: num('RELIABILITY_STORM_ALARMS', 10_000),
  stormProcesses: num('RELIABILITY_STORM_PROCESSES', 4),
  stormDistinctEvery: Math.max(1, num('RELIABILITY_STORM_DISTINCT_EVERY', 50)),
  stormConcurrency: Math.max(1, num('RELIABILITY_STORM_CONCURRENCY', 8)),
  stormBackends: list('RELIABILITY_STORM_BACKENDS', 'sqlite,tablestore') as Array<'sqlite' | 'tablestore'>,
  killModes: list('RELIABILITY_KILL_MODES', 'after') as KillMode[],
  /** down: an urgent drain (no readiness wait); degraded: a shift whose scale-ups wait for readiness. */
  killScenarios: list('RELIABILITY_KILL_SCENARIOS', 'down,degraded') as KillScenario[],
  /** Only these boundaries (1-based), for a quick local run; empty: all. */
  killBoundaries: list('RELIABILITY_KILL_BOUNDARIES', '').map(Number),
  report: env.RELIABILITY_REPORT || DEFAULT_REPORT,
};
const unknownChecks = config.checks.filter((c) => !ALL_CHECKS.includes(c));
if (unknownChecks.length)
  throw new Error(`RELIABILITY_CHECKS: unknown check ${unknownChecks.join(', ')} (known: ${ALL_CHECKS.join(', ')})`);

const rows: Row[] = [];
const row = (check: string, figure: string, expected: string, ok: boolean, note = '') => rows.push({ check, figure, expected, ok, note });
const t0 = Date.now();
const log = (msg: string) => process.stdout.write(`[reliability ${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}\n`);
const errors: string[] = [];

async function stage<T>(name: string, run: () => Promise<T>): Promise<T | null> {
  if (!config.checks.includes(name)) return null;
  log(`${name}…`);
  try {
    return await run();
  } catch (e) {
    errors.push(`${name}: ${(e as Error).stack ?? String(e)}`);
    row(name, 'did not complete', 'completes', false, (e as Error).message.split('\n')[0] ?? '');
    return null;
  }
}

function group<T>(xs: T[], key: (x: T) => string): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
}

const fuzz: FuzzResult | null = await stage('fuzz', () => runFuzz({ payloads: config.fuzzPayloads, seed: config.seed }));
if (fuzz) {
  const top = (re: RegExp) =>
    group(
      fuzz.failures.filter((f) => re.test(f.problem)),
      (f) => `${f.target.replace(/ \((cms-form|cms-json|alertmanager), /, ' (')} ${f.mutation}`,
    )
      .slice(0, 4)
      .map(([k, n]) => `${n}× ${k}`)
      .join('; ');
  row(
    'fuzz: payloads across every entry point',
    `${fuzz.payloads} over ${fuzz.entryPoints.length} entry points`,
    `≥ 2000`,
    fuzz.payloads >= 2000 || config.fuzzPayloads < 2000,
    `seed ${config.seed}; ${Object.entries(fuzz.byMutation)
      .map(([m, n]) => `${m} ${n}`)
      .join(', ')}`,
  );
  row('fuzz: answers ≥ 500', String(fuzz.fiveXx), '0', fuzz.fiveXx === 0, top(/answered/));
  row('fuzz: state changed by a payload', String(fuzz.stateChanges), '0', fuzz.stateChanges === 0, top(/state version/));
  row('fuzz: lab changed by a rejected request', String(fuzz.labStateChanges), '0', fuzz.labStateChanges === 0, top(/lab changed/));
  row('fuzz: secrets in the log', String(fuzz.secretLeaks), '0', fuzz.secretLeaks === 0, top(/secret/));
  for (const [why, c] of Object.entries(fuzz.contractByWhy))
    row(
      `fuzz: ${why}`,
      `${c.met}/${c.expected}`,
      `${c.expected}/${c.expected}`,
      c.met === c.expected,
      top(new RegExp(why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))),
    );
  row('fuzz: time', `${(fuzz.wallMs / 1000).toFixed(1)} s`, '', true);
}

const matched: MatchedFuzzResult | null = await stage('fuzz-matched', () =>
  runMatchedFuzz({ payloads: config.matchedPayloads, seed: config.seed }),
);
if (matched) {
  const top = (re: RegExp) =>
    group(
      matched.failures.filter((f) => re.test(f.problem)),
      (f) => `${f.spoil} ${JSON.stringify(f.value)}`,
    )
      .slice(0, 4)
      .map(([k, n]) => `${n}× ${k}`)
      .join('; ');
  row(
    'fuzz-matched: payloads matching a detection rule, one field spoilt',
    `${matched.payloads}`,
    `${config.matchedPayloads}`,
    matched.payloads === config.matchedPayloads,
    `seed ${config.seed}; ${Object.entries(matched.bySpoil)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; answers ${JSON.stringify(matched.statuses)}`,
  );
  row('fuzz-matched: answers ≥ 500', String(matched.fiveXx), '0', matched.fiveXx === 0, top(/answered/));
  row(
    'fuzz-matched: state changed by a rejected payload',
    String(matched.rejectedChanged),
    '0',
    matched.rejectedChanged === 0,
    top(/rejected/),
  );
  row(
    'fuzz-matched: payloads leaving a signal with an unknown severity, undeclared region or far time',
    String(matched.badSignals),
    '0',
    matched.badSignals === 0,
    top(/severity|region|stamped/),
  );
  row(
    'fuzz-matched: alarm active in another region than its URL named',
    String(matched.wrongRegion),
    '0',
    matched.wrongRegion === 0,
    top(/URL of/),
  );
  for (const fl of matched.floods)
    row(
      `fuzz-matched: a CRITICAL after ${fl.name.replace(/ after a CRITICAL$/, '')}`,
      fl.criticalActive ? 'still active' : 'LAPSED',
      'still active',
      fl.criticalActive,
      `answers ${JSON.stringify(fl.statuses)}`,
    );
  row('fuzz-matched: time', `${(matched.wallMs / 1000).toFixed(1)} s`, '', true);
}

const storms: StormResult[] = [];
for (const backend of config.stormBackends) {
  const s = await stage('storm', () =>
    runStorm(backend, {
      alarms: config.stormAlarms,
      processes: config.stormProcesses,
      distinctEvery: config.stormDistinctEvery,
      concurrency: config.stormConcurrency,
    }),
  );
  if (!s) continue;
  storms.push(s);
  const name = `storm (${backend})`;
  row(
    `${name}: alarms posted`,
    `${s.alarms} from ${s.processes} processes (${s.distinct} distinct signals), ${s.overlapped ? 'overlapping' : 'NOT overlapping'}`,
    '10000 from ≥ 4, overlapping',
    s.overlapped && ((s.alarms >= 10_000 && s.processes >= 4) || config.stormAlarms < 10_000 || config.stormProcesses < 4),
    `${(s.wallMs / 1000).toFixed(1)} s, ${(s.alarms / (s.wallMs / 1000)).toFixed(0)} alarms/s`,
  );
  const failedFirst = Object.values(s.failedAttempts).reduce((n, c) => n + c, 0);
  row(
    `${name}: alarms not answered 200 after 3 retries (as CMS sends)`,
    String(s.non200),
    '0',
    s.non200 === 0,
    `final ${JSON.stringify(s.statuses)}; ${s.retried} retries, failed attempts ${JSON.stringify(s.failedAttempts)}${failedFirst ? ` ${s.sampleErrors.join(' | ').slice(0, 300)}` : ''}`,
  );
  row(
    `${name}: lost signals`,
    String(s.lostSignals),
    '0',
    s.lostSignals === 0,
    `${s.lapsedByCap} lapsed by a cap (audited)${s.lostSample.length ? `; e.g. ${s.lostSample.join(', ')}` : ''}`,
  );
  row(`${name}: double transitions`, `${s.doubleTransitions} of ${s.transitions}`, '0', s.doubleTransitions === 0);
  row(`${name}: mesh applies per mesh plan`, `${s.meshApplies} applies / ${s.meshPlans} plans`, 'equal', s.meshApplies === s.meshPlans);
  row(
    `${name}: plans left unfinished`,
    String(s.openPlansLeft),
    '0',
    s.openPlansLeft === 0,
    'delayed scale-downs not yet due are not counted',
  );
}

const resolve: ResolveStormResult | null = await stage('resolve', () =>
  runResolveStorm({ pairs: config.resolvePairs, clients: config.resolveClients, seed: config.seed }),
);
if (resolve) {
  row(
    'resolve storm: ALERT/OK pairs in random order with duplicates',
    `${resolve.pairs} pairs, ${resolve.messages} messages (${resolve.duplicates} duplicates) from ${resolve.clients} clients`,
    `${config.resolvePairs} pairs`,
    resolve.pairs === config.resolvePairs,
    `${(resolve.wallMs / 1000).toFixed(1)} s; answers ${JSON.stringify(resolve.statuses)}`,
  );
  row('resolve storm: answers other than 200', String(resolve.non200), '0', resolve.non200 === 0);
  row(
    'resolve storm: alarms whose OK was delivered left active',
    `${resolve.resolvedLeftActive} of ${resolve.okDelivered}`,
    '0',
    resolve.resolvedLeftActive === 0 && resolve.okDelivered > 0,
    resolve.resolvedSample.join(', '),
  );
  row(
    'resolve storm: alarms never resolved, neither active nor lapsed by a cap',
    `${resolve.unresolvedMissing} of ${resolve.unresolved}`,
    '0',
    resolve.unresolvedMissing === 0 && resolve.unresolved > 0,
    `${resolve.unresolvedLapsed} lapsed by a cap (audited)`,
  );
}

const kill: KillResult | null = await stage('kill', () =>
  runKillChecks({
    modes: config.killModes,
    scenarios: config.killScenarios,
    ...(config.killBoundaries.length ? { only: config.killBoundaries } : {}),
  }),
);
if (kill) {
  const failed = kill.cases.filter((c) => !(c.killed && c.resumed && c.once && c.sameEnd));
  row(
    'kill -9: step boundaries of the plans',
    `${kill.boundaries} boundaries (${config.killScenarios.join(', ')}) × ${config.killModes.join('+')} = ${kill.cases.length} runs`,
    'every boundary',
    kill.cases.length === kill.boundaries * config.killModes.length || config.killBoundaries.length > 0,
    `${(kill.wallMs / 1000).toFixed(0)} s`,
  );
  row(
    'kill -9: runs resumed to done after the lease',
    `${kill.cases.filter((c) => c.resumed).length}/${kill.cases.length}`,
    'all',
    kill.cases.every((c) => c.resumed),
  );
  row(
    'kill -9: each step effect once',
    `${kill.cases.filter((c) => c.once).length}/${kill.cases.length}`,
    'all',
    kill.cases.every((c) => c.once),
    `${kill.cases.reduce((n, c) => n + c.resent, 0)} idempotent requests re-sent on resume`,
  );
  row(
    'kill -9: same end state as an undisturbed drain',
    `${kill.cases.filter((c) => c.sameEnd).length}/${kill.cases.length}`,
    'all',
    kill.cases.every((c) => c.sameEnd),
  );
  for (const c of failed)
    row(
      `kill -9 ${c.scenario} at ${c.boundary} (${c.label}, ${c.mode})`,
      'failed',
      'resumed, once',
      false,
      c.problem ?? (c.killed ? '' : 'the kill never happened'),
    );
}

const audit: AuditFaultCase[] | null = await stage('audit', () => runAuditFaultChecks());
if (audit) {
  for (const c of audit) {
    row(
      `audit store ${c.fault} during a drain: the alarm's answer`,
      String(c.alarmStatus),
      '200',
      c.alarmStatus === 200,
      `${c.appendsFailed} audit appends failed`,
    );
    row(
      `audit store ${c.fault} during a drain: scale-ups done, mesh applies`,
      `${c.scaleUpsDone}/${c.scaleUps} scale-ups, ${c.meshApplies} UpdateMeshFeature for ${c.meshSteps} mesh step, plan ${c.planStatus}`,
      `${c.scaleUps}/${c.scaleUps}, ${c.meshSteps} for ${c.meshSteps}, not failed`,
      c.scaleUpsDone === c.scaleUps && c.meshApplies === c.meshSteps && c.planStatus !== 'failed',
      `ticks answered ${c.tickStatuses.join(', ')}`,
    );
    row(`audit store ${c.fault} during a drain: pause`, String(c.pauseStatus), '2xx', c.pauseStatus >= 200 && c.pauseStatus < 300);
  }
}

const replay: ReplayResult | null = await stage('replay', () => runReplayCheck({ ticks: config.replayTicks }));
if (replay) {
  row(
    'replay: a captured signed control request after forged timer ticks',
    replay.acceptedAfter === null
      ? `refused after each of ${replay.ticks} forged ticks`
      : `ACCEPTED (${replay.acceptedStatus}) after ${replay.acceptedAfter} forged ticks`,
    `refused after each of ${config.replayTicks}`,
    replay.ok && replay.ticks === config.replayTicks,
    `first ${replay.firstStatus}, replay before the ticks ${replay.replayBefore}; ticks answered ${JSON.stringify(replay.tickStatuses)}; ${(replay.wallMs / 1000).toFixed(1)} s`,
  );
}

const stale: StaleCase[] | null = await stage('stale', () => runStaleChecks());
if (stale) {
  for (const c of stale)
    row(
      `stale: ${c.name} (${c.source})`,
      c.figure ?? `${c.status}, state ${c.changedState ? 'CHANGED' : 'unchanged'}`,
      c.want ?? '2xx, unchanged',
      c.ok,
    );
}

const failed = rows.filter((r) => !r.ok);
const table = rows
  .map(
    (r) => `${r.ok ? 'PASS' : 'FAIL'}  ${r.check}: ${r.figure}${r.expected ? ` (want ${r.expected})` : ''}${r.note ? `  — ${r.note}` : ''}`,
  )
  .join('\n');
process.stdout.write(
  `\n${table}\n\n${failed.length ? `${failed.length} of ${rows.length} checks FAILED` : `all ${rows.length} checks passed`} in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
);
for (const e of errors) process.stderr.write(`${e}\n`);
if (config.report !== 'none') {
  mkdirSync(path.dirname(config.report), { recursive: true });
  writeFileSync(config.report, renderReport(rows, { config, storms, fuzz, kill, stale, matched, resolve, audit, replay }));
  log(`wrote ${config.report}`);
}
process.exit(failed.length ? 1 : 0);
