import { ALARM_BODY_LIMIT } from '../../functions/alarm/handler';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import { startLab, type Lab } from '../../lab/world';
import { signRequest } from '../../shared/http/auth';
import { ALARM_TOKEN, CONTROL_SECRET, startFunctionsHost, type FunctionsHost } from '../../lab/support/functions-host';
import { alarmBaseUrl, alarmCallbackUrl, controlRouteList, entryPoints, type EntryPoint } from './entry-points';

/**
 * Generated payloads against every entry point, from one seed: the alarm webhook (CMS form, CMS
 * JSON, Alertmanager), every EventBridge trigger, the timer, every function's direct invocation,
 * every control API route (signed and unsigned) and the lab API. Each payload is a valid sample
 * spoilt one way: truncated, a field of the wrong type, the wrong content type, huge, deeply
 * nested, odd unicode, injection strings, or plain junk. The alarm samples name alarms no rule
 * matches, so a payload that happens to stay valid is audited as unmatched and still changes no
 * state. Per payload: the status is below 500, the state row's version did not move, and the log
 * lines it caused hold neither the alarm token nor the control secret.
 */

export type Mutation = 'truncate' | 'retype' | 'content-type' | 'huge' | 'deep' | 'unicode' | 'injection' | 'junk' | 'query' | 'path';

export interface FuzzRequest {
  target: string;
  mutation: Mutation;
  method: string;
  /** Relative to the FC host, or absolute (the lab API). */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Authenticated (valid token or signature), so the body itself is what gets judged. */
  authed: boolean;
  /** What the answer must be when the contract names one (a size or depth limit, a strict query). */
  expect?: { status: number; why: string };
}

export interface FuzzFailure {
  target: string;
  mutation: string;
  method: string;
  url: string;
  status: number | string;
  problem: string;
  body: string;
}

export interface FuzzResult {
  payloads: number;
  entryPoints: string[];
  byTarget: Record<string, number>;
  byMutation: Record<string, number>;
  statuses: Record<string, number>;
  fiveXx: number;
  stateChanges: number;
  labStateChanges: number;
  secretLeaks: number;
  contractMisses: number;
  contractByWhy: Record<string, { expected: number; met: number }>;
  failures: FuzzFailure[];
  wallMs: number;
}

const INJECTION = [
  "' OR '1'='1' --",
  '"; DROP TABLE mesh_state; --',
  '${jndi:ldap://127.0.0.1/a}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00%0d%0aSet-Cookie: a=b',
  '{{7*7}}',
  '$(touch pwned)',
  '__proto__',
  'constructor',
];
const ODD_UNICODE = [
  '\u0000',
  '\uD800',
  '\uDFFF',
  '\u202Eevil',
  '\uFEFF',
  'é\u0301',
  '🚨'.repeat(50),
  '\u2028\u2029',
  'ｃｎ－ｈａｎｇｚｈｏｕ',
  'İı',
];
const CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded',
  'application/json',
  '',
];
// Past the largest body limit of any function (the alarm function's), so every entry point must answer 413.
const HUGE_BYTES = Number(process.env.RELIABILITY_FUZZ_HUGE_BYTES ?? ALARM_BODY_LIMIT + 64 * 1024);
const DEPTH = Number(process.env.RELIABILITY_FUZZ_DEPTH ?? 5000);

const cmsTemplate = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8').trim();
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** Valid bodies per entry point, each naming an alarm no detection rule matches. */
function samples() {
  const cms = Object.fromEntries(new URLSearchParams(cmsTemplate));
  cms.alertName = 'fuzz-unmatched-alarm';
  const am = json('events/alarms/alertmanager-firing.json') as { alerts: Array<{ labels: Record<string, string> }> };
  for (const a of am.alerts) a.labels.alertname = 'FuzzUnmatched';
  const cmsEvent = json('events/alarms/cms-eventbridge-alarm.json') as { data: Record<string, unknown> };
  cmsEvent.data.alertName = 'fuzz-unmatched-alarm';
  const ackEvent = json('events/alarms/ack-node-notready.json') as { data: Record<string, unknown> };
  ackEvent.data.reason = 'FuzzNotARule';
  // A Logstore the policy's `telemetry.logstores` does not list: nothing is read for it.
  const slsTrigger = json('events/sls/trigger.json') as { source: Record<string, unknown> };
  slsTrigger.source.logstoreName = 'fuzz-unlisted-logstore';
  return {
    slsTrigger: slsTrigger as unknown as Record<string, unknown>,
    cms,
    am: am as unknown as Record<string, unknown>,
    cmsEvent: cmsEvent as unknown as Record<string, unknown>,
    ackEvent: ackEvent as unknown as Record<string, unknown>,
    timer: { triggerTime: '2026-03-03T03:00:00Z', triggerName: 'tick', payload: '{"task":"tick"}' },
    executor: { planId: 'bookinfo-000999' },
    control: {
      '/v1/plan': { kind: 'override', drain: ['cn-hangzhou'], ttl: '1h', reason: 'fuzz' },
      '/v1/overrides': { drain: ['cn-hangzhou'], ttl: '1h', reason: 'fuzz' },
      '/v1/drills': { region: 'cn-hangzhou', duration: '10m', reason: 'fuzz' },
      '/v1/pause': { reason: 'fuzz' },
      '/v1/resume': {},
    } as Record<string, Record<string, unknown>>,
    lab: {
      requests: { gateway: 'gw-hangzhou', count: 5 },
      probes: { service: 'reviews', region: 'cn-hangzhou', count: 5 },
      faults: { kind: 'latency', region: 'cn-hangzhou', service: 'reviews', latencyMs: 10 },
    } as Record<string, Record<string, unknown>>,
  };
}

/** The randomness of one payload, drawn by fast-check from the seed. */
interface Draw {
  pick: number;
  at: number;
  value: unknown;
  text: string;
}

const drawArb: fc.Arbitrary<Draw> = fc.record({
  pick: fc.nat(),
  at: fc.nat(),
  value: fc.oneof(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.jsonValue(), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
  ),
  text: fc.string({ unit: 'binary', maxLength: 60 }),
});

const choose = <T>(xs: readonly T[], n: number): T => xs[n % xs.length] as T;

const DEEP_MARK = '__deep_value__';

function deepJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Spoil a JSON-able sample one way; returns the body and the content type to send. */
function spoil(sample: Record<string, unknown>, mutation: Mutation, d: Draw, asForm = false): { body: string; contentType: string } {
  const ct = asForm ? 'application/x-www-form-urlencoded' : 'application/json';
  const encode = (o: Record<string, unknown>) =>
    asForm
      ? new URLSearchParams(
          Object.entries(o).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
        ).toString()
      : JSON.stringify(o);
  const keys = Object.keys(sample);
  const key = keys.length ? choose(keys, d.pick) : 'x';
  switch (mutation) {
    case 'truncate': {
      const full = encode(sample);
      return { body: full.slice(0, d.at % Math.max(1, full.length)), contentType: ct };
    }
    case 'retype': {
      const current = sample[key];
      // A value of another JSON type than the field has (never null, which may mean "unset"): never valid.
      const value =
        typeof current === 'string'
          ? choose([true, { value: d.value }, [d.value]], d.pick >> 2)
          : typeof current === 'number'
            ? choose(['not-a-number', true, { value: d.value }], d.pick >> 2)
            : Array.isArray(current)
              ? choose(['text', 12345, { value: d.value }], d.pick >> 2)
              : current !== null && typeof current === 'object'
                ? choose(['text', 12345, true], d.pick >> 2)
                : choose([{ value: d.value }, [1, 2]], d.pick >> 2);
      return { body: encode({ ...sample, [key]: value }), contentType: ct };
    }
    case 'content-type':
      return {
        body: encode(sample),
        contentType: choose(
          CONTENT_TYPES.filter((c) => c !== ct),
          d.pick,
        ),
      };
    case 'huge':
      return { body: encode({ ...sample, [key]: 'x'.repeat(HUGE_BYTES) }), contentType: ct };
    case 'deep':
      // Deep nesting where a structured field is expected (CMS `dimensions`, labels, data…), or the whole body.
      // Spliced in as text: serialising so deep a value would overflow this process's own stack.
      if (d.pick % 2 !== 0) return { body: deepJson(DEPTH), contentType: 'application/json' };
      return {
        body: asForm
          ? encode({ ...sample, dimensions: deepJson(DEPTH) })
          : JSON.stringify({ ...sample, [key]: DEEP_MARK }).replace(`"${DEEP_MARK}"`, () => deepJson(DEPTH)),
        contentType: ct,
      };
    case 'unicode':
      return { body: encode({ ...sample, [key]: choose(ODD_UNICODE, d.at) + d.text }), contentType: ct };
    case 'injection':
      return { body: encode({ ...sample, [key]: choose(INJECTION, d.at) }), contentType: ct };
    case 'junk':
    default:
      return { body: d.text, contentType: choose(CONTENT_TYPES, d.at) };
  }
}

const BODY_MUTATIONS: Mutation[] = ['truncate', 'retype', 'content-type', 'huge', 'deep', 'unicode', 'injection', 'junk'];

/** The contract limits the hardening issue names: checked only where the caller got past authentication. */
function expectationFor(mutation: Mutation, authed: boolean, jsonEntry: boolean): FuzzRequest['expect'] {
  if (!authed) return undefined;
  if (mutation === 'huge') return { status: 413, why: 'body over the size limit → 413' };
  if (mutation === 'deep' && jsonEntry) return { status: 400, why: 'JSON nested past the depth limit → 400' };
  return undefined;
}

/**
 * Signed as a client would; a query with a repeated key, which the signer refuses, is signed on
 * its first values (what a lax verifier once checked), so the server's own refusal is what is tested.
 */
function signedHeaders(at: number, method: string, p: string, body: string): Record<string, string> {
  const timestamp = Math.floor(at / 1000);
  try {
    return signRequest({ secret: CONTROL_SECRET, method, path: p, body, timestamp }).headers;
  } catch {
    const url = new URL(p, 'http://sign.invalid');
    const firsts = new URLSearchParams();
    for (const [k, v] of url.searchParams) if (!firsts.has(k)) firsts.set(k, v);
    return signRequest({ secret: CONTROL_SECRET, method, path: `${url.pathname}?${firsts.toString()}`, body, timestamp }).headers;
  }
}

/** One payload for entry point `ep`; `labUrl` for the lab API; signed at `signAt` (the functions' clock, which checks signatures). */
function build(ep: EntryPoint | 'lab', d: Draw, s: ReturnType<typeof samples>, labUrl: string, signAt: number): FuzzRequest {
  if (ep === 'lab') {
    const routes = [
      ['POST', 'requests'],
      ['POST', 'probes'],
      ['POST', 'faults'],
      ['GET', 'faults'],
      ['DELETE', 'faults/'],
      ['GET', 'traffic'],
    ] as const;
    const [method, route] = choose(routes, d.pick);
    const mutation = choose([...BODY_MUTATIONS, 'path', 'query'] as Mutation[], d.at);
    if (method === 'DELETE' || mutation === 'path') {
      const ids = ['%E0%A4%A', '%', '%ZZ', encodeURIComponent(d.text) || 'x', '..%2F..%2Fetc', 'f-1'];
      return {
        target: 'lab-api',
        mutation: 'path',
        method: 'DELETE',
        url: `${labUrl}/lab/v1/faults/${choose(ids, d.at)}`,
        headers: {},
        authed: true,
      };
    }
    if (method === 'GET') {
      const q = choose(
        ['window=abc', 'window=-5s', 'window=99999h', `window=${encodeURIComponent(d.text)}`, 'window=60s&window=5m', 'x=1'],
        d.at,
      );
      return { target: 'lab-api', mutation: 'query', method, url: `${labUrl}/lab/v1/${route}?${q}`, headers: {}, authed: true };
    }
    const m = mutation === 'query' ? 'junk' : mutation;
    const { body, contentType } = spoil(s.lab[route] as Record<string, unknown>, m, d);
    return {
      target: 'lab-api',
      mutation: m,
      method,
      url: `${labUrl}/lab/v1/${route}`,
      headers: contentType ? { 'content-type': contentType } : {},
      body,
      authed: true,
    };
  }
  const mutation = choose(BODY_MUTATIONS, d.at);
  if (ep.kind === 'http' && ep.fn === 'alarm') {
    // Where the token goes: the right one in the query, a wrong one, none, the right one as a
    // path segment, bad percent-encoding, the right one followed by another segment.
    const ways = ['good', 'good', 'good', 'wrong', 'none', 'path', 'bad-encoding', 'mid-segment'] as const;
    const way = choose(ways, d.pick >> 3);
    const url = {
      good: alarmCallbackUrl('', ALARM_TOKEN, 'cn-hangzhou'),
      wrong: alarmCallbackUrl('', `${ALARM_TOKEN.slice(0, -1)}x`, 'cn-hangzhou'),
      none: alarmBaseUrl(''),
      path: `${alarmBaseUrl('')}/${ALARM_TOKEN}`,
      'bad-encoding': `${alarmBaseUrl('')}/%E0%A4%A`,
      'mid-segment': `${alarmBaseUrl('')}/${ALARM_TOKEN}/extra`,
    }[way];
    const authed = way === 'good' || way === 'path';
    const shape = choose(['cms-form', 'cms-json', 'alertmanager'] as const, d.pick);
    const { body, contentType } = shape === 'alertmanager' ? spoil(s.am, mutation, d) : spoil(s.cms, mutation, d, shape === 'cms-form');
    return {
      target: `alarm http (${shape}, token ${way})`,
      mutation,
      method: 'POST',
      url,
      headers: contentType ? { 'content-type': contentType } : {},
      body,
      authed,
      expect: expectationFor(mutation, authed, shape !== 'cms-form'),
    };
  }
  if (ep.kind === 'http' && ep.fn === 'cluster-events') {
    // The other cluster regions' EventBridge rules push to /ack with the intake token in the URL
    // (or the Token header); the body is read as JSON whatever its content type says.
    const ways = ['good', 'good', 'good', 'wrong', 'none', 'header'] as const;
    const way = choose(ways, d.pick >> 3);
    const query = { good: `?token=${ALARM_TOKEN}`, wrong: `?token=${ALARM_TOKEN.slice(0, -1)}x`, none: '', header: '' }[way];
    const authed = way === 'good' || way === 'header';
    const { body, contentType } = spoil(s.ackEvent, mutation, d);
    return {
      target: `cluster-events http (token ${way})`,
      mutation,
      method: 'POST',
      url: `/cluster-events/ack${query}`,
      headers: {
        ...(contentType ? { 'content-type': contentType } : {}),
        ...(way === 'header' ? { 'x-eventbridge-signature-token': ALARM_TOKEN } : {}),
      },
      body,
      authed,
      expect: expectationFor(mutation, authed, true),
    };
  }
  if (ep.kind === 'http' && ep.fn === 'control') {
    const routes = controlRouteList();
    const r = choose(routes, d.pick);
    const signed = (d.pick >> 4) % 3 !== 0;
    const p = `/control${r.path}`;
    if (r.method === 'GET' || r.method === 'DELETE') {
      // Queries: unknown, duplicated, spoilt values.
      const q = choose(
        ['', 'limit=abc', 'limit=1&limit=2', 'unknown=1', `limit=${encodeURIComponent(d.text)}`, 'before=-1', 'limit=99999999999999999999'],
        d.at,
      );
      const fnPath = `${r.path}${q ? `?${q}` : ''}`;
      const strictQuery = signed && q === 'unknown=1' && r.path === '/v1/history';
      // FC hands a repeated key to the function comma-joined ("1,2"), so the signature made over one
      // value cannot verify: refused as unauthenticated, never acted on.
      const repeatedKey = signed && q === 'limit=1&limit=2' && r.path === '/v1/history';
      return {
        target: `control ${r.method} ${r.path} (${signed ? 'signed' : 'unsigned'})`,
        mutation: 'query',
        method: r.method,
        url: `/control${fnPath}`,
        headers: signed
          ? { ...signedHeaders(signAt, r.method, fnPath, ''), 'x-regionshift-actor': 'fuzz' }
          : { authorization: `Bearer ${CONTROL_SECRET}` },
        authed: signed,
        ...(strictQuery ? { expect: { status: 400, why: 'unknown query parameter → 400' } } : {}),
        ...(repeatedKey ? { expect: { status: 401, why: 'repeated query key (comma-joined by FC) fails the signature → 401' } } : {}),
      };
    }
    const sample = s.control[r.path] ?? {};
    // Signed bodies are spoilt structurally only: a free-text tweak would be a valid command.
    const m = signed ? choose(['truncate', 'retype', 'content-type', 'huge', 'deep', 'junk'] as Mutation[], d.at) : mutation;
    const { body, contentType } = spoil(sample, m, d);
    const noType = contentType === '';
    return {
      target: `control ${r.method} ${r.path} (${signed ? 'signed' : 'unsigned'})`,
      mutation: m,
      method: r.method,
      url: p,
      headers: {
        ...(contentType ? { 'content-type': contentType } : {}),
        ...(signed ? { ...signedHeaders(signAt, r.method, r.path, body), 'x-regionshift-actor': 'fuzz' } : {}),
      },
      body,
      authed: signed,
      expect:
        signed && noType && body !== '' ? { status: 400, why: 'a body without a content type → 400' } : expectationFor(m, signed, true),
    };
  }
  if (ep.kind === 'http') {
    // Any other HTTP function (today the executor's handoff trigger): signed like the control API.
    const signed = d.pick % 2 === 0;
    const { body, contentType } = spoil(s.executor, mutation, d);
    return {
      target: `${ep.fn} http (${signed ? 'signed' : 'unsigned'})`,
      mutation,
      method: 'POST',
      url: `/${ep.fn}/`,
      headers: { ...(contentType ? { 'content-type': contentType } : {}), ...(signed ? signedHeaders(signAt, 'POST', '/', body) : {}) },
      body,
      authed: signed,
      expect: expectationFor(mutation, signed, true),
    };
  }
  if (ep.kind === 'eventbridge') {
    const sample = ep.fn === 'cluster-events' ? s.ackEvent : s.cmsEvent;
    // EventBridge delivers one CloudEvent or a batch; the data inside is spoilt half the time.
    const inner = d.pick % 2 === 0;
    const spoilt = inner ? spoil((sample.data ?? {}) as Record<string, unknown>, mutation, d) : spoil(sample, mutation, d);
    // The spoilt data goes into the envelope as text (it may not even parse).
    const body =
      inner && spoilt.contentType === 'application/json'
        ? JSON.stringify({ ...sample, data: DEEP_MARK }).replace(`"${DEEP_MARK}"`, () => spoilt.body)
        : spoilt.body;
    // An event has no HTTP status to hold to a limit: a rejected event is answered `accepted: false`, and only a 5xx (FC retries it) is a failure.
    return {
      target: `${ep.fn} eventbridge`,
      mutation,
      method: 'POST',
      url: `/_events/${ep.fn}`,
      headers: { 'content-type': 'application/json' },
      body,
      authed: true,
    };
  }
  // Timer firings and direct invocations take a JSON event.
  const sample =
    ep.kind === 'timer'
      ? s.timer
      : ep.kind === 'log' || ep.fn === 'telemetry'
        ? s.slsTrigger
        : ep.fn === 'executor'
          ? s.executor
          : ep.fn === 'scheduler'
            ? s.timer
            : ep.fn === 'cluster-events'
              ? s.ackEvent
              : s.cmsEvent;
  const { body } = spoil(sample, mutation, d);
  return {
    target: `${ep.fn} ${ep.kind === 'timer' || ep.kind === 'log' ? ep.kind : 'invoke'}`,
    mutation,
    method: 'POST',
    url: `/_invoke/${ep.fn}`,
    headers: {},
    body,
    authed: true,
  };
}

/**
 * One request on its own connection, so a payload the server cuts short (an early 413) cannot
 * poison the next payload's connection. An answer that arrives before the body is fully written
 * is still the answer.
 */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      answered = true;
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    req.end(body);
  });
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

export async function runFuzz(opts: { payloads: number; seed: number }): Promise<FuzzResult> {
  const lines: string[] = [];
  const capture = (line: Record<string, unknown>) => lines.push(JSON.stringify(line));
  const f: FunctionsHost = await startFunctionsHost({ log: capture });
  const stateDir = mkdtempSync(path.join(tmpdir(), 'regionshift-fuzz-lab-'));
  const lab: Lab = await startLab({ background: false, stateFile: path.join(stateDir, 'state.db'), log: capture });
  // Anything written straight to stdout/stderr by the code under test is log output too.
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const tee = (chunk: string | Uint8Array) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  };
  const eps = entryPoints();
  const targets: Array<EntryPoint | 'lab'> = [...eps, 'lab'];
  const s = samples();
  const draws = fc.sample(drawArb, { seed: opts.seed, numRuns: opts.payloads });
  const result: FuzzResult = {
    payloads: 0,
    entryPoints: [...eps.map((e) => `${e.fn}:${e.kind}`), 'lab-api'],
    byTarget: {},
    byMutation: {},
    statuses: {},
    fiveXx: 0,
    stateChanges: 0,
    labStateChanges: 0,
    secretLeaks: 0,
    contractMisses: 0,
    contractByWhy: {},
    failures: [],
    wallMs: 0,
  };
  const t0 = Date.now();
  try {
    // The first tick applies the normal config; from then on a tick at the pinned clock changes nothing.
    await (await fetch(`${f.host.url}/_invoke/scheduler`, { method: 'POST', body: JSON.stringify(s.timer) })).arrayBuffer();
    process.stdout.write = tee as typeof process.stdout.write;
    process.stderr.write = tee as typeof process.stderr.write;
    for (const [i, d] of draws.entries()) {
      const ep = targets[i % targets.length] as EntryPoint | 'lab';
      const req = build(ep, d, s, lab.labUrl, f.clock.now());
      const versionBefore = (await f.store.load('bookinfo')).version;
      const faultsBefore = JSON.stringify(lab.faults.list().map((x) => x.id));
      const logFrom = lines.length;
      let status: number | string;
      try {
        const url = req.url.startsWith('http') ? req.url : `${f.host.url}${req.url}`;
        status = await send(url, req.method, req.headers, req.method !== 'GET' ? req.body : undefined);
      } catch (e) {
        status = `network: ${(e as Error).message}`;
      }
      await f.host.idle();
      result.payloads++;
      bump(result.byTarget, req.target.replace(/ \(.*\)$/, ''));
      bump(result.byMutation, req.mutation);
      bump(result.statuses, String(status));
      const fail = (problem: string) =>
        result.failures.push({
          target: req.target,
          mutation: req.mutation,
          method: req.method,
          url: req.url.replace(ALARM_TOKEN, '{token}').replace(lab.labUrl, ''),
          status,
          problem,
          body: (req.body ?? '').slice(0, 160).replace(ALARM_TOKEN, '{token}'),
        });
      if (typeof status !== 'number' || status >= 500) {
        result.fiveXx++;
        fail(`answered ${status}`);
      }
      if ((await f.store.load('bookinfo')).version !== versionBefore) {
        result.stateChanges++;
        fail(`state version ${versionBefore} → ${(await f.store.load('bookinfo')).version}`);
      }
      if (
        typeof status === 'number' &&
        (status < 200 || status >= 300) &&
        JSON.stringify(lab.faults.list().map((x) => x.id)) !== faultsBefore
      ) {
        result.labStateChanges++;
        fail('the lab changed on a rejected request');
      }
      const logged = lines.slice(logFrom).join('\n');
      if (logged.includes(ALARM_TOKEN) || logged.includes(CONTROL_SECRET)) {
        result.secretLeaks++;
        fail(`a secret (${logged.includes(ALARM_TOKEN) ? 'alarm token' : 'control secret'}) in the log`);
      }
      if (req.expect) {
        const c = (result.contractByWhy[req.expect.why] ??= { expected: 0, met: 0 });
        c.expected++;
        if (status === req.expect.status) c.met++;
        else {
          result.contractMisses++;
          fail(`expected ${req.expect.status} (${req.expect.why})`);
        }
      }
    }
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    result.wallMs = Date.now() - t0;
    await lab.stop();
    await f.stop();
  }
  return result;
}
