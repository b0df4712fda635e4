import { readFileSync } from 'node:fs';
import { makeHandler as alarm } from '../../../functions/alarm/handler';
import { makeHandler as clusterEvents } from '../../../functions/cluster-events/handler';
import { makeHandler as control } from '../../../functions/control/handler';
import { makeHandler as executor } from '../../../functions/executor/handler';
import { makeHandler as scheduler } from '../../../functions/scheduler/handler';
import { fakeRuntime, fcContext } from '../../support/fake-runtime';

/** The sample FC events in events/fc are what the functions really accept (and what `s invoke` can send). */

const sample = (name: string) => readFileSync(`events/fc/${name}`);
const secrets = { alarmToken: 'sample-alarm-token-0123456789', readToken: 'sample-read-token-0123456789' };

test('http-cms-callback.json → alarm: one signal', async () => {
  const rt = fakeRuntime(secrets);
  const reply = (await alarm(async () => rt)(sample('http-cms-callback.json'), fcContext())) as { statusCode: number; body: string };
  expect([reply.statusCode, JSON.parse(reply.body)]).toEqual([200, { accepted: true, alarms: 1, signals: 1, matched: ['cms-5xx'] }]);
  expect(rt.engine.calls.map((c) => c.method)).toEqual(['ingest']);
});

test('http-control-status.json → control: status with the read token', async () => {
  const rt = fakeRuntime(secrets);
  const reply = await control(async () => rt)(sample('http-control-status.json'), fcContext());
  expect(reply?.statusCode).toBe(200);
  expect(JSON.parse(reply?.body ?? '{}')).toMatchObject({ mesh: 'bookinfo' });
});

test('timer-tick.json → scheduler: one tick', async () => {
  const rt = fakeRuntime();
  await scheduler(async () => rt)(sample('timer-tick.json'), fcContext());
  expect(rt.engine.calls).toEqual([{ method: 'tick' }]);
});

test('eventbridge-ack.json → cluster-events: a NodeNotReady signal', async () => {
  const rt = fakeRuntime();
  await expect(clusterEvents(async () => rt)(sample('eventbridge-ack.json'), fcContext())).resolves.toMatchObject({
    accepted: true,
    signals: 1,
    matched: ['ack-node-not-ready'],
  });
});

test("http-ack-forwarded.json → cluster-events: a cn-shanghai NodeNotReady pushed by that region's rule (HTTPS target) is a signal", async () => {
  const rt = fakeRuntime(secrets);
  const reply = (await clusterEvents(async () => rt)(sample('http-ack-forwarded.json'), fcContext())) as {
    statusCode: number;
    body: string;
  };
  expect([reply.statusCode, JSON.parse(reply.body)]).toEqual([
    200,
    { accepted: true, alarms: 1, signals: 1, matched: ['ack-node-not-ready'] },
  ]);
  expect(rt.engine.calls).toEqual([
    expect.objectContaining({ method: 'ingest', signals: [expect.objectContaining({ region: 'cn-shanghai', severity: 'down' })] }),
  ]);
});

test('async-executor.json → executor: runs the plan', async () => {
  const rt = fakeRuntime();
  await executor(async () => rt)(sample('async-executor.json'), fcContext());
  expect(rt.engine.calls).toEqual([{ method: 'execute', planId: 'bookinfo-000042' }]);
});

test("the HTTP samples carry requestContext.time in FC 3.0's documented form, the instant of timeEpoch", () => {
  for (const name of ['http-cms-callback.json', 'http-control-status.json', 'http-ack-forwarded.json']) {
    const { time, timeEpoch } = (JSON.parse(sample(name).toString('utf8')) as { requestContext: { time: string; timeEpoch: string } })
      .requestContext;
    expect([name, time]).toEqual([name, expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)]);
    expect(Date.parse(time)).toBe(Math.floor(Number(timeEpoch) / 1000) * 1000);
  }
});
