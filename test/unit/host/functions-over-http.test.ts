import { readFileSync } from 'node:fs';
import * as alarm from '../../../functions/alarm/handler';
import * as clusterEvents from '../../../functions/cluster-events/handler';
import * as control from '../../../functions/control/handler';
import * as executor from '../../../functions/executor/handler';
import * as scheduler from '../../../functions/scheduler/handler';
import * as telemetry from '../../../functions/telemetry/handler';
import { startFcHost, type AsyncOutcome, type FcHost } from '../../../lab/host/fc-host';
import { signRequest } from '../../../shared/http/auth';
import type { RuntimeFactory } from '../../../shared/runtime/types';
import { ALARM_TOKEN, CONTROL_SECRET, FAKE_RUNTIME_NOW, fakeRuntime, type FakeRuntime } from '../../support/fake-runtime';

/** The real s.yaml and the real handlers behind the local FC host, over real HTTP; only the runtime is fake. */

const modules: Record<string, { makeHandler: (rt: RuntimeFactory) => unknown }> = {
  alarm,
  'cluster-events': clusterEvents,
  control,
  executor,
  scheduler,
  telemetry,
};

describe('the functions served from s.yaml', () => {
  let host: FcHost;
  const runtimes: Record<string, FakeRuntime> = {};
  const asyncDone: AsyncOutcome[] = [];

  beforeAll(async () => {
    host = await startFcHost({
      sYamlPath: 's.yaml',
      env: {},
      log: () => undefined,
      onAsyncDone: (o) => asyncDone.push(o),
      // s.yaml's real `@every 1m` scheduler timer stays off: its tick would be one more invocation
      // in what this suite counts, and a slow run (CI, under load) lasts past a minute.
      every: () => () => undefined,
      loadHandler: async (key) => {
        const rt = fakeRuntime();
        runtimes[key] = rt;
        const mod = modules[key];
        if (!mod) throw new Error(`no module for ${key}`);
        return { handler: mod.makeHandler(async () => rt) };
      },
    });
  });
  afterAll(() => host.stop());
  const rt = (key: string) => runtimes[key] as FakeRuntime;

  test('a CMS callback reaches the alarm function at /alarm/cms?region=…&token=…', async () => {
    const res = await fetch(`${host.url}/alarm/cms?region=cn-hangzhou&token=${ALARM_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: readFileSync('events/alarms/cms-callback-alert.txt', 'utf8').trim(),
    });
    expect([res.status, await res.json()]).toEqual([200, { accepted: true, alarms: 1, signals: 1, matched: ['cms-5xx'] }]);
    expect(rt('alarm').engine.calls.map((c) => c.method)).toEqual(['ingest']);
  });

  test('a wrong token is a 401 and the engine is not called', async () => {
    const before = rt('alarm').engine.calls.length;
    const res = await fetch(`${host.url}/alarm/cms/not-the-token`, { method: 'POST', body: 'alertName=x' });
    expect(res.status).toBe(401);
    expect(rt('alarm').engine.calls.length).toBe(before);
  });

  test('a signed control request through the host: the signature covers the path after the function prefix', async () => {
    const body = JSON.stringify({ region: 'cn-shanghai', duration: '15m', reason: 'game day' });
    const { headers } = signRequest({
      secret: CONTROL_SECRET,
      timestamp: FAKE_RUNTIME_NOW / 1000,
      method: 'POST',
      path: '/v1/drills',
      body,
    });
    const res = await fetch(`${host.url}/control/v1/drills`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'x-regionshift-actor': 'alice' },
      body,
    });
    expect(res.status).toBe(200);
    expect(rt('control').engine.calls).toEqual([
      {
        method: 'command',
        command: { kind: 'drill', region: 'cn-shanghai', duration: 900_000, reason: 'game day', actor: 'alice' },
        dryRun: false,
      },
    ]);
    const replay = await fetch(`${host.url}/control/v1/drills`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
    });
    expect(replay.status).toBe(409);
    expect(rt('control').engine.calls).toHaveLength(1);
  });

  test('a signed GET with a query string, and the dashboard page', async () => {
    const { headers } = signRequest({
      secret: CONTROL_SECRET,
      timestamp: FAKE_RUNTIME_NOW / 1000,
      method: 'GET',
      path: '/v1/history?limit=5',
    });
    expect((await fetch(`${host.url}/control/v1/history?limit=5`, { headers })).status).toBe(200);
    const page = await fetch(`${host.url}/control/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<title>regionshift</title>');
  });

  // The CMS alert event as EventBridge types it (CloudMonitor events: cms:CloudMonitor:AlertWebHook).
  const cmsAlertEvent = () => ({
    ...(JSON.parse(readFileSync('events/alarms/cms-eventbridge-alarm.json', 'utf8')) as Record<string, unknown>),
    type: 'cms:CloudMonitor:AlertWebHook',
  });

  test('an ACK event delivered to cluster-events, and a CMS event to alarm through its one handler', async () => {
    const ack = await fetch(`${host.url}/_events/cluster-events`, {
      method: 'POST',
      body: readFileSync('events/alarms/ack-node-notready.json'),
    });
    expect(await ack.json()).toMatchObject({ accepted: true, matched: ['ack-node-not-ready'] });
    const cms = await fetch(`${host.url}/_events/alarm`, { method: 'POST', body: JSON.stringify(cmsAlertEvent()) });
    expect(await cms.json()).toMatchObject({ accepted: true, matched: ['cms-5xx'] });
  });

  test("events outside s.yaml's trigger patterns never reach the functions: CMS heartbeats and API calls, ARMS-collected ACK events", async () => {
    const before = { alarm: rt('alarm').engine.calls.length, ack: rt('cluster-events').engine.calls.length };
    for (const type of ['cms:CloudMonitor:AgentStatusStopped', 'cms:ActionTrail:ApiCall']) {
      const res = await fetch(`${host.url}/_events/alarm`, { method: 'POST', body: JSON.stringify({ ...cmsAlertEvent(), type }) });
      expect([type, res.status]).toEqual([type, 204]);
    }
    const arms = {
      ...(JSON.parse(readFileSync('events/alarms/ack-node-notready.json', 'utf8')) as Record<string, unknown>),
      type: 'cs:k8s:k8s-event-via-arms',
    };
    expect((await fetch(`${host.url}/_events/cluster-events`, { method: 'POST', body: JSON.stringify(arms) })).status).toBe(204);
    expect({ alarm: rt('alarm').engine.calls.length, ack: rt('cluster-events').engine.calls.length }).toEqual(before);
  });

  test('the executor handoff as an async invocation', async () => {
    const res = await fetch(`${host.url}/_invoke/executor`, {
      method: 'POST',
      headers: { 'x-fc-invocation-type': 'Async' },
      body: '{"planId":"p-42"}',
    });
    expect(res.status).toBe(202);
    await host.idle();
    expect(asyncDone).toEqual([
      { function: 'executor', requestId: res.headers.get('x-fc-request-id'), ok: true, result: { planId: 'p-42', found: false } },
    ]);
    expect(rt('executor').engine.calls).toEqual([{ method: 'execute', planId: 'p-42' }]);
  });
});
