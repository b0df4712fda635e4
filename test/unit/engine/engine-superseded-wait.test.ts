import type { TrafficMatrix } from '../../../shared/core/types';
import { Engine } from '../../../shared/engine/engine';
import type { StoredEvent } from '../../../shared/ports/state-store';
import { asmTwinWorld, bookinfoPolicy, HeldClock, throttledOnceAfter, World } from './harness';

/**
 * A plan's mesh step overtaken while it waits for ASM, with the real adapter over HTTP against
 * the ASM twin and the SQLite store:
 *
 *   A: override 90/10 ─ Update(A) ─ poll (updating) ─ … held …                 ─ poll ─ ?
 *   B:                   clear override ─ commit ─ wait A's rollout ─ Update(B) ─ poll … done
 *
 * A's poll is held (its adapter's clock parks it) from its first poll until B's update is sent,
 * so B commits and overwrites A's config before A looks again whatever the machine's speed. ASM
 * never reports A's config after that: without the superseded check A polled to updateTimeout,
 * then its retry re-sent A's stale config over B's.
 */

const POLL_MS = 3_000;
const UPDATE_TIMEOUT_MS = 60_000;
/** The executor function's time (s.yaml timeout 600 s less its margin). */
const EXECUTOR_BUDGET_MS = 590_000;
const OVERRIDE: TrafficMatrix = { 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 }, 'cn-shanghai': { 'cn-shanghai': 100 } };

const w = asmTwinWorld(bookinfoPolicy(), { pollMs: POLL_MS, updateTimeoutMs: UPDATE_TIMEOUT_MS, budgetMs: EXECUTOR_BUDGET_MS });

/** Opens `held` the moment the twin accepts the `n`th UpdateMeshFeature. */
function openOnUpdate(held: HeldClock, n: number): void {
  const real = w.cp.asm.handle.bind(w.cp.asm);
  w.cp.asm.handle = (req) => {
    const reply = real(req);
    if (w.updates().length === n) held.open();
    return reply;
  };
}

async function events(planId: string): Promise<StoredEvent[]> {
  const store = w.file.open();
  return (await store.listEvents('bookinfo', { limit: 200 })).filter((e) => e.planId === planId);
}

/** Sets up the baseline (failover) and starts plan A (the override), parked at its first poll. */
async function overtakenA(): Promise<{ a: Engine; b: Engine; held: HeldClock; runA: Promise<{ plan: { id: string } }> }> {
  const scheduler = w.engine('fc-scheduler');
  await scheduler.tick();
  expect(w.updates()).toHaveLength(1);
  const held = new HeldClock(w.clock);
  held.hold();
  const a = w.engine('fc-a', held);
  const runA = a.command({ kind: 'override', matrix: OVERRIDE, force: true, actor: 'sre' }, { dryRun: false });
  await held.parked;
  expect(w.updates()).toHaveLength(2);
  return { a, b: w.engine('fc-b'), held, runA };
}

test('a mesh step whose config a newer plan replaced while it polled ends skipped at its next poll: no timeout, no alert, no stale re-send', async () => {
  const { b, held, runA } = await overtakenA();
  const tUpdateA = (w.updates()[1] as { at: number }).at;
  openOnUpdate(held, 3);
  const outB = await b.command({ kind: 'clearOverride', actor: 'sre' }, { dryRun: false });
  const outA = await runA;
  const tEndA = w.clock.now();

  const store = w.file.open();
  const recA = await store.getPlan('bookinfo', outA.plan.id);
  const meshIndex = recA?.plan.steps.findIndex((s) => s.kind === 'mesh') ?? -1;
  const meshOutcome = recA?.outcomes[meshIndex];
  const took = (meshOutcome?.at ?? 0) - tUpdateA;
  // The measured figure (virtual ms from A's UpdateMeshFeature to the end of its step).
  w.log.push({ measured: 'A mesh step', ms: took, planDone: tEndA - tUpdateA });
  process.stdout.write(
    `A's mesh step: ${took} ms after its UpdateMeshFeature (status ${meshOutcome?.status}); ${w.updates().length} UpdateMeshFeature in all\n`,
  );

  expect(meshOutcome).toMatchObject({ status: 'skipped', error: 'a newer plan applied another matrix', attempts: 1 });
  expect(recA?.status).toBe('done');
  expect(recA?.leaseOwner).toBeNull();
  // It ended at the poll after B's update: ASM's 5 s update, not the 60 s updateTimeout.
  expect(took).toBeLessThanOrEqual(POLL_MS + 5_000);
  // No alert, no notification above info, for a plan that was simply replaced.
  expect((await events(outA.plan.id)).filter((e) => e.kind === 'alert')).toEqual([]);
  expect(w.notifier.sent.filter((n) => n.level !== 'info')).toEqual([]);
  // A's config was never sent again: the mesh serves B's (failover), as the state says.
  expect(w.updates()).toHaveLength(3);
  expect(w.cp.asm.servedLocalityLb()?.failover?.length).toBeGreaterThan(0);
  const { state } = await store.load('bookinfo');
  expect(state?.meshConfirmed?.planId).toBe(outB.plan.id);
  expect(w.log).toContainEqual(expect.objectContaining({ msg: 'step skipped', plan: outA.plan.id, kind: 'mesh', while: 'running' }));
});

test('a crash of A mid-wait, resumed after B: the mesh step is skipped, nothing re-sent, no alert', async () => {
  const { held, b, runA } = await overtakenA();
  void runA.catch(() => undefined);
  // A's process is gone: its poll never resumes and its lease stays until it lapses.
  const outB = await b.command({ kind: 'clearOverride', actor: 'sre' }, { dryRun: false });
  expect(w.updates()).toHaveLength(3);
  const open = await w.file.open().listOpenPlans('bookinfo');
  const recA = open.find((p) => p.plan.id !== outB.plan.id && p.leaseOwner === 'fc-a');
  expect(recA).toBeDefined();

  w.clock.set((recA?.leaseUntil ?? 0) + 1);
  const scheduler = w.engine('fc-scheduler-2');
  const tick = await scheduler.tick();
  expect(tick.resumed).toContain(recA?.plan.id);
  const after = await w.file.open().getPlan('bookinfo', recA?.plan.id ?? '');
  const meshIndex = after?.plan.steps.findIndex((s) => s.kind === 'mesh') ?? -1;
  expect(after?.outcomes[meshIndex]).toMatchObject({ status: 'skipped', error: 'a newer plan applied another matrix' });
  expect(after?.status).toBe('done');
  expect(w.updates()).toHaveLength(3);
  expect((await events(recA?.plan.id ?? '')).filter((e) => e.kind === 'alert')).toEqual([]);
  expect(w.cp.asm.servedLocalityLb()?.failover?.length).toBeGreaterThan(0);
  held.open(); // let the parked call settle; its store writes fail on the lost lease
});

test('a step retried after a backoff in which a newer plan took over is skipped, not re-sent with the stale config', async () => {
  const w = new World(bookinfoPolicy(), { readyDelayMs: 0 });
  try {
    await w.baseline(w.engine({ owner: 'fc-scheduler' }));
    const b = w.engine({ owner: 'fc-b' });
    // A's first UpdateMeshFeature is throttled; before its retry, B commits and applies its own matrix.
    const throttledOnce = throttledOnceAfter(w.mesh, () => b.command({ kind: 'clearOverride', actor: 'sre' }, { dryRun: false }));
    const a = w.engine({ owner: 'fc-a', meshControl: throttledOnce, random: () => 0.5 });
    const appliedBefore = w.mesh.applied.length;
    const outA = await a.command({ kind: 'override', matrix: OVERRIDE, force: true, actor: 'sre' }, { dryRun: false });
    const rec = await w.store.getPlan('bookinfo', outA.plan.id);
    const meshIndex = rec?.plan.steps.findIndex((st) => st.kind === 'mesh') ?? -1;
    expect(rec?.outcomes[meshIndex]).toMatchObject({ status: 'skipped', error: 'a newer plan applied another matrix', attempts: 1 });
    // B's apply only: A's stale override never reached the mesh.
    expect(w.mesh.applied.slice(appliedBefore).map((x) => x.config.mode)).toEqual(['failover']);
    expect(w.mesh.lastApplied?.mode).toBe('failover');
    expect(w.notifier.sent.filter((n) => n.level !== 'info')).toEqual([]);
  } finally {
    await w.cleanup();
  }
});
