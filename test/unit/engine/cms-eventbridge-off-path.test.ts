import { readFileSync } from 'node:fs';
import { parseCmsEventBridge } from '../../../shared/signals/cms-eventbridge';
import { parseCmsCallback } from '../../../shared/signals/cms-webhook';
import { toSignals } from '../../../shared/signals/detection';
import { bookinfoPolicy, World } from './harness';

/**
 * The shape of a CMS alarm event through EventBridge is not public: such a signal is kept off the
 * failover path. Alone it never drains a region, even under a rule that grades it `down`, until
 * the operator sets detection.cmsEventBridge.maxSeverity: down after checking a real event.
 */
const rule = {
  name: 'cms-5xx',
  match: { source: 'cms' },
  region: { fromInstance: { 'lb-bp1o94dp5i6earr9g6d1i': 'cn-hangzhou' } },
  severity: { CRITICAL: 'down', WARN: 'degraded' },
};

function cmsEvent(at: number): string {
  const event = JSON.parse(readFileSync('events/alarms/cms-eventbridge-alarm.json', 'utf8')) as {
    time: string;
    data: Record<string, unknown>;
  };
  event.data.timestamp = at;
  event.time = new Date(at).toISOString();
  return JSON.stringify(event);
}

async function decideOn(w: World, raw: 'event' | 'callback') {
  const engine = w.engine();
  await w.baseline(engine);
  w.clock.advance(60_000);
  const alarms =
    raw === 'event'
      ? parseCmsEventBridge(cmsEvent(w.clock.now()))
      : [
          {
            ...parseCmsCallback(readFileSync('events/alarms/cms-callback-alert.txt', 'utf8').trim()),
            at: w.clock.now(),
            dimensions: { instanceId: 'lb-bp1o94dp5i6earr9g6d1i' },
          },
        ];
  const signals = alarms.flatMap((a) => toSignals(a, w.policy).signals);
  await engine.ingest(signals, raw === 'event' ? 'cms-eventbridge' : 'cms');
  return { signals, status: await engine.status() };
}

let w: World | null = null;
afterEach(async () => {
  await w?.cleanup();
  w = null;
});

test('a CRITICAL CMS alarm event alone: a degraded signal, cn-hangzhou is not DOWN and keeps serving itself', async () => {
  w = new World(bookinfoPolicy({ detection: { rules: [rule] } }));
  const { signals, status } = await decideOn(w, 'event');
  expect(signals.map((s) => [s.region, s.severity])).toEqual([['cn-hangzhou', 'degraded']]);
  expect(status.health['cn-hangzhou']?.status).not.toBe('DOWN');
  expect(status.matrix?.['cn-hangzhou']?.['cn-hangzhou']).toBeGreaterThan(0);
  // Nothing drained: no mesh config sends all of cn-hangzhou's traffic away.
  expect(w.mesh.applied.some((c) => JSON.stringify(c).includes('"from":"cn-hangzhou/*","to":{"cn-shanghai/*":100}'))).toBe(false);
});

test("the same alarm as a callback (documented shape) drains cn-hangzhou: the cap is the event path's only", async () => {
  w = new World(bookinfoPolicy({ detection: { rules: [rule] } }));
  const { signals, status } = await decideOn(w, 'callback');
  expect(signals.map((s) => [s.region, s.severity])).toEqual([['cn-hangzhou', 'down']]);
  expect(status.health['cn-hangzhou']?.status).toBe('DOWN');
  expect(status.matrix?.['cn-hangzhou']).toEqual({ 'cn-shanghai': 100 });
});

test('with detection.cmsEventBridge.maxSeverity: down (the operator checked a real event) the event drains cn-hangzhou', async () => {
  w = new World(bookinfoPolicy({ detection: { rules: [rule], cmsEventBridge: { maxSeverity: 'down' } } }));
  const { signals, status } = await decideOn(w, 'event');
  expect(signals.map((s) => [s.region, s.severity])).toEqual([['cn-hangzhou', 'down']]);
  expect(status.health['cn-hangzhou']?.status).toBe('DOWN');
  expect(status.matrix?.['cn-hangzhou']).toEqual({ 'cn-shanghai': 100 });
});
