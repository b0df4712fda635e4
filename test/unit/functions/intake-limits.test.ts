import { readFileSync } from 'node:fs';
import { makeEventHandler, makeHandler as makeAlarmHandler } from '../../../functions/alarm/handler';
import { makeHandler as makeControlHandler } from '../../../functions/control/handler';
import { signRequest } from '../../../shared/http/auth';
import type { HttpReply } from '../../../shared/http/http-message';
import type { StoredEvent } from '../../../shared/ports/state-store';
import {
  ALARM_TOKEN,
  CONTROL_SECRET,
  FAKE_RUNTIME_NOW,
  fakeRuntime,
  fcContext,
  httpEvent,
  type FakeRuntime,
} from '../../support/fake-runtime';

/**
 * Size and depth limits at the edge: bodies per function (413), alarms per delivery (413),
 * JSON nesting (400, or an answered rejection on EventBridge), and error answers and log lines
 * that echo an excerpt of bad input, never the whole of it.
 */

const sample = (name: string) => readFileSync(`events/alarms/${name}`, 'utf8');
const cmsAlert = sample('cms-callback-alert.txt').trim();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };

async function postAlarm(rt: FakeRuntime, body: string, headers: Record<string, string> = FORM) {
  const reply = (await makeAlarmHandler(async () => rt)(
    httpEvent({ method: 'POST', path: '/cms', query: { token: ALARM_TOKEN }, headers, body }),
    fcContext(),
  )) as HttpReply;
  return { status: reply.statusCode, body: reply.body, json: JSON.parse(reply.body) };
}

const NOW = FAKE_RUNTIME_NOW;
let seq = 0;
async function callControl(rt: FakeRuntime, method: string, path: string, body = '', query?: Record<string, string>) {
  const signPath = query ? `${path}?${new URLSearchParams(query)}` : path;
  const sig = signRequest({
    secret: CONTROL_SECRET,
    method,
    path: signPath,
    body,
    timestamp: NOW / 1000,
    requestId: `lim-${++seq}-0000`,
  }).headers;
  const reply = (await makeControlHandler(async () => rt)(
    httpEvent({ method, path, ...(query && { query }), headers: { ...JSON_TYPE, ...sig }, body }),
    fcContext(),
  )) as HttpReply;
  return { status: reply.statusCode, body: reply.body, json: JSON.parse(reply.body) };
}

/** `{"a":{"a":…}}` nested `depth` levels. */
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

const alert = (i: number) => ({
  status: 'firing',
  labels: { alertname: 'ReviewsHighErrorRate', service: 'reviews', region: 'cn-shanghai', severity: 'critical', pod: `reviews-${i}` },
  startsAt: '2026-11-03T02:15:30Z',
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint: i.toString(16).padStart(16, '0'),
});
const webhook = (n: number) =>
  JSON.stringify({ version: '4', status: 'firing', receiver: 'regionshift', alerts: Array.from({ length: n }, (_, i) => alert(i)) });

describe('alarms per delivery', () => {
  test('an Alertmanager webhook of 5,001 alerts is 413 naming the cap; the engine is not called', async () => {
    const rt = fakeRuntime();
    const res = await postAlarm(rt, webhook(5001), JSON_TYPE);
    expect(res.status).toBe(413);
    expect(res.json.error).toMatchObject({ code: 'INPUT.TOO_LARGE', message: expect.stringContaining('at most 5000 per request') });
    expect(rt.engine.calls).toEqual([]);
  });

  test('5,000 alerts are taken, all in one ingest call', async () => {
    const rt = fakeRuntime();
    const res = await postAlarm(rt, webhook(5000), JSON_TYPE);
    expect(res.status).toBe(200);
    expect(rt.engine.calls.filter((c) => c.method === 'ingest')).toHaveLength(1);
  });
});

describe('body size', () => {
  test('an alarm body over 4 MiB is 413 before it is parsed', async () => {
    const rt = fakeRuntime();
    const res = await postAlarm(rt, `${cmsAlert}&padding=${'x'.repeat(4 * 1024 * 1024)}`);
    expect(res.status).toBe(413);
    expect(res.json.error.message).toMatch(/at most 4 MiB \(4194304 bytes\) for this function/);
    expect(res.body.length).toBeLessThan(1024);
  });

  test('a signed control request of 1.29 MB is 413 with a short answer', async () => {
    const rt = fakeRuntime();
    const res = await callControl(rt, 'POST', '/v1/pause', JSON.stringify({ reason: 'x'.repeat(1_290_000) }));
    expect(res.status).toBe(413);
    expect(res.json.error.message).toMatch(/at most 64 KiB/);
    expect(res.body.length).toBeLessThan(1024);
    expect(JSON.stringify(rt.lines).length).toBeLessThan(2048);
  });

  test('an EventBridge delivery over the limit is answered as rejected, not thrown for a retry', async () => {
    const rt = fakeRuntime();
    const event = JSON.parse(sample('cms-eventbridge-alarm.json')) as { data: Record<string, unknown> };
    event.data.padding = 'x'.repeat(4 * 1024 * 1024);
    const result = await makeEventHandler(async () => rt)(Buffer.from(JSON.stringify(event)), fcContext());
    expect(result).toMatchObject({ accepted: false, error: { code: 'INPUT.TOO_LARGE' } });
  });
});

describe('JSON depth', () => {
  test('CMS dimensions nested 5,000 levels deep are a 400 naming dimensions, not a 500', async () => {
    const rt = fakeRuntime();
    const body = cmsAlert.replace(/dimensions=[^&]*/, `dimensions=${encodeURIComponent(nested(5000))}`);
    const res = await postAlarm(rt, body);
    expect(res.status).toBe(400);
    expect(res.json.error.problems).toEqual([expect.stringMatching(/^dimensions: must be a map like/)]);
    expect(res.body.length).toBeLessThan(2048);
    expect(rt.engine.calls).toEqual([]);
  });

  test('a JSON alarm body nested 5,000 levels deep is a 400', async () => {
    const rt = fakeRuntime();
    const res = await postAlarm(rt, nested(5000), JSON_TYPE);
    expect(res.status).toBe(400);
    expect(res.json.error.message).toBe('(body): JSON nested deeper than 64 levels');
  });

  /** The sample CMS event with `dimensions` replaced: as JSON objects in the delivery, as JSON text in a string, or handed over already parsed. */
  const deepEvent = (how: string): unknown => {
    const event = JSON.parse(sample('cms-eventbridge-alarm.json')) as { data: Record<string, unknown> };
    if (how === 'parsed') {
      let deep: Record<string, unknown> = { a: 1 };
      for (let i = 0; i < 5000; i++) deep = { a: deep };
      event.data.dimensions = deep;
      return event;
    }
    event.data.dimensions = how === 'text' ? nested(5000) : '@DIMS@';
    const json = JSON.stringify(event);
    return Buffer.from(how === 'text' ? json : json.replace('"@DIMS@"', nested(5000)));
  };

  test.each(['json', 'text', 'parsed'])(
    'EventBridge: dimensions nested 5,000 levels (%s) are an answered rejection, not a rethrow',
    async (how) => {
      const rt = fakeRuntime();
      const result = await makeEventHandler(async () => rt)(deepEvent(how), fcContext());
      expect(result).toMatchObject({ accepted: false, error: { code: 'INPUT.INVALID' } });
      expect(JSON.stringify(result).length).toBeLessThan(2048);
      expect(rt.lines).toEqual([expect.objectContaining({ outcome: 'rejected' })]);
    },
  );

  test('a control body nested 5,000 levels deep is a 400', async () => {
    const rt = fakeRuntime();
    const res = await callControl(rt, 'POST', '/v1/pause', `{"reason":"x","deep":${nested(5000)}}`);
    expect(res.status).toBe(400);
    expect(res.json.error.problems).toEqual(['body: JSON nested deeper than 64 levels']);
  });
});

describe('bad input is echoed as an excerpt', () => {
  test('an override naming 2,500 bad regions answers 20 problems and a count, each short', async () => {
    const rt = fakeRuntime();
    const matrix = Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`BAD_${i}`, { x: 1 }]));
    const res = await callControl(rt, 'POST', '/v1/overrides', JSON.stringify({ matrix, reason: 'r' }));
    expect(res.status).toBe(400);
    expect(res.json.error.problems).toHaveLength(21);
    expect(res.json.error.problems[20]).toMatch(/^… and \d+ more problems$/);
    expect(res.body.length).toBeLessThan(16 * 1024);
    expect(JSON.stringify(rt.lines).length).toBeLessThan(2048);
  });

  test('a megabyte-long bad field is quoted as an excerpt in the answer and the log line', async () => {
    const rt = fakeRuntime();
    const res = await postAlarm(rt, cmsAlert.replace(/alertState=[^&]*/, `alertState=${'Q'.repeat(1_000_000)}`));
    expect(res.status).toBe(400);
    expect(res.json.error.problems[0]).toMatch(/^alertState: must be ALERT, OK or INSUFFICIENT_DATA \(got "QQQ/);
    expect(res.body.length).toBeLessThan(2048);
    expect(JSON.stringify(rt.lines).length).toBeLessThan(2048);
  });
});

describe('GET /v1/history', () => {
  test('is bounded by bytes as well as rows: 20 events of 4 MB come back as excerpts, the page under 1 MiB', async () => {
    const rt = fakeRuntime();
    rt.engine.events = Array.from({ length: 20 }, (_, i): StoredEvent => ({
      seq: 100 - i,
      mesh: 'bookinfo',
      at: NOW,
      kind: 'raw',
      actor: 'cms',
      summary: 'unmatched',
      detail: { alarm: 'y'.repeat(4 * 1024 * 1024) },
    }));
    const res = await callControl(rt, 'GET', '/v1/history', '', { limit: '50' });
    expect(res.status).toBe(200);
    expect(res.body.length).toBeLessThan(1024 * 1024 + 64 * 1024);
    expect(res.json.events).toHaveLength(20);
    expect(res.json.events[0].detail).toMatchObject({ truncated: true });
    expect(res.json.next).toBeNull();
  });

  test('a page cut short by its byte bound names where the next page starts', async () => {
    const rt = fakeRuntime();
    rt.engine.events = Array.from({ length: 200 }, (_, i): StoredEvent => ({
      seq: 1000 - i,
      mesh: 'bookinfo',
      at: NOW,
      kind: 'raw',
      actor: 'cms',
      summary: 'unmatched',
      detail: { alarm: 'z'.repeat(15_000) },
    }));
    const res = await callControl(rt, 'GET', '/v1/history', '', { limit: '200' });
    const got = res.json.events as StoredEvent[];
    expect(got.length).toBeLessThan(200);
    expect(res.json.next).toBe(got[got.length - 1]?.seq);
  });
});
