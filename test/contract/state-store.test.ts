import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStateStore } from '../../shared/adapters/state-sqlite';
import { describeStateStoreContract } from './state-store.contract';

describeStateStoreContract('SQLite (temp file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'regionshift-state-'));
  const store = new SqliteStateStore(join(dir, 'nested', 'state.db'));
  return { store, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
});
