import { readFileSync } from 'node:fs';
import { makeHandler } from '../../../functions/telemetry/handler';
import { SqliteStateStore } from '../../../shared/adapters/state-sqlite';
import { parsePolicy } from '../../../shared/core/policy';
import type { AccessLogReader, RawLog, ShardRange } from '../../../shared/ports/access-logs';
import { ENVOY_FIELDS } from '../../../shared/telemetry/access-log';
import { signalKey } from '../../../shared/telemetry/detector';
import { ALL } from '../../../shared/telemetry/windows';
import { FAKE_RUNTIME_NOW, fakeRuntime, fcContext, type FakeRuntime } from '../../support/fake-runtime';

const sample = JSON.parse(readFileSync(new URL('../../../events/sls/trigger.json', import.meta.url), 'utf8')) as {
  source: Record<string, unknown>;
} & Record<string, unknown>;

const policy = parsePolicy({
  name: 'bookinfo',
  mesh: { backend: 'asm', meshId: 'bookinfo-mesh', apiRegion: 'cn-hangzhou' },
  regions: { 'cn-hangzhou': { clusters: [{ id: 'c-hangzhou' }] }, 'cn-shanghai': { clusters: [{ id: 'c-shanghai' }] } },
  telemetry: {
    logstores: [
      { project: 'k8s-log-c-hangzhou', logstore: 'istio-access-log', cluster: 'c-hangzhou' },
      { project: 'k8s-log-c-shanghai', logstore: 'istio-access-log', cluster: 'c-shanghai' },
    ],
  },
});

/** A shard's logs by cursor: cursor i is before log i. */
class ShardLogs implements AccessLogReader {
  readonly shards = new Map<string, RawLog[]>();
  readonly reads: ShardRange[] = [];
  write(project: string, shard: number, logs: RawLog[]): { begin: string; end: string } {
    const key = `${project}/${shard}`;
    const list = this.shards.get(key) ?? [];
    const begin = String(list.length);
    list.push(...logs);
    this.shards.set(key, list);
    return { begin, end: String(list.length) };
  }
  async readRange(range: ShardRange) {
    this.reads.push(range);
    const list = this.shards.get(`${range.project}/${range.shardId}`) ?? [];
    return { logs: list.slice(Number(range.beginCursor), Number(range.endCursor)), pages: 1, truncated: false };
  }
}

function inbound(n: number, failing: number, workload = 'reviews-v1'): RawLog[] {
  return Array.from({ length: n }, (_, i) => ({
    time: Math.floor(FAKE_RUNTIME_NOW / 1000),
    contents: [
      { key: ENVOY_FIELDS.responseCode, value: i < failing ? '503' : '200' },
      { key: ENVOY_FIELDS.upstreamCluster, value: 'inbound|9080||' },
      { key: ENVOY_FIELDS.authority, value: 'reviews:9080' },
      { key: ENVOY_FIELDS.duration, value: '12' },
      { key: ENVOY_FIELDS.startTime, value: new Date(FAKE_RUNTIME_NOW - 1_000).toISOString() },
    ],
    tags: [{ key: '__tag__:_pod_name_', value: `${workload}-5d8b7c7f4-x2x9k` }],
  }));
}

function event(project: string, shardId: number, range: { begin: string; end: string }, over: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      ...sample,
      source: { ...sample.source, projectName: project, shardId, beginCursor: range.begin, endCursor: range.end },
      ...over,
    }),
  );
}

let store: SqliteStateStore;
let logs: ShardLogs;
let rt: FakeRuntime;
let handler: ReturnType<typeof makeHandler>;
beforeEach(() => {
  store = new SqliteStateStore(':memory:', { checkpoint: 'inline' });
  logs = new ShardLogs();
  rt = { ...fakeRuntime({}, policy), telemetry: { windows: store, readerFor: () => logs } } as FakeRuntime;
  handler = makeHandler(async () => rt);
});
afterEach(async () => store.close());

test("the documented trigger event: the range is read, counted for the Logstore's region, and a region at 30% 5xx becomes a signal with its share", async () => {
  const sh = await handler(event('k8s-log-c-shanghai', 0, logs.write('k8s-log-c-shanghai', 0, inbound(1000, 10))), fcContext());
  expect(sh).toMatchObject({
    region: 'cn-shanghai',
    shard: 'k8s-log-c-shanghai/istio-access-log/0',
    logs: 1000,
    entries: 1000,
    skipped: 0,
    duplicate: false,
    signals: [],
  });
  const hz = await handler(event('k8s-log-c-hangzhou', 1, logs.write('k8s-log-c-hangzhou', 1, inbound(1000, 300))), fcContext());
  expect(hz).toMatchObject({
    region: 'cn-hangzhou',
    entries: 1000,
    signals: [
      { key: signalKey('cn-hangzhou', 'reviews', ALL), status: 'firing' },
      { key: signalKey('cn-hangzhou', 'reviews', 'reviews-v1'), status: 'firing' },
    ],
  });
  expect(logs.reads.at(-1)).toEqual({
    project: 'k8s-log-c-hangzhou',
    logstore: 'istio-access-log',
    shardId: 1,
    beginCursor: '0',
    endCursor: '1000',
  });
  const ingests = rt.engine.calls.filter((c) => c.method === 'ingest');
  expect(ingests).toHaveLength(1);
  expect(ingests[0]).toMatchObject({
    actor: 'telemetry',
    signals: [
      expect.objectContaining({
        region: 'cn-hangzhou',
        service: 'reviews',
        source: 'telemetry',
        measure: { kind: 'errorShare', value: 0.3, metric: 'telemetry.5xxShare' },
      }),
      expect.anything(),
    ],
  });
});

test('a re-delivered range is not counted twice', async () => {
  const range = logs.write('k8s-log-c-hangzhou', 0, inbound(100, 0));
  await handler(event('k8s-log-c-hangzhou', 0, range), fcContext());
  const again = await handler(event('k8s-log-c-hangzhou', 0, range), fcContext());
  expect(again).toMatchObject({ duplicate: true, entries: 0, logs: 100 });
  const row = JSON.parse((await store.loadWindows('bookinfo')).text!) as { buckets: Array<{ cells: Record<string, { n: number }> }> };
  expect(row.buckets.reduce((n, b) => n + (b.cells[`s|cn-hangzhou|reviews|${ALL}`]?.n ?? 0), 0)).toBe(100);
});

test('shards invoked at once both count: the window row is written under compare-and-set', async () => {
  const a = logs.write('k8s-log-c-hangzhou', 0, inbound(300, 0));
  const b = logs.write('k8s-log-c-hangzhou', 1, inbound(200, 0));
  await Promise.all([
    handler(event('k8s-log-c-hangzhou', 0, a), fcContext('r-a')),
    handler(event('k8s-log-c-hangzhou', 1, b), fcContext('r-b')),
  ]);
  const { text, version } = await store.loadWindows('bookinfo');
  expect(version).toBeGreaterThanOrEqual(2);
  const row = JSON.parse(text!) as { buckets: Array<{ cells: Record<string, { n: number }> }> };
  expect(row.buckets.reduce((n, b2) => n + (b2.cells[`s|cn-hangzhou|reviews|${ALL}`]?.n ?? 0), 0)).toBe(500);
});

test.each([
  [{ source: { ...sample.source, shardId: 'zero' } }, 'source.shardId: must be a shard id'],
  [{ source: { ...sample.source, endCursor: '' } }, 'source.endCursor: must be a cursor'],
  [{ source: undefined }, 'source: required'],
])('a malformed event %j is rejected naming the field; nothing read', async (over, problem) => {
  const result = await handler(Buffer.from(JSON.stringify({ ...sample, ...over })), fcContext());
  expect(result).toMatchObject({ accepted: false, error: { problems: [expect.stringContaining(problem)] } });
  expect(logs.reads).toEqual([]);
  expect(rt.engine.calls).toEqual([]);
});

test('a Logstore the policy does not map is refused naming it; nothing read', async () => {
  const result = await handler(event('k8s-log-elsewhere', 0, { begin: '0', end: '5' }), fcContext());
  expect(result).toMatchObject({
    accepted: false,
    error: { problems: [expect.stringContaining('source.logstoreName: k8s-log-elsewhere/istio-access-log is not in the policy')] },
  });
  expect(logs.reads).toEqual([]);
});

test('the policy refuses a Logstore mapped to an undeclared cluster, or mapped twice', () => {
  expect(() =>
    parsePolicy({
      name: 'b',
      mesh: { backend: 'asm', meshId: 'm', apiRegion: 'cn-hangzhou' },
      regions: { 'cn-hangzhou': { clusters: [{ id: 'c-hangzhou' }] }, 'cn-shanghai': { clusters: [{ id: 'c-shanghai' }] } },
      telemetry: {
        logstores: [
          { project: 'p', logstore: 'l', cluster: 'c-elsewhere' },
          { project: 'p', logstore: 'l', cluster: 'c-hangzhou' },
        ],
      },
    }),
  ).toThrow(
    /telemetry\.logstores\[0\]\.cluster: c-elsewhere is not a cluster of any region[\s\S]*telemetry\.logstores\[1\]: p\/l is listed twice/,
  );
});
