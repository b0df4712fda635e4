import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHECKPOINT_EVERY_MS, SqliteStateStore } from '../../shared/adapters/state-sqlite';
import type { MeshState } from '../../shared/core/types';

/**
 * WAL checkpoints run in the store's background worker, not inside a commit: a commit far below
 * SQLite's 1000-page automatic threshold reaches the database file within a few intervals, and
 * the store's own connection has its automatic checkpoint off (it would fsync inside a request).
 */
const waitFor = async (what: string, ok: () => boolean, ms = 10_000): Promise<void> => {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('a commit reaches the database file through the background checkpoint; close stops the worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'regionshift-ckpt-'));
  const file = join(dir, 'state.db');
  const store = new SqliteStateStore(file);
  try {
    await waitFor('the checkpoint worker', () => store.checkpointsInBackground === true);
    const before = statSync(file).size;
    // ≈ 40 pages of WAL: far from the 1000 pages that would make SQLite checkpoint in the commit.
    const big = { signals: {}, note: 'x'.repeat(160_000) } as unknown as MeshState;
    await store.commit('m', 0, big, null, []);
    expect(statSync(file).size).toBe(before); // the commit itself did not checkpoint
    await waitFor('the background checkpoint', () => statSync(file).size > before + 150_000, 20 * CHECKPOINT_EVERY_MS + 5_000);
    expect((await store.load('m')).version).toBe(1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  expect(store.checkpointsInBackground).toBe(false);
});

test("checkpoint: 'inline' keeps SQLite's automatic checkpoint and starts no worker", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'regionshift-ckpt-'));
  const store = new SqliteStateStore(join(dir, 'state.db'), { checkpoint: 'inline' });
  try {
    await new Promise((r) => setTimeout(r, 3 * CHECKPOINT_EVERY_MS));
    expect(store.checkpointsInBackground).toBe(false);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Runs a script in a fresh node process, its working directory a temporary folder: it opens a store
 * there, waits until the checkpoint worker runs and prints whether it does, then runs `after`.
 */
function runStoreScript(after: string, timeout?: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'regionshift-ckpt-'));
  try {
    const script = join(dir, 'probe.mts');
    const store = pathToFileURL(resolve('shared/adapters/state-sqlite.ts')).href;
    writeFileSync(
      script,
      `import { SqliteStateStore } from ${JSON.stringify(store)};
const s = new SqliteStateStore(${JSON.stringify(join(dir, 'state.db'))});
const until = Date.now() + 10000;
while (!s.checkpointsInBackground && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
process.stdout.write(String(s.checkpointsInBackground));
${after}
`,
    );
    const tsx = pathToFileURL(resolve('node_modules/tsx/dist/esm/index.mjs')).href;
    return execFileSync(process.execPath, ['--import', tsx, script], {
      cwd: dir,
      encoding: 'utf8',
      ...(timeout !== undefined && { timeout }),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a store never closed does not keep its process alive (the checkpoint worker is unref'd)", () => {
  // Exits by itself once its script is done; before the fix it hung until killed here.
  expect(runStoreScript('', 45_000)).toBe('true');
}, 60_000);

test('the checkpoint worker finds the SQLite driver whatever the working directory', () => {
  expect(runStoreScript('await s.close();')).toBe('true');
});
