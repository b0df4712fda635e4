import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStateStore } from '../../../shared/adapters/state-sqlite';
import { RuntimeClosedError, runtimeFactory } from '../../../shared/runtime/index';
import { FakeClock, FakeClusterScaler, FakeMeshControl } from '../../../lab/fakes';

/**
 * A runtime closes what it opened: the SQLite store (its file handle and its WAL checkpoint
 * worker). Without it, every lab (and every test that starts one) left a worker checkpointing the
 * state file every 250 ms until the process ended. SQLite removes the `-wal` file only when the
 * last connection to the database closes, so its absence shows both the store's connection and
 * the worker's are gone.
 */
let dir: string;
let file: string;
const clock = new FakeClock();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'regionshift-runtime-close-'));
  file = join(dir, 'state.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function env(): Record<string, string> {
  return {
    REGIONSHIFT_STATE: 'sqlite',
    REGIONSHIFT_SQLITE_FILE: file,
    REGIONSHIFT_POLICY: readFileSync('examples/bookinfo.yaml', 'utf8'),
    REGIONSHIFT_ALARM_TOKEN: 'alarm-token-0123456789abcdef',
    REGIONSHIFT_CONTROL_SECRET: 'control-secret-0123456789abcdef',
    REGIONSHIFT_LOG_FILE: join(dir, 'functions.log'),
  };
}

const adapters = () => ({ mesh: new FakeMeshControl({ clock }), scaler: new FakeClusterScaler(clock), clock });

/** The checkpoint worker reports in once it has its own connection; until then SQLite checkpoints inline. */
async function backgroundCheckpoints(store: SqliteStateStore): Promise<void> {
  for (let i = 0; i < 200 && !store.checkpointsInBackground; i++) await new Promise((r) => setTimeout(r, 25));
  expect(store.checkpointsInBackground).toBe(true);
}

test('close() closes the store the runtime opened: no checkpoint worker, no connection left, later invocations refused', async () => {
  const factory = runtimeFactory(env(), adapters());
  const runtime = await factory({ requestId: 'r-1' });
  const store = runtime.store as SqliteStateStore;
  expect(store).toBeInstanceOf(SqliteStateStore);
  await store.appendEvents([{ mesh: 'bookinfo', at: 1, kind: 'raw', actor: 'test', summary: 'written before close', detail: null }]);
  await backgroundCheckpoints(store);
  expect(existsSync(`${file}-wal`)).toBe(true);

  await factory.close();

  expect(store.checkpointsInBackground).toBe(false);
  await expect(store.load('bookinfo')).rejects.toThrow();
  expect(existsSync(`${file}-wal`)).toBe(false);
  // Closing again is harmless; an invocation after it is refused rather than served by a closed store.
  await factory.close();
  await expect(factory({ requestId: 'r-2' })).rejects.toBeInstanceOf(RuntimeClosedError);
  await expect(factory({ requestId: 'r-3' })).rejects.toMatchObject({ code: 'RUNTIME.CLOSED' });
  // What was written is in the database file itself (the WAL was checkpointed into it on close).
  const reopened = new SqliteStateStore(file, { checkpoint: 'inline' });
  try {
    expect((await reopened.listEvents('bookinfo', { limit: 10 })).map((e) => e.summary)).toEqual(['written before close']);
  } finally {
    await reopened.close();
  }
});

test('close() during a cold start waits for it, then closes what it opened', async () => {
  const factory = runtimeFactory(env(), adapters());
  const invocation = factory({ requestId: 'r-1' });
  const closed = factory.close();
  await expect(invocation).rejects.toBeInstanceOf(RuntimeClosedError);
  await closed;
  expect(existsSync(`${file}-wal`)).toBe(false);
});

test('close() before any invocation opens nothing', async () => {
  const factory = runtimeFactory(env(), adapters());
  await factory.close();
  expect(existsSync(file)).toBe(false);
});

test("a store passed in by the caller is the caller's: close() leaves it open", async () => {
  const own = new SqliteStateStore(file);
  try {
    const factory = runtimeFactory(env(), { ...adapters(), store: own });
    await factory({ requestId: 'r-1' });
    await factory.close();
    await expect(own.load('bookinfo')).resolves.toMatchObject({ version: 0 });
  } finally {
    await own.close();
  }
});
