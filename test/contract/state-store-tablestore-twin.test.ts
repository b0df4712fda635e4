import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import TableStore from 'tablestore';
import protos from 'tablestore/lib/protocol/tablestore_compiled_proto.js';
import { startTablestoreTwin, type TablestoreTwin, type TablestoreTwinOptions } from '../../lab/tablestore/server';

/**
 * The twin is only worth its name if the real SDK cannot tell it from Tablestore: these tests
 * drive it with the SDK (and one hand-signed request) and check the row semantics, paging,
 * conditions and errors the state store relies on.
 */
const credentials = { accessKeyId: 'LTAI-twin', accessKeySecret: 'twin-secret', instance: 'twin-instance' };
const { IGNORE, EXPECT_EXIST, EXPECT_NOT_EXIST } = TableStore.RowExistenceExpectation;
const { EQUAL, NOT_EQUAL, LESS_EQUAL, GREATER_THAN } = TableStore.ComparatorType;
const L = (n: number): TableStore.Int64LE => TableStore.Long.fromNumber(n);
const cond = (existence: number, column: TableStore.ColumnCondition | null = null): TableStore.Condition =>
  new TableStore.Condition(existence, column);

let twin: TablestoreTwin;
let client: TableStore.Client;
let clock = Date.now();

async function start(extra: Partial<TablestoreTwinOptions> = {}): Promise<void> {
  twin = await startTablestoreTwin({ ...credentials, now: () => clock, ...extra });
  client = clientFor({});
}
function clientFor(overrides: Partial<TableStore.ClientOptions>): TableStore.Client {
  return new TableStore.Client({
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.accessKeySecret,
    endpoint: twin.endpoint,
    instancename: credentials.instance,
    maxRetries: 0,
    ...overrides,
  });
}
async function createTable(name: string, pk: TableStore.PrimaryKeySchema[], timeToLive = -1, maxVersions = 1): Promise<void> {
  await client.createTable({
    tableMeta: { tableName: name, primaryKey: pk },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive, maxVersions },
  });
}
async function failure(p: Promise<unknown>): Promise<{ code: unknown; message: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (err === null) throw new Error('expected the request to fail');
  return { code: (err as { code: unknown }).code, message: String((err as Error).message) };
}
function attrs(row: TableStore.Row): Record<string, unknown> {
  return Object.fromEntries(
    (row.attributes ?? []).map((a) => [
      a.columnName,
      typeof a.columnValue === 'object' && 'toNumber' in a.columnValue ? a.columnValue.toNumber() : a.columnValue,
    ]),
  );
}

beforeEach(async () => {
  clock = Date.now();
  await start();
  await createTable('kv', [
    { name: 'mesh', type: 'STRING' },
    { name: 'n', type: 'INTEGER' },
  ]);
});
afterEach(async () => {
  await twin.stop();
});

test('rows of every cell type survive SDK → twin → SDK unchanged', async () => {
  const cell = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }).map((n) => ({ long: n })),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.boolean(),
    fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
  );
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_]{0,11}$/), cell, { minKeys: 1, maxKeys: 8 }),
      fc.string({ maxLength: 20 }),
      async (columns, mesh) => {
        const key: TableStore.PrimaryKeyInput = [{ mesh }, { n: L(++n) }];
        const input = Object.entries(columns).map(([name, v]) => ({
          [name]: typeof v === 'object' && v !== null && 'long' in v ? L(v.long) : v,
        })) as TableStore.AttributeColumnsInput;
        await client.putRow({ tableName: 'kv', primaryKey: key, attributeColumns: input, condition: cond(EXPECT_NOT_EXIST) });
        const { row } = await client.getRow({ tableName: 'kv', primaryKey: key });
        const expected = Object.fromEntries(
          Object.entries(columns).map(([name, v]) => [name, typeof v === 'object' && v !== null && 'long' in v ? v.long : v]),
        );
        expect(attrs(row)).toEqual(expected);
        expect(row.primaryKey?.map((c) => (typeof c.value === 'string' ? c.value : Number(String(c.value))))).toEqual([mesh, n]);
      },
    ),
    { numRuns: 60 },
  );
});

test('row existence expectations and column conditions', async () => {
  const key: TableStore.PrimaryKeyInput = [{ mesh: 'm' }, { n: L(1) }];
  const put = (condition: TableStore.Condition, v = 'x'): Promise<unknown> =>
    client.putRow({ tableName: 'kv', primaryKey: key, attributeColumns: [{ owner: v }, { until: L(100) }], condition });
  const update = (condition: TableStore.Condition): Promise<unknown> =>
    client.updateRow({ tableName: 'kv', primaryKey: key, updateOfAttributeColumns: [{ PUT: [{ touched: true }] }], condition });

  expect(await failure(update(cond(EXPECT_EXIST)))).toEqual({ code: 403, message: expect.stringContaining('OTSConditionCheckFail') });
  await put(cond(EXPECT_NOT_EXIST), 'a');
  expect((await failure(put(cond(EXPECT_NOT_EXIST)))).message).toContain('Condition check failed.');

  const passIfMissing = (pass: boolean): TableStore.SingleColumnCondition =>
    new TableStore.SingleColumnCondition('absent', 'v', EQUAL, pass);
  await update(cond(EXPECT_EXIST, passIfMissing(true)));
  expect((await failure(update(cond(EXPECT_EXIST, passIfMissing(false))))).message).toContain('OTSConditionCheckFail');
  expect((await failure(update(cond(EXPECT_EXIST, new TableStore.SingleColumnCondition('owner', 'b', EQUAL, false))))).code).toBe(403);
  await update(cond(EXPECT_EXIST, new TableStore.SingleColumnCondition('owner', 'b', NOT_EQUAL, false)));
  // An integer compared with a string is never equal.
  expect((await failure(update(cond(EXPECT_EXIST, new TableStore.SingleColumnCondition('until', '100', EQUAL, false))))).code).toBe(403);

  const either = (owner: string, now: number): TableStore.CompositeCondition => {
    const c = new TableStore.CompositeCondition(TableStore.LogicalOperator.OR);
    c.addSubCondition(new TableStore.SingleColumnCondition('until', L(now), LESS_EQUAL, false));
    c.addSubCondition(new TableStore.SingleColumnCondition('owner', owner, EQUAL, false));
    return c;
  };
  expect((await failure(update(cond(EXPECT_EXIST, either('b', 99))))).code).toBe(403);
  await update(cond(EXPECT_EXIST, either('b', 100)));
  await update(cond(EXPECT_EXIST, either('a', 0)));
  const both = new TableStore.CompositeCondition(TableStore.LogicalOperator.AND);
  both.addSubCondition(new TableStore.SingleColumnCondition('until', L(99), GREATER_THAN, false));
  both.addSubCondition(new TableStore.SingleColumnCondition('owner', 'a', EQUAL, false));
  const not = new TableStore.CompositeCondition(TableStore.LogicalOperator.NOT);
  not.addSubCondition(both);
  await update(cond(EXPECT_EXIST, both));
  expect((await failure(update(cond(EXPECT_EXIST, not)))).code).toBe(403);

  const { row } = await client.getRow({ tableName: 'kv', primaryKey: key });
  expect(attrs(row)).toEqual({ owner: 'a', until: 100, touched: true });
  await client.deleteRow({ tableName: 'kv', primaryKey: key, condition: cond(EXPECT_EXIST) });
  expect((await client.getRow({ tableName: 'kv', primaryKey: key })).row).toEqual({});
});

test('GetRange pages forward and backward with limit, a scan cap and next_start_primary_key', async () => {
  await twin.stop();
  await start({ maxRowsPerRange: 4 });
  await createTable('kv', [
    { name: 'mesh', type: 'STRING' },
    { name: 'n', type: 'INTEGER' },
  ]);
  for (const mesh of ['a', 'b', 'c']) {
    for (let n = 1; n <= 10; n++) {
      await client.putRow({
        tableName: 'kv',
        primaryKey: [{ mesh }, { n: L(n) }],
        attributeColumns: [{ even: n % 2 === 0 }],
        condition: cond(IGNORE),
      });
    }
  }
  const scan = async (
    direction: 'FORWARD' | 'BACKWARD',
    limit?: number,
    filter?: TableStore.ColumnCondition,
  ): Promise<{ pages: number[][] }> => {
    const pages: number[][] = [];
    let start: TableStore.PrimaryKeyValue = direction === 'FORWARD' ? TableStore.INF_MIN : TableStore.INF_MAX;
    for (;;) {
      const page = await client.getRange({
        tableName: 'kv',
        direction,
        inclusiveStartPrimaryKey: [{ mesh: 'b' }, { n: start }],
        exclusiveEndPrimaryKey: [{ mesh: 'b' }, { n: direction === 'FORWARD' ? TableStore.INF_MAX : TableStore.INF_MIN }],
        ...(limit ? { limit } : {}),
        ...(filter ? { columnFilter: filter } : {}),
      });
      pages.push(page.rows.map((r) => Number(String(r.primaryKey?.[1]?.value))));
      if (!page.nextStartPrimaryKey) return { pages };
      expect(page.nextStartPrimaryKey[0]?.value).toBe('b');
      start = page.nextStartPrimaryKey[1]!.value;
    }
  };
  expect(await scan('FORWARD')).toEqual({
    pages: [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ],
  });
  expect(await scan('BACKWARD', 3)).toEqual({ pages: [[10, 9, 8], [7, 6, 5], [4, 3, 2], [1]] });
  expect(await scan('BACKWARD', 3, new TableStore.SingleColumnCondition('even', true, EQUAL, false))).toEqual({
    pages: [[10, 8], [6, 4], [2]],
  });

  const wrongWay = await failure(
    client.getRange({
      tableName: 'kv',
      direction: 'FORWARD',
      inclusiveStartPrimaryKey: [{ mesh: 'b' }, { n: TableStore.INF_MAX }],
      exclusiveEndPrimaryKey: [{ mesh: 'b' }, { n: TableStore.INF_MIN }],
    }),
  );
  expect(wrongWay).toEqual({ code: 400, message: expect.stringContaining('OTSParameterInvalid') });
});

test('BatchWriteRow answers per row, and refuses oversized or duplicated batches', async () => {
  const row = (n: number, type: 'PUT' | 'UPDATE' | 'DELETE', existence: number): TableStore.BatchWriteRowItem => ({
    type,
    primaryKey: [{ mesh: 'm' }, { n: L(n) }],
    condition: cond(existence),
    ...(type === 'PUT' ? { attributeColumns: [{ v: n }] } : type === 'UPDATE' ? { attributeColumns: [{ PUT: [{ v: -n }] }] } : {}),
  });
  await client.putRow({ tableName: 'kv', primaryKey: [{ mesh: 'm' }, { n: L(2) }], attributeColumns: [{ v: 2 }], condition: cond(IGNORE) });
  const { tables } = await client.batchWriteRow({
    tables: [{ tableName: 'kv', rows: [row(1, 'PUT', EXPECT_NOT_EXIST), row(2, 'PUT', EXPECT_NOT_EXIST), row(3, 'UPDATE', EXPECT_EXIST)] }],
  });
  expect(tables.map((t) => [t.isOk, t.errorCode])).toEqual([
    [true, null],
    [false, 'OTSConditionCheckFail'],
    [false, 'OTSConditionCheckFail'],
  ]);
  const stored = await client.getRange({
    tableName: 'kv',
    direction: 'FORWARD',
    inclusiveStartPrimaryKey: [{ mesh: 'm' }, { n: TableStore.INF_MIN }],
    exclusiveEndPrimaryKey: [{ mesh: 'm' }, { n: TableStore.INF_MAX }],
  });
  expect(stored.rows.map(attrs)).toEqual([{ v: 1 }, { v: 2 }]);

  const tooMany = Array.from({ length: 201 }, (_, i) => row(100 + i, 'PUT', IGNORE));
  expect((await failure(client.batchWriteRow({ tables: [{ tableName: 'kv', rows: tooMany }] }))).message).toContain('OTSParameterInvalid');
  expect(
    (await failure(client.batchWriteRow({ tables: [{ tableName: 'kv', rows: [row(5, 'PUT', IGNORE), row(5, 'DELETE', IGNORE)] }] })))
      .message,
  ).toContain('OTSParameterInvalid');
});

test('TTL expires cells and maxVersions keeps the newest versions', async () => {
  await createTable('ttl', [{ name: 'k', type: 'STRING' }], 86_400, 2);
  await client.putRow({ tableName: 'ttl', primaryKey: [{ k: 'x' }], attributeColumns: [{ v: 'one' }], condition: cond(IGNORE) });
  clock += 1_000;
  await client.updateRow({
    tableName: 'ttl',
    primaryKey: [{ k: 'x' }],
    updateOfAttributeColumns: [{ PUT: [{ v: 'two' }] }],
    condition: cond(EXPECT_EXIST),
  });
  clock += 1_000;
  await client.updateRow({
    tableName: 'ttl',
    primaryKey: [{ k: 'x' }],
    updateOfAttributeColumns: [{ PUT: [{ v: 'three' }] }],
    condition: cond(EXPECT_EXIST),
  });
  const versions = await client.getRow({ tableName: 'ttl', primaryKey: [{ k: 'x' }], maxVersions: 5 });
  expect(versions.row.attributes?.map((a) => a.columnValue)).toEqual(['three', 'two']);
  expect((await client.getRow({ tableName: 'ttl', primaryKey: [{ k: 'x' }] })).row.attributes?.map((a) => a.columnValue)).toEqual([
    'three',
  ]);

  clock += 86_400_000 - 500;
  expect(attrs((await client.getRow({ tableName: 'ttl', primaryKey: [{ k: 'x' }] })).row)).toEqual({ v: 'three' });
  clock += 1_000;
  expect((await client.getRow({ tableName: 'ttl', primaryKey: [{ k: 'x' }] })).row).toEqual({});
  await client.putRow({
    tableName: 'ttl',
    primaryKey: [{ k: 'x' }],
    attributeColumns: [{ v: 'again' }],
    condition: cond(EXPECT_NOT_EXIST),
  });
});

test('table operations and primary key validation answer with Tablestore errors', async () => {
  expect(await failure(createTable('kv', [{ name: 'mesh', type: 'STRING' }]))).toEqual({
    code: 409,
    message: expect.stringContaining('OTSObjectAlreadyExist'),
  });
  expect(await failure(client.describeTable({ tableName: 'nope' }))).toEqual({
    code: 404,
    message: expect.stringContaining('OTSObjectNotExist'),
  });
  const described = await client.describeTable({ tableName: 'kv' });
  expect({ pk: described.tableMeta.primaryKey.map((c) => [c.name, c.type]), ttl: described.tableOptions.timeToLive }).toEqual({
    pk: [
      ['mesh', 2],
      ['n', 1],
    ],
    ttl: -1,
  });
  expect((await failure(client.getRow({ tableName: 'kv', primaryKey: [{ mesh: 'm' }, { n: 'not-a-number' }] }))).message).toContain(
    'Validate PK type fail',
  );
  expect((await failure(client.getRow({ tableName: 'kv', primaryKey: [{ other: 'm' }, { n: L(1) }] }))).message).toContain(
    'Validate PK name fail',
  );
  expect((await failure(client.getRow({ tableName: 'kv', primaryKey: [{ mesh: 'm' }] }))).message).toContain('Validate PK size fail');
  await client.deleteTable({ tableName: 'kv' });
  expect((await client.listTable({})).tableNames).toEqual([]);
});

test('requests are authenticated: key id, signature, instance, STS token, content MD5', async () => {
  expect(await failure(clientFor({ secretAccessKey: 'wrong' }).listTable({}))).toEqual({
    code: 403,
    message: expect.stringContaining('Signature mismatch.'),
  });
  expect((await failure(clientFor({ accessKeyId: 'LTAI-unknown' }).listTable({}))).message).toContain('OTSAuthFailed');
  expect((await failure(clientFor({ instancename: 'other-instance' }).listTable({}))).message).toContain('OTSAuthFailed');

  await twin.stop();
  await start({ securityToken: 'sts-token-1' });
  expect((await failure(clientFor({}).listTable({}))).message).toContain('OTSAuthFailed');
  expect((await clientFor({ stsToken: 'sts-token-1' }).listTable({})).tableNames).toEqual([]);

  // A hand-signed request, following the SDK's signer: the signature covers the x-ots headers, not the body.
  const body = Buffer.from(protos.main.proto['ListTableRequest']!.encode({}).finish());
  const headers: Record<string, string> = {
    'x-ots-date': new Date().toISOString(),
    'x-ots-apiversion': '2015-12-31',
    'x-ots-accesskeyid': credentials.accessKeyId,
    'x-ots-instancename': credentials.instance,
    'x-ots-ststoken': 'sts-token-1',
    'x-ots-contentmd5': createHash('md5').update(Buffer.from('something else')).digest('base64'),
  };
  const canonical = Object.keys(headers)
    .sort()
    .map((h) => `${h}:${headers[h]}`)
    .join('\n');
  headers['x-ots-signature'] = createHmac('sha1', credentials.accessKeySecret)
    .update(`/ListTable\nPOST\n\n${canonical}\n`)
    .digest('base64');
  const tampered = await fetch(`${twin.endpoint}/ListTable`, { method: 'POST', headers, body });
  const error = protos.main.proto['Error']!.decode(new Uint8Array(await tampered.arrayBuffer()));
  expect({ status: tampered.status, error: { ...error } }).toEqual({
    status: 400,
    error: { code: 'OTSParameterInvalid', message: 'Content MD5 mismatch.' },
  });
});
