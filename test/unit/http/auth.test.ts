import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import middy from '@middy/core';
import { alarmTokenOf, canonicalTarget, controlAuth, redactAlarmPath, secretEquals, signRequest } from '../../../shared/http/auth';
import { fcHttpEvent } from '../../../shared/http/http-trigger-middleware';
import { jsonReply, type HttpReply } from '../../../shared/http/http-message';
import { toHttpRequest } from '../../../shared/http/http-trigger-parser';
import { httpErrors } from '../../../shared/http/http-errors';
import { injectRuntime } from '../../../shared/http/inject-runtime';
import type { FcContext } from '../../../shared/runtime/types';
import { CONTROL_SECRET, READ_TOKEN, fakeRuntime, fcContext, httpEvent, type FakeRuntime } from '../../support/fake-runtime';
import { FakeClock } from '../../../lab/fakes';

const NOW = Date.UTC(2026, 10, 3, 2, 15, 30);
const NOW_S = NOW / 1000;

function guarded(runtime: FakeRuntime, now = NOW) {
  let reached = 0;
  const h = middy<unknown, HttpReply | undefined, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(httpErrors())
    .use(fcHttpEvent())
    .use(injectRuntime(async () => ({ ...runtime, clock: new FakeClock(now) })))
    .use(controlAuth({ publicPaths: ['/'] }))
    .handler(async () => {
      reached++;
      return jsonReply(200, { ok: true });
    });
  return {
    call: async (event: Buffer) => {
      const r = await h(event, fcContext());
      return { status: r?.statusCode, error: r ? JSON.parse(r.body).error : undefined };
    },
    reached: () => reached,
  };
}

function signed(p: {
  method: string;
  path: string;
  body?: string;
  timestamp?: number;
  requestId?: string;
  secret?: string;
  query?: Record<string, string>;
}) {
  const signPath = p.query ? `${p.path}?${new URLSearchParams(p.query)}` : p.path;
  const { headers } = signRequest({
    secret: p.secret ?? CONTROL_SECRET,
    method: p.method,
    path: signPath,
    body: p.body ?? '',
    timestamp: p.timestamp ?? NOW_S,
    requestId: p.requestId ?? 'req-0000-0001',
  });
  return httpEvent({
    method: p.method,
    path: p.path,
    ...(p.query && { query: p.query }),
    headers: { ...headers, 'content-type': 'application/json' },
    body: p.body ?? '',
  });
}

describe('signRequest', () => {
  test('HMAC-SHA256 (hex) over timestamp, method, canonical path, request id and body, one per line', () => {
    const s = signRequest({
      secret: 's3cret',
      method: 'post',
      path: '/v1/pause',
      body: '{"reason":"db migration"}',
      timestamp: 1793672130,
      requestId: 'b1946ac9-2b7e-4f0c-9d51-1f8f0c6a7e21',
    });
    const text = '1793672130\nPOST\n/v1/pause\nb1946ac9-2b7e-4f0c-9d51-1f8f0c6a7e21\n{"reason":"db migration"}';
    expect(s.stringToSign).toBe(text);
    expect(s.headers).toEqual({
      'x-regionshift-timestamp': '1793672130',
      'x-regionshift-request-id': 'b1946ac9-2b7e-4f0c-9d51-1f8f0c6a7e21',
      'x-regionshift-signature': createHmac('sha256', 's3cret').update(text).digest('hex'),
    });
  });

  test('the query is signed sorted by key, so its order in the URL does not matter', () => {
    const a = signRequest({ secret: 'k', method: 'GET', path: '/v1/history?limit=10&before=99', timestamp: 1, requestId: 'rrrrrrrr' });
    const b = signRequest({ secret: 'k', method: 'GET', path: '/v1/history?before=99&limit=10', timestamp: 1, requestId: 'rrrrrrrr' });
    expect(a.stringToSign).toBe('1\nGET\n/v1/history?before=99&limit=10\nrrrrrrrr\n');
    expect(a.headers).toEqual(b.headers);
    expect(canonicalTarget('/x', { 'a b': 'c&d' })).toBe('/x?a%20b=c%26d');
  });

  test('a query key given twice is refused by the signer, naming it, as the verifier refuses it', () => {
    // Before, the signer signed the last value (URLSearchParams) and the verifier the first.
    expect(() =>
      signRequest({ secret: 'k', method: 'GET', path: '/v1/history?limit=10&limit=500', timestamp: 1, requestId: 'rrrrrrrr' }),
    ).toThrow(
      expect.objectContaining({
        code: 'INPUT.INVALID',
        problems: ['query.limit: given more than once (each query parameter may appear once)'],
      }),
    );
    expect(() => canonicalTarget('/v1/history', { limit: ['10', '500'] })).toThrow('query.limit: given more than once');
    expect(canonicalTarget('/v1/history', { limit: ['10'], before: '7' })).toBe('/v1/history?before=7&limit=10');
  });
});

describe('secretEquals and the alarm token', () => {
  test('equal only for the same non-empty secret, whatever the lengths', () => {
    expect(secretEquals('abc', 'abc')).toBe(true);
    expect(secretEquals('abc', 'abcd')).toBe(false);
    expect(secretEquals('', '')).toBe(false);
    expect(secretEquals('x'.repeat(1000), 'x')).toBe(false);
  });
  test('token from ?token= first, else the last path segment; logs mask a path token', () => {
    const q = toHttpRequest(httpEvent({ method: 'POST', path: '/cms', query: { token: 'T1' } }));
    const p = toHttpRequest(httpEvent({ method: 'POST', path: '/cms/T%2F2' }));
    expect([alarmTokenOf(q), alarmTokenOf(p)]).toEqual(['T1', 'T/2']);
    expect([redactAlarmPath(q), redactAlarmPath(p)]).toEqual(['/cms', '/cms/{token}']);
  });
  test('an empty ?token= falls back to the path; a malformed path escape is a 401, not a URIError', () => {
    const req = (path: string, query: Record<string, string> = {}) => toHttpRequest(httpEvent({ method: 'POST', path, query }));
    expect(alarmTokenOf(req('/cms/T3', { token: '' }))).toBe('T3');
    for (const path of ['/cms/%E0%A4%A', '/cms/%', '/%ZZ']) {
      expect(() => alarmTokenOf(req(path))).toThrow(
        expect.objectContaining({ status: 401, message: 'token: the last path segment is not valid percent-encoding' }),
      );
    }
  });
  test('logs mask every segment that is not a route word, wherever a token sits and whatever the query says', () => {
    const log = (path: string, query: Record<string, string> = {}) =>
      redactAlarmPath(toHttpRequest(httpEvent({ method: 'POST', path, query })));
    expect([
      log('/cms/s3cret', { token: '' }),
      log('/cms/s3cret', { token: 'wrong' }),
      log('/s3cret/cms'),
      log('/alarm/s3cret/CMS/', { token: 's3cret' }),
      log('/alertmanager'),
      log('/'),
    ]).toEqual(['/cms/{token}', '/cms/{token}', '/{token}/cms', '/alarm/{token}/CMS/', '/alertmanager', '/']);
  });
});

describe('controlAuth', () => {
  test('a correctly signed request passes and its request id is remembered for 600 s', async () => {
    const rt = fakeRuntime();
    const g = guarded(rt);
    expect(await g.call(signed({ method: 'POST', path: '/v1/pause', body: '{"reason":"x"}' }))).toEqual({ status: 200, error: undefined });
    expect([...rt.store.keys]).toEqual([['req:req-0000-0001', NOW + 600_000]]);
  });

  test('the same request id again is a replay (409), even re-signed with a new timestamp', async () => {
    const g = guarded(fakeRuntime());
    await g.call(signed({ method: 'POST', path: '/v1/resume' }));
    const again = await g.call(signed({ method: 'POST', path: '/v1/resume', timestamp: NOW_S + 5 }));
    expect(again.status).toBe(409);
    expect(again.error.code).toBe('AUTH.REPLAY');
    expect(g.reached()).toBe(1);
  });

  test('the timestamp window is ±300 s inclusive', async () => {
    const g = guarded(fakeRuntime());
    expect((await g.call(signed({ method: 'GET', path: '/v1/status', timestamp: NOW_S - 300, requestId: 'window-a' }))).status).toBe(200);
    expect((await g.call(signed({ method: 'GET', path: '/v1/status', timestamp: NOW_S + 300, requestId: 'window-b' }))).status).toBe(200);
    const late = await g.call(signed({ method: 'GET', path: '/v1/status', timestamp: NOW_S - 301, requestId: 'window-c' }));
    expect(late).toEqual({
      status: 401,
      error: expect.objectContaining({ message: 'x-regionshift-timestamp: 301 s away from the server clock (allowed ±300 s)' }),
    });
    expect((await g.call(signed({ method: 'GET', path: '/v1/status', timestamp: NOW_S + 301, requestId: 'window-d' }))).status).toBe(401);
  });

  test('tampering with body, path, query, method, request id or secret breaks the signature', async () => {
    const rt = fakeRuntime();
    const g = guarded(rt);
    const good = signed({ method: 'POST', path: '/v1/pause', body: '{"reason":"a"}', requestId: 'tamper-01' });
    const envelope = JSON.parse(good.toString());
    const variants = [
      { ...envelope, body: '{"reason":"b"}' },
      { ...envelope, rawPath: '/v1/resume' },
      { ...envelope, queryParameters: { x: '1' } },
      { ...envelope, requestContext: { ...envelope.requestContext, http: { ...envelope.requestContext.http, method: 'DELETE' } } },
      { ...envelope, headers: { ...envelope.headers, 'x-regionshift-request-id': 'tamper-02' } },
    ];
    for (const v of variants)
      expect((await g.call(Buffer.from(JSON.stringify(v)))).error?.message).toBe('x-regionshift-signature: does not match');
    expect((await g.call(signed({ method: 'POST', path: '/v1/pause', secret: 'other', requestId: 'tamper-03' }))).status).toBe(401);
    expect(rt.store.keys.size).toBe(0);
    expect(g.reached()).toBe(0);
  });

  test('a failed signature does not burn the request id', async () => {
    const rt = fakeRuntime();
    const g = guarded(rt);
    expect((await g.call(signed({ method: 'POST', path: '/v1/resume', secret: 'wrong', requestId: 'burn-test-1' }))).status).toBe(401);
    expect((await g.call(signed({ method: 'POST', path: '/v1/resume', requestId: 'burn-test-1' }))).status).toBe(200);
  });

  test.each([
    [{}, 'x-regionshift-timestamp: missing'],
    [
      { 'x-regionshift-timestamp': 'yesterday', 'x-regionshift-signature': 'ab', 'x-regionshift-request-id': 'abcdefgh' },
      'x-regionshift-timestamp: must be unix seconds',
    ],
    [{ 'x-regionshift-timestamp': String(NOW_S), 'x-regionshift-request-id': 'abcdefgh' }, 'x-regionshift-signature: missing'],
    [{ 'x-regionshift-timestamp': String(NOW_S), 'x-regionshift-signature': 'ab' }, 'x-regionshift-request-id: missing'],
    [
      { 'x-regionshift-timestamp': String(NOW_S), 'x-regionshift-signature': 'ab', 'x-regionshift-request-id': 'short' },
      expect.stringMatching(/^x-regionshift-request-id: must be 8-128/),
    ],
    [
      { 'x-regionshift-timestamp': String(NOW_S), 'x-regionshift-signature': 'zz', 'x-regionshift-request-id': 'abcdefgh' },
      'x-regionshift-signature: must be 64 hex digits (HMAC-SHA256)',
    ],
  ])('headers %p → 401 %p', async (headers, message) => {
    const g = guarded(fakeRuntime());
    expect(await g.call(httpEvent({ method: 'POST', path: '/v1/resume', headers }))).toEqual({
      status: 401,
      error: expect.objectContaining({ code: 'AUTH.UNAUTHORIZED', message }),
    });
  });

  test('the read token opens reads only; a wrong or unconfigured one is 401', async () => {
    const g = guarded(fakeRuntime());
    const bearer = (method: string, token: string) =>
      httpEvent({ method, path: '/v1/status', headers: { Authorization: `Bearer ${token}` } });
    expect((await g.call(bearer('GET', READ_TOKEN))).status).toBe(200);
    expect(await g.call(bearer('POST', READ_TOKEN))).toEqual({ status: 403, error: expect.objectContaining({ code: 'AUTH.FORBIDDEN' }) });
    expect((await g.call(bearer('GET', 'guess'))).status).toBe(401);
    const noReadToken = guarded(fakeRuntime({ readToken: undefined }));
    expect((await noReadToken.call(bearer('GET', READ_TOKEN))).status).toBe(401);
  });

  test('public paths are served without credentials for reads only', async () => {
    const g = guarded(fakeRuntime());
    expect((await g.call(httpEvent({ method: 'GET', path: '/' }))).status).toBe(200);
    expect((await g.call(httpEvent({ method: 'POST', path: '/' }))).status).toBe(401);
  });

  test('an empty control secret rejects everything, even a request signed with it', async () => {
    const g = guarded(fakeRuntime({ controlSecret: '' }));
    expect((await g.call(signed({ method: 'GET', path: '/v1/status', secret: '' }))).status).toBe(401);
  });
});

test('the worked examples in docs/api.md are what signRequest computes', () => {
  const doc = readFileSync('docs/api.md', 'utf8');
  const post = signRequest({
    secret: 'example-control-secret-0123',
    method: 'POST',
    path: '/v1/drills',
    body: '{"region":"cn-shanghai","duration":"15m","reason":"game day"}',
    timestamp: 1793672130,
    requestId: 'b1946ac9-2b7e-4f0c-9d51-1f8f0c6a7e21',
  });
  const get = signRequest({
    secret: 'example-control-secret-0123',
    method: 'GET',
    path: '/v1/history?limit=20&before=1200',
    timestamp: 1793672130,
    requestId: '5d0c2f7e-88a1-4c3b-9e2d-7a6b1c0f4e93',
  });
  expect(doc).toContain(`x-regionshift-signature: ${post.headers['x-regionshift-signature']}`);
  expect(doc).toContain(`→ \`${get.headers['x-regionshift-signature']}\``);
  expect(doc).toContain(`\`\`\`\n${post.stringToSign}\n\`\`\``);
});
