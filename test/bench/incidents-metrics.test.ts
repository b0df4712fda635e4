import { VirtualClock } from '../../bench/incidents/virtual-clock';
import { summarize, type SecondSample } from '../../bench/incidents/run';
import { ratio, mitigateTable, againstStaticTuned, staticTunedSection } from '../../bench/incidents/report';
import {
  incidents,
  rampRates,
  controlPlaneDownPhases,
  BOTH_DEGRADED,
  bothDegradedId,
  CONTROL_PLANE_DOWN_MS,
  CONTROL_PLANE_DOWN_REGION_MS,
  FAULT_AT_MS,
  FULL_TIMING,
  QUICK_TIMING,
  RAMP_STEP_MS,
  TEMPLATE_SILENCE_MS,
  type Incident,
} from '../../bench/incidents/incidents';

describe('VirtualClock', () => {
  test('a sleep resolves only when time is advanced past it, sleepers in wake order', async () => {
    const clock = new VirtualClock(1000);
    const woke: string[] = [];
    void clock.sleep(500).then(() => woke.push(`a@${clock.now()}`));
    void clock.sleep(100).then(() => woke.push(`b@${clock.now()}`));
    await new Promise((r) => setTimeout(r, 20));
    expect(woke).toEqual([]);
    expect(clock.nextWake()).toBe(1100);
    clock.advanceTo(1100);
    await Promise.resolve();
    expect(woke).toEqual(['b@1100']);
    clock.advanceTo(2000);
    await Promise.resolve();
    expect(woke).toEqual(['b@1100', 'a@2000']);
    expect(() => clock.advanceTo(1999)).toThrow(/backwards/);
  });
});

const incidentFor = (faultEnd: number | null): Incident => ({
  id: 'x',
  title: 'x',
  script: '',
  start: 0,
  faultStart: 10_000,
  faultEnd,
  runMs: 200_000,
  events: [],
});
const sample = (t: number, failed: number, local = 10): SecondSample => ({
  t: t * 1000,
  requests: 10,
  failed,
  overSlo: 0,
  hops: 10,
  localHops: local,
  crossHops: 10 - local,
});

describe('incident figures', () => {
  test('time to mitigate: first 60-s window under 1% errors after the fault; time to restore: back to local routing for good', () => {
    const samples = Array.from({ length: 200 }, (_, t) => {
      if (t >= 10 && t < 25) return sample(t, 10, 0); // failing, then drained
      if (t >= 25 && t < 100) return sample(t, 0, 0); // drained, no errors
      return sample(t, 0);
    });
    const r = summarize(incidentFor(40_000), 'rs', samples, 3, 2, []);
    expect(r.failed).toBe(150);
    expect(r.mitigateS).toBe(15);
    expect(r.restoreS).toBe(60); // the fault ended at 40 s; local again from 100 s
    expect(r.baselineLocalShare).toBe(1);
    // Never back to normal within the run: no restore figure.
    const stuck = summarize(
      incidentFor(40_000),
      'rs',
      samples.map((s, t) => (t >= 100 ? sample(t, 0, 0) : s)),
      0,
      0,
      [],
    );
    expect(stuck.restoreS).toBeNull();
  });

  test("time to mitigate in both forms: issue #20's 10 s of onset and against the detection (+ one push)", () => {
    // Every request fails from the fault (10 s) to 44 s: the first clean 60-s window starts 34 s in.
    const base = summarize(
      incidentFor(40_000),
      'regionshift',
      Array.from({ length: 200 }, (_, t) => sample(t, t >= 10 && t < 44 ? 10 : 0)),
      1,
      0,
      [],
      35,
    );
    expect(base.detectS).toBe(35);
    expect(base.mitigateS).toBe(34);
    const table = mitigateTable([
      { ...base, incident: 'partial-5xx' },
      { ...base, incident: 'hard-down', strategy: 'regionshift', failed: 0 },
    ]);
    const row = table.split('\n').find((l) => l.startsWith('| partial-5xx | regionshift |')) as string;
    expect(row).toBeDefined();
    // 34 s after the fault: over the 10 s goal, within 35 s + 1.5 s of the detection.
    expect(row.split('|').map((c) => c.trim())).toEqual([
      '',
      'partial-5xx',
      'regionshift',
      '35 s',
      '34 s',
      'before it (1 s)',
      '**no**',
      'yes',
      '',
    ]);
    // An incident regionshift failed nothing in has nothing to mitigate: no row.
    expect(table).not.toMatch(/\| hard-down \|/);
    // Nothing detected: the relative form cannot hold.
    const blind = mitigateTable([{ ...base, incident: 'partial-5xx', detectS: null }]);
    expect(blind).toMatch(/\*\*no\*\* \(nothing detected\)/);
  });

  test('ratio to the best other strategy', () => {
    expect(ratio(5, 10)).toBe('0.50');
    expect(ratio(0, 0)).toBe('1 (both 0)');
    expect(ratio(3, 0)).toMatch(/∞/);
  });
});

describe('lab seams the benchmark uses', () => {
  test('labPolicyYaml without the lab periods keeps the policy as written (plus the overrides)', async () => {
    const { labPolicyYaml } = await import('../../lab/world');
    const { parse } = await import('yaml');
    const own = parse(labPolicyYaml('examples/bookinfo.yaml', { detection: { quorum: 2 } }, false)) as Record<
      string,
      Record<string, unknown>
    >;
    expect(own.recovery).toBeUndefined();
    expect(own.safety).toBeUndefined();
    expect(own.detection?.quorum).toBe(2);
    expect((own.detection?.rules as unknown[]).length).toBeGreaterThan(0);
    const lab = parse(labPolicyYaml('examples/bookinfo.yaml')) as Record<string, Record<string, unknown>>;
    expect(lab.recovery).toMatchObject({ holdFor: '20s' });
  });
});

describe('the incidents issue #17 adds', () => {
  test("brown-out ramp: a triangle 0 → 60 % → 0 in 30-s steps, each step a rate the lab's error-rate fault accepts", () => {
    const full = rampRates(FULL_TIMING.faultMs);
    expect(full).toHaveLength(20); // 10 min in 30-s steps: 5 min up, 5 min down
    expect(full.slice(0, 10)).toEqual([...full.slice(10)].reverse());
    expect(full[0]).toBeCloseTo(0.03);
    expect(Math.max(...full)).toBeCloseTo(0.57);
    for (let k = 1; k < 10; k++) expect(full[k] as number).toBeGreaterThan(full[k - 1] as number);
    for (const r of full) expect(r > 0 && r <= 1).toBe(true);
    expect(rampRates(QUICK_TIMING.faultMs)).toEqual([0.1, 0.3, 0.5, 0.5, 0.3, 0.1]);
    const ramp = incidents(FULL_TIMING).find((i) => i.id === 'brownout-ramp') as Incident;
    // One replacement per step and the clear: the fault ends when the last step does.
    expect(ramp.events).toHaveLength(21);
    expect(ramp.faultEnd).toBe(ramp.faultStart + 20 * RAMP_STEP_MS);
  });

  test('both-degraded incidents in both orders, the ramp, the gray version and the storm are in the full run', () => {
    const ids = incidents(FULL_TIMING).map((i) => i.id);
    for (const [hz, sh] of BOTH_DEGRADED) expect(ids).toContain(bothDegradedId(hz, sh));
    expect(BOTH_DEGRADED.some(([hz, sh]) => hz > sh)).toBe(true);
    expect(BOTH_DEGRADED.some(([hz, sh]) => hz < sh)).toBe(true);
    expect(ids).toEqual(expect.arrayContaining(['brownout-ramp', 'gray-version', 'storm-during-recovery']));
    expect(new Set(ids).size).toBe(ids.length);
    const storm = incidents(QUICK_TIMING).find((i) => i.id === 'storm-during-recovery') as Incident;
    // The storm (6 min from 5 min after the fault clears) fits in the run, whatever the timing.
    expect(storm.runMs).toBeGreaterThanOrEqual((storm.faultEnd as number) + 11 * 60_000);
  });

  test('regionshift against static-tuned: wins, ties and losses by failed requests, per incident', () => {
    const r = (incident: string, strategy: string, failed: number) => ({
      ...summarize(incidentFor(null), strategy, [], 0, 0, []),
      incident,
      failed,
    });
    const results = [
      r('a', 'regionshift', 5),
      r('a', 'static-tuned', 9),
      r('b', 'regionshift', 0),
      r('b', 'static-tuned', 0),
      r('c', 'regionshift', 4819),
      r('c', 'static-tuned', 3513),
      r('d', 'static', 1),
    ];
    expect(againstStaticTuned(results)).toEqual([
      { incident: 'a', regionshift: 5, staticTuned: 9, verdict: 'wins' },
      { incident: 'b', regionshift: 0, staticTuned: 0, verdict: 'ties' },
      { incident: 'c', regionshift: 4819, staticTuned: 3513, verdict: 'loses' },
    ]);
    const text = staticTunedSection(results);
    expect(text).toMatch(/\| c \| 4819 \| 3513 \| \*\*loses\*\* \|/);
    expect(text).toMatch(/Wins 1, ties 1 \(b\), loses 1 \(c\)/);
  });
});

describe('control-plane-down incident', () => {
  test('the control plane goes a minute before the region and returns 9 min into the fault; the run outlasts the SilenceTime repeat', () => {
    const i = incidents(QUICK_TIMING).find((x) => x.id === 'control-plane-down') as Incident;
    expect(i.labOptions).toEqual({ cmsSilenceMs: TEMPLATE_SILENCE_MS, cmsReconcile: true });
    // The baseline: the same script, without reading CMS's alerting state back.
    const baseline = incidents(QUICK_TIMING).find((x) => x.id === 'control-plane-down-callbacks-only') as Incident;
    expect(baseline.labOptions).toEqual({ cmsSilenceMs: TEMPLATE_SILENCE_MS, cmsReconcile: false });
    expect(baseline.events.map((e) => e.at)).toEqual(i.events.map((e) => e.at));
    expect(i.events.map((e) => e.at - i.faultStart)).toEqual([-60_000, 0, CONTROL_PLANE_DOWN_MS - 60_000, CONTROL_PLANE_DOWN_REGION_MS]);
    expect(i.faultEnd).toBe(FAULT_AT_MS + CONTROL_PLANE_DOWN_REGION_MS);
    // The first ALERT is lost about 145 s into the fault (60-s periods × 2): its repeat falls inside the fault.
    expect(i.faultStart + 145_000 + TEMPLATE_SILENCE_MS).toBeLessThan(i.faultEnd as number);
  });

  test("phases split the per-second samples at the control plane's return, the detection and the fault's end", () => {
    const samples = Array.from({ length: (FAULT_AT_MS + CONTROL_PLANE_DOWN_REGION_MS) / 1000 + 60 }, (_, k) => ({
      t: k * 1000,
      requests: 10,
      failed: k * 1000 >= FAULT_AT_MS && k * 1000 < FAULT_AT_MS + 600_000 ? 1 : 0,
    }));
    const phases = controlPlaneDownPhases(samples, 900);
    expect(phases.map((p) => [p.fromS, p.toS, p.requests, p.failed])).toEqual([
      [-FAULT_AT_MS / 1000, 0, FAULT_AT_MS / 100, 0],
      [0, 540, 5400, 540],
      [540, 900, 3600, 60],
      [900, 4200, 33000, 0],
      [4200, 4260, 600, 0],
    ]);
    expect(phases[1]?.failedPct).toBe(10);
    // Nothing detected: the whole fault after the return is "before detection".
    expect(controlPlaneDownPhases(samples, null)[2]?.toS).toBe(4200);
  });
});
