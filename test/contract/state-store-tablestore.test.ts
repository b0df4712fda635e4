import TableStore from 'tablestore';
import { StateConflictError, UpstreamError } from '../../shared/core/errors';
import { TablestoreStateStore } from '../../shared/adapters/state-tablestore';
import { ensureStateTables, stateTableNames } from '../../shared/adapters/state-tablestore-schema';
import { startTablestoreTwin, type TablestoreTwin } from '../../lab/tablestore/server';
import { auditEvent, makePlan, meshState, newMesh } from './state-store.contract';

/**
 * What only the Tablestore adapter has to get right: the window between its pre-written plan
 * and event rows and the state row's CAS, and the SDK's errors (a 403 is not always a lost CAS).
 */
const credentials = { accessKeyId: 'LTAI-adapter-test', accessKeySecret: 'adapter-secret', instance: 'regionshift-adapter' };
const tables = stateTableNames();

let twin: TablestoreTwin;
let raw: TableStore.Client;
const stores: TablestoreStateStore[] = [];
function store(overrides: Partial<ConstructorParameters<typeof TablestoreStateStore>[0]> = {}): TablestoreStateStore {
  const s = new TablestoreStateStore({ ...credentials, endpoint: twin.endpoint, ...overrides });
  stores.push(s);
  return s;
}

beforeEach(async () => {
  twin = await startTablestoreTwin(credentials);
  raw = new TableStore.Client({
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.accessKeySecret,
    endpoint: twin.endpoint,
    instancename: credentials.instance,
  });
  await ensureStateTables(raw, tables);
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await twin.stop();
});

interface RawRow {
  key: string;
  confirmed: unknown;
  token: unknown;
}
async function rawRows(table: string, mesh: string, keyColumn: string): Promise<RawRow[]> {
  const { rows } = await raw.getRange({
    tableName: table,
    direction: 'FORWARD',
    inclusiveStartPrimaryKey: [{ mesh }, { [keyColumn]: TableStore.INF_MIN }],
    exclusiveEndPrimaryKey: [{ mesh }, { [keyColumn]: TableStore.INF_MAX }],
  });
  return rows.map((row) => {
    const cell = (name: string): unknown => row.attributes?.find((a) => a.columnName === name)?.columnValue;
    return { key: String(row.primaryKey?.[1]?.value), confirmed: cell('confirmed'), token: cell('commit_token') };
  });
}

test('a writer that loses the CAS after writing its plan and events leaves nothing visible, even under the same plan id', async () => {
  const mesh = newMesh();
  const a = store();
  const b = store();
  await a.commit(mesh, 0, meshState(1), null, [auditEvent(mesh, 1, 'setup')]);
  const readByA = await a.load(mesh);
  const readByB = await b.load(mesh);

  //   A: batch(plan p-2#a, event a) ─ UpdateRow state ──(held)──────────────── ✗ conflict
  //   B:                               batch(plan p-2#b, event b) ─ UpdateRow ✓ v2
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let held: () => void = () => undefined;
  const aIsHeld = new Promise<void>((resolve) => {
    held = resolve;
  });
  let holding = false;
  twin.intercept(async ({ operation, tables: touched }) => {
    if (operation === 'UpdateRow' && touched.includes(tables.state) && !holding) {
      holding = true;
      held();
      await gate;
    }
  });
  const aCommit = a.commit(mesh, readByA.version, meshState(2), makePlan('p-2', 2, undefined, 'writer-a'), [auditEvent(mesh, 2, 'by a')]);
  await aIsHeld;
  expect(
    await b.commit(mesh, readByB.version, meshState(2, { lastChangeAt: 2 }), makePlan('p-2', 2, undefined, 'writer-b'), [
      auditEvent(mesh, 2, 'by b'),
    ]),
  ).toBe(2);
  release();
  await expect(aCommit).rejects.toBeInstanceOf(StateConflictError);
  twin.intercept(null);

  for (const reader of [a, b, store()]) {
    expect(await reader.load(mesh)).toEqual({ state: meshState(2, { lastChangeAt: 2 }), version: 2 });
    expect((await reader.getPlan(mesh, 'p-2'))?.plan.trigger).toBe('writer-b');
    expect((await reader.listEvents(mesh, { limit: 10 })).map((e) => e.summary)).toEqual(['by b', 'setup']);
  }
  expect(await rawRows(tables.plans, mesh, 'plan_key')).toHaveLength(2);
  expect((await a.listOpenPlans(mesh)).map((r) => r.plan.trigger)).toEqual(['writer-b']);
  // listOpenPlans swept A's orphan: only B's plan row is left.
  expect((await rawRows(tables.plans, mesh, 'plan_key')).map((r) => r.confirmed)).toEqual([false]);

  // The next commit vouches for B's rows before its own CAS; A's event row stays unconfirmed and hidden.
  await a.commit(mesh, 2, meshState(3), null, [auditEvent(mesh, 3, 'third')]);
  expect((await rawRows(tables.plans, mesh, 'plan_key')).map((r) => r.confirmed)).toEqual([true]);
  const events = await rawRows(tables.events, mesh, 'seq');
  expect(events.map((e) => e.confirmed).sort()).toEqual([false, false, true, true]);
  expect((await b.listEvents(mesh, { limit: 10 })).map((e) => e.summary)).toEqual(['third', 'by b', 'setup']);
  expect((await b.getPlan(mesh, 'p-2'))?.plan.trigger).toBe('writer-b');
});

test('a commit whose CAS request fails is retryable and leaves no visible trace; the retry commits once', async () => {
  const mesh = newMesh();
  const s = store();
  await s.commit(mesh, 0, meshState(1), null, []);
  twin.injectFault({ operation: 'UpdateRow', table: tables.state, status: 503, code: 'OTSServerBusy', message: 'Server is busy.' });
  const failed = s.commit(mesh, 1, meshState(2), makePlan('p-2', 2), [auditEvent(mesh, 2, 'attempt')]);
  await expect(failed).rejects.toBeInstanceOf(UpstreamError);
  await expect(failed).rejects.toMatchObject({ code: 'STATE.TABLESTORE', retryable: true });
  expect(await s.load(mesh)).toEqual({ state: meshState(1), version: 1 });
  expect(await s.getPlan(mesh, 'p-2')).toBeNull();
  expect(await s.listEvents(mesh, { limit: 10 })).toEqual([]);

  expect(await s.commit(mesh, 1, meshState(2), makePlan('p-2', 2), [auditEvent(mesh, 2, 'attempt')])).toBe(2);
  expect((await s.listOpenPlans(mesh)).map((r) => r.plan.id)).toEqual(['p-2']);
  expect((await s.listEvents(mesh, { limit: 10 })).map((e) => e.summary)).toEqual(['attempt']);
});

test('a throttled BatchWriteRow fails the commit before its CAS', async () => {
  const mesh = newMesh();
  const s = store();
  twin.injectFault({ operation: 'BatchWriteRow', status: 503, code: 'OTSServerBusy' });
  await expect(s.commit(mesh, 0, meshState(1), makePlan('p-1', 1), [])).rejects.toMatchObject({
    retryable: true,
    code: 'STATE.TABLESTORE',
  });
  expect(await s.load(mesh)).toEqual({ state: null, version: 0 });
});

test('a wrong secret is an upstream error that no retry fixes, never a lost CAS (both are HTTP 403)', async () => {
  const mesh = newMesh();
  await store().commit(mesh, 0, meshState(1), null, []);
  const wrong = store({ accessKeySecret: 'not-the-secret' });
  for (const attempt of [wrong.load(mesh), wrong.commit(mesh, 1, meshState(2), null, []), wrong.rememberKey('k', 10, 1)]) {
    const err: unknown = await attempt.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).not.toBeInstanceOf(StateConflictError);
    expect(err).toMatchObject({ retryable: false, message: expect.stringContaining('OTSAuthFailed') });
  }
});

test('missing tables and an unreachable endpoint are reported as such', async () => {
  const unprovisioned = store({ tablePrefix: 'not_created' });
  await expect(unprovisioned.load(newMesh())).rejects.toMatchObject({
    retryable: false,
    message: expect.stringContaining('OTSObjectNotExist'),
  });

  const endpoint = twin.endpoint;
  await twin.stop();
  const offline = store({ endpoint, maxRetries: 1 });
  await expect(offline.appendEvents([auditEvent('m', 1, 'x')])).rejects.toMatchObject({ code: 'STATE.TABLESTORE', retryable: true });
  twin = await startTablestoreTwin(credentials);
});
