import { renderReport } from '../../../shared/engine/report';
import { buildTimeline } from '../../../shared/engine/timeline';
import type { StoredEvent } from '../../../shared/ports/state-store';

/**
 * The timeline and report with service scopes: each decision lists the hosts whose routing its
 * mesh step changed (from the audit log's steps, as the engine records them), and the report
 * prints them under the decision. Decisions without scopes are as before.
 */

const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';
const REVIEWS = 'reviews.default.svc.cluster.local';
const DETAILS = 'details.default.svc.cluster.local';
const T = Date.parse('2026-11-03T03:00:00Z');
const identity = { [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } };
const drained = { [HZ]: { [SH]: 100 }, [SH]: { [SH]: 100 } };
const failover = { mode: 'failover', localityLbSetting: { failover: [{ from: HZ, to: SH }] } };
const distribute = { mode: 'distribute', localityLbSetting: { distribute: [] } };

let seq = 0;
function decision(at: number, planId: string, scopes: Record<string, unknown> | undefined): StoredEvent {
  const mesh = { kind: 'mesh', matrix: identity, config: failover, ...(scopes ? { scopes } : {}) };
  return {
    mesh: 'bookinfo',
    seq: ++seq,
    at,
    kind: 'decision',
    actor: 'alarm',
    planId,
    summary: `decision ${planId}`,
    detail: {
      reasons: [],
      refused: [],
      steps: [mesh],
      explain: [],
      before: identity,
      after: identity,
      health: { [HZ]: 'HEALTHY', [SH]: 'HEALTHY' },
    },
  };
}

describe('timeline: scope changes per decision', () => {
  const events: StoredEvent[] = [
    decision(T, 'p-1', undefined),
    decision(T + 60_000, 'p-2', { [REVIEWS]: { matrix: drained, config: distribute } }),
    decision(T + 120_000, 'p-3', {
      [REVIEWS]: { matrix: drained, config: distribute },
      [DETAILS]: { matrix: drained, config: distribute },
    }),
    decision(T + 180_000, 'p-4', {}),
  ];

  test('each decision names the hosts its mesh step routed apart or back; none when it changed none', () => {
    const t = buildTimeline(events, { mesh: 'bookinfo', from: T - 1000, to: T + 240_000 });
    expect(t.decisions.map((d) => d.scopeChanges ?? null)).toEqual([
      null,
      [{ host: REVIEWS, matrix: drained }],
      [{ host: DETAILS, matrix: drained }],
      [
        { host: DETAILS, matrix: null },
        { host: REVIEWS, matrix: null },
      ],
    ]);
    expect(t.decisions[1]?.steps[0]?.text).toBe(`mesh failover: ${HZ}→{${HZ} 100%}; ${SH}→{${SH} 100%} (routed apart: ${REVIEWS})`);
    expect(t.decisions[0]?.steps[0]?.text).toBe(`mesh failover: ${HZ}→{${HZ} 100%}; ${SH}→{${SH} 100%}`);
  });

  test('the routing in force before the range counts: a decision repeating it changed nothing', () => {
    const t = buildTimeline(events.slice(0, 3), { mesh: 'bookinfo', from: T + 90_000, to: T + 240_000 });
    expect(t.decisions.map((d) => d.planId)).toEqual(['p-3']);
    expect(t.decisions[0]?.scopeChanges).toEqual([{ host: DETAILS, matrix: drained }]);
  });

  test('the report lists the scope changes under their decision', () => {
    const t = buildTimeline(events, { mesh: 'bookinfo', from: T - 1000, to: T + 240_000 });
    const md = renderReport(t, { image: 'inline' }).markdown;
    expect(md).toContain(`Scopes changed:\n\n- \`${REVIEWS}\`: ${HZ} → ${SH} 100%; ${SH} → ${SH} 100%\n`);
    expect(md).toContain(`Scopes changed:\n\n- \`${DETAILS}\`: back to the default\n- \`${REVIEWS}\`: back to the default\n`);
    expect(md.match(/Scopes changed:/g)).toHaveLength(3);
  });
});
