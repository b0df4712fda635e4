import { readFileSync } from 'node:fs';
import { signRequest } from '../../shared/http/auth';
import type { FakeClock } from '../fakes';
import { ALARM_TOKEN, CONTROL_SECRET, startFunctionsHost, type FunctionsHost } from '../support/functions-host';

/**
 * The functions on the local FC host, over real HTTP, with the real engine and a real SQLite
 * file; only the mesh and the clusters are fakes. What CMS would send is what the test sends.
 */

const alertBody = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8');
const okBody = readFileSync('events/alarms/cms-callback-ok.txt', 'utf8');

type Harness = FunctionsHost & { clock: FakeClock };
const startHarness = async () => (await startFunctionsHost()) as Harness;

const postAlarm = (h: Harness, body: string, token = ALARM_TOKEN) =>
  fetch(`${h.host.url}/alarm/cms?token=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

async function control(h: Harness, method: string, p: string, body?: unknown, opts: { timestamp?: number; requestId?: string; secret?: string } = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const signed = signRequest({ secret: opts.secret ?? CONTROL_SECRET, method, path: p, body: text, timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000), ...(opts.requestId ? { requestId: opts.requestId } : {}) });
  const res = await fetch(`${h.host.url}/control${p}`, { method, headers: { 'content-type': 'application/json', ...signed.headers }, ...(text ? { body: text } : {}) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const tick = (h: Harness) => fetch(`${h.host.url}/_invoke/scheduler`, { method: 'POST', body: JSON.stringify({ triggerTime: new Date(h.clock.now()).toISOString(), triggerName: 'tick', payload: '{"task":"tick"}' }) });

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
    expect((await control(h, 'POST', '/v1/overrides', { drain: ['cn-hangzhou'] }, { secret: 'not-the-secret-0123456789' })).status).toBe(401);
    expect((await control(h, 'POST', '/v1/overrides', { drain: ['cn-hangzhou'] }, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(401);
    const bad = await control(h, 'POST', '/v1/overrides', { drain: ['cn-nowhere'], ttl: 'soon' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('ttl');
    expect((await h.store.load('bookinfo')).version).toBe(version);

    const first = await control(h, 'POST', '/v1/pause', { reason: 'maintenance' }, { requestId: 'req-replay-1' });
    expect(first.status).toBe(200);
    const afterPause = (await h.store.load('bookinfo')).version;
    expect((await control(h, 'POST', '/v1/pause', { reason: 'maintenance' }, { requestId: 'req-replay-1' })).status).toBe(409);
    expect((await h.store.load('bookinfo')).version).toBe(afterPause);
  });
});
