import TableStore from 'tablestore';

/**
 * The Tablestore tables of the state store: one definition, used by the adapter, by
 * `infra/create-tables.ts` and by the tests that create tables on the twin.
 */
export interface StateTableNames {
  /** One versioned row per mesh: PK (mesh). */
  state: string;
  /** The plan journal: PK (mesh, plan_key) where plan_key = `${planId}#${commitToken}`. */
  plans: string;
  /** The audit log: PK (mesh, seq), seq a time-ordered unique integer. */
  events: string;
  /** Idempotency keys: PK (key). */
  keys: string;
}

export interface StateTableDefinition {
  name: string;
  primaryKey: Array<{ name: string; type: 'STRING' | 'INTEGER' }>;
  /** Seconds; -1 keeps rows forever. Tablestore accepts -1 or at least 86400. */
  timeToLive: number;
  purpose: string;
}

const DAY = 86_400;

/** Audit lines and finished plans are kept 90 days; idempotency keys 2 days (the longest key lives minutes). */
export const EVENTS_TTL_SECONDS = 90 * DAY;
export const PLANS_TTL_SECONDS = 90 * DAY;
export const KEYS_TTL_SECONDS = 2 * DAY;

export function stateTableNames(prefix = 'regionshift'): StateTableNames {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,200}$/.test(prefix)) {
    throw new Error(`table prefix ${JSON.stringify(prefix)}: letters, digits and _ only, not starting with a digit`);
  }
  return { state: `${prefix}_state`, plans: `${prefix}_plans`, events: `${prefix}_events`, keys: `${prefix}_keys` };
}

export function stateTableDefinitions(names: StateTableNames): StateTableDefinition[] {
  return [
    {
      name: names.state,
      primaryKey: [{ name: 'mesh', type: 'STRING' }],
      timeToLive: -1,
      purpose: 'versioned decision state, one row per mesh',
    },
    {
      name: names.plans,
      primaryKey: [
        { name: 'mesh', type: 'STRING' },
        { name: 'plan_key', type: 'STRING' },
      ],
      timeToLive: PLANS_TTL_SECONDS,
      purpose: 'plan journal: step outcomes, execution lease',
    },
    {
      name: names.events,
      primaryKey: [
        { name: 'mesh', type: 'STRING' },
        { name: 'seq', type: 'INTEGER' },
      ],
      timeToLive: EVENTS_TTL_SECONDS,
      purpose: 'append-only audit log',
    },
    {
      name: names.keys,
      primaryKey: [{ name: 'key', type: 'STRING' }],
      timeToLive: KEYS_TTL_SECONDS,
      purpose: 'idempotency keys (request ids, delivery ids)',
    },
  ];
}

const PK_TYPE_NUMBER = { INTEGER: 1, STRING: 2 } as const;

export interface EnsureTablesResult {
  created: string[];
  existing: string[];
}

/**
 * Creates the tables that are missing and checks that existing ones have the expected primary
 * key (a mismatch throws: the adapter would write rows the table rejects). A new table takes a
 * few seconds before it accepts reads and writes; with `waitReadyMs` this polls until it does.
 */
export async function ensureStateTables(
  client: TableStore.Client,
  names: StateTableNames,
  opts: { waitReadyMs?: number; log?: (line: string) => void } = {},
): Promise<EnsureTablesResult> {
  const log = opts.log ?? (() => undefined);
  const { tableNames } = await client.listTable({});
  const result: EnsureTablesResult = { created: [], existing: [] };
  for (const table of stateTableDefinitions(names)) {
    if (tableNames.includes(table.name)) {
      const described = await client.describeTable({ tableName: table.name });
      const actual = described.tableMeta.primaryKey.map((pk) => `${pk.name}:${pk.type}`).join(',');
      const expected = table.primaryKey.map((pk) => `${pk.name}:${PK_TYPE_NUMBER[pk.type]}`).join(',');
      if (actual !== expected) {
        throw new Error(`table ${table.name} exists with primary key (${actual}), expected (${expected}): drop it or use another prefix`);
      }
      if (described.tableOptions.timeToLive !== table.timeToLive) {
        log(`table ${table.name}: timeToLive is ${described.tableOptions.timeToLive}s, expected ${table.timeToLive}s (left as is)`);
      }
      result.existing.push(table.name);
      continue;
    }
    await client.createTable({
      tableMeta: { tableName: table.name, primaryKey: table.primaryKey },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: table.timeToLive, maxVersions: 1 },
    });
    log(`created ${table.name} (${table.purpose}; ttl ${table.timeToLive}s)`);
    result.created.push(table.name);
  }
  if (opts.waitReadyMs !== undefined) {
    for (const name of result.created)
      await waitUntilReadable(
        client,
        stateTableDefinitions(names).find((t) => t.name === name)!,
        opts.waitReadyMs,
      );
  }
  return result;
}

async function waitUntilReadable(client: TableStore.Client, table: StateTableDefinition, timeoutMs: number): Promise<void> {
  const probe: TableStore.PrimaryKeyInput = table.primaryKey.map((pk) => ({
    [pk.name]: pk.type === 'STRING' ? '__probe__' : TableStore.Long.fromNumber(0),
  }));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.getRow({ tableName: table.name, primaryKey: probe });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`table ${table.name} not readable after ${timeoutMs} ms`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}
