import { spawn } from 'node:child_process';
import TableStore from 'tablestore';
import { createStateTables, MissingEnvError } from '../../infra/create-tables';
import { stateTableNames } from '../../shared/adapters/state-tablestore-schema';
import { startTablestoreTwin, type TablestoreTwin } from '../../lab/tablestore/server';

const credentials = { accessKeyId: 'LTAI-infra', accessKeySecret: 'infra-secret', instance: 'regionshift-infra' };
let twin: TablestoreTwin;
let env: Record<string, string>;
let client: TableStore.Client;

beforeEach(async () => {
  twin = await startTablestoreTwin(credentials);
  env = {
    TABLESTORE_ENDPOINT: twin.endpoint,
    TABLESTORE_INSTANCE: credentials.instance,
    TABLESTORE_ACCESS_KEY_ID: credentials.accessKeyId,
    TABLESTORE_ACCESS_KEY_SECRET: credentials.accessKeySecret,
  };
  client = new TableStore.Client({
    endpoint: twin.endpoint,
    instancename: credentials.instance,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.accessKeySecret,
  });
});
afterEach(async () => {
  await twin.stop();
});

test('creates the four tables with their keys and TTLs, then finds them on a second run', async () => {
  const names = stateTableNames();
  expect(await createStateTables(env)).toEqual({ created: [names.state, names.plans, names.events, names.keys], existing: [] });
  const described = await Promise.all(
    [names.state, names.plans, names.events, names.keys].map(async (tableName) => {
      const d = await client.describeTable({ tableName });
      return {
        tableName,
        pk: d.tableMeta.primaryKey.map((c) => `${c.name}:${c.type}`),
        ttl: d.tableOptions.timeToLive,
        maxVersions: d.tableOptions.maxVersions,
      };
    }),
  );
  expect(described).toEqual([
    { tableName: 'regionshift_state', pk: ['mesh:2'], ttl: -1, maxVersions: 1 },
    { tableName: 'regionshift_plans', pk: ['mesh:2', 'plan_key:2'], ttl: 7_776_000, maxVersions: 1 },
    { tableName: 'regionshift_events', pk: ['mesh:2', 'seq:1'], ttl: 7_776_000, maxVersions: 1 },
    { tableName: 'regionshift_keys', pk: ['key:2'], ttl: 172_800, maxVersions: 1 },
  ]);
  expect(await createStateTables(env)).toEqual({ created: [], existing: [names.state, names.plans, names.events, names.keys] });
});

test('refuses an existing table whose primary key differs, and names every missing variable', async () => {
  await client.createTable({
    tableMeta: {
      tableName: 'custom_events',
      primaryKey: [
        { name: 'mesh', type: 'STRING' },
        { name: 'seq', type: 'STRING' },
      ],
    },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  await expect(createStateTables({ ...env, TABLESTORE_TABLE_PREFIX: 'custom' })).rejects.toThrow(
    /custom_events exists with primary key \(mesh:2,seq:2\), expected \(mesh:2,seq:1\)/,
  );

  const { TABLESTORE_INSTANCE: _i, TABLESTORE_ACCESS_KEY_SECRET: _s, ...partial } = env;
  const err: unknown = await createStateTables(partial).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MissingEnvError);
  expect((err as MissingEnvError).missing).toEqual(['TABLESTORE_INSTANCE', 'TABLESTORE_ACCESS_KEY_SECRET']);
});

test('npm run infra:tables entry point creates the tables and exits 0', async () => {
  const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/create-tables.ts'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
  expect(result.code).toBe(0);
  expect(result.out).toContain('created: regionshift_state, regionshift_plans, regionshift_events, regionshift_keys');
  expect((await client.listTable({})).tableNames.sort()).toEqual([
    'regionshift_events',
    'regionshift_keys',
    'regionshift_plans',
    'regionshift_state',
  ]);
});
