import { readFileSync } from 'node:fs';
import { signRequest } from '../../shared/http/auth';
import type { FakeClock } from '../../lab/fakes';
import { ALARM_TOKEN, CONTROL_SECRET, startFunctionsHost, type FunctionsHost } from '../../lab/support/functions-host';

/**
 * The functions on the local FC host, over real HTTP, with the real engine and a real SQLite
 * file; only the mesh and the clusters are fakes. What CMS would send is what the test sends.
 */

const alertBody = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8');
const okBody = readFileSync('events/alarms/cms-callback-ok.txt', 'utf8');

type Harness = FunctionsHost & { clock: FakeClock };
const startHarness = async () => (await startFunctionsHost()) as Harness;

/** Hangzhou's callback URL, as its CMS alarm rules are wired: the callback body names no region. */
const postAlarm = (h: Harness, body: string, token = ALARM_TOKEN) =>
  fetch(`${h.host.url}/alarm/cms?region=cn-hangzhou&token=${encodeURIComponent(token)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });

async function control(
  h: Harness,
  method: string,
  p: string,
  body?: unknown,
  opts: { timestamp?: number; requestId?: string; secret?: string } = {},
) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const signed = signRequest({
    secret: opts.secret ?? CONTROL_SECRET,
    method,
    path: p,
    body: text,
    timestamp: opts.timestamp ?? Math.floor(h.clock.now() / 1000),
    ...(opts.requestId ? { requestId: opts.requestId } : {}),
  });
  const res = await fetch(`${h.host.url}/control${p}`, {
    method,
    headers: { 'content-type': 'application/json', ...signed.headers },
    ...(text ? { body: text } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const tick = (h: Harness) =>
  fetch(`${h.host.url}/_invoke/scheduler`, {
    method: 'POST',
    body: JSON.stringify({ triggerTime: new Date(h.clock.now()).toISOString(), triggerName: 'tick', payload: '{"task":"tick"}' }),
  });

function hangzhouRow(h: Harness): Record<string, number> | undefined {
  const last = h.mesh.applied.at(-1)?.config.localityLbSetting;
  if (!last || !('distribute' in last)) return last ? { 'cn-hangzhou/*': 100 } : undefined;
  return last.distribute.find((d) => d.from === 'cn-hangzhou/*')?.to;
}

describe('local FC host: alarm → decision → mesh', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  test('a CMS callback for a DOWN region drains it; OK + ticks bring it back in steps', async () => {
    expect((await tick(h)).status).toBe(200);
    expect(hangzhouRow(h)).toEqual({ 'cn-hangzhou/*': 100 });

    const res = await postAlarm(h, alertBody);
    expect(res.status).toBe(200);
    const { state, version } = await h.store.load('bookinfo');
    expect(state?.health['cn-hangzhou']?.status).toBe('DOWN');
    expect(hangzhouRow(h)).toEqual({ 'cn-shanghai/*': 100 });
    const plans = (await h.store.listEvents('bookinfo', { limit: 50 })).filter((e) => e.kind === 'decision');
    expect(plans.length).toBeGreaterThan(0);
    expect(version).toBeGreaterThan(1);

    expect((await postAlarm(h, okBody)).status).toBe(200);
    const shares: number[] = [];
    for (let i = 0; i < 12; i++) {
      h.clock.advance(60_000);
      expect((await tick(h)).status).toBe(200);
      shares.push(hangzhouRow(h)?.['cn-hangzhou/*'] ?? 0);
    }
    // hold 5m, then 25 → 50 → 100 two minutes apart
    expect([...new Set(shares)]).toEqual([0, 25, 50, 100]);
    const status = await control(h, 'GET', '/v1/status');
    expect(status.status).toBe(200);
    expect((status.json.health as Record<string, { status: string }>)['cn-hangzhou']?.status).toBe('HEALTHY');
  });

  test('200 concurrent identical alarm posts: one transition, no 5xx', async () => {
    await tick(h);
    const before = h.mesh.applied.length;
    const statuses = await Promise.all(Array.from({ length: 200 }, () => postAlarm(h, alertBody).then((r) => r.status)));
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(h.mesh.applied.length - before).toBe(1);
    const signals = (await h.store.listEvents('bookinfo', { limit: 500 })).filter((e) => e.kind === 'signal');
    expect(signals).toHaveLength(1);
  });

  test('bad input, wrong tokens, bad signatures, replays and expired timestamps change nothing', async () => {
    await tick(h);
    const { version } = await h.store.load('bookinfo');
    expect((await postAlarm(h, alertBody, 'wrong-token-0123456789')).status).toBe(401);
    const malformed = await postAlarm(h, 'alertName=x&alertState=MAYBE');
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(await malformed.json())).toContain('alertState');
    expect((await control(h, 'POST', '/v1/overrides', { drain: ['cn-hangzhou'] }, { secret: 'not-the-secret-0123456789' })).status).toBe(
      401,
    );
    expect(
      (await control(h, 'POST', '/v1/overrides', { drain: ['cn-hangzhou'] }, { timestamp: Math.floor(h.clock.now() / 1000) - 3600 }))
        .status,
    ).toBe(401);
    const bad = await control(h, 'POST', '/v1/overrides', { drain: ['cn-nowhere'], ttl: 'soon' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('ttl');
    expect((await h.store.load('bookinfo')).version).toBe(version);

    // The region in the URL must be one the policy declares; an unauthenticated caller learns nothing.
    const unknownRegion = await fetch(`${h.host.url}/alarm/cms?region=cn-beijing&token=${ALARM_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: alertBody,
    });
    expect([unknownRegion.status, ((await unknownRegion.json()) as { error: { message: string } }).error.message]).toEqual([
      400,
      'region: unknown region "cn-beijing" (declared: cn-hangzhou, cn-shanghai)',
    ]);
    expect((await fetch(`${h.host.url}/alarm/cms?region=cn-beijing&token=wrong`, { method: 'POST', body: alertBody })).status).toBe(401);
    expect((await h.store.load('bookinfo')).version).toBe(version);

    const first = await control(h, 'POST', '/v1/pause', { reason: 'maintenance' }, { requestId: 'req-replay-1' });
    expect(first.status).toBe(200);
    const afterPause = (await h.store.load('bookinfo')).version;
    expect((await control(h, 'POST', '/v1/pause', { reason: 'maintenance' }, { requestId: 'req-replay-1' })).status).toBe(409);
    expect((await h.store.load('bookinfo')).version).toBe(afterPause);
  });
});

describe('local FC host: the alarm token over real HTTP', () => {
  const lines: Array<Record<string, unknown>> = [];
  let h: Harness;
  beforeEach(async () => {
    lines.length = 0;
    h = (await startFunctionsHost({ log: (line) => lines.push(line) })) as Harness;
  });
  afterEach(async () => {
    await h.stop();
  });
  const post = (pathAndQuery: string) =>
    fetch(`${h.host.url}${pathAndQuery}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: alertBody,
    });

  test('a malformed percent-escape where the token goes is a 401, never a 500, and changes nothing', async () => {
    await tick(h);
    const { version } = await h.store.load('bookinfo');
    for (const p of ['/alarm/cms/%E0%A4%A', '/alarm/cms/%', '/alarm/cms/%ZZ?token=', '/alarm/%E0%A4%A?region=cn-hangzhou']) {
      const res = await post(p);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect([p, res.status, body.error.message]).toEqual([p, 401, 'token: the last path segment is not valid percent-encoding']);
    }
    expect((await h.store.load('bookinfo')).version).toBe(version);
    expect(lines.filter((l) => l.function === 'alarm').map((l) => [l.status, l.outcome])).toEqual(Array(4).fill([401, 'rejected']));
  });

  test('the token is never logged, in any path position, right or wrong, with an empty or wrong ?token=', async () => {
    const near = `${ALARM_TOKEN.slice(0, -1)}X`;
    const attempts: Array<[string, number]> = [
      [`/alarm/cms/${ALARM_TOKEN}?region=cn-hangzhou`, 200],
      [`/alarm/cms/${ALARM_TOKEN}?token=&region=cn-hangzhou`, 200],
      [`/alarm/cms/${ALARM_TOKEN}?token=wrong-token`, 401],
      [`/alarm/${ALARM_TOKEN}/cms`, 401],
      [`/alarm/${ALARM_TOKEN}/cms?token=`, 401],
      [`/alarm/cms/${near}`, 401],
      [`/alarm/${near}/cms/${ALARM_TOKEN}?region=cn-hangzhou`, 200],
      [`/alarm/cms?region=cn-hangzhou&token=${ALARM_TOKEN}`, 200],
    ];
    for (const [p, status] of attempts) expect([p, (await post(p)).status]).toEqual([p, status]);
    const alarmLines = lines.filter((l) => l.function === 'alarm' && l.path !== undefined);
    expect(alarmLines).toHaveLength(attempts.length);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain(ALARM_TOKEN);
    expect(logged).not.toContain(near);
    expect(logged).not.toContain(ALARM_TOKEN.slice(0, 12));
    expect(alarmLines.map((l) => l.path)).toEqual([
      '/cms/{token}',
      '/cms/{token}',
      '/cms/{token}',
      '/{token}/cms',
      '/{token}/cms',
      '/cms/{token}',
      '/{token}/cms/{token}',
      '/cms',
    ]);
  });
});
