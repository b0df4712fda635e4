import type { AuditFaultCase } from './audit-fault';
import type { FuzzResult } from './fuzz';
import type { MatchedFuzzResult } from './fuzz-matched';
import type { ReplayResult } from './replay';
import type { ResolveStormResult } from './resolve-storm';
import type { KillResult } from './kill';
import type { StaleCase } from './stale';
import type { StormResult } from './storm';

/** Every check, in the order they run; `RELIABILITY_CHECKS` selects some. */
export const ALL_CHECKS = ['fuzz', 'fuzz-matched', 'storm', 'resolve', 'kill', 'audit', 'replay', 'stale'];
/** The figures of a run go here unless RELIABILITY_REPORT says otherwise: not tracked, so `npm test` leaves the tree clean. */
export const DEFAULT_REPORT = '.regionshift/reliability.md';

export interface Row {
  check: string;
  figure: string;
  expected: string;
  ok: boolean;
  note: string;
}

interface Inputs {
  config: {
    checks: string[];
    seed: number;
    fuzzPayloads: number;
    matchedPayloads: number;
    resolvePairs: number;
    resolveClients: number;
    replayTicks: number;
    stormAlarms: number;
    stormProcesses: number;
    stormDistinctEvery: number;
    stormConcurrency: number;
    stormBackends: string[];
    killModes: string[];
  };
  storms: StormResult[];
  fuzz: FuzzResult | null;
  kill: KillResult | null;
  stale: StaleCase[] | null;
  matched?: MatchedFuzzResult | null;
  resolve?: ResolveStormResult | null;
  audit?: AuditFaultCase[] | null;
  replay?: ReplayResult | null;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The report (docs/reliability.md when published): what each check does, how to run it, and the figures of the run (no dates). */
export function renderReport(rows: Row[], x: Inputs): string {
  const c = x.config;
  const failed = rows.filter((r) => !r.ok);
  const out: string[] = [];
  out.push('# Reliability suite', '');
  out.push('`npm run test:reliability` (`tsx test/reliability/run.ts`, part of `npm test`) runs the checks below against the real');
  out.push('functions, runtime and engine, prints a table of figures and writes it to `.regionshift/reliability.md` (not tracked, so');
  out.push('`npm test` leaves the work tree clean; `RELIABILITY_REPORT=<file>` writes elsewhere, `none` nowhere); it exits non-zero');
  out.push('when a check fails. This page is the published copy: `npm run reliability:publish` runs the suite and rewrites it.', '');
  out.push('## What each check does', '');
  out.push('- **Fuzz** (`test/reliability/fuzz.ts`). Payloads generated from one seed (fast-check) against every entry point, found');
  out.push("  from `s.yaml` (each function's HTTP, EventBridge and timer triggers, and its direct invocation) and from the control");
  out.push('  router (every route, signed and unsigned), plus the lab API. Each payload is a valid sample spoilt one way: truncated,');
  out.push('  a field of another JSON type, the wrong content type, huge, deeply nested, odd unicode, injection strings, junk. The');
  out.push('  alarm samples name alarms no detection rule matches, so one that stays valid by chance is audited as unmatched and');
  out.push("  still changes nothing. Per payload: no answer ≥ 500, the state row's version unchanged, the lab unchanged after a");
  out.push("  rejection, and no alarm token or control secret in the log lines (the functions' structured log, the host's, and");
  out.push('  anything written to stdout/stderr) it caused. Where the hardening contract names an answer (a body over the size');
  out.push('  limit → 413, JSON past the depth limit → 400, unknown or duplicated query parameters → 400, a body without a content');
  out.push('  type → 400), authenticated payloads are held to it.');
  out.push('- **Fuzz, matching payloads** (`test/reliability/fuzz-matched.ts`, check `fuzz-matched`). CMS callbacks that DO match a');
  out.push('  detection rule (`cms-5xx`), each with one field spoilt: a level that is a property name of every JavaScript object');
  out.push('  (`toString`, `constructor`, `__proto__`…) or an odd level, an odd timestamp (seconds, negative, hex, huge, text), or a');
  out.push('  callback URL naming another, an unknown or a prototype-name region. Such a payload may be valid; after each: no answer');
  out.push('  ≥ 500, a rejected one changed nothing, every active signal has a severity the policy knows, a declared region and a');
  out.push("  time within detection.maxAge of now, and the payload's alarm is active only in the region its URL named. Then, each on");
  out.push('  a fresh host, a real CRITICAL followed by 100 (detection.maxSignalsPerRegion) alarms with a prototype-name level, and');
  out.push('  a real CRITICAL followed by 100 newer WARNs: the CRITICAL must still be active.');
  out.push('- **Storm** (`test/reliability/storm.ts`). Several processes, each running the functions from `s.yaml` on its own');
  out.push('  local FC host with the runtime built from the environment, all on one state (one SQLite file; then the Tablestore');
  out.push('  twin over HTTP) and one ASM twin, post their share of the alarms at once: one alarm repeated, and every n-th one');
  out.push('  distinct (its own instance, so its own signal), as CMS form and CMS JSON. Then: every distinct signal is active in');
  out.push("  the state or audited as lapsed by a cap (lost = neither); no region's health transition is recorded twice in a row;");
  out.push('  the ASM twin accepted exactly one UpdateMeshFeature per committed plan with a mesh step; no plan is left with an');
  out.push('  unfinished step other than a delayed scale-down; every alarm was answered 200. Each process sends as CMS does');
  out.push('  (CloudMonitor callback: 3 retries, 5 s timeout; the retry interval is not documented, so a retry follows at once): an');
  out.push('  alarm counts as lost only when every attempt failed; failed attempts and retries are reported beside it.');
  out.push('- **Resolve storm** (`test/reliability/resolve-storm.ts`, check `resolve`). Through the alarm function with a pinned');
  out.push('  clock, 16 clients send ALERT/OK pairs (one alarm instance each: ALERT stamped t-60 s, OK t-5 s) in a random order');
  out.push("  from the seed, a random third of the messages twice; every 10th pair sends no OK; even pairs on cn-hangzhou's callback");
  out.push("  URL, odd ones on cn-shanghai's (at most 100 per region, the cap). At the end every alarm whose OK was");
  out.push('  answered 200 must be inactive, and every alarm never resolved active or audited as lapsed by a cap.');
  out.push('- **kill -9** (`test/reliability/kill.ts`). Two plans, each run in a child process against the twins through a');
  out.push('  proxy: a drain (cn-hangzhou down: urgent, so scale-ups in cn-shanghai, the mesh change at once, delayed scale-downs in');
  out.push('  cn-hangzhou) and a shift (cn-hangzhou degraded: scale-ups that wait for readiness, then the mesh change), with a');
  out.push("  persistent SQLite state file. Their step boundaries are the requests that carry a step's effect: each");
  out.push('  scale PATCH, the first readiness read of each Deployment, each UpdateMeshFeature. For every boundary k the child is');
  out.push('  SIGKILLed there (`after`: the twin applied the request and the process never heard back, so the journal does not');
  out.push('  know; `before`: the request never reached the twin), then fresh processes tick on a clock moved past the lease and');
  out.push('  the scale-down delay until the plan is done. Each run must end `done`, set each Deployment to the same replica counts');
  out.push('  in the same order as an undisturbed drain (a repeat of the same count is an idempotent re-send, counted but not an');
  out.push('  effect), apply the same mesh configs, and end in the same replicas and live mesh config.');
  out.push('- **Audit store failing during a drain** (`test/reliability/audit-fault.ts`, check `audit`). Every audit append');
  out.push('  (`appendEvents`) fails as SQLite fails it (disk full: SQLITE_FULL; a busy table: SQLITE_BUSY past the timeout, through');
  out.push("  the adapter's own error mapping) while the state row still commits. A CMS alarm for cn-hangzhou (an urgent drain), three");
  out.push('  ticks a minute apart, then a signed pause: the alarm is answered 200, every scale-up is done, UpdateMeshFeature is');
  out.push('  applied once per mesh step, the plan did not fail, and pause is answered 2xx.');
  out.push('- **Forged timer ticks and replay** (`test/reliability/replay.ts`, check `replay`). A signed `GET /v1/status` is');
  out.push('  answered, then refused when replayed. Scheduler events with a forged `triggerTime` (more than a year ahead, a day');
  out.push('  further each) follow, the captured request replayed after every 50th: it must be refused every time.');
  out.push('- **Stale and out-of-order alarms** (`test/reliability/stale.ts`). Through the alarm function with a pinned clock: an OK');
  out.push('  (or Alertmanager resolve) older than the active ALERT, an ALERT 30 days old, an ALERT a year ahead, from CMS callbacks,');
  out.push('  Alertmanager and CMS EventBridge events. None may change the state (answered 2xx, so the source does not retry).');
  out.push('  Two cases judge the alarm itself: the same ALERT re-sent after its OK (ALERT t-60 s → OK t-5 s → ALERT t-60 s) must');
  out.push("  leave it resolved, and an OK on cn-shanghai's callback URL must not clear an alarm placed in cn-hangzhou.", '');
  out.push('## Running it', '');
  out.push(
    '```sh',
    'npm run test:reliability',
    'RELIABILITY_CHECKS=fuzz-matched,stale npm run test:reliability   # a subset (one check while developing)',
    'npm run reliability:publish   # the full suite, written to docs/reliability.md',
    '```',
    '',
  );
  out.push('| variable | default (CI) | what |', '|---|---|---|');
  out.push(
    '| `RELIABILITY_CHECKS` | `fuzz,fuzz-matched,storm,resolve,kill,audit,replay,stale` | which checks run (an unknown name is an error) |',
  );
  out.push('| `RELIABILITY_SEED` | `20260303` | fuzz seed (the same seed gives the same payloads) |');
  out.push('| `RELIABILITY_FUZZ_PAYLOADS` | `2400` | fuzz payloads |');
  out.push('| `RELIABILITY_FUZZ_MATCHED` | `240` | matching payloads with a spoilt field |');
  out.push('| `RELIABILITY_FUZZ_HUGE_BYTES`, `RELIABILITY_FUZZ_DEPTH` | `2097152`, `5000` | size of a huge field, depth of a nested one |');
  out.push('| `RELIABILITY_STORM_ALARMS` | `10000` | alarms per storm |');
  out.push('| `RELIABILITY_STORM_PROCESSES` | `4` | posting processes |');
  out.push('| `RELIABILITY_STORM_DISTINCT_EVERY` | `50` | every n-th alarm is distinct |');
  out.push('| `RELIABILITY_STORM_CONCURRENCY` | `8` | requests in flight per process |');
  out.push('| `RELIABILITY_STORM_BACKENDS` | `sqlite,tablestore` | state stores to storm |');
  out.push(
    '| `RELIABILITY_RESOLVE_PAIRS`, `RELIABILITY_RESOLVE_CLIENTS` | `160`, `16` | ALERT/OK pairs and concurrent clients of the resolve storm |',
  );
  out.push('| `RELIABILITY_REPLAY_TICKS` | `300` | forged timer ticks (the captured request is replayed after every 50th and the last) |');
  out.push('| `RELIABILITY_KILL_MODES` | `after` | `after`, `before` or both (`after,before` doubles the runs) |');
  out.push('| `RELIABILITY_KILL_SCENARIOS` | `down,degraded` | plans to kill: an urgent drain, and a shift that waits for readiness |');
  out.push('| `RELIABILITY_KILL_BOUNDARIES` | (all) | only these boundaries, e.g. `1,5` (a quick local run) |');
  out.push(
    '| `RELIABILITY_REPORT` | `.regionshift/reliability.md` | where to write the figures (`none`: nowhere; `reliability:publish` sets `docs/reliability.md`) |',
    '',
  );
  out.push(
    'The alarm callback URL the suite posts to comes from one helper, `alarmCallbackUrl` in `test/reliability/entry-points.ts`.',
    '',
  );
  out.push('## The commit budget under contention', '');
  out.push('`npm run bench:commits` (`bench/commit-attempts.ts`, not part of `npm test`) measures the compare-and-set attempts');
  out.push("one alarm's decision takes while N sender processes (each its own runtime and store connection, as N function");
  out.push('instances) commit distinct alarms back to back on one state, on SQLite and on the Tablestore twin, against 1 sender in');
  out.push('the same run: p50, p99 and max pooled over several seeds, the spread of p99 and max across seeds, and the alarms that');
  out.push("ran out of the engine's 20 attempts (answered 503 STATE.BUSY; CMS then retries them, which the storm models).");
  out.push('`BENCH_SENDERS`, `BENCH_ALARMS`, `BENCH_SEEDS`, `BENCH_BACKENDS` set its size. Its figures depend on the machine and');
  out.push('its load, so they are printed, not kept on this page.', '');
  out.push('## Figures of the last run', '');
  out.push(
    `Settings: checks ${c.checks.join(', ')}; seed ${c.seed}; ${c.fuzzPayloads} fuzz payloads, ${c.matchedPayloads} matching; resolve storm ${c.resolvePairs} pairs from ${c.resolveClients} clients; ${c.replayTicks} forged ticks; storm ${c.stormAlarms} alarms from ${c.stormProcesses} processes, every ${c.stormDistinctEvery}th distinct, ${c.stormConcurrency} in flight each, on ${c.stormBackends.join(' and ')}; kill modes ${c.killModes.join(', ')}.`,
    '',
  );
  out.push(`**${failed.length ? `${failed.length} of ${rows.length} checks failed` : `All ${rows.length} checks passed`}.**`, '');
  out.push('| | check | figure | want | notes |', '|---|---|---|---|---|');
  for (const r of rows)
    out.push(`| ${r.ok ? 'pass' : '**FAIL**'} | ${cell(r.check)} | ${cell(r.figure)} | ${cell(r.expected)} | ${cell(r.note)} |`);
  out.push('');
  if (x.fuzz) {
    out.push('### Fuzz: payloads per entry point and answers', '');
    out.push('| entry point | payloads |', '|---|---|');
    for (const [t, n] of Object.entries(x.fuzz.byTarget).sort()) out.push(`| ${cell(t)} | ${n} |`);
    out.push(
      '',
      `Answers: ${Object.entries(x.fuzz.statuses)
        .sort()
        .map(([s, n]) => `${s} × ${n}`)
        .join(', ')}.`,
      '',
    );
    if (x.fuzz.failures.length) {
      out.push(
        'Failing payloads (first of each kind):',
        '',
        '| entry point | spoilt by | request | answer | problem |',
        '|---|---|---|---|---|',
      );
      const seen = new Set<string>();
      for (const f of x.fuzz.failures) {
        const key = `${f.target}|${f.mutation}|${f.problem}`;
        if (seen.has(key) || seen.size >= 40) continue;
        seen.add(key);
        out.push(
          `| ${cell(f.target)} | ${f.mutation} | \`${cell(`${f.method} ${f.url}`).slice(0, 80)}\` | ${f.status} | ${cell(f.problem)} |`,
        );
      }
      out.push('');
    }
  }
  if (x.storms.length) {
    out.push(
      '### Storm',
      '',
      '| state | alarms | processes | distinct | non-200 | lost | lapsed by cap | transitions | doubled | mesh plans | mesh applies | time |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const s of x.storms)
      out.push(
        `| ${s.backend} | ${s.alarms} | ${s.processes} | ${s.distinct} | ${s.non200} | ${s.lostSignals} | ${s.lapsedByCap} | ${s.transitions} | ${s.doubleTransitions} | ${s.meshPlans} | ${s.meshApplies} | ${(s.wallMs / 1000).toFixed(1)} s |`,
      );
    out.push('');
  }
  if (x.kill) {
    out.push(
      '### kill -9 runs',
      '',
      '| plan | boundary | step effect | mode | killed | resumed | effects once | same end | processes | re-sent |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const k of x.kill.cases)
      out.push(
        `| ${k.scenario} | ${k.boundary} | ${cell(k.label)} | ${k.mode} | ${k.killed ? 'yes' : 'no'} | ${k.resumed ? 'yes' : '**no**'} | ${k.once ? 'yes' : '**no**'} | ${k.sameEnd ? 'yes' : '**no**'} | ${k.processes} | ${k.resent} |`,
      );
    out.push('');
  }
  if (x.matched?.failures.length) {
    out.push(
      '### Fuzz, matching payloads: failing payloads (first of each kind)',
      '',
      '| spoilt | value | answer | problem |',
      '|---|---|---|---|',
    );
    const seen = new Set<string>();
    for (const f of x.matched.failures) {
      const key = `${f.spoil}|${f.value}|${f.problem.replace(/fm-\d+/g, '')}`;
      if (seen.has(key) || seen.size >= 30) continue;
      seen.add(key);
      out.push(`| ${f.spoil} | \`${cell(JSON.stringify(f.value))}\` | ${f.status} | ${cell(f.problem)} |`);
    }
    out.push('');
  }
  if (x.resolve) {
    const r = x.resolve;
    out.push(
      '### Resolve storm',
      '',
      '| pairs | messages | duplicates | clients | non-200 | OK delivered | resolved left active | never resolved | of those missing | lapsed by cap | time |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    out.push(
      `| ${r.pairs} | ${r.messages} | ${r.duplicates} | ${r.clients} | ${r.non200} | ${r.okDelivered} | ${r.resolvedLeftActive} | ${r.unresolved} | ${r.unresolvedMissing} | ${r.unresolvedLapsed} | ${(r.wallMs / 1000).toFixed(1)} s |`,
      '',
    );
  }
  if (x.audit) {
    out.push(
      '### Audit store failing during a drain',
      '',
      '| fault | appends failed | alarm | scale-ups done | mesh applies / steps | plan | ticks | pause |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const a of x.audit)
      out.push(
        `| ${a.fault} | ${a.appendsFailed} | ${a.alarmStatus} | ${a.scaleUpsDone}/${a.scaleUps} | ${a.meshApplies}/${a.meshSteps} | ${a.planStatus} | ${a.tickStatuses.join(', ')} | ${a.pauseStatus} |`,
      );
    out.push('');
  }
  if (x.replay) {
    const r = x.replay;
    out.push(
      '### Forged timer ticks and replay',
      '',
      `Signed request answered ${r.firstStatus}, its replay ${r.replayBefore}; then ${r.ticks} forged ticks (answered ${Object.entries(
        r.tickStatuses,
      )
        .map(([s, n]) => `${s} × ${n}`)
        .join(
          ', ',
        )}): ${r.acceptedAfter === null ? 'the replay was refused after every one' : `the replay was **accepted** (${r.acceptedStatus}) after tick ${r.acceptedAfter}`}.`,
      '',
    );
  }
  if (x.stale) {
    out.push('### Stale and out-of-order alarms', '', '| case | source | answer | state |', '|---|---|---|---|');
    for (const s of x.stale)
      out.push(
        `| ${cell(s.name)} | ${s.source} | ${s.status} | ${s.figure ? `${s.ok ? '' : '**'}${cell(s.figure.replace(/^\d+, /, ''))}${s.ok ? '' : '**'}` : s.changedState ? '**changed**' : 'unchanged'} |`,
      );
    out.push('');
  }
  return out.join('\n');
}
