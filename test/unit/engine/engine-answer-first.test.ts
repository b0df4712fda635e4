import { UpstreamError } from '../../../shared/core/errors';
import type { PlanRecord } from '../../../shared/ports/state-store';
import { FakeClusterScaler, FakeMeshControl } from '../../fakes';
import { downSignal, HZ, SH, World } from './harness';

/**
 * Issue #18 item 1: an alarm is answered once its decision commits. The plan goes to the
 * executor (FC async invoke) before any step runs; the mesh step's wait (ASM polls for up to 24 s)
 * happens there, not in the callback CMS gives 5 s.
 */

let w: World;
beforeEach(() => {
  w = new World();
});
afterEach(() => w.cleanup());

/** A mesh whose apply takes 9 s of the clock (ASM `updating` until `running`), as the lab's twin at its slowest. */
function slowWorld(handoff: (planId: string) => Promise<void>) {
  const mesh = new FakeMeshControl({ clock: w.clock, applyDelayMs: 9_000 });
  const scaler = new FakeClusterScaler(w.clock, { readyDelayMs: 0, deployments: { [HZ]: 2, [SH]: 2 } });
  return { mesh, scaler, engine: w.engine({ mesh, scaler, handoff, budgetMs: 20_000 }) };
}

describe('an alarm is answered once its decision commits', () => {
  it('answerFirst: the plan is handed to the executor before any step, the answer takes no clock time, and the executor drains', async () => {
    const handed: string[] = [];
    const { mesh, scaler, engine } = slowWorld(async (id) => {
      handed.push(id);
    });
    await engine.tick();
    expect(mesh.applied).toHaveLength(1);
    w.clock.advance(60_000);
    const t0 = w.clock.now();

    const [out] = await engine.ingest([downSignal(w.clock)], 'cms', { answerFirst: true });

    expect(w.clock.now() - t0).toBeLessThan(1_000);
    expect(out).toMatchObject({ committed: true, handedOff: true, executed: 0 });
    expect(handed).toEqual([out!.plan.id]);
    expect(mesh.applied).toHaveLength(1);
    expect(scaler.scaleCalls).toEqual([]);

    // The executor's invocation (FC delivers the event {planId}) runs the plan.
    const rec = (await engine.execute(out!.plan.id)) as PlanRecord;
    expect(mesh.applied).toHaveLength(2);
    expect(mesh.lastApplied?.mode).toBe('distribute');
    expect(scaler.scaledTo(SH)).toEqual([5]);
    expect(rec.outcomes.slice(0, 2).map((o) => o.status)).toEqual(['done', 'done']);
  });

  it('the same alarm without answerFirst (today\'s inline run) waits out the mesh before answering', async () => {
    const { mesh, engine } = slowWorld(async () => undefined);
    await engine.tick();
    w.clock.advance(60_000);
    const t0 = w.clock.now();
    const [out] = await engine.ingest([downSignal(w.clock)], 'cms');
    expect(w.clock.now() - t0).toBe(9_000);
    expect(out?.handedOff).toBe(false);
    expect(out?.executed).toBeGreaterThanOrEqual(2);
    expect(mesh.applied).toHaveLength(2);
  });

  it('a handoff that fails runs the plan in the request: the drain is not lost, only the answer is later', async () => {
    const { mesh, engine } = slowWorld(async () => {
      throw new UpstreamError('FC.ServiceUnavailable', 'InvokeFunction(regionshift-executor, Async) failed', { retryable: true });
    });
    await engine.tick();
    w.clock.advance(60_000);
    const [out] = await engine.ingest([downSignal(w.clock)], 'cms', { answerFirst: true });
    expect(out).toMatchObject({ committed: true, handedOff: false });
    expect(out?.executed).toBeGreaterThanOrEqual(2);
    expect(mesh.lastApplied?.mode).toBe('distribute');
    expect(w.log).toContainEqual(expect.objectContaining({ msg: 'could not hand the plan to the executor; running it here', plan: out!.plan.id }));
  });

  it('answerFirst: false (the baseline) keeps the inline run even when asked', async () => {
    const mesh = new FakeMeshControl({ clock: w.clock, applyDelayMs: 9_000 });
    const handed: string[] = [];
    const engine = w.engine({ mesh, handoff: async (id) => void handed.push(id), answerFirst: false });
    await engine.tick();
    w.clock.advance(60_000);
    const [out] = await engine.ingest([downSignal(w.clock)], 'cms', { answerFirst: true });
    expect(out?.handedOff).toBe(false);
    expect(mesh.applied).toHaveLength(2);
  });
});
