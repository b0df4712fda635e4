import { makeHandler } from '../../../functions/control/handler';
import { makeHttpHandler as makeAlarmHandler } from '../../../functions/alarm/handler';
import * as requestLogModule from '../../../shared/http/request-log';
import { ALARM_TOKEN, fakeRuntime, fcContext, httpEvent } from '../../support/fake-runtime';

/**
 * A CMS or Alertmanager callback wired to the wrong function (the control URL) carries the alarm
 * token in its path or query: no log line of any function shows it, whatever the URL.
 */

const CASES: Array<{ name: string; method: string; path: string; query?: Record<string, string> }> = [
  { name: 'the token as the last path segment of the control URL', method: 'POST', path: `/cms/${ALARM_TOKEN}` },
  { name: 'the token as the first segment', method: 'POST', path: `/${ALARM_TOKEN}/cms` },
  { name: 'the token alone as the path', method: 'GET', path: `/${ALARM_TOKEN}` },
  { name: 'the token in the query', method: 'POST', path: '/alarm/cms', query: { region: 'cn-hangzhou', token: ALARM_TOKEN } },
  { name: 'the token under another query key', method: 'GET', path: '/v1/status', query: { t: ALARM_TOKEN } },
  {
    name: 'the token percent-encoded in a path',
    method: 'DELETE',
    path: `/v1/overrides/${encodeURIComponent(ALARM_TOKEN).replace(/-/g, '%2D')}`,
  },
  { name: 'the token where a route takes an id', method: 'DELETE', path: `/v1/drills/${ALARM_TOKEN}` },
];

describe('the control function never logs the alarm token', () => {
  it.each(CASES)('$name', async ({ method, path, query }) => {
    const runtime = fakeRuntime();
    const handler = makeHandler(async () => runtime);
    const reply = await handler(
      httpEvent({ method, path, ...(query ? { query } : {}), headers: { 'content-type': 'application/json' }, body: '{}' }),
      fcContext(),
    );
    expect(reply?.statusCode).toBeGreaterThanOrEqual(400);
    expect(runtime.lines).toHaveLength(1);
    const text = JSON.stringify(runtime.lines);
    expect(text).not.toContain(ALARM_TOKEN);
    expect(text).not.toContain(encodeURIComponent(ALARM_TOKEN).replace(/-/g, '%2D'));
    expect(text).not.toContain('5f1c9e');
    expect(runtime.lines[0]).toMatchObject({ function: 'control', method, path: expect.any(String) as unknown });
  });
});

describe('the alarm function never logs the alarm token', () => {
  it.each(CASES)('$name', async ({ method, path, query }) => {
    const runtime = fakeRuntime();
    const handler = makeAlarmHandler(async () => runtime);
    await handler(
      httpEvent({ method, path, ...(query ? { query } : {}), headers: { 'content-type': 'application/json' }, body: '{}' }),
      fcContext(),
    );
    const text = JSON.stringify(runtime.lines);
    expect(runtime.lines.length).toBeGreaterThan(0);
    expect(text).not.toContain('5f1c9e');
  });
});

describe('logPathOf', () => {
  it.each([
    ['/v1/status', '/v1/status'],
    ['/v1/overrides/ov-1', '/v1/overrides/{…}'],
    [`/cms/${ALARM_TOKEN}`, '/cms/{…}'],
    [`/${ALARM_TOKEN}/cms`, '/{…}/cms'],
    ['/v1/status?token=abc', '/v1/status'],
    ['/', '/'],
    ['/V1/Status/', '/V1/Status/'],
  ])('%s → %s', (path, logged) => {
    expect(requestLogModule.logPathOf(path)).toBe(logged);
  });
});
