import { buildTimeline } from '../../../shared/engine/timeline';
import type { StoredEvent } from '../../../shared/ports/state-store';

/**
 * The timeline's confirmed shares: a decision's matrix from when its mesh step was recorded done
 * (the mesh reported it applied), beside the commanded shares, which move when it was decided.
 */

const RH = 'cn-hangzhou';
const RS = 'cn-shanghai';
const NORMAL = { [RH]: { [RH]: 100 }, [RS]: { [RS]: 100 } };
const DRAINED = { [RH]: { [RS]: 100 }, [RS]: { [RS]: 100 } };
let seq = 0;
const event = (at: number, over: Partial<StoredEvent>): StoredEvent =>
  ({ mesh: 'bookinfo', seq: ++seq, at, kind: 'signal', actor: 'alarm', summary: '', detail: null, ...over }) as StoredEvent;
const decision = (at: number, planId: string, matrix: object, before: object | null) =>
  event(at, {
    kind: 'decision',
    planId,
    detail: {
      before,
      after: matrix,
      health: { [RH]: 'HEALTHY', [RS]: 'HEALTHY' },
      steps: [
        { kind: 'notify', level: 'info', message: 'x' },
        { kind: 'mesh', matrix, config: { mode: 'distribute' } },
      ],
      refused: [],
      reasons: [],
      explain: [],
    },
  });
const step = (at: number, planId: string, index: number, status: string) =>
  event(at, { kind: 'step', planId, actor: 'executor', detail: { index, status, attempts: 1 } });

describe('confirmed shares', () => {
  test('move when the mesh step is done, not when it was decided; a notify step done first moves nothing', () => {
    const t = buildTimeline(
      [
        decision(0, 'p-1', NORMAL, null),
        step(500, 'p-1', 1, 'done'),
        decision(10_000, 'p-2', DRAINED, NORMAL),
        step(11_000, 'p-2', 0, 'done'),
        step(43_000, 'p-2', 1, 'done'),
      ],
      { mesh: 'bookinfo', from: 5_000, to: 60_000 },
    );
    expect(t.shares.at).toEqual([5_000, 10_000, 60_000]);
    expect(t.shares.bySource[RH]?.[RS]).toEqual([0, 100, 100]);
    expect(t.confirmed.at).toEqual([5_000, 43_000, 60_000]);
    expect(t.confirmed.bySource[RH]?.[RS]).toEqual([0, 100, 100]);
    expect(t.confirmed.bySource[RH]?.[RH]).toEqual([100, 0, 0]);
  });

  test('a mesh step that failed confirms nothing: the confirmed shares stay where the mesh was', () => {
    const t = buildTimeline(
      [
        decision(0, 'p-1', NORMAL, null),
        step(500, 'p-1', 1, 'done'),
        decision(10_000, 'p-2', DRAINED, NORMAL),
        step(12_000, 'p-2', 1, 'failed'),
      ],
      { mesh: 'bookinfo', from: 5_000, to: 60_000 },
    );
    expect(t.shares.bySource[RH]?.[RS]).toEqual([0, 100, 100]);
    expect(t.confirmed.at).toEqual([5_000, 60_000]);
    expect(t.confirmed.bySource[RH]?.[RS]).toEqual([0, 0]);
  });

  test('a mesh step of an older decision done after a newer one was confirmed moves nothing (the state drops it too)', () => {
    const t = buildTimeline(
      [
        decision(0, 'p-1', NORMAL, null),
        step(500, 'p-1', 1, 'done'),
        decision(10_000, 'p-2', DRAINED, NORMAL),
        decision(11_000, 'p-3', NORMAL, DRAINED),
        step(12_000, 'p-3', 1, 'done'),
        step(20_000, 'p-2', 1, 'done'),
      ],
      { mesh: 'bookinfo', from: 5_000, to: 60_000 },
    );
    expect(t.confirmed.at).toEqual([5_000, 12_000, 60_000]);
    expect(t.confirmed.bySource[RH]?.[RS]).toEqual([0, 0, 0]);
  });
});
