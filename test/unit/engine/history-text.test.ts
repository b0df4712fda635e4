import { decisionText, historyRows, stepsSummary, stepTarget, type HistoryEvent } from '../../../shared/engine/history-text';

/** History rows say what each decision did and name each step's target, grouped under its decision. */

const RH = 'cn-hangzhou';
const RS = 'cn-shanghai';
const NORMAL = { [RH]: { [RH]: 100 }, [RS]: { [RS]: 100 } };
const DRAINED = { [RH]: { [RH]: 0, [RS]: 100 }, [RS]: { [RS]: 100 } };
const scale = {
  kind: 'scale',
  cluster: 'c-shanghai',
  namespace: 'default',
  deployment: 'reviews-v1',
  region: RS,
  from: 2,
  to: 5,
  waitReady: true,
};
const meshStep = (matrix: object) => ({ kind: 'mesh', matrix, config: { mode: 'distribute' } });

const drain = {
  health: { [RH]: 'DOWN', [RS]: 'HEALTHY' },
  before: NORMAL,
  after: DRAINED,
  steps: [scale, meshStep(DRAINED)],
  refused: [],
  reasons: ['layer normal'],
  explain: ['2026-11-03T02:00:00.000Z alarm', '  cn-hangzhou HEALTHY → DOWN'],
};

describe('decisionText', () => {
  test('a drain names the sick region, the drained one and where its traffic goes, and the deployment scaled', () => {
    expect(decisionText(drain)).toBe(`${RH} DOWN → drain ${RH}: ${RH} → ${RS} 100%; scale c-shanghai/default/reviews-v1 2→5`);
  });

  test('many scale steps are counted per direction and cluster, not listed', () => {
    const up = (deployment: string) => ({ ...scale, deployment });
    const down = (deployment: string) => ({ ...scale, cluster: 'c-hangzhou', deployment, from: 2, to: 1 });
    const d = { ...drain, steps: [up('a'), up('b'), up('c'), down('a'), down('b'), meshStep(DRAINED)] };
    expect(decisionText(d)).toBe(
      `${RH} DOWN → drain ${RH}: ${RH} → ${RS} 100%; scale up 3 deployments in c-shanghai; scale down 2 in c-hangzhou`,
    );
  });

  test('a restore names the rows it moved back; a first apply says so', () => {
    expect(decisionText({ health: { [RH]: 'HEALTHY', [RS]: 'HEALTHY' }, before: DRAINED, steps: [meshStep(NORMAL)] })).toBe(
      `all HEALTHY → shift: ${RH} → ${RH} 100%`,
    );
    expect(decisionText({ health: { [RH]: 'HEALTHY' }, before: null, steps: [meshStep({ [RH]: { [RH]: 100 } })] })).toBe(
      `all HEALTHY → apply: ${RH} → ${RH} 100%`,
    );
  });

  test('a decision that held says why (its first refusal), not its trigger', () => {
    const held = {
      health: { [RH]: 'DOWN', [RS]: 'DOWN' },
      steps: [],
      refused: [
        { rule: 'safety.doNoHarm', message: `${RH} is DOWN but shifting would not help: every region is DOWN` },
        { rule: 'safety.minServingRegions', message: 'x' },
      ],
    };
    expect(decisionText(held, '2026-11-03T02:00:00.000Z tick')).toBe(
      `${RH} DOWN, ${RS} DOWN → held: ${RH} is DOWN but shifting would not help: every region is DOWN (+1 more refused)`,
    );
  });

  test('a schedule or an override that set the target is named', () => {
    const evening = {
      health: { [RH]: 'HEALTHY' },
      before: NORMAL,
      steps: [meshStep({ [RH]: { [RH]: 90, [RS]: 10 }, [RS]: { [RS]: 100 } })],
      reasons: ['layer schedule (evening until 2026-11-03T20:00:00.000Z)'],
    };
    expect(decisionText(evening)).toBe(
      `all HEALTHY → shift: ${RH} → ${RH} 90%, ${RS} 10% [schedule evening until 2026-11-03T20:00:00.000Z]`,
    );
  });

  test('nothing planned, nothing refused: no change; no detail: the fallback', () => {
    expect(decisionText({ health: { [RH]: 'HEALTHY' }, steps: [], refused: [] })).toBe('all HEALTHY → no change');
    expect(decisionText(null, 'tick')).toBe('tick');
  });
});

describe('stepTarget', () => {
  test('names the deployment, the mesh, the level', () => {
    expect(stepTarget(scale)).toBe('scale c-shanghai/default/reviews-v1 2→5');
    expect(stepTarget(meshStep(NORMAL), 'bookinfo')).toBe('mesh bookinfo distribute');
    expect(stepTarget({ kind: 'notify', level: 'critical', message: 'm' })).toBe('notify critical');
  });
});

describe('historyRows', () => {
  const ev = (seq: number, over: Partial<HistoryEvent>): HistoryEvent => ({
    seq,
    at: 1_000 * seq,
    kind: 'signal',
    actor: 'alarm',
    summary: `s${seq}`,
    ...over,
  });
  const stepEv = (seq: number, planId: string, index: number, status = 'done') =>
    ev(seq, {
      kind: 'step',
      actor: 'executor',
      planId,
      summary: `step ${index + 1}`,
      detail: { index, kind: index === 0 ? 'scale' : 'mesh', status },
    });

  test('step outcomes fold under their decision (oldest first), named by target; other rows pass through', () => {
    // Newest first, as the API pages them.
    const rows = historyRows(
      [
        stepEv(5, 'p-1', 1),
        stepEv(4, 'p-1', 0),
        ev(3, { kind: 'decision', planId: 'p-1', summary: '2026… alarm', detail: drain }),
        ev(2, { summary: 'alarm down' }),
      ],
      'bookinfo',
    );
    expect(rows.map((r) => [r.seq, r.kind, r.text])).toEqual([
      [3, 'decision', `${RH} DOWN → drain ${RH}: ${RH} → ${RS} 100%; scale c-shanghai/default/reviews-v1 2→5`],
      [2, 'signal', 'alarm down'],
    ]);
    expect(rows[0]?.steps.map((s) => s.text)).toEqual([
      'step 1/2 scale c-shanghai/default/reviews-v1 2→5 done',
      'step 2/2 mesh bookinfo distribute done',
    ]);
    expect(rows[0]?.explain).toEqual(drain.explain);
    expect(stepsSummary(rows[0]!)).toBe('2/2 steps done');
  });

  test('steps whose decision is on an older page make one row per plan, not one each', () => {
    const rows = historyRows([stepEv(9, 'p-7', 2, 'failed'), stepEv(8, 'p-7', 1), stepEv(7, 'p-7', 0), stepEv(6, 'p-6', 0)]);
    expect(rows.map((r) => [r.kind, r.planId, r.text])).toEqual([
      ['step', 'p-7', '3 step outcomes of plan p-7'],
      ['step', 'p-6', 'step 1 scale done'],
    ]);
    expect(rows[0]?.steps.map((s) => s.status)).toEqual(['done', 'done', 'failed']);
    expect(stepsSummary(rows[0]!)).toBe('2 steps done, 1 failed');
  });
});

describe('regionshift history', () => {
  test('prints a decision with its steps folded in, and a page of orphan steps as one line per plan (as docs/cli.md shows)', async () => {
    const { renderHistory } = await import('../../../cli/control-render');
    const at = Date.parse('2026-03-03T03:00:00.000Z');
    const step = (seq: number, index: number, kind: string): HistoryEvent => ({
      seq,
      at: at + 6_000,
      kind: 'step',
      actor: 'executor',
      planId: 'bookinfo-000006',
      summary: '',
      detail: { index, kind, status: 'done' },
    });
    const decided = {
      health: { [RH]: 'DOWN', [RS]: 'HEALTHY' },
      before: NORMAL,
      steps: [{ kind: 'notify', level: 'info', message: 'x' }, { kind: 'notify', level: 'info', message: 'y' }, meshStep(DRAINED)],
      refused: [],
    };
    const events = [
      step(14, 2, 'mesh'),
      step(13, 1, 'scale'),
      step(12, 0, 'scale'),
      { seq: 11, at, kind: 'decision', actor: 'alice', planId: 'bookinfo-000006', summary: 't', detail: decided },
      { seq: 10, at, kind: 'command', actor: 'alice', summary: 'drill' },
    ];
    const lines: string[] = [];
    const out = { log: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
    renderHistory({ events: events as never, next: 10 }, out);
    expect(lines).toEqual([
      `11  2026-03-03T03:00:00.000Z  decision  alice  ${RH} DOWN → drain ${RH}: ${RH} → ${RS} 100%  (steps: 3/3 steps done)  [bookinfo-000006]`,
      '10  2026-03-03T03:00:00.000Z  command   alice  drill',
      '(older events: regionshift history --before 10)',
    ]);
    lines.length = 0;
    renderHistory({ events: events.slice(0, 2) as never, next: 13 }, out);
    expect(lines).toEqual([
      '14  2026-03-03T03:00:06.000Z  step      executor  2 step outcomes of plan bookinfo-000006  [bookinfo-000006]',
      '      step 2 scale done',
      '      step 3 mesh done',
      '(older events: regionshift history --before 13)',
    ]);
  });
});
