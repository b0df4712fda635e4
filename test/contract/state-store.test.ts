import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import TableStore from 'tablestore';
import { SqliteStateStore } from '../../shared/adapters/state-sqlite';
import { TablestoreStateStore } from '../../shared/adapters/state-tablestore';
import { ensureStateTables, stateTableNames } from '../../shared/adapters/state-tablestore-schema';
import { startTablestoreTwin } from '../../lab/tablestore/server';
import { describeStateStoreContract } from './state-store.contract';

describeStateStoreContract('SQLite (temp file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'regionshift-state-'));
  const store = new SqliteStateStore(join(dir, 'nested', 'state.db'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

// A small GetRange page makes every scan of the adapter follow next_start_primary_key.
describeStateStoreContract('Tablestore adapter → Tablestore twin', async () => {
  const credentials = { accessKeyId: 'LTAI-twin-test', accessKeySecret: 'twin-secret', instance: 'regionshift-test' };
  const twin = await startTablestoreTwin({ ...credentials, maxRowsPerRange: 7 });
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
});

const REAL_TABLESTORE_ENV = [
  'TABLESTORE_ENDPOINT',
  'TABLESTORE_INSTANCE',
  'TABLESTORE_ACCESS_KEY_ID',
  'TABLESTORE_ACCESS_KEY_SECRET',
] as const;
const missing = REAL_TABLESTORE_ENV.filter((name) => !process.env[name]);
if (missing.length > 0) {
  console.info(`StateStore contract against a real Tablestore instance not registered: ${missing.join(', ')} not set`);
} else {
  const env = process.env as Record<(typeof REAL_TABLESTORE_ENV)[number], string>;
  const prefix = process.env.TABLESTORE_TABLE_PREFIX ?? 'regionshift_contract';
  const options = {
    endpoint: env.TABLESTORE_ENDPOINT,
    instance: env.TABLESTORE_INSTANCE,
    accessKeyId: env.TABLESTORE_ACCESS_KEY_ID,
    accessKeySecret: env.TABLESTORE_ACCESS_KEY_SECRET,
    tablePrefix: prefix,
    ...(process.env.TABLESTORE_SECURITY_TOKEN ? { securityToken: process.env.TABLESTORE_SECURITY_TOKEN } : {}),
  };
  let tablesReady: Promise<unknown> | null = null;
  describeStateStoreContract(`Tablestore adapter → real instance ${env.TABLESTORE_INSTANCE} (tables ${prefix}_*)`, async () => {
    tablesReady ??= ensureStateTables(
      new TableStore.Client({
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.accessKeySecret,
        endpoint: options.endpoint,
        instancename: options.instance,
        ...(options.securityToken ? { stsToken: options.securityToken } : {}),
      }),
      stateTableNames(prefix),
      { waitReadyMs: 120_000 },
    );
    await tablesReady;
    const store = new TablestoreStateStore(options);
    return { store, cleanup: () => store.close() };
  });
}
