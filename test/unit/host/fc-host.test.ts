import { IDLE_KEEP_ALIVE_MS } from '../../../lab/keep-alive';
import { FILTERED_HEADER, startFcHost, type AsyncOutcome, type FcHost, type HandlerModule } from '../../../lab/host/fc-host';
import type { FcContext } from '../../../shared/runtime/types';

const FIXTURE = 'test/unit/host/fixtures/s.yaml';

interface Invocation {
  key: string;
  event: unknown;
  raw: Buffer;
  context: FcContext;
}

/** Fake handler modules: each records what the host handed it; `behaviour` decides what it answers. */
function fixtureLoader(invocations: Invocation[], behaviour: Record<string, (event: unknown) => Promise<unknown>>) {
  return async (key: string): Promise<HandlerModule> => {
    const fn = async (raw: Buffer, context: FcContext) => {
      expect(Buffer.isBuffer(raw)).toBe(true);
      const event: unknown = JSON.parse(raw.toString('utf8'));
      invocations.push({ key, event, raw, context });
      const b = behaviour[key];
      return b ? b(event) : { statusCode: 200, body: 'ok' };
    };
    return key === 'events' ? { onEvent: fn } : { handler: fn };
  };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls until `ok` holds: a loaded CI host stretches every fixed sleep, so tests wait for the condition itself. */
async function waitUntil(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await wait(20);
  }
}

describe('local FC host', () => {
  let host: FcHost;
  const invocations: Invocation[] = [];
  const asyncDone: AsyncOutcome[] = [];
  const behaviour: Record<string, (event: unknown) => Promise<unknown>> = {};
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    host = await startFcHost({
      sYamlPath: FIXTURE,
      port: 0,
      loadHandler: fixtureLoader(invocations, behaviour),
      env: {
        FIXTURE_GREETING: 'hello',
        ALIBABA_CLOUD_ACCESS_KEY_ID: 'AKID',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'SECRET',
        ALIBABA_CLOUD_SECURITY_TOKEN: 'STS',
      },
      onAsyncDone: (o) => asyncDone.push(o),
      log: (l) => lines.push(l),
    });
  });
  afterAll(() => host.stop());
  const last = (key: string) => invocations.filter((i) => i.key === key).at(-1) as Invocation;

  test('healthz answers once the handlers are loaded', async () => {
    const res = await fetch(`${host.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', functions: ['echo', 'events', 'ticker', 'worker'] });
  });

  test('an HTTP request arrives as the FC 3.0 envelope, with FC context', async () => {
    const res = await fetch(`${host.url}/echo/v1/things?x=1&x=2&y=z%20z`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Custom': 'A' },
      body: '{"a":1}',
    });
    expect(res.status).toBe(200);
    const { event, context } = last('echo');
    expect(event).toEqual({
      version: 'v1',
      rawPath: '/v1/things',
      headers: expect.objectContaining({ 'Content-Type': 'application/json', 'X-Custom': 'A', host: `127.0.0.1:${host.port}` }),
      // A repeated key joined with commas, as FC's HTTP trigger docs show ("value1,value2").
      queryParameters: { x: '1,2', y: 'z z' },
      body: '{"a":1}',
      isBase64Encoded: false,
      requestContext: {
        accountId: '1234567890123456',
        domainName: `127.0.0.1:${host.port}`,
        domainPrefix: '127',
        http: {
          method: 'POST',
          path: '/v1/things',
          protocol: 'HTTP/1.1',
          sourceIp: expect.stringMatching(/127\.0\.0\.1$/),
          userAgent: expect.any(String),
        },
        requestId: context.requestId,
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        timeEpoch: expect.stringMatching(/^\d+$/),
      },
    });
    // FC 3.0's documented form ("2023-09-05T06:41:11Z"): the same instant as timeEpoch, to the second.
    const rc = (event as { requestContext: { time: string; timeEpoch: string } }).requestContext;
    expect(Date.parse(rc.time)).toBe(Math.floor(Number(rc.timeEpoch) / 1000) * 1000);
    expect(res.headers.get('x-fc-request-id')).toBe(context.requestId);
    expect(context).toMatchObject({
      credentials: { accessKeyId: 'AKID', accessKeySecret: 'SECRET', securityToken: 'STS' },
      function: { name: 'fixture-echo', handler: 'index.handler', memory: 256, timeout: 5 },
      region: 'cn-shanghai',
      accountId: '1234567890123456',
    });
    expect(typeof context.logger?.info).toBe('function');
  });

  test('the function root is rawPath "/"', async () => {
    await fetch(`${host.url}/echo`);
    expect(last('echo').event).toMatchObject({ rawPath: '/', requestContext: { http: { method: 'GET', path: '/' } } });
  });

  test("idle keep-alive connections are held past the client's own idle timeout (undici: the hint minus 1 s)", async () => {
    const res = await fetch(`${host.url}/healthz`);
    await res.arrayBuffer();
    // Node's default hint, timeout=5, has undici drop sockets at 4 s: a client stalled past that second races the server's close.
    expect(res.headers.get('keep-alive')).toBe(`timeout=${IDLE_KEEP_ALIVE_MS / 1000}`);
    expect(IDLE_KEEP_ALIVE_MS).toBeGreaterThanOrEqual(60_000);
  });

  test('a binary body is base64 with isBase64Encoded', async () => {
    const bytes = Buffer.from([0xff, 0x00, 0x7f, 0x80]);
    await fetch(`${host.url}/echo/upload`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    const event = last('echo').event as { body: string; isBase64Encoded: boolean };
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body, 'base64')).toEqual(bytes);
  });

  test('the reply {statusCode, headers, body, isBase64Encoded} is translated; other values are a 200 body', async () => {
    behaviour.echo = async () => ({
      statusCode: 201,
      headers: { 'x-made': 'yes', 'content-type': 'image/png' },
      body: Buffer.from([1, 2, 3]).toString('base64'),
      isBase64Encoded: true,
    });
    const res = await fetch(`${host.url}/echo/x`);
    expect([res.status, res.headers.get('x-made'), Buffer.from(await res.arrayBuffer())]).toEqual([201, 'yes', Buffer.from([1, 2, 3])]);
    behaviour.echo = async () => ({ plain: true });
    const plain = await fetch(`${host.url}/echo/x`);
    expect([plain.status, await plain.json()]).toEqual([200, { plain: true }]);
    delete behaviour.echo;
  });

  test('methods outside the trigger are 405, unknown functions 404, non-HTTP functions have no URL', async () => {
    expect((await fetch(`${host.url}/echo/x`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${host.url}/nope/x`)).status).toBe(404);
    expect((await fetch(`${host.url}/worker/x`)).status).toBe(404);
  });

  test('a throwing handler answers 502 with the error type and message, never the stack', async () => {
    behaviour.echo = async () => {
      throw new TypeError('cannot read properties of undefined');
    };
    const res = await fetch(`${host.url}/echo/x`);
    expect(res.status).toBe(502);
    expect(res.headers.get('x-fc-error-type')).toBe('UnhandledInvocationError');
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ errorMessage: 'cannot read properties of undefined', errorType: 'TypeError' });
    expect(text).not.toMatch(/at .*\(|stack/i);
    delete behaviour.echo;
  });

  test('a handler past its timeout answers 502 FunctionTimeout', async () => {
    behaviour.worker = () => wait(1500).then(() => 'late');
    const res = await fetch(`${host.url}/_invoke/worker`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ errorMessage: 'Function fixture-worker timed out after 1 seconds', errorType: 'FunctionTimeout' });
    delete behaviour.worker;
  });

  test('EventBridge deliveries: one CloudEvent or an array, passed through as sent', async () => {
    behaviour.events = async (e) => ({ got: Array.isArray(e) ? e.length : 1 });
    const subject = 'acs:cs:cn-shanghai:1:c-1/nodes/n1';
    const batch = [
      { specversion: '1.0', id: 'a', source: 'acs.cs', type: 'cs:k8s:NodeRelatedEvent', subject, data: {} },
      { specversion: '1.0', id: 'b', source: 'acs.cs', type: 'cs:k8s:PodRelatedEvent', subject, data: {} },
    ];
    const res = await fetch(`${host.url}/_events/events`, { method: 'POST', body: JSON.stringify(batch) });
    expect([res.status, res.headers.get(FILTERED_HEADER), await res.json()]).toEqual([200, '0', { got: 2 }]);
    expect(last('events').event).toEqual(batch);
    const one = await fetch(`${host.url}/_events/events`, { method: 'POST', body: JSON.stringify(batch[0]) });
    expect([one.status, await one.json()]).toEqual([200, { got: 1 }]);
    expect(last('events').event).toEqual(batch[0]);
    expect((await fetch(`${host.url}/_events/echo`, { method: 'POST', body: '{}' })).status).toBe(400);
    delete behaviour.events;
  });

  test("EventBridge deliveries: only events matching the trigger's eventRuleFilterPattern reach the function", async () => {
    behaviour.events = async (e) => ({ got: Array.isArray(e) ? e.map((x: { id: string }) => x.id) : (e as { id: string }).id });
    const ev = (id: string, fields: Record<string, unknown>) => ({
      specversion: '1.0',
      id,
      source: 'acs.cs',
      type: 'cs:k8s:NodeRelatedEvent',
      subject: 'acs:cs:cn-shanghai:1:c-1/nodes/n1',
      data: {},
      ...fields,
    });
    const batch = [
      ev('node', {}),
      ev('arms-source', { source: 'acs.arms' }),
      ev('not-k8s', { type: 'cs:ActionTrail:ApiCall' }),
      ev('ignored-subject', { subject: 'acs:cs:cn-shanghai:1:c-1/ignored' }),
      // anything-but needs the field: an event without a subject matches no condition on it.
      { ...ev('no-subject', {}), subject: undefined },
      ev('pod', { type: 'cs:k8s:PodRelatedEvent' }),
    ];
    const before = invocations.filter((i) => i.key === 'events').length;
    const res = await fetch(`${host.url}/_events/events`, { method: 'POST', body: JSON.stringify(batch) });
    expect([res.status, res.headers.get(FILTERED_HEADER), await res.json()]).toEqual([200, '4', { got: ['node', 'pod'] }]);
    // Nothing matches: the function is not invoked at all.
    const none = await fetch(`${host.url}/_events/events`, { method: 'POST', body: JSON.stringify(batch.slice(1, 5)) });
    expect([none.status, none.headers.get(FILTERED_HEADER), await none.text()]).toEqual([204, '4', '']);
    const single = await fetch(`${host.url}/_events/events`, {
      method: 'POST',
      body: JSON.stringify(ev('heartbeat', { source: 'acs.cms', type: 'cms:CloudMonitor:AgentStatusStopped' })),
    });
    expect(single.status).toBe(204);
    expect(invocations.filter((i) => i.key === 'events').length - before).toBe(1);
    delete behaviour.events;
  });

  test('EventBridge deliveries that are not CloudEvents are 400, naming the item, and invoke nothing', async () => {
    // Only the events function counts: the fixture's every-second timer invokes the ticker meanwhile.
    const eventsCalls = () => invocations.filter((i) => i.key === 'events').length;
    const before = eventsCalls();
    const cases: Array<[string, RegExp]> = [
      ['not json', /^body: must be a CloudEvent or an array of CloudEvents/],
      ['[]', /^body: an empty array holds no event/],
      [
        JSON.stringify([{ specversion: '1.0', id: 'a', source: 'acs.cs', type: 'cs:k8s:NodeRelatedEvent' }, { raw: true }]),
        /^body\[1\]: must be a CloudEvent \(with specversion\)/,
      ],
      ['"text"', /^body: must be a CloudEvent/],
    ];
    for (const [body, message] of cases) {
      const res = await fetch(`${host.url}/_events/events`, { method: 'POST', body });
      const reply = (await res.json()) as { Code: string; Message: string };
      expect([res.status, reply.Code]).toEqual([400, 'InvalidArgument']);
      expect(reply.Message).toMatch(message);
    }
    expect(eventsCalls()).toBe(before);
  });

  test('async invocation answers 202 at once and runs in the background', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    behaviour.worker = async () => {
      await gate;
      return { done: true };
    };
    const res = await fetch(`${host.url}/_invoke/worker`, {
      method: 'POST',
      headers: { 'x-fc-invocation-type': 'Async' },
      body: '{"planId":"p-1"}',
    });
    expect(res.status).toBe(202);
    const requestId = res.headers.get('x-fc-request-id');
    expect(asyncDone.find((o) => o.requestId === requestId)).toBeUndefined();
    expect(last('worker').event).toEqual({ planId: 'p-1' });
    release();
    await host.idle();
    expect(asyncDone.find((o) => o.requestId === requestId)).toEqual({ function: 'worker', requestId, ok: true, result: { done: true } });
    delete behaviour.worker;
  });

  test('a failed async invocation is retried as FC does (3 times without asyncInvokeConfig), logged and reported', async () => {
    let runs = 0;
    behaviour.worker = async () => {
      runs++;
      throw new Error('step failed');
    };
    const requestId = host.invokeAsync('worker', '{}');
    await host.idle();
    expect(runs).toBe(4);
    expect(asyncDone.find((o) => o.requestId === requestId)).toEqual({
      function: 'worker',
      requestId,
      ok: false,
      error: 'step failed',
      attempts: 4,
    });
    expect(lines).toContainEqual(expect.objectContaining({ function: 'worker', requestId, level: 'error' }));
    delete behaviour.worker;
  });

  test('enabled timer triggers fire on their cron with the FC timer payload', async () => {
    // Waits for two fires rather than sleeping 2.3 s: a starved event loop can delay a cron tick
    // past any fixed sleep. "On its cron" is then checked against the time actually watched: a
    // once-a-second cron fires at most once per started second of it.
    const tickerCalls = () => invocations.filter((i) => i.key === 'ticker');
    const before = tickerCalls().length;
    const startedAt = Date.now();
    await waitUntil('two timer fires', () => tickerCalls().length - before >= 2);
    const fired = tickerCalls().slice(before);
    expect(fired.length).toBeLessThanOrEqual(Math.floor((Date.now() - startedAt) / 1000) + 1);
    for (const f of fired)
      expect(f.event).toEqual({
        triggerTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        triggerName: 'every-second',
        payload: '{"task":"tick"}',
      });
  });

  test("regional buses: a trigger hears only its function's region; an HTTP-target rule pushes each matching event, whole", async () => {
    behaviour.events = async (e) => ({ got: Array.isArray(e) ? e.length : 1 });
    const ev = (id: string, region: string) => ({
      specversion: '1.0',
      id,
      source: 'acs.cs',
      type: 'cs:k8s:NodeRelatedEvent',
      subject: `acs:cs:${region}:1:c-1/nodes/n1`,
      aliyunregionid: region,
      data: { reason: 'NodeNotReady' },
    });
    const pattern = JSON.stringify({ source: ['acs.cs'] });
    const publish = async (region: string, body: unknown) => {
      const res = await fetch(`${host.url}/_buses/${region}/events`, { method: 'POST', body: JSON.stringify(body) });
      return [res.status, await res.json()] as const;
    };
    const eventsCalls = () => invocations.filter((i) => i.key === 'events').length;
    const echoCalls = () => invocations.filter((i) => i.key === 'echo').length;

    // No rule on cn-hangzhou's bus, and the fixture's functions run in cn-shanghai: nothing hears it.
    const before = eventsCalls();
    expect(await publish('cn-hangzhou', ev('hz-1', 'cn-hangzhou'))).toEqual([
      200,
      { region: 'cn-hangzhou', events: 1, deliveries: [], unmatched: ['hz-1'] },
    ]);
    expect(eventsCalls()).toBe(before);

    // With a rule on cn-hangzhou's bus whose HTTP target is the echo function: pushed, one event per request.
    host.setHttpEventRules([
      {
        region: 'cn-hangzhou',
        name: 'to-echo',
        pattern,
        url: `${host.url}/echo/forwarded?token=t0ken`,
        headers: { 'x-eventbridge-signature-token': 't0ken' },
      },
    ]);
    try {
      const echoBefore = echoCalls();
      const [status, report] = await publish('cn-hangzhou', [ev('hz-2', 'cn-hangzhou'), ev('hz-3', 'cn-hangzhou')]);
      expect([status, report]).toEqual([
        200,
        {
          region: 'cn-hangzhou',
          events: 2,
          deliveries: [
            { rule: 'to-echo', target: '/echo/forwarded', events: ['hz-2'], status: 200 },
            { rule: 'to-echo', target: '/echo/forwarded', events: ['hz-3'], status: 200 },
          ],
          unmatched: [],
        },
      ]);
      expect(echoCalls() - echoBefore).toBe(2);
      const pushed = last('echo').event as {
        rawPath: string;
        body: string;
        headers: Record<string, string>;
        queryParameters: Record<string, string>;
      };
      expect([
        pushed.rawPath,
        JSON.parse(pushed.body),
        pushed.headers['x-eventbridge-signature-token'],
        pushed.queryParameters.token,
      ]).toEqual(['/forwarded', ev('hz-3', 'cn-hangzhou'), 't0ken', 't0ken']);
      expect(eventsCalls()).toBe(before);
    } finally {
      host.setHttpEventRules([]);
    }

    // cn-shanghai's bus: the trigger of the function there gets its matching events in one delivery.
    const [status, report] = await publish('cn-shanghai', [
      ev('sh-1', 'cn-shanghai'),
      { ...ev('cms-1', 'cn-shanghai'), source: 'acs.cms' },
      ev('sh-2', 'cn-shanghai'),
    ]);
    expect([status, report]).toEqual([
      200,
      {
        region: 'cn-shanghai',
        events: 3,
        deliveries: [{ rule: 'events trigger', target: 'function events', events: ['sh-1', 'sh-2'], status: 200 }],
        unmatched: ['cms-1'],
      },
    ]);
    expect((last('events').event as Array<{ id: string }>).map((e) => e.id)).toEqual(['sh-1', 'sh-2']);
    expect((await fetch(`${host.url}/_buses/cn-shanghai/events`, { method: 'POST', body: '{"no":"specversion"}' })).status).toBe(400);
    delete behaviour.events;
  });
});

describe('local FC host timers', () => {
  test('an "@every 1m" timer is scheduled every 60 s and fires the FC timer event; stop() cancels it', async () => {
    const invocations: Invocation[] = [];
    const scheduled: Array<{ ms: number; fire: () => void; stopped: boolean }> = [];
    const host = await startFcHost({
      sYamlPath: FIXTURE,
      loadHandler: fixtureLoader(invocations, {}),
      env: {},
      log: () => undefined,
      every: (ms, fire) => {
        const entry = { ms, fire, stopped: false };
        scheduled.push(entry);
        return () => {
          entry.stopped = true;
        };
      },
    });
    try {
      expect(scheduled.map((s) => s.ms)).toEqual([60_000]);
      scheduled[0]?.fire();
      scheduled[0]?.fire();
      await wait(50);
      const minute = invocations.filter((i) => i.key === 'ticker' && (i.event as { triggerName: string }).triggerName === 'every-minute');
      expect(minute.map((i) => i.event)).toEqual(
        [1, 2].map(() => ({
          triggerTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          triggerName: 'every-minute',
          payload: '{"task":"minute"}',
        })),
      );
    } finally {
      await host.stop();
    }
    expect(scheduled[0]?.stopped).toBe(true);
  });
});

describe('local FC host lifecycle', () => {
  test('stop() ends timers and the server', async () => {
    const invocations: Invocation[] = [];
    const host = await startFcHost({ sYamlPath: FIXTURE, loadHandler: fixtureLoader(invocations, {}), env: {}, log: () => undefined });
    await host.stop();
    const count = invocations.length;
    await wait(1200);
    expect(invocations.length).toBe(count);
    await expect(fetch(`${host.url}/healthz`)).rejects.toThrow();
  });

  test('stop() waits for every handler still running: an HTTP one whose connection it closed, a timer one, one past its timeout', async () => {
    const invocations: Invocation[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const finished = new Set<string>();
    const held = (key: string) => async () => {
      await gate;
      finished.add(key);
      return 'done';
    };
    const timers: Array<() => void> = [];
    const host = await startFcHost({
      sYamlPath: FIXTURE,
      env: {},
      log: () => undefined,
      loadHandler: fixtureLoader(invocations, { echo: held('echo'), ticker: held('ticker'), worker: held('worker') }),
      every: (_ms, fire) => {
        timers.push(fire);
        return () => undefined;
      },
    });
    const inFlight = fetch(`${host.url}/echo/x`).then(
      (r) => r.status,
      () => 'connection closed',
    );
    await waitUntil('the HTTP invocation', () => invocations.some((i) => i.key === 'echo'));
    timers[0]?.();
    // The worker's timeout is 1 s: the caller gets 502 and the handler runs on, abandoned.
    expect((await fetch(`${host.url}/_invoke/worker`, { method: 'POST', body: '{}' })).status).toBe(502);
    expect(finished.size).toBe(0);
    // Released only after stop() began: stop() may resolve only once all three are done.
    setTimeout(release, 300);
    await host.stop();
    expect([...finished].sort()).toEqual(['echo', 'ticker', 'worker']);
    expect(await inFlight).toBe('connection closed');
  });

  test('a module without the export s.yaml names fails the start, naming it', async () => {
    await expect(
      startFcHost({ sYamlPath: FIXTURE, loadHandler: async () => ({ handler: () => undefined }), env: {}, log: () => undefined }),
    ).rejects.toThrow('events: handler module has no function export onEvent');
  });

  test('unset ${env(...)} variables are reported at start', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const host = await startFcHost({ sYamlPath: FIXTURE, loadHandler: fixtureLoader([], {}), env: {}, log: (l) => lines.push(l) });
    await host.stop();
    expect(lines[0]).toMatchObject({ level: 'warn', message: 's.yaml names unset environment variables: FIXTURE_GREETING' });
    expect(host.functions.find((f) => f.key === 'echo')?.environment).toEqual({ GREETING: '' });
  });
});

describe('local FC host default loader', () => {
  test('imports functions/<key>/handler.ts beside s.yaml; s.yaml environment fills unset variables', async () => {
    delete process.env.GREETING;
    const host = await startFcHost({ sYamlPath: FIXTURE, env: { FIXTURE_GREETING: 'ni hao' }, log: () => undefined });
    try {
      const res = await fetch(`${host.url}/echo/a/b`);
      expect(await res.json()).toEqual({ rawPath: '/a/b', greeting: 'ni hao' });
    } finally {
      await host.stop();
      delete process.env.GREETING;
    }
  });
});

test('an ${env(...)} nobody set leaves the variable unset rather than empty', async () => {
  delete process.env.GREETING;
  const host = await startFcHost({ sYamlPath: FIXTURE, env: {}, log: () => undefined });
  try {
    expect(await (await fetch(`${host.url}/echo/`)).json()).toEqual({ rawPath: '/', greeting: null });
    expect(process.env.GREETING).toBeUndefined();
  } finally {
    await host.stop();
  }
});

describe("local FC host outage (the lab's control-plane-down)", () => {
  test('while down, connections are reset (no HTTP answer, kept-alive ones too) and timers fire nothing; back up, both work again', async () => {
    const invocations: Invocation[] = [];
    const scheduled: Array<() => void> = [];
    const host = await startFcHost({
      sYamlPath: FIXTURE,
      loadHandler: fixtureLoader(invocations, {}),
      env: {},
      log: () => undefined,
      every: (_ms, fire) => {
        scheduled.push(fire);
        return () => undefined;
      },
    });
    try {
      expect((await fetch(`${host.url}/healthz`)).status).toBe(200); // leaves a kept-alive connection
      host.outage.setDown(true);
      const err = await fetch(`${host.url}/healthz`).then(
        () => null,
        (e: Error & { cause?: { code?: string } }) => e,
      );
      expect(err?.message).toBe('fetch failed');
      expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(err?.cause?.code);
      scheduled[0]?.();
      await wait(50);
      expect(invocations.filter((i) => i.key === 'ticker')).toEqual([]);
      host.outage.setDown(false);
      expect((await fetch(`${host.url}/healthz`)).status).toBe(200);
      scheduled[0]?.();
      await waitUntil('the timer invocation', () => invocations.some((i) => i.key === 'ticker'));
    } finally {
      await host.stop();
    }
  });
});
