import { StateConflictError } from '../../../shared/core/errors';
import { createHmac } from 'node:crypto';
import { signRequest, stringToSign } from '../../../shared/http/auth';
import { makeHandler } from '../../../functions/control/handler';
import { CONTROL_SECRET, READ_TOKEN, fakeRuntime, fcContext, httpEvent, outcome, plan, type FakeRuntime } from '../../support/fake-runtime';

const NOW = Date.UTC(2026, 10, 3, 2, 15, 30);
let seq = 0;

function setup() {
  const rt = fakeRuntime();
  rt.clock.set(NOW);
  const handler = makeHandler(async () => rt);
  async function call(
    method: string,
    path: string,
    opts: {
      body?: unknown;
      rawBody?: string;
      query?: Record<string, string | string[]>;
      headers?: Record<string, string>;
      unsigned?: boolean;
    } = {},
  ) {
    const body = opts.rawBody ?? (opts.body === undefined ? '' : JSON.stringify(opts.body));
    const signPath = opts.query
      ? `${path}?${new URLSearchParams(Object.entries(opts.query).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x): [string, string] => [k, x])))}`
      : path;
    const sig = opts.unsigned
      ? {}
      : signRequest({ secret: CONTROL_SECRET, method, path: signPath, body, timestamp: NOW / 1000, requestId: `ctl-${++seq}-0000` })
          .headers;
    const reply = await handler(
      httpEvent({
        method,
        path,
        ...(opts.query && { query: opts.query }),
        headers: { 'content-type': 'application/json', ...sig, ...opts.headers },
        body,
      }),
      fcContext(),
    );
    if (!reply) throw new Error('no reply');
    return {
      status: reply.statusCode,
      headers: reply.headers ?? {},
      text: reply.body,
      json: reply.headers?.['content-type']?.startsWith('application/json') ? JSON.parse(reply.body) : undefined,
    };
  }
  return { rt, call };
}

const commands = (rt: FakeRuntime) => rt.engine.calls.filter((c) => c.method === 'command');

describe('control function: routes to engine commands', () => {
  test.each([
    [
      'POST',
      '/v1/overrides',
      { drain: ['cn-hangzhou'], ttl: '15m', reason: 'maintenance' },
      { kind: 'override', drain: ['cn-hangzhou'], ttl: 900_000, reason: 'maintenance', actor: 'api' },
    ],
    [
      'POST',
      '/v1/overrides',
      {
        matrix: { 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
        force: true,
        reason: 'canary',
      },
      {
        kind: 'override',
        matrix: { 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
        force: true,
        reason: 'canary',
        actor: 'api',
      },
    ],
    ['DELETE', '/v1/overrides/ovr-12', undefined, { kind: 'clearOverride', id: 'ovr-12', actor: 'api' }],
    [
      'POST',
      '/v1/drills',
      { region: 'cn-shanghai', severity: 'degraded', duration: '15m', reason: 'game day' },
      { kind: 'drill', region: 'cn-shanghai', severity: 'degraded', duration: 900_000, reason: 'game day', actor: 'api' },
    ],
    [
      'POST',
      '/v1/drills',
      { region: 'cn-shanghai', duration: 600 },
      { kind: 'drill', region: 'cn-shanghai', duration: 600_000, actor: 'api' },
    ],
    ['DELETE', '/v1/drills/drill-3', undefined, { kind: 'abortDrill', id: 'drill-3', actor: 'api' }],
    ['POST', '/v1/pause', { reason: 'incident 4711' }, { kind: 'pause', reason: 'incident 4711', actor: 'api' }],
    ['POST', '/v1/resume', undefined, { kind: 'resume', actor: 'api' }],
  ])('%s %s → %p', async (method, path, body, command) => {
    const { rt, call } = setup();
    const res = await call(method, path, { body });
    expect(res.status).toBe(200);
    expect(res.json).toEqual(rt.engine.commandOutcome);
    expect(rt.engine.calls).toEqual([{ method: 'command', command, dryRun: false }]);
  });

  test('the actor comes from x-regionshift-actor', async () => {
    const { rt, call } = setup();
    await call('POST', '/v1/pause', { body: { reason: 'x' }, headers: { 'x-regionshift-actor': 'alice@sre' } });
    expect(commands(rt)[0]).toMatchObject({ command: { actor: 'alice@sre' } });
  });

  test('POST /v1/plan is a dry run of any command', async () => {
    const { rt, call } = setup();
    const res = await call('POST', '/v1/plan', { body: { kind: 'drill', region: 'cn-hangzhou', duration: '5m' } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ dryRun: true, committed: false, plan: { id: 'p-1' } });
    expect(rt.engine.calls).toEqual([
      { method: 'command', command: { kind: 'drill', region: 'cn-hangzhou', duration: 300_000, actor: 'api' }, dryRun: true },
    ]);
  });

  test('a refused command that changed nothing is 409 with the refusals', async () => {
    const { rt, call } = setup();
    rt.engine.commandOutcome = outcome({
      committed: false,
      plan: plan('p-2', { refused: [{ rule: 'drill.window', message: 'outside drills.allowedWindows' }] }),
    });
    const res = await call('POST', '/v1/drills', { body: { region: 'cn-hangzhou', duration: '5m' } });
    expect(res.status).toBe(409);
    expect(res.json.error).toEqual({
      code: 'COMMAND.REFUSED',
      message: 'drill.window: outside drills.allowedWindows',
      refused: [{ rule: 'drill.window', message: 'outside drills.allowedWindows' }],
    });
  });

  test('reads: status, history with paging, the dashboard page', async () => {
    const { rt, call } = setup();
    const status = await call('GET', '/v1/status');
    expect(status).toMatchObject({ status: 200, json: { mesh: 'bookinfo', version: 7 } });
    rt.engine.events = [3, 2].map((s) => ({
      seq: s,
      mesh: 'bookinfo',
      at: s,
      kind: 'command' as const,
      actor: 'api',
      summary: `e${s}`,
      detail: null,
    }));
    const history = await call('GET', '/v1/history', { query: { limit: '2', before: '4' } });
    expect(history.json).toEqual({ events: rt.engine.events, next: 2 });
    expect(rt.engine.calls.at(-1)).toEqual({ method: 'history', limit: 2, before: 4 });
    expect((await call('GET', '/v1/history')).json.next).toBeNull();
    expect(rt.engine.calls.at(-1)).toEqual({ method: 'history', limit: 50 });
    const page = await call('GET', '/', { unsigned: true });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    // The bundled browser app (functions/control/dashboard/) is in the page and reads the status route.
    expect(page.text).toContain('v1/status');
    expect(page.text).toContain('<select id="tl-range">');
  });

  test('the read token works for status', async () => {
    const { call } = setup();
    expect((await call('GET', '/v1/status', { unsigned: true, headers: { authorization: `Bearer ${READ_TOKEN}` } })).status).toBe(200);
  });

  test('unknown route 404, wrong method 405 with allow; the engine is not called', async () => {
    const { rt, call } = setup();
    expect(await call('GET', '/v1/nope')).toMatchObject({ status: 404, json: { error: { code: 'HTTP.NOT_FOUND' } } });
    const res = await call('PUT', '/v1/overrides');
    expect(res).toMatchObject({ status: 405, headers: { allow: 'POST' }, json: { error: { code: 'HTTP.METHOD_NOT_ALLOWED' } } });
    expect((await call('GET', '/v1/overrides/ovr-1')).headers.allow).toBe('DELETE');
    expect(rt.engine.calls).toEqual([]);
  });

  test('a storm of conflicts surfaces as 503 with retry-after', async () => {
    const { rt, call } = setup();
    rt.engine.failWith = new StateConflictError('gave up after 5 attempts');
    const res = await call('POST', '/v1/resume');
    expect(res).toMatchObject({ status: 503, headers: { 'retry-after': '1' }, json: { error: { code: 'STATE.BUSY' } } });
  });

  test('an unexpected engine error is a 500 without its message', async () => {
    const { rt, call } = setup();
    rt.engine.failWith = new Error('OTSServerBusy at 10.0.3.4');
    const res = await call('GET', '/v1/status');
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('OTSServerBusy');
    expect(res.text).not.toContain('at ');
    expect(rt.lines).toEqual([
      expect.objectContaining({ status: 500, outcome: 'error', error: { name: 'Error', message: 'OTSServerBusy at 10.0.3.4' } }),
    ]);
  });
});

describe('control function: bad input is a 400 naming the field, and the engine is not called', () => {
  test.each([
    ['POST', '/v1/overrides', '{"drain":["cn-hangzhou"]', ['body: not valid JSON']],
    ['POST', '/v1/overrides', '', ['body: required (a JSON object)']],
    ['POST', '/v1/overrides', { drain: ['cn-hangzhou'] }, ['body.reason: ']],
    ['POST', '/v1/overrides', { reason: 'x' }, ['body.matrix: give exactly one of matrix or drain']],
    ['POST', '/v1/overrides', { reason: 'x', drain: ['cn-hangzhou'], matrix: {} }, ['body.drain: give exactly one of matrix or drain']],
    [
      'POST',
      '/v1/overrides',
      { reason: 'x', drain: ['cn-beijing'] },
      ['body.drain[0]: unknown region cn-beijing (declared: cn-hangzhou, cn-shanghai)'],
    ],
    ['POST', '/v1/overrides', { reason: 'x', drain: ['cn-hangzhou'], ttl: 'soon' }, ['body.ttl: must be a duration']],
    ['POST', '/v1/overrides', { reason: 'x', drain: ['cn-hangzhou'], reasn: 'typo' }, ['body.reasn: unknown field']],
    [
      'POST',
      '/v1/overrides',
      { reason: 'x', matrix: { 'cn-hangzhou': { 'cn-hangzhou': 90 }, 'cn-shanghai': { 'cn-shanghai': 100 } } },
      ['body.matrix.cn-hangzhou: weights must sum to 100 (got 90)'],
    ],
    ['POST', '/v1/drills', { region: 'cn-hangzhou' }, ['body.duration: ']],
    ['POST', '/v1/drills', { region: 'cn-hangzhou', duration: '0s' }, ['body.duration: must be longer than 0']],
    ['POST', '/v1/drills', { region: 'mars-1', duration: '5m' }, ['body.region: unknown region mars-1']],
    ['POST', '/v1/drills', { region: 'cn-hangzhou', duration: '5m', severity: 'bad' }, ['body.severity: ']],
    ['POST', '/v1/pause', {}, ['body.reason: ']],
    ['POST', '/v1/plan', { kind: 'explode' }, ['body.kind: ']],
    ['POST', '/v1/resume', '[1,', ['body: not valid JSON']],
    ['GET', '/v1/history?limit=0', undefined, ['query.limit: must be in 1..500']],
    ['GET', '/v1/history?limit=ten', undefined, ['query.limit: must be a whole number']],
    ['DELETE', '/v1/overrides/bad%20id', undefined, ['path.id: must be an id']],
    // Query parameters are strict like body fields: a misspelt one is named, never ignored.
    ['GET', '/v1/history?limt=5', undefined, ['query.limt: unknown parameter (this route takes limit, before)']],
    ['GET', '/v1/status?verbose=1', undefined, ['query.verbose: unknown parameter (this route takes none)']],
    ['POST', '/v1/resume?force=1', undefined, ['query.force: unknown parameter (this route takes none)']],
    ['DELETE', '/v1/overrides/ovr-1?force=true', undefined, ['query.force: unknown parameter']],
  ])('%s %s %p', async (method, target, body, problems) => {
    const { rt, call } = setup();
    const url = new URL(target, 'http://x');
    const res = await call(method, url.pathname, {
      ...(typeof body === 'string' ? { rawBody: body } : { body }),
      ...(url.search && { query: Object.fromEntries(url.searchParams) }),
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('INPUT.INVALID');
    for (const [i, p] of problems.entries()) expect(res.json.error.problems[i]).toContain(p);
    expect(rt.engine.calls).toEqual([]);
  });

  test('a bad actor header names the header', async () => {
    const { rt, call } = setup();
    const res = await call('POST', '/v1/resume', { headers: { 'x-regionshift-actor': 'bob smith' } });
    expect(res.status).toBe(400);
    expect(res.json.error.problems[0]).toMatch(/^header x-regionshift-actor: /);
    expect(rt.engine.calls).toEqual([]);
  });
});

describe('control function: query and content type are read one way only', () => {
  test('a key given twice as an array is refused, though its first value carries a valid signature', async () => {
    const { rt, call } = setup();
    // What the verifier used to check: the first value. The request would have run on it.
    const text = stringToSign({
      timestamp: NOW / 1000,
      method: 'GET',
      target: '/v1/history?limit=2',
      requestId: 'dup-query-0001',
      body: '',
    });
    const headers = {
      'x-regionshift-timestamp': String(NOW / 1000),
      'x-regionshift-request-id': 'dup-query-0001',
      'x-regionshift-signature': createHmac('sha256', CONTROL_SECRET).update(text).digest('hex'),
    };
    const res = await call('GET', '/v1/history', { unsigned: true, headers, query: { limit: ['2', '3'] } });
    expect(res.status).toBe(400);
    expect(res.json.error.problems).toEqual(['query.limit: given more than once (each query parameter may appear once)']);
    // The read token does not go through the signature: the route refuses the repeat itself.
    const read = await call('GET', '/v1/history', {
      unsigned: true,
      headers: { authorization: `Bearer ${READ_TOKEN}` },
      query: { limit: ['2', '3'] },
    });
    expect(read.status).toBe(400);
    expect(read.json.error.problems).toEqual(['query.limit: given more than once (each query parameter may appear once)']);
    expect(rt.engine.calls).toEqual([]);
  });

  test('FC joins a repeated key into "a,b": a number parameter so joined is refused, naming it', async () => {
    const { rt, call } = setup();
    const res = await call('GET', '/v1/history', { query: { limit: '2,3' } });
    expect(res.status).toBe(400);
    expect(res.json.error.problems[0]).toContain('query.limit: must be a whole number');
    expect(rt.engine.calls).toEqual([]);
  });

  test.each([
    ['an empty content type', { 'content-type': '' }, 'header content-type: must be application/json for a JSON body, got none'],
    [
      'a text content type',
      { 'content-type': 'text/plain' },
      'header content-type: must be application/json for a JSON body, got text/plain',
    ],
  ])('a JSON body under %s is refused (400), not guessed to be JSON', async (_what, headers, problem) => {
    const { rt, call } = setup();
    const res = await call('POST', '/v1/pause', { body: { reason: 'x' }, headers });
    expect(res.status).toBe(400);
    expect(res.json.error.problems).toEqual([problem]);
    expect(rt.engine.calls).toEqual([]);
  });
});

describe('control function: authentication comes before everything', () => {
  test('unsigned, badly signed, expired and replayed requests never reach the engine', async () => {
    const { rt, call } = setup();
    expect((await call('POST', '/v1/pause', { body: { reason: 'x' }, unsigned: true })).status).toBe(401);
    expect((await call('POST', '/v1/pause', { rawBody: '{broken', unsigned: true })).status).toBe(401);
    const stale = signRequest({
      secret: CONTROL_SECRET,
      method: 'POST',
      path: '/v1/resume',
      body: '',
      timestamp: NOW / 1000 - 3600,
      requestId: 'stale-request',
    }).headers;
    expect((await call('POST', '/v1/resume', { unsigned: true, headers: stale })).status).toBe(401);
    const once = signRequest({
      secret: CONTROL_SECRET,
      method: 'POST',
      path: '/v1/resume',
      body: '',
      timestamp: NOW / 1000,
      requestId: 'only-once-1',
    }).headers;
    expect((await call('POST', '/v1/resume', { unsigned: true, headers: once })).status).toBe(200);
    const replay = await call('POST', '/v1/resume', { unsigned: true, headers: once });
    expect(replay).toMatchObject({ status: 409, json: { error: { code: 'AUTH.REPLAY' } } });
    expect(commands(rt)).toHaveLength(1);
    expect(rt.lines.map((l) => l.status)).toEqual([401, 401, 401, 200, 409]);
  });
});
