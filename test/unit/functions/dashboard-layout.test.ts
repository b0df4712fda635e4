import {
  canonical,
  defaultShifting,
  healthHeadline,
  presetValue,
  regionsOf,
  rel,
  sameMatrix,
  scheduleText,
} from '../../../functions/control/dashboard/format';
import {
  confirmLagSeconds,
  HEALTH_LEGEND,
  incidentText,
  incidentWindow,
  latestIncident,
  layoutMarkers,
  markerRows,
  mergedTimes,
  resample,
  stack,
} from '../../../functions/control/dashboard/timeline-layout';
import type { TimelineDecision } from '../../../shared/engine/timeline';

/** The dashboard's pure parts: the window it opens on, marker placement, the legend, the stacked series, the row texts. */

const RH = 'cn-hangzhou';
const RS = 'cn-shanghai';
const MIN = 60_000;
const decision = (at: number, over: Partial<TimelineDecision> = {}): TimelineDecision => ({
  at,
  planId: null,
  actor: 'alarm',
  summary: '',
  explain: [],
  reasons: [],
  refused: [],
  steps: [],
  ...over,
});
const meshDone = (at: number, afterMs: number) => ({
  index: 0,
  kind: 'mesh' as const,
  text: 'mesh',
  status: 'done' as const,
  at: at + afterMs,
  afterMs,
  attempts: 1,
});

describe('latestIncident', () => {
  test('the last run of episodes (sick bands, decisions that acted) closer than the gap; a decision that changed nothing is none', () => {
    const t = {
      health: {
        [RH]: [
          { status: 'HEALTHY' as const, from: 0, to: 100 * MIN },
          { status: 'DOWN' as const, from: 100 * MIN, to: 104 * MIN },
          { status: 'HEALTHY' as const, from: 104 * MIN, to: 300 * MIN },
        ],
      },
      decisions: [
        decision(10 * MIN, { steps: [meshDone(10 * MIN, 3_000)] }), // an earlier incident
        decision(100 * MIN, { steps: [meshDone(100 * MIN, 33_000)] }),
        decision(108 * MIN, { steps: [meshDone(108 * MIN, 2_000)] }), // the restore, 4 min after: the same incident
        decision(200 * MIN), // a tick that did nothing
      ],
    };
    expect(latestIncident(t)).toEqual({ from: 100 * MIN, to: 108 * MIN + 2_000 });
    expect(latestIncident({ health: {}, decisions: [decision(5)] })).toBeNull();
    // The lab's first apply routes traffic for the first time: no incident.
    expect(latestIncident({ health: {}, decisions: [decision(5, { first: true, steps: [meshDone(5, 100)] })] })).toBeNull();
  });

  test('a region still sick runs to the end of the range', () => {
    expect(latestIncident({ health: { [RH]: [{ status: 'DEGRADED', from: 50 * MIN, to: 60 * MIN }] }, decisions: [] })).toEqual({
      from: 50 * MIN,
      to: 60 * MIN,
    });
  });
});

describe('incidentWindow', () => {
  test('a minutes-long incident gets the minimum margin either side, whole seconds', () => {
    expect(incidentWindow({ from: 100 * MIN + 400, to: 104 * MIN }, 500 * MIN)).toEqual({ from: 98 * MIN, to: 106 * MIN });
  });
  test('a long one a quarter of its length; the end never past now', () => {
    expect(incidentWindow({ from: 0, to: 80 * MIN }, 1_000 * MIN)).toEqual({ from: -20 * MIN, to: 100 * MIN });
    expect(incidentWindow({ from: 100 * MIN, to: 104 * MIN }, 105 * MIN)).toEqual({ from: 98 * MIN, to: 105 * MIN });
  });
  test('none without an incident', () => {
    expect(incidentWindow(null, 0)).toBeNull();
  });
});

describe('incidentText', () => {
  test('start, end and length in the unit that reads best', () => {
    const t = (ms: number) => `t${ms / 1000}`;
    expect(incidentText({ from: 0, to: 27_000 }, t)).toBe('t0 – t27 (27 s)');
    expect(incidentText({ from: 0, to: 8 * MIN }, t)).toBe('t0 – t480 (8 min)');
    expect(incidentText({ from: 0, to: 150 * MIN }, t)).toBe('t0 – t9000 (2.5 h)');
  });
});

describe('layoutMarkers', () => {
  test('markers apart share the first row; overlapping ones stack, past the last row a dot', () => {
    // D1 alone; D2..D5 within a few px (the "D3 D D D D7" pile-up); D6 far right.
    const slots = layoutMarkers([10, 200, 203, 206, 209, 400], [24, 24, 24, 24, 24, 24], 3);
    expect(slots.map((s) => s.row)).toEqual([0, 0, 1, 2, null, 0]);
    expect(markerRows(slots)).toBe(3);
  });
  test('no two labelled markers of a row overlap, whatever the input', () => {
    const xs = Array.from({ length: 40 }, (_, i) => (i * 37) % 300).sort((a, b) => a - b);
    const w = 22;
    const slots = layoutMarkers(
      xs,
      xs.map(() => w),
      3,
    );
    for (let r = 0; r < 3; r++) {
      const inRow = xs.filter((_, i) => slots[i]?.row === r);
      for (let i = 1; i < inRow.length; i++) expect((inRow[i] as number) - (inRow[i - 1] as number)).toBeGreaterThanOrEqual(w + 4);
    }
  });
});

describe('series', () => {
  const shares = { at: [0, 10, 60], bySource: { [RH]: { [RH]: [100, 0, 0], [RS]: [0, 100, 100] } } };
  const confirmed = { at: [0, 43, 60], bySource: { [RH]: { [RH]: [100, 0, 0], [RS]: [0, 100, 100] } } };
  test('both step functions on one time axis: the confirmed one still at the old value until it moved', () => {
    const xs = mergedTimes(shares.at, confirmed.at);
    expect(xs).toEqual([0, 10, 43, 60]);
    expect(resample(shares, RH, [RH, RS], xs)).toEqual([
      [100, 0, 0, 0],
      [0, 100, 100, 100],
    ]);
    expect(resample(confirmed, RH, [RH, RS], xs)).toEqual([
      [100, 100, 0, 0],
      [0, 0, 100, 100],
    ]);
    expect(resample(confirmed, 'nowhere', [RH], xs)).toEqual([[0, 0, 0, 0]]);
  });
  test('stacked: each row the running total, the last 100 everywhere', () => {
    expect(
      stack([
        [100, 30],
        [0, 70],
      ]),
    ).toEqual([
      [100, 30],
      [100, 100],
    ]);
  });
  test('the lag between a decision and its mesh step done, in seconds', () => {
    expect(confirmLagSeconds([decision(0, { steps: [meshDone(0, 33_400)] }), decision(1)])).toEqual([33.4, null]);
  });
});

describe('legend and texts', () => {
  test('the legend names every health status the bands draw', () => {
    expect(HEALTH_LEGEND.map((h) => h.status)).toEqual(['HEALTHY', 'DEGRADED', 'DOWN', 'RECOVERING']);
  });
  test('relative times, recovery steps counted from 1', () => {
    expect([rel(5_000), rel(-90_000), rel(-3 * 3_600_000), rel(-3 * 86_400_000)]).toEqual(['in 5s', '2m ago', '3h ago', '3d ago']);
    expect(healthHeadline({ status: 'RECOVERING', step: 1, steps: 3, percent: 25 })).toBe('RECOVERING · step 1/3 (25%)');
    expect(healthHeadline({ status: 'DOWN' })).toBe('DOWN');
  });
  test('shifting only while the default matrix itself differs from what the mesh has', () => {
    const m = { [RH]: { [RH]: 100, [RS]: 0 } };
    expect(sameMatrix(m, { [RH]: { [RH]: 100 } })).toBe(true);
    expect(
      defaultShifting({
        shifting: true,
        matrix: m,
        intended: { matrix: { [RH]: { [RH]: 100 } }, config: { mode: 'failover', localityLbSetting: { failover: [] } } as never, at: '' },
      }),
    ).toBe(false);
    expect(
      defaultShifting({
        shifting: true,
        matrix: m,
        intended: { matrix: { [RH]: { [RS]: 100 } }, config: { mode: 'distribute' } as never, at: '' },
      }),
    ).toBe(true);
  });
  test('regions: health first, then any a matrix names', () => {
    expect(
      regionsOf({ health: { [RH]: { status: 'HEALTHY', since: null, causes: [] } }, matrix: { [RH]: { 'cn-beijing': 10, [RH]: 90 } } }),
    ).toEqual([RH, 'cn-beijing']);
  });
  test('a schedule banner says the schedule sets the target, unless an override of its scope comes first', () => {
    const evening = { name: 'evening', until: '2026-11-03T20:00:00.000Z', matrix: { [RH]: { [RH]: 90, [RS]: 10 } } };
    const override = { id: 'ovr-1', drain: [RH], force: false, expiresAt: '', actor: 'alice', reason: 'r' };
    expect(scheduleText(evening, null)).toBe(`the policy's schedule sets the target · ${RH} → ${RH} 90%, ${RS} 10%`);
    expect(scheduleText(evening, override)).toBe(
      `override ovr-1 comes first until it ends; then the schedule sets the target · ${RH} → ${RH} 90%, ${RS} 10%`,
    );
    // An override of another service's host leaves a mesh-wide schedule in force.
    expect(scheduleText(evening, { ...override, service: 'reviews' })).toMatch(/^the policy's schedule sets the target/);
  });

  test('the 90/10 preset: the remainder to the first other region', () => {
    const regions = [RH, RS, 'cn-beijing', 'cn-shenzhen'];
    expect(regions.map((dst) => presetValue(regions, RH, RH, dst))).toEqual([90, 4, 3, 3]);
    expect(presetValue(regions, RH, RS, RS)).toBe(100);
  });
  test('the signed path: query sorted and encoded as the server canonicalises it; a repeated key refused', () => {
    expect(canonical('/v1/history?limit=5&before=10')).toBe('/v1/history?before=10&limit=5');
    expect(() => canonical('/v1/x?a=1&a=2')).toThrow('a query parameter is given more than once');
  });
});
