import { readFileSync } from 'node:fs';
import { makeHandler as makeAlarmHandler } from '../../../functions/alarm/handler';
import { makeHandler as makeControlHandler } from '../../../functions/control/handler';
import { Engine } from '../../../shared/engine/engine';
import type { HttpReply } from '../../../shared/http/http-message';
import { signRequest } from '../../../shared/http/auth';
import type { Runtime } from '../../../shared/runtime/types';
import { FakeClock, FakeClusterScaler, FakeMeshControl, RecordingNotifier } from '../../../lab/fakes';
import { AuditFaultStore } from '../engine/audit-fault-store';
import { StateFile } from '../engine/harness';
import { ALARM_TOKEN, CONTROL_SECRET, READ_TOKEN, fcContext, httpEvent, testPolicy } from '../../support/fake-runtime';

/**
 * Issue #17 item 4 at the edge: a decision that committed is answered 200 even when the audit
 * log refuses its lines afterwards (disk full); the answer says the audit lags.
 */

const cmsAlert = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8').trim();
/** The sample callback's own timestamp: the alarm is fresh on this clock. */
const NOW = 1_793_672_130_000;

let file: StateFile;
let store: AuditFaultStore;
let clock: FakeClock;
let mesh: FakeMeshControl;
let runtime: Runtime;
let lines: Array<Record<string, unknown>>;

beforeEach(async () => {
  file = new StateFile();
  store = new AuditFaultStore(file.open());
  clock = new FakeClock(NOW);
  mesh = new FakeMeshControl({ clock });
  lines = [];
  const notifier = new RecordingNotifier();
  const engine = new Engine({
    policy: testPolicy,
    store,
    meshControl: mesh,
    scaler: new FakeClusterScaler(clock),
    notifier,
    clock,
    owner: 'fc-test',
    random: () => 0.5,
    log: (l) => lines.push(l),
  });
  runtime = {
    engine,
    policy: testPolicy,
    store,
    notifier,
    clock,
    secrets: { alarmToken: ALARM_TOKEN, controlSecret: CONTROL_SECRET, readToken: READ_TOKEN },
    log: (l) => lines.push(l),
  };
  await engine.tick(); // the baseline: failover mode applied
  expect(mesh.applied).toHaveLength(1);
});
afterEach(() => file.cleanup());

const body = (reply: HttpReply | undefined) => ({
  status: reply?.statusCode,
  json: JSON.parse(reply?.body ?? 'null') as Record<string, unknown>,
});

describe('a committed decision is answered 200 when only the audit write fails', () => {
  it('alarm: the CMS callback of a region DOWN drains it and answers 200 with a warning, though every audit append fails', async () => {
    store.failAppends(Infinity);
    const handler = makeAlarmHandler(async () => runtime);
    const reply = await handler(
      httpEvent({
        method: 'POST',
        path: '/cms',
        query: { region: 'cn-hangzhou', token: ALARM_TOKEN },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: cmsAlert,
      }),
      fcContext(),
    );
    const res = body(reply as HttpReply);

    expect(store.refused).toBeGreaterThan(0);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: true, signals: 1, warning: expect.stringContaining('the audit log lags') });
    // The decision committed and its mesh step ran.
    expect(mesh.lastApplied?.mode).toBe('distribute');
    const status = await runtime.engine.status();
    expect(status.health['cn-hangzhou']?.status).toBe('DOWN');
  });

  it('control: pause answers 200 (paused) when only the audit write fails', async () => {
    // Hangzhou went DOWN an hour ago and its signal has lapsed since: the pause's decision also
    // moves it on (DOWN → RECOVERING), so its plan has a step (the notification) and runs it.
    const alarm = makeAlarmHandler(async () => runtime);
    await alarm(
      httpEvent({
        method: 'POST',
        path: '/cms',
        query: { region: 'cn-hangzhou', token: ALARM_TOKEN },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: cmsAlert,
      }),
      fcContext(),
    );
    expect((await runtime.engine.status()).health['cn-hangzhou']?.status).toBe('DOWN');
    clock.advance(3_600_000);
    store.failAppends(Infinity);

    const handler = makeControlHandler(async () => runtime);
    const payload = JSON.stringify({ reason: 'incident 4711' });
    const sig = signRequest({
      secret: CONTROL_SECRET,
      method: 'POST',
      path: '/v1/pause',
      body: payload,
      timestamp: clock.now() / 1000,
      requestId: 'ctl-pause-0001',
    }).headers;
    const reply = await handler(
      httpEvent({ method: 'POST', path: '/v1/pause', headers: { 'content-type': 'application/json', ...sig }, body: payload }),
      fcContext(),
    );
    const res = body(reply as HttpReply);

    expect((res.json.plan as { steps: Array<{ kind: string }> }).steps.map((s) => s.kind)).toEqual(['notify']);
    expect(store.refused).toBeGreaterThan(0);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ committed: true, warning: expect.stringContaining('the audit log lags') });
    expect((await runtime.engine.status()).paused).toMatchObject({ reason: 'incident 4711' });

    // Once the store takes lines again, the next tick writes the queued ones.
    store.heal();
    clock.advance(5_000);
    await runtime.engine.tick();
    const events = await store.listEvents('bookinfo', { limit: 50 });
    expect(events.some((e) => e.planId === (res.json.plan as { id: string }).id && e.kind === 'step')).toBe(true);
  });
});
