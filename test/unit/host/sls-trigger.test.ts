import * as SlsModule from '@alicloud/sls20201230';
import * as OpenApiModule from '@alicloud/openapi-core';
import { startFcHost, type FcHost, type HandlerModule } from '../../../lab/host/fc-host';
import { sYamlSchema } from '../../../lab/host/s-yaml';
import { FakeClock } from '../../../lab/fakes/fake-clock';
import { SlsTwin } from '../../../lab/sls/sls-twin';
import type { SlsTriggerEvent } from '../../../lab/host/sls-trigger';

// CommonJS packages loaded as ES modules: their exports sit on `default`.
type SlsNs = typeof SlsModule;
const $Sls = (
  (SlsModule as unknown as { PullLogsRequest?: unknown }).PullLogsRequest ? SlsModule : (SlsModule as unknown as { default: SlsNs }).default
) as SlsNs;
const SlsClient = (($Sls.default as unknown as { default?: SlsNs['default'] }).default ?? $Sls.default) as SlsNs['default'];
const { $OpenApiUtil } = (
  (OpenApiModule as unknown as { $OpenApiUtil?: unknown }).$OpenApiUtil
    ? OpenApiModule
    : (OpenApiModule as unknown as { default: typeof OpenApiModule }).default
) as typeof OpenApiModule;

const CREDS = { accessKeyId: 'STS.LabSlsKey01', accessKeySecret: 'lab-sls-secret', securityToken: 'lab-sls-token' };
const PROJECT = 'k8s-log-c-hangzhou';

let clock: FakeClock;
let twin: SlsTwin;
let host: FcHost;
let scheduled: Array<{ ms: number; fire: () => void }>;
let events: SlsTriggerEvent[];
let pulled: Array<{ shard: number; seqs: string[] }>;
let failing: boolean;

/** A stand-in for the telemetry function: reads its range with the real SDK, page by page. */
async function reader(raw: Buffer): Promise<unknown> {
  const event = JSON.parse(raw.toString('utf8')) as SlsTriggerEvent;
  events.push(event);
  if (failing) throw new Error('stand-in failure');
  const { source } = event;
  const client = new SlsClient(new $OpenApiUtil.Config({ ...CREDS, endpoint: new URL(source.endpoint).host, protocol: 'http' }));
  const seqs: string[] = [];
  let cursor = source.beginCursor;
  while (cursor !== source.endCursor) {
    const res = await client.pullLogs(
      source.projectName,
      source.logstoreName,
      String(source.shardId),
      new $Sls.PullLogsRequest({ cursor, endCursor: source.endCursor, count: 2 }),
    );
    for (const g of res.body?.logGroupList ?? [])
      for (const item of g.logItems ?? []) seqs.push(item.contents?.find((c) => c.key === 'seq')?.value ?? '?');
    cursor = res.headers?.['x-log-cursor'] as string;
  }
  pulled.push({ shard: source.shardId, seqs });
  return { ok: true };
}

function write(shard: number, seq: string) {
  twin.write(PROJECT, 'access-log', shard, { logs: [{ time: Math.floor(clock.now() / 1000), contents: [['seq', seq]] }] });
}

/** One interval of every trigger's job, settled (the scheduled callback starts the same poll without waiting). */
async function tick() {
  await Promise.all(host.logTriggers.map((t) => t.job.poll()));
}

async function waitUntil(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeEach(async () => {
  clock = new FakeClock(Date.UTC(2026, 0, 5, 3, 0, 0));
  twin = new SlsTwin({
    clock,
    credentials: CREDS,
    projects: { [PROJECT]: { region: 'cn-hangzhou', logstores: { 'access-log': { shards: 2 } } } },
  });
  await twin.start();
  scheduled = [];
  events = [];
  pulled = [];
  failing = false;
  // Data written before the trigger exists is not consumed (no startTime: from the latest data).
  write(0, 'before');
  host = await startFcHost({
    sYamlPath: 'test/unit/host/fixtures/s-sls.yaml',
    env: {},
    log: () => undefined,
    loadHandler: async (): Promise<HandlerModule> => ({ handler: reader }),
    slsSource: twin,
    every: (ms, fire) => {
      scheduled.push({ ms, fire });
      return () => undefined;
    },
  });
});
afterEach(async () => {
  await host.stop();
  await twin.stop();
});

test('every triggerInterval, each shard with new data is invoked once with its cursor range in the documented event', async () => {
  expect(scheduled.map((s) => s.ms)).toEqual([3000]);
  write(1, 'a');
  write(1, 'b');
  write(1, 'c');
  clock.advance(2000);
  // The host's interval callback polls the job.
  scheduled[0]!.fire();
  await waitUntil('the first range to be read', () => pulled.length === 1);
  expect(events).toHaveLength(1);
  const [e] = events;
  expect(e).toEqual({
    parameter: { window: '30s' },
    source: {
      endpoint: twin.endpoint(PROJECT),
      projectName: PROJECT,
      logstoreName: 'access-log',
      shardId: 1,
      beginCursor: expect.any(String),
      endCursor: twin.endCursor(PROJECT, 'access-log', 1),
    },
    jobName: expect.stringMatching(/^[0-9a-f]{40}$/),
    taskId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    cursorTime: Math.floor((clock.now() - 2000) / 1000),
  });
  expect(pulled).toEqual([{ shard: 1, seqs: ['a', 'b', 'c'] }]);

  // No new data: no invocation.
  await tick();
  expect(events).toHaveLength(1);

  // New data on both shards: one invocation each; shard 1 resumes where its last range ended.
  write(0, 'd');
  write(1, 'e');
  await tick();
  expect(events).toHaveLength(3);
  expect(events.find((x) => x.source.shardId === 1 && x !== e)?.source.beginCursor).toBe(e!.source.endCursor);
  expect(pulled.slice(1).sort((x, y) => x.shard - y.shard)).toEqual([
    { shard: 0, seqs: ['d'] },
    { shard: 1, seqs: ['e'] },
  ]);
});

test('a failing invocation is retried maxRetryTime times, then its range is skipped; FC down invokes nothing', async () => {
  failing = true;
  write(0, 'x');
  await tick();
  expect(events.map((x) => x.source.shardId)).toEqual([0, 0]);
  failing = false;
  await tick();
  expect(events).toHaveLength(2);
  host.outage.setDown(true);
  write(0, 'y');
  await tick();
  expect(events).toHaveLength(2);
  host.outage.setDown(false);
  await tick();
  expect(pulled).toEqual([{ shard: 0, seqs: ['y'] }]);
});

test('s.yaml log triggers are held to the devsapp/fc3 keys and FC 3.0 ranges', () => {
  const base = {
    edition: '3.0.0',
    name: 'x',
    resources: {
      r: {
        component: 'fc3',
        props: {
          region: 'cn-hangzhou',
          functionName: 'f',
          runtime: 'nodejs20',
          code: './c',
          handler: 'index.handler',
          memorySize: 128,
          timeout: 5,
        },
      },
    },
  };
  const withTrigger = (t: Record<string, unknown>) => ({
    ...base,
    resources: { r: { ...base.resources.r, props: { ...base.resources.r.props, triggers: [t] } } },
  });
  const good = {
    triggerName: 't',
    triggerType: 'log',
    sourceArn: 'acs:log:cn-hangzhou:1:project/p',
    triggerConfig: {
      enable: true,
      sourceConfig: { logstore: 'l' },
      jobConfig: { triggerInterval: 3 },
      logConfig: { project: 'p', logstore: 'j' },
    },
  };
  expect(sYamlSchema.safeParse(withTrigger(good)).success).toBe(true);
  expect(
    sYamlSchema.safeParse(withTrigger({ ...good, triggerConfig: { ...good.triggerConfig, jobConfig: { triggerInterval: 2 } } })).success,
  ).toBe(false);
  expect(
    sYamlSchema.safeParse(withTrigger({ ...good, triggerConfig: { ...good.triggerConfig, jobConfig: { triggerInterval: 601 } } })).success,
  ).toBe(false);
  expect(sYamlSchema.safeParse(withTrigger({ ...good, sourceArn: 'acs:log:cn-hangzhou:1:logstore/l' })).success).toBe(false);
  expect(
    sYamlSchema.safeParse(withTrigger({ ...good, triggerConfig: { ...good.triggerConfig, sourceConfig: { logstore: 'l', project: 'p' } } }))
      .success,
  ).toBe(false);
});

test("logTriggerIntervalS runs every trigger at that interval instead of s.yaml's, within FC's 3–600 s; idle() waits for a poll's invocations", async () => {
  const other: Array<{ ms: number; fire: () => void }> = [];
  const at10 = await startFcHost({
    sYamlPath: 'test/unit/host/fixtures/s-sls.yaml',
    env: {},
    log: () => undefined,
    loadHandler: async (): Promise<HandlerModule> => ({ handler: reader }),
    slsSource: twin,
    logTriggerIntervalS: 10,
    every: (ms, fire) => {
      other.push({ ms, fire });
      return () => undefined;
    },
  });
  try {
    expect(other.map((s) => s.ms)).toEqual([10_000]);
    expect(at10.logTriggers.map((t) => t.job.intervalMs)).toEqual([10_000]);
    write(0, 'x');
    other[0]!.fire();
    // The poll's invocation is the host's background work: idle() resolves once it has read the range.
    await at10.idle();
    expect(pulled.some((p) => p.seqs.includes('x'))).toBe(true);
  } finally {
    await at10.stop();
  }
  for (const bad of [2, 601, 4.5])
    await expect(
      startFcHost({
        sYamlPath: 'test/unit/host/fixtures/s-sls.yaml',
        env: {},
        log: () => undefined,
        slsSource: twin,
        logTriggerIntervalS: bad,
      }),
    ).rejects.toThrow(/logTriggerIntervalS: must be an integer of 3–600 seconds/);
});
