import { readFileSync } from 'node:fs';
import { makeHandler as makeAlarmHandler } from '../../../functions/alarm/handler';
import { makeHandler as makeExecutorHandler } from '../../../functions/executor/handler';
import { ALARM_ANSWER_MS, Engine } from '../../../shared/engine/engine';
import type { HttpReply } from '../../../shared/http/http-message';
import type { Runtime } from '../../../shared/runtime/types';
import { FakeClock, FakeClusterScaler, FakeMeshControl, RecordingNotifier } from '../../../lab/fakes';
import { StateFile } from '../engine/harness';
import { ALARM_TOKEN, CONTROL_SECRET, fcContext, httpEvent, testPolicy } from '../../support/fake-runtime';

/**
 * Issue #18 item 1 at the edge: the CMS callback of a region DOWN is answered within
 * ALARM_ANSWER_MS of its decision even when the mesh API is throttled (the steps used to retry in
 * the callback for up to the 20-s budget); the executor function, invoked asynchronously with
 * `{planId}`, finishes the drain.
 */

const cmsAlert = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8').trim();
const NOW = 1_793_672_130_000;

let file: StateFile;
afterEach(() => file.cleanup());

test('a CMS ALERT is answered 200 within ALARM_ANSWER_MS while the mesh API throttles; the executor invocation drains the region', async () => {
  file = new StateFile();
  const clock = new FakeClock(NOW);
  const mesh = new FakeMeshControl({ clock });
  const store = file.open();
  const invoked: string[] = [];
  const notifier = new RecordingNotifier();
  const engine = new Engine({
    policy: testPolicy,
    store,
    meshControl: mesh,
    scaler: new FakeClusterScaler(clock),
    notifier,
    clock,
    owner: 'fc-test',
    handoff: async (planId) => void invoked.push(planId),
    random: () => 0.5,
  });
  const runtime: Runtime = {
    engine,
    policy: testPolicy,
    store,
    notifier,
    clock,
    secrets: { alarmToken: ALARM_TOKEN, controlSecret: CONTROL_SECRET },
    log: () => undefined,
  };
  await engine.tick();
  expect(mesh.applied).toHaveLength(1);
  mesh.failNext(10, 'throttle');
  const t0 = clock.now();

  const reply = (await makeAlarmHandler(async () => runtime)(
    httpEvent({
      method: 'POST',
      path: '/cms',
      query: { region: 'cn-hangzhou', token: ALARM_TOKEN },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: cmsAlert,
    }),
    fcContext(),
  )) as HttpReply;

  expect(reply.statusCode).toBe(200);
  expect(clock.now() - t0).toBeLessThanOrEqual(ALARM_ANSWER_MS);
  expect(invoked).toHaveLength(1);
  expect(mesh.applied).toHaveLength(1);
  expect((await engine.status()).health['cn-hangzhou']?.status).toBe('DOWN');

  mesh.recover();
  const result = await makeExecutorHandler(async () => runtime)(
    Buffer.from(JSON.stringify({ planId: invoked[0] })),
    fcContext('req-executor'),
  );
  expect(result).toMatchObject({ planId: invoked[0], found: true });
  expect(mesh.lastApplied?.mode).toBe('distribute');
});
