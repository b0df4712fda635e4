import { UpstreamError } from '../../../shared/core/errors';
import type { Step } from '../../../shared/core/types';
import type { PlanRecord } from '../../../shared/ports/state-store';
import { AuditFaultStore } from './audit-fault-store';
import { bookinfoPolicy, downSignal, HZ, SH, World } from './harness';

/**
 * Issue #17 items 3 and 4: an urgent drain (a region DOWN) is never blocked by the receiving
 * region's scale-up, nor by bookkeeping (audit lines).
 */

const SH_REVIEWS = 'c-shanghai/default/reviews-v1';
const HZ_REVIEWS = 'c-hangzhou/default/reviews-v1';

/** Two deployments, so a DOWN drain scales two up in Shanghai before its mesh step; drift only alerts (nothing repairs a missed drain). */
function twoDeployments() {
  const regions = { 'cn-hangzhou': { normalReplicas: 2, min: 1, max: 6 }, 'cn-shanghai': { normalReplicas: 2, min: 1, max: 6 } };
  return bookinfoPolicy({
    drift: 'alert',
    scaling: {
      deployments: [
        { name: 'productpage-v1', namespace: 'default', regions },
        { name: 'reviews-v1', namespace: 'default', regions },
      ],
    },
  });
}

let w: World;
let store: AuditFaultStore;
beforeEach(() => {
  w = new World(twoDeployments());
  store = new AuditFaultStore(w.store);
});
afterEach(() => w.cleanup());

const planOf = async (id: string) => (await w.store.getPlan('bookinfo', id)) as PlanRecord;
const events = async (kind: string) => (await w.store.listEvents('bookinfo', { limit: 200 })).filter((e) => e.kind === kind);
const forbidden = () =>
  new UpstreamError('Forbidden', 'deployments.apps "productpage-v1" is forbidden: cannot patch resource "deployments/scale"', {
    retryable: false,
  });

async function drainWorld() {
  const engine = w.engine({ store, random: () => 0.5 });
  await w.baseline(engine);
  w.clock.advance(60_000);
  return engine;
}

describe("a DOWN drain is not blocked by the receiving region's scale-up", () => {
  it('the plan is urgent: two scale-ups that do not wait, then the mesh step', async () => {
    const engine = await drainWorld();
    const [out] = await engine.ingest([downSignal(w.clock)], 'alarm');
    const kinds = out!.plan.steps.map((s: Step) =>
      s.kind === 'scale' ? `scale ${s.cluster}/${s.deployment} ${s.to}${s.waitReady ? ' wait' : ''}` : s.kind,
    );
    expect(kinds.slice(0, 3)).toEqual(['scale c-shanghai/productpage-v1 5', 'scale c-shanghai/reviews-v1 5', 'mesh']);
  });

  it('a scale-up refused (not retryable): the mesh still gets the drain at once (drift: alert), the failure is alerted and the next tick retries it', async () => {
    const engine = await drainWorld();
    const start = w.clock.now();
    w.scaler.failNext(1, forbidden);

    const [out] = await engine.ingest([downSignal(w.clock)], 'alarm');
    const id = out!.plan.id;

    expect(w.mesh.applied).toHaveLength(2);
    expect(w.mesh.lastApplied?.mode).toBe('distribute');
    expect(w.mesh.applied[1]?.at).toBe(start);
    let rec = await planOf(id);
    expect(rec.status).toBe('pending');
    expect(rec.outcomes[0]).toMatchObject({ status: 'pending', attempts: 1, error: expect.stringContaining('forbidden') });
    expect(rec.outcomes.slice(1, 3).map((o) => o.status)).toEqual(['done', 'done']);
    expect(w.scaler.scaledTo(SH_REVIEWS)).toEqual([5]);
    const [alert] = await events('alert');
    expect(alert).toMatchObject({ planId: id, detail: { level: 'critical' }, summary: expect.stringContaining('the drain went ahead') });
    expect(w.notifier.at('critical').map((n) => n.text)).toContain(alert?.summary);

    // The next tick retries the scale-up; the mesh is not touched again.
    w.clock.advance(5_000);
    const tick = await engine.tick();
    expect(tick.resumed).toEqual([id]);
    rec = await planOf(id);
    expect(rec.outcomes[0]).toMatchObject({ status: 'done', attempts: 2 });
    expect(w.scaler.scaledTo(SH)).toEqual([5]);
    expect(w.mesh.applied).toHaveLength(2);
    expect(tick.drift).toBeNull();
  });

  it('a scale-up throttled for the whole budget does not hold the mesh step back: one try, the drain, then the retries', async () => {
    const engine = await drainWorld();
    const start = w.clock.now();
    w.scaler.failNext(10_000, 'throttle');

    const [out] = await engine.ingest([downSignal(w.clock)], 'alarm');

    expect(w.mesh.applied).toHaveLength(2);
    expect(w.mesh.applied[1]?.at).toBe(start);
    const rec = await planOf(out!.plan.id);
    expect(rec.outcomes.slice(0, 3).map((o) => o.status)).toEqual(['pending', 'pending', 'done']);
    expect(rec.outcomes[0]?.error).toContain('Throttling.User');
    expect((await events('alert')).map((a) => a.detail)).toContainEqual({ level: 'warning' });

    w.scaler.recover();
    w.clock.advance(5_000);
    await engine.tick();
    expect((await planOf(out!.plan.id)).outcomes.slice(0, 3).map((o) => o.status)).toEqual(['done', 'done', 'done']);
    expect([w.scaler.scaledTo(SH), w.scaler.scaledTo(SH_REVIEWS)]).toEqual([[5], [5]]);
  });

  it('an elective plan still scales up and waits before its mesh step (capacity first)', async () => {
    const engine = await drainWorld();
    // Its scale-ups are first asked for together (two calls), then one by one: the third call is step 1's.
    w.scaler.failNext(3, forbidden);
    const out = await engine.command(
      { kind: 'override', actor: 'op', reason: 'test', drain: ['cn-hangzhou'], ttl: 600_000 },
      { dryRun: false },
    );
    const rec = await planOf(out.plan.id);
    const first = rec.plan.steps[0] as Step;
    expect(first).toMatchObject({ kind: 'scale', waitReady: true });
    expect(rec.outcomes[0]?.status).toBe('failed');
    expect(w.mesh.applied).toHaveLength(1);
  });
});

describe("bookkeeping never decides a step's outcome", () => {
  it('the audit log refusing every append (disk full) after the first step: the mesh step and the other scale-up still run, and the lines are written once it recovers', async () => {
    const engine = await drainWorld();
    store.failAppends(Infinity);

    const [out] = await engine.ingest([downSignal(w.clock)], 'alarm');
    const id = out!.plan.id;

    expect(store.refused).toBeGreaterThan(0);
    expect(w.mesh.applied).toHaveLength(2);
    expect(w.mesh.lastApplied?.mode).toBe('distribute');
    expect([w.scaler.scaledTo(SH), w.scaler.scaledTo(SH_REVIEWS)]).toEqual([[5], [5]]);
    const rec = await planOf(id);
    expect(rec.outcomes.slice(0, 3)).toEqual([0, 1, 2].map(() => expect.objectContaining({ status: 'done', attempts: 1 })));
    expect(rec.outcomes.every((o) => o.status !== 'failed')).toBe(true);
    expect(out!.warning).toContain('the audit log lags');
    expect(w.log).toContainEqual(expect.objectContaining({ msg: 'audit append deferred', error: expect.stringContaining('disk is full') }));
    expect((await events('step')).filter((e) => e.planId === id)).toEqual([]);

    // The store recovers: the next write flushes what was queued, in order.
    store.heal();
    w.clock.advance(5_000);
    await engine.tick();
    const steps = (await events('step')).filter((e) => e.planId === id).reverse();
    expect(steps.map((e) => e.summary).slice(0, 3)).toEqual([
      'step 1/6 (scale c-shanghai/default/productpage-v1 2→5) done',
      'step 2/6 (scale c-shanghai/default/reviews-v1 2→5) done',
      'step 3/6 (mesh bookinfo distribute) done',
    ]);
  });

  it('a busy audit table is retried with backoff: the lines land in the same run, nothing is queued', async () => {
    const engine = await drainWorld();
    store.failAppends(2, 'busy');

    const [out] = await engine.ingest([downSignal(w.clock)], 'alarm');

    expect(store.refused).toBe(2);
    expect(out!.warning).toBeUndefined();
    const summaries = (await events('step')).filter((e) => e.planId === out!.plan.id).map((e) => e.summary);
    expect(summaries).toEqual(
      expect.arrayContaining([
        'step 1/6 (scale c-shanghai/default/productpage-v1 2→5) done',
        'step 2/6 (scale c-shanghai/default/reviews-v1 2→5) done',
        'step 3/6 (mesh bookinfo distribute) done',
      ]),
    );
    expect(w.log.filter((l) => l.msg === 'audit append deferred')).toEqual([]);
  });

  it('a journal write refused after a step ran: the outcome stands, the mesh step runs, and the next write carries it', async () => {
    const engine = await drainWorld();
    store.failJournal(1);

    const [out] = await engine.ingest([downSignal(w.clock)], 'alarm');

    expect(store.refusedJournal).toBe(1);
    expect(w.mesh.applied).toHaveLength(2);
    expect([w.scaler.scaledTo(SH), w.scaler.scaledTo(SH_REVIEWS)]).toEqual([[5], [5]]);
    const rec = await planOf(out!.plan.id);
    expect(rec.outcomes.slice(0, 3).map((o) => o.status)).toEqual(['done', 'done', 'done']);
    expect(w.log).toContainEqual(expect.objectContaining({ msg: 'journal write failed; the outcome stands', step: 0 }));
    expect(out!.warning).toBeUndefined();
  });

  it('the Hangzhou deployments are left for the delayed scale-down, untouched by the drain', async () => {
    const engine = await drainWorld();
    store.failAppends(Infinity);
    await engine.ingest([downSignal(w.clock)], 'alarm');
    expect([w.scaler.scaledTo(HZ), w.scaler.scaledTo(HZ_REVIEWS)]).toEqual([[], []]);
  });
});
