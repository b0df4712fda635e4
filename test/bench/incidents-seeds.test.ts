import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { summarize, type RunResult } from '../../bench/incidents/run';
import { againstStaticTuned, cellsOf, incidentSection, mediansOf, staticTunedSection } from '../../bench/incidents/report';
import { seedsFrom, runBenchmark } from '../../bench/incidents/benchmark';
import { alarmAfterMs, cmsTiming, readTopology, withCmsTiming } from '../../bench/incidents/cms';
import { incidents, FULL_TIMING, GRAY_RATE, GRAY_VERSION, NOISE_RATES, REGION, type Incident } from '../../bench/incidents/incidents';
import { STRATEGIES, TELEMETRY_LAB_OPTIONS } from '../../bench/incidents/strategies';
import { entryBytes, telemetryCost, SAMPLE_ENTRY, FC_CU_PER_10K_INVOCATIONS, FC_CU } from '../../bench/incidents/telemetry-cost';

const incidentFor = (): Incident => ({
  id: 'x',
  title: 'x',
  script: '',
  start: 0,
  faultStart: 10_000,
  faultEnd: null,
  runMs: 200_000,
  events: [],
});
const run = (incident: string, strategy: string, seed: number, failed: number, extra: Partial<RunResult> = {}): RunResult => ({
  ...summarize(incidentFor(), strategy, [], 0, 0, [], null, seed),
  incident,
  failed,
  ...extra,
});

describe('seeds: median and min–max per incident × strategy', () => {
  test('each figure is the median over the seeds; a time that never came counts as later than any', () => {
    const cells = cellsOf([
      run('p', 'regionshift', 7, 978, { detectS: 175, mitigateS: 174 }),
      run('p', 'regionshift', 1, 60, { detectS: 145, mitigateS: null }),
      run('p', 'regionshift', 2, 100, { detectS: 145, mitigateS: null }),
      run('p', 'static-tuned', 7, 900),
    ]);
    const rs = cells.find((c) => c.strategy === 'regionshift');
    expect(rs?.runs.map((r) => r.seed)).toEqual([7, 1, 2]);
    expect(rs?.median.failed).toBe(100);
    expect(rs?.median.detectS).toBe(145);
    // Two of three seeds never mitigated: the median never did either.
    expect(rs?.median.mitigateS).toBeNull();
    // The chart's run is the one with the median failed count.
    expect(rs?.median.seed).toBe(2);
    expect(cellsOf([run('p', 'a', 1, 10), run('p', 'a', 2, 20)])[0]?.median.failed).toBe(15);
  });

  test('the comparison against static-tuned reads the medians, not one seed', () => {
    // Seed 7 alone would say "loses" (978 > 900); the median (100) wins.
    const results = [
      run('p', 'regionshift', 7, 978),
      run('p', 'regionshift', 1, 60),
      run('p', 'regionshift', 2, 100),
      ...[7, 1, 2].map((s) => run('p', 'static-tuned', s, 900)),
    ];
    expect(againstStaticTuned(results)).toEqual([{ incident: 'p', regionshift: 100, staticTuned: 900, verdict: 'wins' }]);
    const text = staticTunedSection(results);
    expect(text).toMatch(/\| p \| 100 \(60–978\) \| 900 \| wins \| 1 of 3 \|/);
    expect(text).toMatch(/on the medians/);
    expect(mediansOf(results)).toHaveLength(2);
  });

  test('the incident table shows median (min–max) and says the row that cannot run yet is not available', () => {
    const inc = incidents(FULL_TIMING).find((i) => i.id === 'partial-5xx') as Incident;
    const text = incidentSection(
      inc,
      STRATEGIES.filter((s) => ['static-tuned', 'regionshift', 'regionshift+telemetry'].includes(s.id)),
      [
        run('partial-5xx', 'regionshift', 7, 978),
        run('partial-5xx', 'regionshift', 1, 60),
        run('partial-5xx', 'regionshift', 2, 100),
        ...[7, 1, 2].map((s) => run('partial-5xx', 'static-tuned', s, 900)),
      ],
    );
    expect(text).toMatch(/\| regionshift \| 100 \(60–978\) \/ 0 \|/);
    expect(text).toMatch(/\| static-tuned \| 900 \/ 0 \|/);
    if (TELEMETRY_LAB_OPTIONS === null) expect(text).toMatch(/\| regionshift\+telemetry \| not available/);
    expect(text).toMatch(/median over 3 seeds \(7, 1, 2\)/);
  });

  test('--seeds=N takes the first N of 7, 1, 2, 3, …; --seed= lists them; nonsense is refused', () => {
    expect(seedsFrom([])).toEqual([7, 1, 2]);
    expect(seedsFrom(['--seeds=5'])).toEqual([7, 1, 2, 3, 4]);
    expect(seedsFrom(['--seeds=1'])).toEqual([7]);
    expect(seedsFrom(['--seed=3,11'])).toEqual([3, 11]);
    expect(() => seedsFrom(['--seeds=0'])).toThrow(/--seeds/);
    expect(() => seedsFrom(['--seed=a'])).toThrow(/--seed/);
  });

  test('a strategy that is not available is not run (and nothing is started for it)', async () => {
    const unavailable = {
      id: 'later',
      title: 'later',
      labOptions: {},
      unavailable: 'not yet',
      attach: () => {
        throw new Error('must not attach');
      },
    };
    const lines: string[] = [];
    const results = await runBenchmark([incidentFor()], [unavailable], { progress: (l) => lines.push(l) });
    expect(results).toEqual([]);
    expect(lines).toEqual(['x × later: not available (not yet)']);
  });
});

describe('CMS timing', () => {
  test("documented: the templates' Period and Times (60 s; 5xx × 2, latency × 3); the 10-s variant is 10 s × 3", () => {
    expect(cmsTiming('documented')).toEqual({ errorRatio: { periodMs: 60_000, periods: 2 }, latency: { periodMs: 60_000, periods: 3 } });
    expect(cmsTiming('10s')).toEqual({ errorRatio: { periodMs: 10_000, periods: 3 }, latency: { periodMs: 10_000, periods: 3 } });
  });

  test('read from the templates file, not typed: a template with other Times gives other periods', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rs-cms-'));
    const doc = JSON.parse(readFileSync('infra/cms/alarm-templates.json', 'utf8')) as { rules: Array<Record<string, string>> };
    for (const r of doc.rules) {
      if (r.MetricName === 'UpstreamCode5xx') {
        r.Period = '300';
        r['Escalations.Critical.Times'] = '4';
        r['Escalations.Warn.Times'] = '5';
      }
    }
    const file = path.join(dir, 't.json');
    writeFileSync(file, JSON.stringify(doc));
    expect(cmsTiming('documented', file).errorRatio).toEqual({ periodMs: 300_000, periods: 4 });
  });

  test("the topology's CMS rules take the timing; the readiness rules keep their own period", () => {
    const doc = withCmsTiming(readTopology(), cmsTiming('documented'));
    const alarms = doc.alarms ?? [];
    expect(alarms.filter((a) => a.kind === 'error-ratio').every((a) => a.period === '60s' && a.periods === 2)).toBe(true);
    expect(alarms.filter((a) => a.kind === 'latency').every((a) => a.period === '60s' && a.periods === 3)).toBe(true);
    expect(alarms.filter((a) => a.kind === 'ready-replicas-zero').map((a) => a.period)).toEqual(['5s', '5s']);
    // A fault 35 s into a minute: the rest of that period, then 2 whole ones (145 s); at 10-s periods, 5 + 30.
    expect(alarmAfterMs(cmsTiming('documented').errorRatio, 35_000)).toBe(145_000);
    expect(alarmAfterMs(cmsTiming('10s').errorRatio, 5_000)).toBe(35_000);
  });
});

describe('the incidents issue #20 adds', () => {
  const list = incidents(FULL_TIMING);
  test('gray failure: a second reviews version beside v1 in cn-hangzhou, 30% 5xx on its pods only', () => {
    const gray = list.find((i) => i.id === 'gray-version') as Incident;
    const doc = gray.topology?.(readTopology());
    const reviews = (doc?.deployments ?? []).filter((d) => d.service === 'reviews' && d.cluster === 'c-hangzhou');
    expect(reviews.map((d) => d.version).sort()).toEqual(['v1', GRAY_VERSION]);
    expect(new Set(reviews.map((d) => d.replicas)).size).toBe(1); // half of the region's reviews pods
    const faults = new Map<string, string[]>();
    const injected: unknown[] = [];
    void gray.events[0]?.run({
      lab: {
        faults: {
          inject: (s: unknown) => {
            injected.push(s);
            return { id: 'f1' };
          },
        },
      },
      faults,
    } as never);
    expect(injected).toEqual([{ kind: 'error-rate', region: REGION, service: 'reviews', rate: GRAY_RATE, version: GRAY_VERSION }]);
  });

  test('noise: every service of both regions at 1–2% for an hour, nothing else', () => {
    const noise = list.find((i) => i.id === 'noise') as Incident;
    expect((noise.faultEnd as number) - noise.faultStart).toBe(3_600_000);
    const injected: Array<{ region: string; service: string; rate: number }> = [];
    void noise.events[0]?.run({
      lab: {
        faults: {
          inject: (s: { region: string; service: string; rate: number }) => {
            injected.push(s);
            return { id: `f${injected.length}` };
          },
        },
      },
      faults: new Map(),
    } as never);
    const services = readTopology().services as Array<{ name: string }>;
    expect(injected).toHaveLength(2 * services.length);
    for (const f of injected) expect(f.rate >= 0.01 && f.rate <= 0.02).toBe(true);
    expect(Object.keys(NOISE_RATES).sort()).toEqual(['cn-hangzhou', 'cn-shanghai']);
  });
});

describe('telemetry cost', () => {
  const base = { requestsPerS: 40, entriesPerRequest: 4.5, intervalS: 3, shards: 2, vcpu: 0.35, memoryGb: 0.5, durationS: 0.2 };
  test('an entry in a LogGroup is more than its keys and values; invocations follow the interval and the shards', () => {
    const kv = Object.entries(SAMPLE_ENTRY).reduce((n, [k, v]) => n + k.length + v.length, 0);
    expect(entryBytes()).toBeGreaterThan(kv);
    expect(entryBytes()).toBeLessThan(kv + 8 * Object.keys(SAMPLE_ENTRY).length + 16);
    const c = telemetryCost(base);
    expect(c.invocationsPerMonth).toBe(((30 * 86_400) / 3) * 2);
    expect(telemetryCost({ ...base, intervalS: 6 }).invocationsPerMonth).toBe(c.invocationsPerMonth / 2);
    expect(c.cuPerMonth.invocations).toBeCloseTo((c.invocationsPerMonth / 10_000) * FC_CU_PER_10K_INVOCATIONS);
    expect(c.fcUsd).toBeCloseTo((c.cuPerMonth.invocations + c.cuPerMonth.vcpu + c.cuPerMonth.memory) * FC_CU.usd);
    // Read traffic follows the load; the entries read do not depend on the interval.
    expect(telemetryCost({ ...base, requestsPerS: 80 }).readGbPerMonth).toBeCloseTo(2 * c.readGbPerMonth);
    expect(telemetryCost({ ...base, intervalS: 6 }).readGbPerMonth).toBeCloseTo(c.readGbPerMonth);
    expect(c.totalUsd).toBeCloseTo(c.readUsd + c.fcUsd);
  });
});
