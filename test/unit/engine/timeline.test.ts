import { readTimeline } from '../../../functions/control/timeline-route';
import { makeHandler } from '../../../functions/control/handler';
import { renderReport, renderTimelineSvg } from '../../../shared/engine/report';
import { buildTimeline } from '../../../shared/engine/timeline';
import type { StoredEvent } from '../../../shared/ports/state-store';
import { READ_TOKEN, fakeRuntime, fcContext, httpEvent } from '../../support/fake-runtime';
import { downSignal, World } from './harness';

/** The timeline and the report from a real engine's audit log (SQLite), through the same reader the API uses. */

let w: World;
beforeEach(() => {
  w = new World();
});
afterEach(() => w.cleanup());

const RH = 'cn-hangzhou';
const RS = 'cn-shanghai';

async function incident() {
  const engine = w.engine();
  await w.baseline(engine);
  const tBase = w.clock.now();
  w.clock.advance(60_000);
  const tDown = w.clock.now();
  await engine.ingest([downSignal(w.clock)], 'alarm');
  w.clock.advance(60_000);
  await engine.command({ kind: 'pause', reason: 'looking into it', actor: 'alice' }, { dryRun: false });
  w.clock.advance(60_000);
  return { engine, tBase, tDown, end: w.clock.now() };
}

describe('incident timeline from the audit log', () => {
  test('shares, health bands, decisions with step outcomes and who did what', async () => {
    const { engine, tDown, end } = await incident();
    const from = tDown - 30_000;
    const t = await readTimeline({ engine, policy: w.policy }, from, end);
    expect(t.regions).toEqual([RH, RS]);
    // Before the alarm hangzhou served its own traffic (from the baseline decision before `from`); after it, shanghai all of it.
    expect(t.shares.at[0]).toBe(from);
    expect(t.shares.at[t.shares.at.length - 1]).toBe(end);
    expect(t.shares.bySource[RH]?.[RH]?.[0]).toBe(100);
    expect(t.shares.bySource[RH]?.[RS]?.at(-1)).toBe(100);
    expect(t.shares.bySource[RH]?.[RH]?.at(-1)).toBe(0);
    expect(t.health[RH]).toEqual([
      { status: 'HEALTHY', from, to: tDown },
      { status: 'DOWN', from: tDown, to: end },
    ]);
    expect(t.health[RS]).toEqual([{ status: 'HEALTHY', from, to: end }]);
    const [down, pause] = t.decisions;
    expect(t.decisions).toHaveLength(2);
    expect(down).toMatchObject({ at: tDown, actor: 'alarm' });
    expect(down?.explain.join('\n')).toContain('HEALTHY → DOWN');
    expect(down?.steps.map((s) => [s.kind, s.status, s.afterMs])).toEqual([
      ['scale', 'done', 0],
      ['mesh', 'done', 0],
      ['scale', 'pending', null],
      ['notify', 'done', 0],
    ]);
    expect(pause).toMatchObject({ actor: 'alice', steps: [] });
    expect(t.events.map((e) => [e.kind, e.actor])).toEqual([
      ['signal', 'alarm'],
      ['command', 'alice'],
    ]);
    expect(t.truncated).toEqual({ points: false, decisions: false, events: false, scan: false });
  });

  test('the SVG has an area per served share, a band per health period and a marker per decision; the report names them', async () => {
    const { engine, tDown, end } = await incident();
    const t = await readTimeline({ engine, policy: w.policy }, tDown - 30_000, end);
    const svg = renderTimelineSvg(t);
    expect(svg.match(/<g class="marker">/g)).toHaveLength(t.decisions.length);
    expect(svg.match(/class="band"/g)).toHaveLength(3);
    expect(svg).toContain(`data-source="${RH}" data-region="${RS}"`);
    expect(svg).toMatch(/<path class="area"[^>]* d="M[\d.,L]+Z"/);
    const { markdown } = renderReport(t, { image: { file: 'timeline.svg' } });
    expect(markdown).toContain('](timeline.svg)');
    expect(markdown.match(/^### D\d /gm)).toHaveLength(2);
    expect(markdown).toContain('| 2 | mesh distribute:');
    expect(markdown).toContain('| command | alice | pause |');
    expect(markdown).toContain(`**${RH}**: HEALTHY`);
    const inline = renderReport(t, { image: 'inline' }).markdown;
    expect(decodeURIComponent(/data:image\/svg\+xml;charset=utf-8,([^)]+)\)/.exec(inline)?.[1] ?? '')).toBe(svg);
  });

  test('a range before anything happened shows the matrix in force, no decisions', async () => {
    const { engine, tBase } = await incident();
    const t = await readTimeline({ engine, policy: w.policy }, tBase + 1, tBase + 30_000);
    expect(t.decisions).toEqual([]);
    expect(t.shares.bySource[RH]?.[RH]).toEqual([100, 100]);
  });
});

describe('bounds', () => {
  const decision = (seq: number, at: number, pct: number): StoredEvent => ({
    mesh: 'm',
    seq,
    at,
    kind: 'decision',
    actor: 'scheduler',
    planId: `p-${seq}`,
    summary: `shift ${pct}`,
    detail: {
      steps: [{ kind: 'mesh', matrix: { a: { a: 100 - pct, b: pct }, b: { b: 100 } }, config: { mode: 'distribute' } }],
      health: { a: pct ? 'DEGRADED' : 'HEALTHY', b: 'HEALTHY' },
    },
  });
  test('at most maxPoints points (downsampled, first and last kept) and the newest maxDecisions decisions', () => {
    const events = Array.from({ length: 2000 }, (_, i) => decision(i + 1, 1000 + i * 10, i % 2 ? 50 : 0));
    const t = buildTimeline(events, { mesh: 'm', from: 1000, to: 30_000, maxPoints: 100, maxDecisions: 20 });
    expect(t.shares.at.length).toBeLessThanOrEqual(100);
    expect(t.shares.at[0]).toBe(1000);
    expect(t.shares.at.at(-1)).toBe(30_000);
    expect(t.decisions).toHaveLength(20);
    expect(t.decisions.at(-1)?.planId).toBe('p-2000');
    expect(t.truncated).toMatchObject({ points: true, decisions: true });
  });

  test('the reader stops at its scan bound and says so', async () => {
    const { engine, tDown, end } = await incident();
    const t = await readTimeline({ engine, policy: w.policy }, tDown - 30_000, end, 2);
    expect(t.truncated.scan).toBe(true);
  });
});

describe('GET /v1/timeline and /v1/report', () => {
  const call = async (query: Record<string, string>, path = '/v1/timeline') => {
    const rt = fakeRuntime();
    rt.clock.set(Date.UTC(2026, 10, 3, 2, 15, 30));
    const handler = makeHandler(async () => rt);
    const reply = await handler(
      httpEvent({ method: 'GET', path, query, headers: { authorization: `Bearer ${READ_TOKEN}` }, body: '' }),
      fcContext(),
    );
    return { status: reply?.statusCode, body: reply?.body ?? '', type: reply?.headers?.['content-type'] };
  };
  test.each([
    [{ from: '2026-11-03T02:00:00Z' }, 'query.to'],
    [{ from: 'yesterday', to: '1' }, 'query.from: must be epoch milliseconds or an ISO-8601'],
    [{ from: '2000', to: '1000' }, 'query.to: must be after from'],
    [{ from: '0', to: String(32 * 24 * 3600_000) }, 'query.to: the range may span at most 31 days'],
    [{ from: '1', to: '2', limit: '5' }, 'query.limit: unknown parameter'],
  ])('%p is 400 naming %s', async (query, message) => {
    const res = await call(query);
    expect(res.status).toBe(400);
    expect(res.body).toContain(message);
  });
  test('a read-token call answers JSON, the report Markdown', async () => {
    const ok = await call({ from: '2026-11-03T02:00:00Z', to: '2026-11-03T03:00:00.000+08:00' });
    expect(ok.status).toBe(400); // 03:00+08:00 is before 02:00Z
    const res = await call({ from: '2026-11-03T02:00:00Z', to: '2026-11-03T03:00:00Z' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ from: Date.UTC(2026, 10, 3, 2), to: Date.UTC(2026, 10, 3, 3), decisions: [] });
    const md = await call({ from: '1000', to: '2000' }, '/v1/report');
    expect(md.status).toBe(200);
    expect(md.type).toBe('text/markdown; charset=utf-8');
    expect(md.body).toMatch(/^# Incident report: /);
  });
});
