import type { FuzzResult } from './fuzz';
import type { KillResult } from './kill';
import type { StaleCase } from './stale';
import type { StormResult } from './storm';

export interface Row { check: string; figure: string; expected: string; ok: boolean; note: string }

interface Inputs {
  config: { checks: string[]; seed: number; fuzzPayloads: number; stormAlarms: number; stormProcesses: number; stormDistinctEvery: number; stormConcurrency: number; stormBackends: string[]; killModes: string[] };
  storms: StormResult[];
  fuzz: FuzzResult | null;
  kill: KillResult | null;
  stale: StaleCase[] | null;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** docs/reliability.md: what each check does, how to run it, and the figures of the last run (no dates). */
export function renderReport(rows: Row[], x: Inputs): string {
  const c = x.config;
  const failed = rows.filter((r) => !r.ok);
  const out: string[] = [];
  out.push('# Reliability suite', '');
  out.push('`npm run test:reliability` (`tsx test/reliability/run.ts`) runs four checks against the real functions, runtime and');
  out.push('engine, prints the table below and rewrites this file with it; it exits non-zero when a check fails.', '');
  out.push('## What each check does', '');
  out.push('- **Fuzz** (`test/reliability/fuzz.ts`). Payloads generated from one seed (fast-check) against every entry point, found');
  out.push('  from `s.yaml` (each function\'s HTTP, EventBridge and timer triggers, and its direct invocation) and from the control');
  out.push('  router (every route, signed and unsigned), plus the lab API. Each payload is a valid sample spoilt one way: truncated,');
  out.push('  a field of another JSON type, the wrong content type, huge, deeply nested, odd unicode, injection strings, junk. The');
  out.push('  alarm samples name alarms no detection rule matches, so one that stays valid by chance is audited as unmatched and');
  out.push('  still changes nothing. Per payload: no answer ≥ 500, the state row\'s version unchanged, the lab unchanged after a');
  out.push('  rejection, and no alarm token or control secret in the log lines (the functions\' structured log, the host\'s, and');
  out.push('  anything written to stdout/stderr) it caused. Where the hardening contract names an answer (a body over the size');
  out.push('  limit → 413, JSON past the depth limit → 400, unknown or duplicated query parameters → 400, a body without a content');
  out.push('  type → 400), authenticated payloads are held to it.');
  out.push('- **Storm** (`test/reliability/storm.ts`). Several processes, each running the functions from `s.yaml` on its own');
  out.push('  local FC host with the runtime built from the environment, all on one state (one SQLite file; then the Tablestore');
  out.push('  twin over HTTP) and one ASM twin, post their share of the alarms at once: one alarm repeated, and every n-th one');
  out.push('  distinct (its own instance, so its own signal), as CMS form and CMS JSON. Then: every distinct signal is active in');
  out.push('  the state or audited as lapsed by a cap (lost = neither); no region\'s health transition is recorded twice in a row;');
  out.push('  the ASM twin accepted exactly one UpdateMeshFeature per committed plan with a mesh step; no plan is left with an');
  out.push('  unfinished step other than a delayed scale-down; every alarm was answered 200.');
  out.push('- **kill -9** (`test/reliability/kill.ts`). Two plans, each run in a child process against the twins through a');
  out.push('  proxy: a drain (cn-hangzhou down: urgent, so scale-ups in cn-shanghai, the mesh change at once, delayed scale-downs in');
  out.push('  cn-hangzhou) and a shift (cn-hangzhou degraded: scale-ups that wait for readiness, then the mesh change), with a');
  out.push('  persistent SQLite state file. Their step boundaries are the requests that carry a step\'s effect: each');
  out.push('  scale PATCH, the first readiness read of each Deployment, each UpdateMeshFeature. For every boundary k the child is');
  out.push('  SIGKILLed there (`after`: the twin applied the request and the process never heard back, so the journal does not');
  out.push('  know; `before`: the request never reached the twin), then fresh processes tick on a clock moved past the lease and');
  out.push('  the scale-down delay until the plan is done. Each run must end `done`, set each Deployment to the same replica counts');
  out.push('  in the same order as an undisturbed drain (a repeat of the same count is an idempotent re-send, counted but not an');
  out.push('  effect), apply the same mesh configs, and end in the same replicas and live mesh config.');
  out.push('- **Stale and out-of-order alarms** (`test/reliability/stale.ts`). Through the alarm function with a pinned clock: an OK');
  out.push('  (or Alertmanager resolve) older than the active ALERT, an ALERT 30 days old, an ALERT a year ahead, from CMS callbacks,');
  out.push('  Alertmanager and CMS EventBridge events. None may change the state (answered 2xx, so the source does not retry).', '');
  out.push('## Running it', '');
  out.push('```sh', 'npm run test:reliability', 'RELIABILITY_CHECKS=fuzz,stale npm run test:reliability   # a subset', '```', '');
  out.push('| variable | default (CI) | what |', '|---|---|---|');
  out.push('| `RELIABILITY_CHECKS` | `fuzz,storm,kill,stale` | which checks run |');
  out.push('| `RELIABILITY_SEED` | `20260303` | fuzz seed (the same seed gives the same payloads) |');
  out.push('| `RELIABILITY_FUZZ_PAYLOADS` | `2400` | fuzz payloads |');
  out.push('| `RELIABILITY_FUZZ_HUGE_BYTES`, `RELIABILITY_FUZZ_DEPTH` | `2097152`, `5000` | size of a huge field, depth of a nested one |');
  out.push('| `RELIABILITY_STORM_ALARMS` | `10000` | alarms per storm |');
  out.push('| `RELIABILITY_STORM_PROCESSES` | `4` | posting processes |');
  out.push('| `RELIABILITY_STORM_DISTINCT_EVERY` | `50` | every n-th alarm is distinct |');
  out.push('| `RELIABILITY_STORM_CONCURRENCY` | `8` | requests in flight per process |');
  out.push('| `RELIABILITY_STORM_BACKENDS` | `sqlite,tablestore` | state stores to storm |');
  out.push('| `RELIABILITY_KILL_MODES` | `after` | `after`, `before` or both (`after,before` doubles the runs) |');
  out.push('| `RELIABILITY_KILL_SCENARIOS` | `down,degraded` | plans to kill: an urgent drain, and a shift that waits for readiness |');
  out.push('| `RELIABILITY_KILL_BOUNDARIES` | (all) | only these boundaries, e.g. `1,5` (a quick local run) |');
  out.push('| `RELIABILITY_REPORT` | `docs/reliability.md` | where to write this file (`none`: do not) |', '');
  out.push('The alarm callback URL the suite posts to comes from one helper, `alarmCallbackUrl` in `test/reliability/entry-points.ts`.', '');
  out.push('## Figures of the last run', '');
  out.push(`Settings: checks ${c.checks.join(', ')}; seed ${c.seed}; ${c.fuzzPayloads} fuzz payloads; storm ${c.stormAlarms} alarms from ${c.stormProcesses} processes, every ${c.stormDistinctEvery}th distinct, ${c.stormConcurrency} in flight each, on ${c.stormBackends.join(' and ')}; kill modes ${c.killModes.join(', ')}.`, '');
  out.push(`**${failed.length ? `${failed.length} of ${rows.length} checks failed` : `All ${rows.length} checks passed`}.**`, '');
  out.push('| | check | figure | want | notes |', '|---|---|---|---|---|');
  for (const r of rows) out.push(`| ${r.ok ? 'pass' : '**FAIL**'} | ${cell(r.check)} | ${cell(r.figure)} | ${cell(r.expected)} | ${cell(r.note)} |`);
  out.push('');
  if (x.fuzz) {
    out.push('### Fuzz: payloads per entry point and answers', '');
    out.push('| entry point | payloads |', '|---|---|');
    for (const [t, n] of Object.entries(x.fuzz.byTarget).sort()) out.push(`| ${cell(t)} | ${n} |`);
    out.push('', `Answers: ${Object.entries(x.fuzz.statuses).sort().map(([s, n]) => `${s} × ${n}`).join(', ')}.`, '');
    if (x.fuzz.failures.length) {
      out.push('Failing payloads (first of each kind):', '', '| entry point | spoilt by | request | answer | problem |', '|---|---|---|---|---|');
      const seen = new Set<string>();
      for (const f of x.fuzz.failures) {
        const key = `${f.target}|${f.mutation}|${f.problem}`;
        if (seen.has(key) || seen.size >= 40) continue;
        seen.add(key);
        out.push(`| ${cell(f.target)} | ${f.mutation} | \`${cell(`${f.method} ${f.url}`).slice(0, 80)}\` | ${f.status} | ${cell(f.problem)} |`);
      }
      out.push('');
    }
  }
  if (x.storms.length) {
    out.push('### Storm', '', '| state | alarms | processes | distinct | non-200 | lost | lapsed by cap | transitions | doubled | mesh plans | mesh applies | time |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const s of x.storms) out.push(`| ${s.backend} | ${s.alarms} | ${s.processes} | ${s.distinct} | ${s.non200} | ${s.lostSignals} | ${s.lapsedByCap} | ${s.transitions} | ${s.doubleTransitions} | ${s.meshPlans} | ${s.meshApplies} | ${(s.wallMs / 1000).toFixed(1)} s |`);
    out.push('');
  }
  if (x.kill) {
    out.push('### kill -9 runs', '', '| plan | boundary | step effect | mode | killed | resumed | effects once | same end | processes | re-sent |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const k of x.kill.cases) out.push(`| ${k.scenario} | ${k.boundary} | ${cell(k.label)} | ${k.mode} | ${k.killed ? 'yes' : 'no'} | ${k.resumed ? 'yes' : '**no**'} | ${k.once ? 'yes' : '**no**'} | ${k.sameEnd ? 'yes' : '**no**'} | ${k.processes} | ${k.resent} |`);
    out.push('');
  }
  if (x.stale) {
    out.push('### Stale and out-of-order alarms', '', '| case | source | answer | state |', '|---|---|---|---|');
    for (const s of x.stale) out.push(`| ${s.name} | ${s.source} | ${s.status} | ${s.changedState ? '**changed**' : 'unchanged'} |`);
    out.push('');
  }
  return out.join('\n');
}
