import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import TableStore from 'tablestore';
import { SqliteStateStore } from '../../shared/adapters/state-sqlite';
import { TablestoreStateStore } from '../../shared/adapters/state-tablestore';
import { ensureStateTables, stateTableNames } from '../../shared/adapters/state-tablestore-schema';
import { StateConflictError } from '../../shared/core/errors';
import type { StateStore } from '../../shared/ports/state-store';
import type { TelemetryWindowStore } from '../../shared/ports/telemetry-windows';
import { startTablestoreTwin } from '../../lab/tablestore/server';

type Store = StateStore & TelemetryWindowStore;

const backends: Array<[string, () => Promise<{ store: Store; cleanup: () => Promise<void> }>]> = [
  [
    'SQLite (temp file)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'regionshift-windows-'));
      const store = new SqliteStateStore(join(dir, 'state.db'), { checkpoint: 'inline' });
      return {
        store,
        cleanup: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'Tablestore adapter → Tablestore twin',
    async () => {
      const credentials = { accessKeyId: 'LTAI-twin-test', accessKeySecret: 'twin-secret', instance: 'regionshift-test' };
      const twin = await startTablestoreTwin(credentials);
      const client = new TableStore.Client({
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.accessKeySecret,
        endpoint: twin.endpoint,
        instancename: credentials.instance,
      });
      await ensureStateTables(client, stateTableNames());
      const store = new TablestoreStateStore({ ...credentials, endpoint: twin.endpoint });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await twin.stop();
        },
      };
    },
  ],
];

describe.each(backends)('telemetry window row: %s', (_name, open) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, cleanup } = await open()));
  afterEach(async () => cleanup());

  test('versioned under compare-and-set: a write over a stale version is a conflict and changes nothing', async () => {
    expect(await store.loadWindows('bookinfo')).toEqual({ text: null, version: 0 });
    expect(await store.saveWindows('bookinfo', 0, '{"a":1}')).toBe(1);
    await expect(store.saveWindows('bookinfo', 0, '{"a":2}')).rejects.toBeInstanceOf(StateConflictError);
    expect(await store.saveWindows('bookinfo', 1, '{"a":3}')).toBe(2);
    await expect(store.saveWindows('bookinfo', 1, '{"a":4}')).rejects.toBeInstanceOf(StateConflictError);
    expect(await store.loadWindows('bookinfo')).toEqual({ text: '{"a":3}', version: 2 });
    expect(await store.loadWindows('other')).toEqual({ text: null, version: 0 });
  });

  test('two writers from the same version: exactly one wins', async () => {
    await store.saveWindows('bookinfo', 0, 'base');
    const results = await Promise.allSettled([store.saveWindows('bookinfo', 1, 'x'), store.saveWindows('bookinfo', 1, 'y')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(StateConflictError);
    expect((await store.loadWindows('bookinfo')).version).toBe(2);
  });

  test('the row does not disturb the idempotency keys or the state row', async () => {
    await store.saveWindows('bookinfo', 0, '{}');
    expect(await store.rememberKey('telemetry-windows', 10_000, 1_000)).toBe(true);
    expect((await store.load('bookinfo')).version).toBe(0);
    expect((await store.loadWindows('bookinfo')).text).toBe('{}');
  });
});
