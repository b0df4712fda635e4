import { randomUUID } from 'node:crypto';
import { StateConflictError, ValidationError } from '../../shared/core/errors';
import type { MeshState, Plan, Step } from '../../shared/core/types';
import type { AuditEvent, PlanRecord, StateStore, StoredEvent } from '../../shared/ports/state-store';

/**
 * One suite, run against every StateStore adapter. Each test works on meshes of its own
 * (random names), so the suite also runs against a shared real Tablestore instance.
 */
export interface StoreUnderTest {
  store: StateStore;
  cleanup: () => Promise<void>;
}

export function meshState(seq: number, extra: Partial<MeshState> = {}): MeshState {
  return {
    signals: {},
    health: {},
    override: null,
    drill: null,
    paused: null,
    applied: null,
    lastChangeAt: null,
    lastElectiveAt: null,
    scale: {},
    seq,
    ...extra,
  };
}

const scaleStep: Step = {
  kind: 'scale',
  cluster: 'c-hz',
  namespace: 'bookinfo',
  deployment: 'reviews-v1',
  region: 'cn-hangzhou',
  from: 2,
  to: 4,
  waitReady: true,
};
const meshStep: Step = {
  kind: 'mesh',
  config: { mode: 'failover', localityLbSetting: { failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] } },
  matrix: { 'cn-hangzhou': { 'cn-shanghai': 100 } },
};

export function makePlan(id: string, at: number, steps: Step[] = [scaleStep, meshStep], trigger = 'signal:cms'): Plan {
  return { id, at, trigger, reasons: [`reason of ${id}`], before: null, after: null, steps, refused: [] };
}

export function auditEvent(mesh: string, at: number, summary: string, extra: Partial<AuditEvent> = {}): AuditEvent {
  return { mesh, at, kind: 'decision', actor: 'alarm', summary, detail: { summary, n: at }, ...extra };
}

export function newMesh(): string {
  return `mesh-${randomUUID().slice(0, 12)}`;
}

function pendingRecord(mesh: string, plan: Plan): PlanRecord {
  return {
    mesh,
    plan,
    status: 'pending',
    outcomes: plan.steps.map(() => ({ status: 'pending', at: plan.at, attempts: 0 })),
    leaseOwner: null,
    leaseUntil: 0,
    dueAt: plan.at,
  };
}

function withoutSeq(events: StoredEvent[]): AuditEvent[] {
  return events.map(({ seq: _seq, ...rest }) => rest);
}

async function readAllEvents(store: StateStore, mesh: string, pageSize: number): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for (let before: number | undefined; ;) {
    const page = await store.listEvents(mesh, before === undefined ? { limit: pageSize } : { limit: pageSize, before });
    all.push(...page);
    if (page.length < pageSize) return all;
    before = page[page.length - 1]!.seq;
  }
}

export function describeStateStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`StateStore contract: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: StateStore;
    beforeEach(async () => {
      sut = await makeStore();
      store = sut.store;
    });
    afterEach(async () => {
      await sut.cleanup();
    });

    test('a mesh never written reads as version 0 with no state', async () => {
      expect(await store.load(newMesh())).toEqual({ state: null, version: 0 });
    });

    test('the first commit is at version 0 and writes state, plan journal and events together', async () => {
      const mesh = newMesh();
      const plan = makePlan('p-1', 1_000);
      const events = [auditEvent(mesh, 1_000, 'first', { planId: 'p-1' }), auditEvent(mesh, 1_001, 'second', { kind: 'step' })];
      expect(await store.commit(mesh, 0, meshState(1), plan, events)).toBe(1);

      expect(await store.load(mesh)).toEqual({ state: meshState(1), version: 1 });
      expect(await store.getPlan(mesh, 'p-1')).toEqual(pendingRecord(mesh, plan));
      expect(await store.listOpenPlans(mesh)).toEqual([pendingRecord(mesh, plan)]);
      const stored = await store.listEvents(mesh, { limit: 10 });
      expect(withoutSeq(stored)).toEqual([events[1], events[0]]);
      expect(stored[0]!.seq).toBeGreaterThan(stored[1]!.seq);

      expect(await store.commit(mesh, 1, meshState(2), null, [])).toBe(2);
      expect(await store.load(mesh)).toEqual({ state: meshState(2), version: 2 });
    });

    test("a commit carrying another mesh's events is refused whole", async () => {
      const mesh = newMesh();
      const other = newMesh();
      await expect(
        store.commit(mesh, 0, meshState(1), makePlan('p-1', 1), [auditEvent(mesh, 1, 'own'), auditEvent(other, 1, 'foreign')]),
      ).rejects.toBeInstanceOf(ValidationError);
      expect(await store.load(mesh)).toEqual({ state: null, version: 0 });
      expect(await store.getPlan(mesh, 'p-1')).toBeNull();
      expect([await store.listEvents(mesh, { limit: 5 }), await store.listEvents(other, { limit: 5 })]).toEqual([[], []]);
    });

    test('a plan without steps is not journaled', async () => {
      const mesh = newMesh();
      await store.commit(mesh, 0, meshState(1), makePlan('p-empty', 5, []), []);
      expect(await store.getPlan(mesh, 'p-empty')).toBeNull();
      expect(await store.listOpenPlans(mesh)).toEqual([]);
    });

    test('a stale version is refused with StateConflictError and writes nothing', async () => {
      const mesh = newMesh();
      const first = makePlan('p-1', 10);
      await store.commit(mesh, 0, meshState(1, { lastChangeAt: 10 }), first, [auditEvent(mesh, 10, 'kept')]);
      const eventsBefore = await store.listEvents(mesh, { limit: 10 });

      for (const stale of [0, 2, 7]) {
        const loser = makePlan(`p-stale-${stale}`, 20);
        await expect(store.commit(mesh, stale, meshState(99), loser, [auditEvent(mesh, 20, `lost at ${stale}`)])).rejects.toBeInstanceOf(
          StateConflictError,
        );
        expect(await store.getPlan(mesh, loser.id)).toBeNull();
      }
      expect(await store.load(mesh)).toEqual({ state: meshState(1, { lastChangeAt: 10 }), version: 1 });
      expect(await store.listOpenPlans(mesh)).toEqual([pendingRecord(mesh, first)]);
      expect(await store.listEvents(mesh, { limit: 10 })).toEqual(eventsBefore);
    });

    test('open plans are listed oldest first, per mesh, without finished ones', async () => {
      const mesh = newMesh();
      const other = newMesh();
      const plans = [makePlan('p-a', 3_000), makePlan('p-b', 1_000), makePlan('p-c', 2_000), makePlan('p-d', 4_000)];
      let version = 0;
      for (const plan of plans) version = await store.commit(mesh, version, meshState(version + 1), plan, []);
      await store.commit(other, 0, meshState(1), makePlan('p-other', 500), []);

      expect((await store.listOpenPlans(mesh)).map((r) => r.plan.id)).toEqual(['p-b', 'p-c', 'p-a', 'p-d']);

      expect(await store.acquireLease(mesh, 'p-c', 'exec-1', 9_000, 2_500)).toBe(true);
      await store.recordStep(mesh, 'p-c', 'exec-1', 0, { status: 'done', at: 2_600, attempts: 1 }, { status: 'pending', dueAt: 2_600 });
      await store.recordStep(
        mesh,
        'p-c',
        'exec-1',
        1,
        { status: 'failed', at: 2_700, attempts: 3, error: 'mesh rejected' },
        { status: 'failed', dueAt: 2_700 },
      );
      expect(await store.acquireLease(mesh, 'p-a', 'exec-1', 9_000, 3_500)).toBe(true);
      await store.recordStep(mesh, 'p-a', 'exec-1', 0, { status: 'done', at: 3_600, attempts: 1 }, { status: 'pending', dueAt: 3_600 });
      await store.recordStep(mesh, 'p-a', 'exec-1', 1, { status: 'skipped', at: 3_700, attempts: 0 }, { status: 'done', dueAt: 3_700 });

      expect(await store.listOpenPlans(mesh)).toEqual([pendingRecord(mesh, plans[1]!), pendingRecord(mesh, plans[3]!)]);
      expect(await store.getPlan(mesh, 'p-c')).toEqual({
        ...pendingRecord(mesh, plans[2]!),
        status: 'failed',
        leaseOwner: 'exec-1',
        leaseUntil: 9_000,
        dueAt: 2_700,
        outcomes: [
          { status: 'done', at: 2_600, attempts: 1 },
          { status: 'failed', at: 2_700, attempts: 3, error: 'mesh rejected' },
        ],
      });
    });

    test('recordStep writes one outcome, the status and dueAt, and only for the lease holder', async () => {
      const mesh = newMesh();
      const plan = makePlan('p-1', 100, [scaleStep, meshStep, { kind: 'notify', level: 'info', message: 'done' }]);
      await store.commit(mesh, 0, meshState(1), plan, []);
      expect(await store.acquireLease(mesh, 'p-1', 'exec-a', 5_000, 200)).toBe(true);

      // Two steps of one plan record at the same moment (a drain scales regions concurrently).
      await Promise.all([
        store.recordStep(mesh, 'p-1', 'exec-a', 0, { status: 'done', at: 300, attempts: 1 }, { status: 'pending', dueAt: 300 }),
        store.recordStep(mesh, 'p-1', 'exec-a', 2, { status: 'running', at: 310, attempts: 2 }, { status: 'pending', dueAt: 310 }),
      ]);
      const afterBoth = await store.getPlan(mesh, 'p-1');
      expect(afterBoth?.outcomes).toEqual([
        { status: 'done', at: 300, attempts: 1 },
        { status: 'pending', at: 100, attempts: 0 },
        { status: 'running', at: 310, attempts: 2 },
      ]);

      await store.recordStep(
        mesh,
        'p-1',
        'exec-a',
        1,
        { status: 'pending', at: 400, attempts: 1, error: 'throttled' },
        { status: 'pending', dueAt: 9_999 },
      );
      const expected: PlanRecord = {
        ...pendingRecord(mesh, plan),
        leaseOwner: 'exec-a',
        leaseUntil: 5_000,
        dueAt: 9_999,
        outcomes: [
          { status: 'done', at: 300, attempts: 1 },
          { status: 'pending', at: 400, attempts: 1, error: 'throttled' },
          { status: 'running', at: 310, attempts: 2 },
        ],
      };
      expect(await store.getPlan(mesh, 'p-1')).toEqual(expected);

      await expect(
        store.recordStep(mesh, 'p-1', 'exec-b', 1, { status: 'done', at: 500, attempts: 1 }, { status: 'done', dueAt: 500 }),
      ).rejects.toBeInstanceOf(StateConflictError);
      await expect(
        store.recordStep(mesh, 'p-1', 'exec-a', 3, { status: 'done', at: 500, attempts: 1 }, { status: 'done', dueAt: 500 }),
      ).rejects.toBeInstanceOf(ValidationError);
      await expect(
        store.recordStep(mesh, 'p-missing', 'exec-a', 0, { status: 'done', at: 500, attempts: 1 }, { status: 'done', dueAt: 500 }),
      ).rejects.toMatchObject({ code: 'STATE.PLAN_NOT_FOUND' });
      expect(await store.getPlan(mesh, 'p-1')).toEqual(expected);
    });

    test('leases: free is taken, a live one is refused, an expired one is taken over, the holder renews and releases', async () => {
      const mesh = newMesh();
      const plan = makePlan('p-1', 100);
      await store.commit(mesh, 0, meshState(1), plan, []);
      const lease = async (): Promise<Pick<PlanRecord, 'leaseOwner' | 'leaseUntil'>> => {
        const record = await store.getPlan(mesh, 'p-1');
        return { leaseOwner: record!.leaseOwner, leaseUntil: record!.leaseUntil };
      };

      expect(await store.acquireLease(mesh, 'p-1', 'a', 1_000, 100)).toBe(true);
      expect(await lease()).toEqual({ leaseOwner: 'a', leaseUntil: 1_000 });
      expect(await store.acquireLease(mesh, 'p-1', 'b', 2_000, 999)).toBe(false);
      expect(await lease()).toEqual({ leaseOwner: 'a', leaseUntil: 1_000 });
      expect(await store.acquireLease(mesh, 'p-1', 'a', 1_500, 999)).toBe(true);
      expect(await lease()).toEqual({ leaseOwner: 'a', leaseUntil: 1_500 });
      expect(await store.acquireLease(mesh, 'p-1', 'b', 3_000, 1_500)).toBe(true);
      expect(await lease()).toEqual({ leaseOwner: 'b', leaseUntil: 3_000 });

      await store.releaseLease(mesh, 'p-1', 'a');
      expect(await lease()).toEqual({ leaseOwner: 'b', leaseUntil: 3_000 });
      await store.releaseLease(mesh, 'p-1', 'b');
      expect(await lease()).toEqual({ leaseOwner: null, leaseUntil: 0 });
      expect(await store.acquireLease(mesh, 'p-1', 'c', 4_000, 2_000)).toBe(true);
      expect(await lease()).toEqual({ leaseOwner: 'c', leaseUntil: 4_000 });

      expect(await store.acquireLease(mesh, 'p-unknown', 'a', 1_000, 100)).toBe(false);
      expect(await store.getPlan(mesh, 'p-unknown')).toBeNull();
    });

    test('only one of several racing executors gets a free lease', async () => {
      const mesh = newMesh();
      await store.commit(mesh, 0, meshState(1), makePlan('p-1', 100), []);
      const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((owner) => store.acquireLease(mesh, 'p-1', owner, 10_000, 200)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = ['a', 'b', 'c', 'd', 'e'][results.indexOf(true)];
      expect((await store.getPlan(mesh, 'p-1'))?.leaseOwner).toBe(winner);
    });

    test('events page newest first with `before`, per mesh', async () => {
      const mesh = newMesh();
      const other = newMesh();
      const written: AuditEvent[] = [];
      for (let i = 0; i < 7; i++) {
        const batch = [auditEvent(mesh, 1_000 + i, `append ${i}`, { kind: 'signal', actor: 'cms' })];
        await store.appendEvents(batch);
        written.push(...batch);
      }
      const committed = [
        auditEvent(mesh, 2_000, 'commit a', { planId: 'p-9' }),
        auditEvent(mesh, 2_001, 'commit b', { detail: [1, 'two', null] }),
      ];
      await store.commit(mesh, 0, meshState(1), null, committed);
      written.push(...committed);
      await store.appendEvents([auditEvent(other, 5, 'elsewhere'), auditEvent(mesh, 3_000, 'last', { kind: 'alert' })]);
      written.push(auditEvent(mesh, 3_000, 'last', { kind: 'alert' }));

      const first = await store.listEvents(mesh, { limit: 3 });
      expect(withoutSeq(first)).toEqual([written[9], written[8], written[7]]);
      const second = await store.listEvents(mesh, { limit: 3, before: first[2]!.seq });
      expect(withoutSeq(second)).toEqual([written[6], written[5], written[4]]);

      const all = await readAllEvents(store, mesh, 4);
      expect(withoutSeq(all)).toEqual([...written].reverse());
      expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => b - a));
      expect(new Set(all.map((e) => e.seq)).size).toBe(all.length);
      expect(await store.listEvents(mesh, { limit: 5, before: all[all.length - 1]!.seq })).toEqual([]);
      expect(withoutSeq(await store.listEvents(other, { limit: 5 }))).toEqual([auditEvent(other, 5, 'elsewhere')]);
    });

    test('rememberKey: new is true, a live repeat is false, an expired key is taken again', async () => {
      const key = `delivery-${randomUUID()}`;
      expect(await store.rememberKey(key, 1_000, 100)).toBe(true);
      expect(await store.rememberKey(key, 5_000, 999)).toBe(false);
      expect(await store.rememberKey(key, 2_000, 1_000)).toBe(true);
      expect(await store.rememberKey(key, 9_000, 1_999)).toBe(false);
      expect(await store.rememberKey(`${key}-other`, 9_000, 1_999)).toBe(true);
      const racing = await Promise.all([1, 2, 3, 4].map(() => store.rememberKey(`${key}-race`, 9_000, 100)));
      expect(racing.filter(Boolean)).toHaveLength(1);
    });

    test('concurrent read-modify-CAS writers lose no update, and a lost race leaves no plan or event behind', async () => {
      const mesh = newMesh();
      const writers = 6;
      const increments = 8;
      let conflicts = 0;
      const writer = async (w: number): Promise<void> => {
        for (let done = 0; done < increments;) {
          const { state, version } = await store.load(mesh);
          const seq = (state?.seq ?? 0) + 1;
          // Every writer that read `seq` builds the same plan id: the store must keep only the winner's plan.
          const plan = makePlan(`p-${seq}`, seq, [scaleStep], `writer-${w}`);
          try {
            await store.commit(mesh, version, meshState(seq), plan, [auditEvent(mesh, seq, `writer-${w} made ${seq}`)]);
            done++;
          } catch (err) {
            if (!(err instanceof StateConflictError)) throw err;
            conflicts++;
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
          }
        }
      };
      await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));

      const total = writers * increments;
      expect(await store.load(mesh)).toEqual({ state: meshState(total), version: total });
      const events = await readAllEvents(store, mesh, 25);
      expect(events.map((e) => e.at)).toEqual(Array.from({ length: total }, (_, i) => total - i));
      const open = await store.listOpenPlans(mesh);
      expect(open.map((r) => r.plan.id)).toEqual(Array.from({ length: total }, (_, i) => `p-${i + 1}`));
      for (const record of open) {
        const event = events.find((e) => e.at === record.plan.at)!;
        expect(event.summary).toBe(`${record.plan.trigger} made ${record.plan.at}`);
      }
      expect(conflicts).toBeGreaterThan(0);
    });
  });
}
