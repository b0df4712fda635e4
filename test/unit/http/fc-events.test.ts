import { readFileSync } from 'node:fs';
import { StateConflictError, UpstreamError, ValidationError } from '../../../shared/core/errors';
import { ReplayError, UnauthorizedError } from '../../../shared/http/errors';
import { toEventBridgeDelivery, toTimerFiring } from '../../../shared/http/event-trigger-parser';
import { toHttpRequest } from '../../../shared/http/http-trigger-parser';
import { errorReply } from '../../../shared/http/http-errors';
import { httpEvent } from '../../support/fake-runtime';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

describe('toHttpRequest (FC 3.0 HTTP trigger envelope)', () => {
  test('lowercases headers, joins repeated ones; query: the first of repeated values, and every value in queryValues', () => {
    const event = Buffer.from(
      JSON.stringify({
        version: 'v1',
        rawPath: '/v1/history',
        isBase64Encoded: false,
        body: '',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': ['1.1.1.1', '2.2.2.2'] },
        queryParameters: { limit: '5', tag: ['a', 'b'] },
        requestContext: { http: { method: 'get', sourceIp: '10.1.2.3' } },
      }),
    );
    expect(toHttpRequest(event)).toEqual({
      method: 'GET',
      path: '/v1/history',
      query: { limit: '5', tag: 'a' },
      queryValues: { limit: ['5'], tag: ['a', 'b'] },
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '1.1.1.1, 2.2.2.2' },
      rawBody: '',
      sourceIp: '10.1.2.3',
    });
  });

  test('decodes a base64 body and parses JSON by content type', () => {
    const req = toHttpRequest(
      httpEvent({
        method: 'POST',
        path: '/v1/pause',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: '{"reason":"维护"}',
        base64: true,
      }),
    );
    expect(req.rawBody).toBe('{"reason":"维护"}');
    expect(req.json).toEqual({ reason: '维护' });
  });

  test('a form body stays text; a body without a content type is never read as JSON, however it looks', () => {
    expect(
      toHttpRequest(httpEvent({ method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }))
        .json,
    ).toBeUndefined();
    expect(toHttpRequest(httpEvent({ method: 'POST', path: '/', body: ' {"a":1}' })).json).toBeUndefined();
    expect(toHttpRequest(httpEvent({ method: 'POST', path: '/', headers: { 'content-type': '' }, body: '{"a":1}' })).json).toBeUndefined();
  });

  test('a JSON body labelled with a charset other than UTF-8 is a bodyProblem naming the header, not read as JSON', () => {
    for (const charset of ['utf-16', 'ISO-8859-1', '"utf-16le"']) {
      const req = toHttpRequest(
        httpEvent({
          method: 'POST',
          path: '/v1/drills',
          headers: { 'content-type': `application/json; charset=${charset}` },
          body: '{"reason":"x"}',
        }),
      );
      expect(req.json).toBeUndefined();
      expect(req.bodyProblem).toBe(`header content-type: JSON must be UTF-8, got charset=${charset.replace(/"/g, '').toLowerCase()}`);
    }
    expect(
      toHttpRequest(httpEvent({ method: 'POST', path: '/', headers: { 'content-type': 'application/json;charset=UTF8' }, body: '{"a":1}' }))
        .json,
    ).toEqual({ a: 1 });
  });

  test('malformed JSON is reported as bodyProblem, not thrown (auth must answer first)', () => {
    const req = toHttpRequest(
      httpEvent({ method: 'POST', path: '/x', headers: { 'content-type': 'application/json' }, body: '{"reason":' }),
    );
    expect(req.json).toBeUndefined();
    expect(req.bodyProblem).toMatch(/^body: not valid JSON/);
  });

  test('a broken envelope names the field', () => {
    expect(problemsOf(() => toHttpRequest(Buffer.from('not json')))).toEqual([expect.stringMatching(/^\(event\): not valid JSON/)]);
    expect(problemsOf(() => toHttpRequest(Buffer.from('')))).toEqual(['(event): empty']);
    expect(problemsOf(() => toHttpRequest({ rawPath: 'v1', requestContext: { http: { method: 'GET' } } }))).toEqual([
      '(event).rawPath: must start with /',
    ]);
    expect(problemsOf(() => toHttpRequest({ rawPath: '/', requestContext: {} }))).toEqual([
      expect.stringMatching(/^\(event\)\.requestContext\.http: /),
    ]);
  });
});

describe('toEventBridgeDelivery', () => {
  const ack = readFileSync('events/alarms/ack-node-notready.json', 'utf8');

  test('one CloudEvent or a batch; ids collected', () => {
    const one = toEventBridgeDelivery(Buffer.from(ack));
    expect(one).toMatchObject({ count: 1, cloudEvents: true, ids: ['b3f6e0a2-8c1d-4e7f-9a5b-0c2d4e6f8a13'] });
    expect(one.payload).toEqual(JSON.parse(ack));
    const batch = toEventBridgeDelivery(Buffer.from(`[${ack},${ack.replace('b3f6e0a2', 'c4a7f1b3')}]`));
    expect(batch).toMatchObject({
      count: 2,
      cloudEvents: true,
      ids: ['b3f6e0a2-8c1d-4e7f-9a5b-0c2d4e6f8a13', 'c4a7f1b3-8c1d-4e7f-9a5b-0c2d4e6f8a13'],
    });
  });

  test('RawData deliveries (data only) pass through without ids', () => {
    expect(toEventBridgeDelivery({ alertName: 'x' })).toMatchObject({ count: 1, cloudEvents: false, ids: [] });
  });

  test('bad deliveries name the event and field', () => {
    expect(problemsOf(() => toEventBridgeDelivery(Buffer.from('[]')))).toEqual(['(event): empty batch']);
    expect(
      problemsOf(() => toEventBridgeDelivery(Buffer.from('[{"specversion":"1.0","id":"a","source":"acs.cs","type":"t"}, 7]'))),
    ).toEqual(['[1]: must be an object']);
    expect(problemsOf(() => toEventBridgeDelivery([{ specversion: '1.0', id: 'a', type: 't' }]))).toEqual([
      expect.stringMatching(/^\[0\]\.source: /),
    ]);
  });
});

describe('toTimerFiring', () => {
  test('parses the FC timer event', () => {
    expect(
      toTimerFiring(Buffer.from('{"triggerTime":"2026-01-01T00:00:00Z","triggerName":"tick","payload":"{\\"task\\":\\"tick\\"}"}')),
    ).toEqual({
      triggerName: 'tick',
      triggerTime: '2026-01-01T00:00:00Z',
      at: Date.UTC(2026, 0, 1),
      payload: '{"task":"tick"}',
    });
  });
  test('names a bad time or a missing field', () => {
    expect(problemsOf(() => toTimerFiring({ triggerTime: 'yesterday', triggerName: 'tick' }))).toEqual([
      'triggerTime: not an RFC 3339 time (got "yesterday")',
    ]);
    expect(problemsOf(() => toTimerFiring({ triggerTime: '2026-01-01T00:00:00Z' }))).toEqual([expect.stringMatching(/^triggerName: /)]);
  });
});

describe('errorReply', () => {
  const body = (r: { body: string }) => JSON.parse(r.body);
  test.each([
    [
      new ValidationError(['body.reason: required']),
      400,
      { code: 'INPUT.INVALID', message: 'body.reason: required', problems: ['body.reason: required'], requestId: 'r9' },
    ],
    [new UnauthorizedError('token: does not match'), 401, { code: 'AUTH.UNAUTHORIZED', message: 'token: does not match', requestId: 'r9' }],
    [new ReplayError('abc12345'), 409, { code: 'AUTH.REPLAY', message: expect.stringContaining('abc12345'), requestId: 'r9' }],
    [new StateConflictError(), 503, { code: 'STATE.BUSY', message: expect.any(String), requestId: 'r9' }],
  ])('%p → %d', (err, status, error) => {
    const reply = errorReply(err, 'r9');
    expect(reply.statusCode).toBe(status);
    expect(body(reply)).toEqual({ error });
  });

  test('a 5xx never shows the message or the stack', () => {
    for (const err of [
      new Error('connect ECONNREFUSED 10.0.0.5:443 secret=abc'),
      new UpstreamError('MESH.THROTTLED', 'Throttling.User at servicemesh', { retryable: true }),
      'a string',
    ]) {
      const reply = errorReply(err, 'r9');
      expect(reply.statusCode).toBe(500);
      expect(reply.body).toBe('{"error":{"code":"INTERNAL","message":"internal error","requestId":"r9"}}');
    }
  });

  test('503 says when to retry; 401 names the scheme', () => {
    expect(errorReply(new StateConflictError(), undefined).headers).toMatchObject({ 'retry-after': '1' });
    expect(errorReply(new UnauthorizedError('x'), undefined).headers).toMatchObject({ 'www-authenticate': 'RegionShift-HMAC-SHA256' });
  });
});
