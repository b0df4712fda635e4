import { readFileSync } from 'node:fs';
import { makeEventHandler, makeHandler as makeAlarmHandler } from '../../../functions/alarm/handler';
import { makeHandler as makeClusterEventsHandler } from '../../../functions/cluster-events/handler';
import type { HttpReply } from '../../../shared/http/http-message';
import { parsePolicy } from '../../../shared/core/policy';
import { ALARM_TOKEN, fakeRuntime, fcContext, httpEvent, testPolicy, type EngineCall } from '../../support/fake-runtime';

const sample = (name: string) => readFileSync(`events/alarms/${name}`, 'utf8');
const cmsAlert = sample('cms-callback-alert.txt').trim();
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
/** Hangzhou's callback URL: the region is in the URL, since the callback body names none. */
const HZ = { region: 'cn-hangzhou', token: ALARM_TOKEN };

function alarm() {
  const rt = fakeRuntime();
  const handler = makeAlarmHandler(async () => rt);
  const post = async (p: {
    path?: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body: string;
    method?: string;
  }) => {
    const reply = (await handler(
      httpEvent({
        method: p.method ?? 'POST',
        path: p.path ?? '/cms',
        ...(p.query && { query: p.query }),
        headers: p.headers ?? FORM,
        body: p.body,
      }),
      fcContext(),
    )) as HttpReply;
    return { status: reply.statusCode, json: JSON.parse(reply.body) };
  };
  return { rt, post };
}

const ingests = (calls: EngineCall[]) => calls.filter((c): c is Extract<EngineCall, { method: 'ingest' }> => c.method === 'ingest');

describe('alarm function, HTTP trigger', () => {
  test('a CMS callback on ?region=…&token= becomes a signal for the URL region', async () => {
    const { rt, post } = alarm();
    const res = await post({ query: HZ, body: cmsAlert });
    expect(res).toEqual({ status: 200, json: { accepted: true, alarms: 1, signals: 1, matched: ['cms-5xx'] } });
    const [call] = ingests(rt.engine.calls);
    expect(call?.actor).toBe('cms');
    expect(call?.signals).toEqual([
      expect.objectContaining({
        source: 'cms',
        rule: 'cms-5xx',
        region: 'cn-hangzhou',
        severity: 'down',
        status: 'firing',
        at: 1_793_672_130_000,
        name: 'reviews-5xx-ratio',
      }),
    ]);
  });

  test('the token may be the last path segment; the log line masks it', async () => {
    const { rt, post } = alarm();
    expect((await post({ path: `/cms/${ALARM_TOKEN}`, query: { region: 'cn-hangzhou' }, body: cmsAlert })).status).toBe(200);
    expect(rt.lines).toEqual([expect.objectContaining({ function: 'alarm', path: '/cms/{token}', status: 200, outcome: 'ok' })]);
    expect(JSON.stringify(rt.lines)).not.toContain(ALARM_TOKEN);
  });

  test('a malformed escape in the token segment is a 401 (not a 500), logged without the path', async () => {
    const { rt, post } = alarm();
    const res = await post({ path: '/cms/%E0%A4%A', body: cmsAlert });
    expect([res.status, res.json.error.message]).toEqual([401, 'token: the last path segment is not valid percent-encoding']);
    expect(rt.engine.calls).toEqual([]);
    expect(rt.lines).toEqual([expect.objectContaining({ path: '/cms/{token}', status: 401, outcome: 'rejected' })]);
  });

  test.each([
    ['a path token with an empty ?token= (the path token counts)', `/cms/${ALARM_TOKEN}`, { token: '' }, 200],
    ['a path token with a wrong ?token=', `/cms/${ALARM_TOKEN}`, { token: 'guess' }, 401],
    ['the token in the middle of the path', `/${ALARM_TOKEN}/cms`, {}, 401],
  ])('%s: the log line never holds the token', async (_what, path, query, status) => {
    const { rt, post } = alarm();
    expect((await post({ path, query, body: cmsAlert })).status).toBe(status);
    expect(rt.lines).toHaveLength(1);
    expect(JSON.stringify(rt.lines)).not.toContain(ALARM_TOKEN);
  });

  test('a resolve (OK) is passed on as a resolved signal', async () => {
    const { rt, post } = alarm();
    await post({ query: HZ, body: sample('cms-callback-ok.txt').trim() });
    expect(ingests(rt.engine.calls)[0]?.signals).toEqual([expect.objectContaining({ status: 'resolved', region: 'cn-hangzhou' })]);
  });

  test("the same callback on the other region's URL is a signal for that region", async () => {
    const { rt, post } = alarm();
    await post({ query: { region: 'cn-shanghai', token: ALARM_TOKEN }, body: cmsAlert });
    expect(ingests(rt.engine.calls)[0]?.signals).toEqual([expect.objectContaining({ rule: 'cms-5xx', region: 'cn-shanghai' })]);
  });

  test('a URL without a region: acknowledged and audited, no signal, and the note says how to wire it', async () => {
    const { rt, post } = alarm();
    const res = await post({ query: { token: ALARM_TOKEN }, body: cmsAlert });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      signals: 0,
      matched: ['cms-5xx'],
      note: expect.stringContaining('set ?region=<region> on the cms callback URL'),
    });
    expect(rt.engine.calls).toEqual([expect.objectContaining({ method: 'recordUnmatched' })]);
  });

  test('Alertmanager JSON is recognised by its alerts array', async () => {
    const { rt, post } = alarm();
    const res = await post({
      query: { token: ALARM_TOKEN },
      headers: { 'content-type': 'application/json' },
      body: sample('alertmanager-firing.json'),
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: true, matched: ['alertmanager-reviews'] });
    const [call] = ingests(rt.engine.calls);
    expect(call?.actor).toBe('alertmanager');
    expect(call?.signals.map((s) => [s.name, s.region, s.severity])).toEqual([
      ['ReviewsHighErrorRate', 'cn-shanghai', 'down'],
      ['ReviewsHighLatency', 'cn-shanghai', 'degraded'],
    ]);
    expect(res.json.signals).toBe(call?.signals.length);
  });

  test('an alarm no rule turns into a signal is audited and acknowledged, not refused', async () => {
    const { rt, post } = alarm();
    const body = cmsAlert.replace('alertName=reviews-5xx-ratio', 'alertName=disk-full');
    const res = await post({ query: { token: ALARM_TOKEN }, body });
    expect(res).toEqual({
      status: 200,
      json: { accepted: true, alarms: 1, signals: 0, matched: [], note: 'cms alarm disk-full matches no detection rule' },
    });
    expect(rt.engine.calls).toEqual([
      {
        method: 'recordUnmatched',
        source: 'cms',
        summary: 'cms alarm disk-full (firing) produced no signal',
        detail: expect.objectContaining({ note: 'cms alarm disk-full matches no detection rule' }),
      },
    ]);
  });

  test.each([
    ['wrong token', { query: { token: 'guess' }, body: cmsAlert }, 401, 'token: does not match'],
    ['no token', { path: '/', body: cmsAlert }, 401, expect.stringMatching(/^token: missing/)],
    [
      'wrong token with a broken body (auth answers first)',
      { query: { token: 'guess' }, headers: { 'content-type': 'application/json' }, body: '{' },
      401,
      'token: does not match',
    ],
    ['GET', { method: 'GET', query: HZ, body: '' }, 405, 'GET is not allowed on /cms (allowed: POST)'],
    [
      'a region the policy does not declare',
      { query: { region: 'cn-beijing', token: ALARM_TOKEN }, body: cmsAlert },
      400,
      'region: unknown region "cn-beijing" (declared: cn-hangzhou, cn-shanghai)',
    ],
    [
      'an empty region',
      { query: { region: '', token: ALARM_TOKEN }, body: cmsAlert },
      400,
      'region: empty (name a region of the policy, e.g. ?region=cn-hangzhou)',
    ],
    [
      'an unknown region with a wrong token (auth answers first)',
      { query: { region: 'cn-beijing', token: 'guess' }, body: cmsAlert },
      401,
      'token: does not match',
    ],
  ])('%s → %d and no engine call', async (_name, req, status, message) => {
    const { rt, post } = alarm();
    const res = await post(req);
    expect(res.status).toBe(status);
    expect(res.json.error.message).toEqual(message);
    expect(rt.engine.calls).toEqual([]);
  });

  test.each([
    ['an empty body', '', FORM, '(body): empty'],
    ['a form without alertName', cmsAlert.replace(/alertName=[^&]*&/, ''), FORM, 'alertName'],
    ['a bad timestamp', cmsAlert.replace('timestamp=1793672130000', 'timestamp=yesterday'), FORM, 'timestamp'],
    ['broken JSON', '{"alertName":', { 'content-type': 'application/json' }, 'not valid JSON'],
    [
      'an Alertmanager payload with a bad alert',
      '{"version":"4","alerts":[{"status":"firing"}]}',
      { 'content-type': 'application/json' },
      'alerts[0]',
    ],
  ])('%s → 400 naming the field, no engine call', async (_name, body, headers, field) => {
    const { rt, post } = alarm();
    const res = await post({ query: HZ, headers, body });
    expect(res.status).toBe(400);
    expect(res.json.error.problems.join('\n')).toContain(field);
    expect(rt.engine.calls).toEqual([]);
  });

  test('an engine failure is a 500 without details', async () => {
    const { rt, post } = alarm();
    rt.engine.failWith = new Error('lease table unavailable');
    const res = await post({ query: HZ, body: cmsAlert });
    expect(res).toEqual({ status: 500, json: { error: { code: 'INTERNAL', message: 'internal error', requestId: 'req-1' } } });
  });
});

describe('alarm function, EventBridge trigger (CMS alarm events)', () => {
  // An event has no callback URL, and its envelope's aliyunregionid is the bus's region, not the
  // alarmed resource's: its rule places it by instance id.
  const byInstanceRaw = {
    name: testPolicy.name,
    mesh: { backend: 'asm', meshId: 'bookinfo-mesh', apiRegion: 'cn-hangzhou' },
    regions: { 'cn-hangzhou': {}, 'cn-shanghai': {} },
    detection: {
      rules: [{ name: 'cms-5xx', match: { source: 'cms' }, region: { fromInstance: { 'lb-bp1o94dp5i6earr9g6d1i': 'cn-hangzhou' } } }],
    },
  };
  const byInstance = parsePolicy(byInstanceRaw);

  test('the one handler routes a CloudEvent to the event chain; a CRITICAL event is at most degraded, and says why', async () => {
    const rt = fakeRuntime({}, byInstance);
    const result = await makeAlarmHandler(async () => rt)(Buffer.from(sample('cms-eventbridge-alarm.json')), fcContext());
    expect(result).toEqual({
      accepted: true,
      alarms: 1,
      signals: 1,
      matched: ['cms-5xx'],
      note: expect.stringContaining('a CMS alarm through EventBridge is at most degraded'),
    });
    expect(ingests(rt.engine.calls)[0]).toMatchObject({
      actor: 'cms-eventbridge',
      signals: [{ region: 'cn-hangzhou', severity: 'degraded' }],
    });
  });

  test("with detection.cmsEventBridge.maxSeverity: down the event keeps its rule's grade", async () => {
    const trusted = parsePolicy({ ...byInstanceRaw, detection: { ...byInstanceRaw.detection, cmsEventBridge: { maxSeverity: 'down' } } });
    const rt = fakeRuntime({}, trusted);
    const result = await makeAlarmHandler(async () => rt)(Buffer.from(sample('cms-eventbridge-alarm.json')), fcContext());
    expect(result).toEqual({ accepted: true, alarms: 1, signals: 1, matched: ['cms-5xx'] });
    expect(ingests(rt.engine.calls)[0]).toMatchObject({ signals: [{ region: 'cn-hangzhou', severity: 'down' }] });
  });

  test('a batch is one delivery; every event is parsed', async () => {
    const rt = fakeRuntime();
    const batch = JSON.parse(sample('cms-eventbridge-batch.json')) as unknown[];
    const result = (await makeEventHandler(async () => rt)(Buffer.from(JSON.stringify(batch)), fcContext())) as { alarms: number };
    expect(result.alarms).toBe(batch.length);
  });

  test('a malformed delivery is answered, not thrown (a retry cannot fix it), and changes nothing', async () => {
    const rt = fakeRuntime();
    const result = await makeEventHandler(async () => rt)(Buffer.from('[{"specversion":"1.0","id":"x","source":"acs.cms"}]'), fcContext());
    expect(result).toMatchObject({
      accepted: false,
      error: { code: 'INPUT.INVALID', problems: [expect.stringMatching(/^\[0\]\.type: /)] },
    });
    expect(rt.engine.calls).toEqual([]);
    expect(rt.lines).toEqual([expect.objectContaining({ function: 'alarm', trigger: 'event', outcome: 'rejected' })]);
  });

  test('with the default rule (URL region) an event places nothing, and says why', async () => {
    const rt = fakeRuntime();
    const result = await makeEventHandler(async () => rt)(Buffer.from(sample('cms-eventbridge-alarm.json')), fcContext());
    expect(result).toMatchObject({ signals: 0, note: expect.stringContaining('without a callback URL naming a region') });
  });

  test('an engine failure is rethrown so FC retries the delivery', async () => {
    const rt = fakeRuntime({}, byInstance);
    rt.engine.failWith = new Error('throttled');
    await expect(makeEventHandler(async () => rt)(Buffer.from(sample('cms-eventbridge-alarm.json')), fcContext())).rejects.toThrow(
      'throttled',
    );
    expect(rt.lines).toEqual([expect.objectContaining({ outcome: 'error', error: { name: 'Error', message: 'throttled' } })]);
  });
});

describe('cluster-events function', () => {
  test('an ACK NodeNotReady event becomes a down signal for the cluster region', async () => {
    const rt = fakeRuntime();
    const result = await makeClusterEventsHandler(async () => rt)(Buffer.from(sample('ack-node-notready.json')), fcContext());
    expect(result).toEqual({ accepted: true, alarms: 1, signals: 1, matched: ['ack-node-not-ready'] });
    expect(ingests(rt.engine.calls)[0]).toMatchObject({
      actor: 'ack',
      signals: [{ source: 'ack', region: 'cn-hangzhou', severity: 'down', status: 'firing' }],
    });
  });

  test('an event no rule wants is audited', async () => {
    const rt = fakeRuntime();
    await makeClusterEventsHandler(async () => rt)(Buffer.from(sample('ack-pod-backoff.json')), fcContext());
    expect(rt.engine.calls.map((c) => c.method)).toEqual(['recordUnmatched']);
  });

  test('an event naming another region than the policy gives its cluster is audited, not acted on', async () => {
    const rt = fakeRuntime();
    const event = JSON.parse(sample('ack-node-notready.json'));
    event.subject = event.subject.replace('acs:cs:cn-hangzhou:', 'acs:cs:mars-1:');
    const result = await makeClusterEventsHandler(async () => rt)(Buffer.from(JSON.stringify(event)), fcContext());
    expect(result).toMatchObject({ accepted: true, alarms: 1, signals: 0, matched: ['ack-node-not-ready'] });
    expect(rt.engine.calls).toEqual([
      expect.objectContaining({
        method: 'recordUnmatched',
        source: 'ack',
        detail: expect.objectContaining({
          note: expect.stringContaining(
            'the event names region mars-1, but cluster c-hangzhou is in cn-hangzhou by the policy; not acted on',
          ),
        }),
      }),
    ]);
  });

  test('an event type the parser does not handle (ARMS) is answered as ignored: no retry, no signal', async () => {
    const rt = fakeRuntime();
    const arms = {
      specversion: '1.0',
      id: 'e-1',
      source: 'acs.cs',
      type: 'cs:k8s:k8s-event-via-arms',
      subject: 'acs:cs:cn-hangzhou:1:c-hangzhou',
      time: '2026-11-03T02:30:00Z',
      data: { opaque: true },
    };
    const result = await makeClusterEventsHandler(async () => rt)(Buffer.from(JSON.stringify(arms)), fcContext());
    expect(result).toEqual({
      accepted: true,
      alarms: 0,
      signals: 0,
      matched: [],
      ignored: [{ at: '(event)', type: 'cs:k8s:k8s-event-via-arms', why: expect.stringContaining('not a Kubernetes Event') }],
    });
    expect(rt.engine.calls).toEqual([]);
  });

  test('a non-JSON delivery is rejected without touching the engine', async () => {
    const rt = fakeRuntime();
    const result = await makeClusterEventsHandler(async () => rt)(Buffer.from('<xml/>'), fcContext());
    expect(result).toMatchObject({ accepted: false, error: { problems: [expect.stringMatching(/^\(event\): not valid JSON/)] } });
    expect(rt.engine.calls).toEqual([]);
  });
});

describe("cluster-events function, HTTP entry (the other cluster regions' EventBridge rules)", () => {
  function clusterEvents() {
    const rt = fakeRuntime();
    const handler = makeClusterEventsHandler(async () => rt);
    const post = async (p: {
      path?: string;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      body: string;
      method?: string;
    }) => {
      const reply = (await handler(
        httpEvent({
          method: p.method ?? 'POST',
          path: p.path ?? '/ack',
          ...(p.query && { query: p.query }),
          headers: p.headers ?? { 'content-type': 'application/json' },
          body: p.body,
        }),
        fcContext(),
      )) as HttpReply;
      return { status: reply.statusCode, json: JSON.parse(reply.body) };
    };
    return { rt, post };
  }
  const shanghai = () => {
    const event = JSON.parse(sample('ack-node-notready.json'));
    event.subject = event.subject.replace(
      'acs:cs:cn-hangzhou:1234567890123456:c-hangzhou',
      'acs:cs:cn-shanghai:1234567890123456:c-shanghai',
    );
    event.aliyunregionid = 'cn-shanghai';
    return JSON.stringify(event);
  };

  test('the pushed CloudEvent with ?token= becomes the same signal the trigger would give, whatever the content type', async () => {
    const { rt, post } = clusterEvents();
    const res = await post({ query: { token: ALARM_TOKEN }, headers: { 'content-type': 'text/plain' }, body: shanghai() });
    expect(res).toEqual({ status: 200, json: { accepted: true, alarms: 1, signals: 1, matched: ['ack-node-not-ready'] } });
    expect(ingests(rt.engine.calls)[0]).toMatchObject({
      actor: 'ack',
      signals: [{ source: 'ack', region: 'cn-shanghai', severity: 'down', status: 'firing' }],
    });
    expect(JSON.stringify(rt.lines)).not.toContain(ALARM_TOKEN);
  });

  test("the token may come as the target's Token header (x-eventbridge-signature-token)", async () => {
    const { rt, post } = clusterEvents();
    expect(
      (await post({ headers: { 'content-type': 'application/json', 'x-eventbridge-signature-token': ALARM_TOKEN }, body: shanghai() }))
        .status,
    ).toBe(200);
    expect(ingests(rt.engine.calls)).toHaveLength(1);
  });

  test.each([
    ['no token', {}, {}],
    ['a wrong ?token=', { token: 'guess-guess-guess' }, {}],
    ['a wrong header though the URL token is right', { token: ALARM_TOKEN }, { 'x-eventbridge-signature-token': 'guess-guess-guess' }],
  ])('%s: 401, nothing ingested', async (_what, query, headers) => {
    const { rt, post } = clusterEvents();
    const res = await post({ query, headers: { 'content-type': 'application/json', ...headers }, body: shanghai() });
    expect(res.status).toBe(401);
    expect(rt.engine.calls).toEqual([]);
  });

  test('JSON nested past the depth limit is 400 naming the body, whatever the content type, and nothing is ingested', async () => {
    const { rt, post } = clusterEvents();
    const deep = '['.repeat(200) + ']'.repeat(200);
    for (const contentType of ['application/json', 'text/plain']) {
      const res = await post({ query: { token: ALARM_TOKEN }, headers: { 'content-type': contentType }, body: deep });
      expect(res.status).toBe(400);
      expect(res.json.error.problems).toEqual([expect.stringMatching(/^body: JSON nested deeper than \d+ levels$/)]);
    }
    expect(rt.engine.calls).toEqual([]);
  });

  test('bad input names the problem (400); another path is 404, another method 405', async () => {
    const { rt, post } = clusterEvents();
    const q = { token: ALARM_TOKEN };
    const notCloudEvent = await post({ query: q, body: JSON.stringify({ reason: 'NodeNotReady' }) });
    expect([notCloudEvent.status, notCloudEvent.json.error.problems]).toEqual([
      400,
      ["body: must be CloudEvents (the target's Body must be the whole event, ORIGINAL)"],
    ]);
    const empty = await post({ query: q, body: '' });
    expect(empty.status).toBe(400);
    const badEnvelope = await post({ query: q, body: JSON.stringify({ specversion: '1.0' }) });
    expect(badEnvelope.status).toBe(400);
    expect((await post({ path: '/alarm', query: q, body: shanghai() })).status).toBe(404);
    expect((await post({ method: 'GET', query: q, body: '' })).status).toBe(405);
    expect(rt.engine.calls).toEqual([]);
  });
});
