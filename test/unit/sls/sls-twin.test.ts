import * as SlsModule from '@alicloud/sls20201230';
import * as OpenApiModule from '@alicloud/openapi-core';

// CommonJS packages loaded as ES modules: their exports sit on `default`.
type SlsNs = typeof SlsModule;
const $Sls = (
  (SlsModule as unknown as { PullLogsRequest?: unknown }).PullLogsRequest ? SlsModule : (SlsModule as unknown as { default: SlsNs }).default
) as SlsNs;
const SlsClient = (($Sls.default as unknown as { default?: SlsNs['default'] }).default ?? $Sls.default) as SlsNs['default'];
type SlsClient = InstanceType<SlsNs['default']>;
const { $OpenApiUtil } = (
  (OpenApiModule as unknown as { $OpenApiUtil?: unknown }).$OpenApiUtil
    ? OpenApiModule
    : (OpenApiModule as unknown as { default: typeof OpenApiModule }).default
) as typeof OpenApiModule;
import { FakeClock } from '../../../lab/fakes/fake-clock';
import { SlsTwin, decodeCursor, encodeCursor } from '../../../lab/sls/sls-twin';
import { decodeLogGroupList, encodeLogGroupList, lz4LiteralBlock } from '../../../lab/sls/wire';

const CREDS = { accessKeyId: 'STS.LabSlsKey01', accessKeySecret: 'lab-sls-secret', securityToken: 'lab-sls-token' };
const PROJECT = 'k8s-log-c-hangzhou';

let clock: FakeClock;
let twin: SlsTwin;

function client(project = PROJECT, creds: Partial<typeof CREDS> = CREDS): SlsClient {
  const endpoint = twin.endpoint(project).replace(/^http:\/\//, '');
  return new SlsClient(new $OpenApiUtil.Config({ ...CREDS, ...creds, endpoint, protocol: 'http' }));
}

function entry(i: number, code = '200'): ReadonlyArray<readonly [string, string]> {
  return [
    ['response_code', code],
    ['seq', String(i)],
  ];
}

beforeEach(async () => {
  clock = new FakeClock(Date.UTC(2026, 0, 5, 3, 0, 0));
  twin = new SlsTwin({
    clock,
    credentials: CREDS,
    projects: {
      [PROJECT]: { region: 'cn-hangzhou', logstores: { 'access-log': { shards: 2 } } },
      'k8s-log-c-shanghai': { region: 'cn-shanghai', logstores: { 'access-log': {} } },
    },
    retentionMs: 60_000,
    maxGroupsPerShard: 50,
  });
  await twin.start();
});
afterEach(async () => {
  await twin.stop();
});

test('the real SDK gets cursors and pulls log groups back page by page, up to the end cursor', async () => {
  const begin = twin.cursor(PROJECT, 'access-log', 1, 'end');
  for (let g = 0; g < 7; g++)
    twin.write(PROJECT, 'access-log', 1, {
      source: '10.0.0.1',
      tags: [['__tag__:cluster', 'c-hangzhou']],
      logs: [
        { time: 1_767_582_000 + g, contents: entry(g) },
        { time: 1_767_582_000 + g, contents: entry(100 + g, '503') },
      ],
    });
  const sls = client();
  // GetCursor: the project is the endpoint's (one listener per project), so no host-map project.
  const cursorOf = async (from: string) =>
    (await sls.getCursor(undefined as unknown as string, 'access-log', '1', new $Sls.GetCursorRequest({ from }))).body?.cursor;
  expect(await cursorOf('begin')).toBe(begin);
  const end = await cursorOf('end');
  expect(decodeCursor(end!)! - decodeCursor(begin)!).toBe(7);

  const pages: number[][] = [];
  let cursor = begin;
  for (let guard = 0; guard < 10 && cursor !== end; guard++) {
    const res = await sls.pullLogs(PROJECT, 'access-log', '1', new $Sls.PullLogsRequest({ cursor, count: 3, endCursor: end }));
    expect(res.statusCode).toBe(200);
    const groups = res.body?.logGroupList ?? [];
    expect(Number(res.headers?.['x-log-count'])).toBe(groups.length);
    // The gateway asked for lz4 (Accept-Encoding) and inflated the LZ4 block by x-log-bodyrawsize.
    expect(res.headers?.['x-log-compresstype']).toBe('lz4');
    pages.push(groups.flatMap((lg) => (lg.logItems ?? []).map((item) => Number(item.contents?.find((c) => c.key === 'seq')?.value))));
    expect(groups[0]?.logTags).toEqual([expect.objectContaining({ key: '__tag__:cluster', value: 'c-hangzhou' })]);
    expect(groups[0]?.source).toBe('10.0.0.1');
    cursor = res.headers?.['x-log-cursor'] as string;
  }
  expect(pages).toEqual([
    [0, 100, 1, 101, 2, 102],
    [3, 103, 4, 104, 5, 105],
    [6, 106],
  ]);
  // At the end: nothing more, and the next cursor stays where it is.
  const tail = await sls.pullLogs(PROJECT, 'access-log', '1', new $Sls.PullLogsRequest({ cursor: end, count: 10 }));
  expect(tail.body?.logGroupList ?? []).toEqual([]);
  expect(tail.headers?.['x-log-cursor']).toBe(end);
  // The other shard and the other project hold nothing of this.
  expect(twin.pull(PROJECT, 'access-log', 0, twin.cursor(PROJECT, 'access-log', 0, 'begin'), 100).groups).toHaveLength(0);
  expect(
    twin.pull('k8s-log-c-shanghai', 'access-log', 0, twin.cursor('k8s-log-c-shanghai', 'access-log', 0, 'begin'), 100).groups,
  ).toHaveLength(0);
  // Every call was compressed as the gateway asked (lz4) and signed: all answered 200.
  expect(twin.calls.every((c) => c.status === 200)).toBe(true);
});

test('an end cursor stops a pull before later groups; count is bounded to 1..1000', async () => {
  const begin = twin.cursor(PROJECT, 'access-log', 0, 'end');
  for (let g = 0; g < 5; g++) twin.write(PROJECT, 'access-log', 0, { logs: [{ time: 1, contents: entry(g) }] });
  const stop = encodeCursor(decodeCursor(begin)! + 2);
  const res = await client().pullLogs(PROJECT, 'access-log', '0', new $Sls.PullLogsRequest({ cursor: begin, count: 100, endCursor: stop }));
  expect(res.body?.logGroupList).toHaveLength(2);
  expect(res.headers?.['x-log-cursor']).toBe(stop);
  await expect(
    client().pullLogs(PROJECT, 'access-log', '0', new $Sls.PullLogsRequest({ cursor: begin, count: 1001 })),
  ).rejects.toMatchObject({ code: 'ParameterInvalid' });
});

test('a wrong secret, key or STS token is refused as SLS refuses it', async () => {
  const pull = (c: SlsClient) =>
    c.pullLogs(PROJECT, 'access-log', '0', new $Sls.PullLogsRequest({ cursor: twin.cursor(PROJECT, 'access-log', 0, 'begin'), count: 1 }));
  await expect(pull(client(PROJECT, { accessKeySecret: 'not-the-secret' }))).rejects.toMatchObject({
    code: 'SignatureNotMatch',
    statusCode: 401,
  });
  await expect(pull(client(PROJECT, { accessKeyId: 'STS.Other' }))).rejects.toMatchObject({ code: 'Unauthorized' });
  await expect(pull(client(PROJECT, { securityToken: 'stale-token' }))).rejects.toMatchObject({ code: 'Unauthorized' });
  await expect(
    client().pullLogs(PROJECT, 'no-such-store', '0', new $Sls.PullLogsRequest({ cursor: encodeCursor(1), count: 1 })),
  ).rejects.toMatchObject({ code: 'LogStoreNotExist', statusCode: 404 });
  await expect(
    client().pullLogs(PROJECT, 'access-log', '9', new $Sls.PullLogsRequest({ cursor: encodeCursor(1), count: 1 })),
  ).rejects.toMatchObject({ code: 'ShardNotExist' });
});

test('retention drops old groups: a cursor before the oldest kept one is refused, begin moves on', async () => {
  const first = twin.cursor(PROJECT, 'access-log', 0, 'end');
  twin.write(PROJECT, 'access-log', 0, { logs: [{ time: 1, contents: entry(0) }] });
  clock.advance(61_000);
  twin.write(PROJECT, 'access-log', 0, { logs: [{ time: 2, contents: entry(1) }] });
  expect(twin.cursor(PROJECT, 'access-log', 0, 'begin')).toBe(encodeCursor(decodeCursor(first)! + 1));
  await expect(client().pullLogs(PROJECT, 'access-log', '0', new $Sls.PullLogsRequest({ cursor: first, count: 10 }))).rejects.toMatchObject(
    { code: 'InvalidCursor' },
  );
  // The group cap holds too: 60 writes keep the last 50.
  for (let g = 0; g < 60; g++) twin.write(PROJECT, 'access-log', 0, { logs: [{ time: 3, contents: entry(g) }] });
  const kept = twin.pull(PROJECT, 'access-log', 0, twin.cursor(PROJECT, 'access-log', 0, 'begin'), 1000).groups;
  expect(kept).toHaveLength(50);
  expect(kept[0]?.logs[0]?.contents).toEqual(entry(10));
});

test('GetCursor from a Unix time points at the first group received then', () => {
  twin.write(PROJECT, 'access-log', 0, { logs: [{ time: 1, contents: entry(0) }] });
  const t = Math.ceil((clock.now() + 1) / 1000);
  clock.set(t * 1000 + 500);
  twin.write(PROJECT, 'access-log', 0, { logs: [{ time: 2, contents: entry(1) }] });
  const res = twin.pull(PROJECT, 'access-log', 0, twin.cursor(PROJECT, 'access-log', 0, String(t)), 10);
  expect(res.groups.map((g) => g.logs[0]?.contents)).toEqual([entry(1)]);
});

test('the protobuf LogGroupList of the Data encoding page round-trips, and an LZ4 literal block is LZ4', async () => {
  twin.write(PROJECT, 'access-log', 0, {
    topic: 't',
    source: 's',
    tags: [['k', 'v']],
    logs: [
      {
        time: 1_767_582_000,
        contents: [
          ['response_code', '503'],
          ['upstream_cluster', 'outbound|9080|v1|reviews.default.svc.cluster.local'],
        ],
      },
    ],
  });
  const res = await fetch(
    `${twin.endpoint(PROJECT)}/logstores/access-log/shards/0?type=log&cursor=${encodeURIComponent(twin.cursor(PROJECT, 'access-log', 0, 'begin'))}&count=10`,
    { headers: { accept: 'application/x-protobuf' } },
  );
  // Unsigned: refused.
  expect(res.status).toBe(401);
  const groups = twin.pull(PROJECT, 'access-log', 0, twin.cursor(PROJECT, 'access-log', 0, 'begin'), 10).groups;
  expect(decodeLogGroupList(encodeLogGroupList(groups))).toEqual([
    {
      topic: 't',
      source: 's',
      tags: [['k', 'v']],
      logs: [
        {
          time: 1_767_582_000,
          contents: [
            ['response_code', '503'],
            ['upstream_cluster', 'outbound|9080|v1|reviews.default.svc.cluster.local'],
          ],
        },
      ],
    },
  ]);
  const lz4 = await import('lz4-napi');
  const raw = Buffer.from('x'.repeat(300) + 'tail');
  const size = Buffer.alloc(4);
  size.writeUInt32LE(raw.length, 0);
  expect(Buffer.from(await lz4.uncompress(Buffer.concat([size, lz4LiteralBlock(raw)])))).toEqual(raw);
});
