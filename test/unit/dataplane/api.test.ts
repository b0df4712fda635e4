import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { labApiHandler } from '../../../lab/dataplane/api';
import { LabDataPlane } from '../../../lab/dataplane/engine';
import { failoverPolicy, labFixture, T0, type LabFixture } from './support/lab-fixture';

interface Api {
  lab: LabFixture;
  base: string;
  errors: unknown[];
  close(): Promise<void>;
}

async function startApi(lab: LabFixture = labFixture()): Promise<Api> {
  const errors: unknown[] = [];
  const handle = labApiHandler({ topology: lab.topology, dataPlane: lab.dataPlane, faults: lab.faults, onError: (e) => errors.push(e) });
  const server: Server = createServer((req, res) => {
    void handle(req, res).then((mine) => {
      if (!mine) {
        res.statusCode = 418;
        res.end('not the lab');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { lab, base, errors, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function call(
  api: Api,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> | null; text: string; headers: Headers }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(`${api.base}${path}`, init);
  const text = await res.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}

describe('/lab/v1 API', () => {
  let api: Api;
  beforeEach(async () => {
    api = await startApi();
    api.lab.config.setPolicyEverywhere(api.lab.topology, failoverPolicy);
  });
  afterEach(async () => {
    await api.close();
  });

  test('POST /requests routes the batch exactly as the data plane does with the same seed', async () => {
    const twin = labFixture();
    twin.config.setPolicyEverywhere(twin.topology, failoverPolicy);
    const expected = twin.dataPlane.send('gw-shanghai', 500, { 'end-user': 'jason' });

    const r = await call(api, 'POST', '/lab/v1/requests', { gateway: 'gw-shanghai', count: 500, headers: { 'end-user': 'jason' } });

    expect(r.status).toBe(200);
    expect(r.json).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(r.json).toMatchObject({ gateway: 'gw-shanghai', count: 500, ok: 500, failed: 0, byRegion: { 'cn-shanghai': 500 } });
  });

  test.each([
    ['count 0', { gateway: 'gw-hangzhou', count: 0 }, 'count:'],
    ['count over the cap', { gateway: 'gw-hangzhou', count: 100_001 }, 'count:'],
    ['fractional count', { gateway: 'gw-hangzhou', count: 1.5 }, 'count:'],
    ['count as a string', { gateway: 'gw-hangzhou', count: '10' }, 'count:'],
    ['no gateway', { count: 10 }, 'gateway:'],
    ['unknown gateway', { gateway: 'gw-beijing', count: 10 }, 'gateway: unknown gateway gw-beijing'],
    ['non-string header', { gateway: 'gw-hangzhou', count: 1, headers: { 'end-user': 7 } }, 'headers.end-user:'],
    ['unknown field', { gateway: 'gw-hangzhou', count: 1, rps: 5 }, 'rps: unknown field'],
    ['not JSON', '{"gateway":', 'body: not valid JSON'],
    ['empty body', '', 'body: required'],
  ])('POST /requests: %s → 400 naming the field', async (_name, body, fragment) => {
    const r = await call(api, 'POST', '/lab/v1/requests', body);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect((r.json?.error as { code: string }).code).toBe('INPUT.INVALID');
    expect((r.json?.error as { message: string }).message).toContain(fragment);
  });

  test.each([
    ['error-rate without rate', { kind: 'error-rate', region: 'cn-hangzhou', service: 'reviews' }, 'rate: required'],
    ['rate above 1', { kind: 'error-rate', region: 'cn-hangzhou', rate: 2 }, 'rate:'],
    ['latency without latencyMs', { kind: 'latency', region: 'cn-hangzhou' }, 'latencyMs: required'],
    ['rate on a latency fault', { kind: 'latency', region: 'cn-hangzhou', latencyMs: 50, rate: 0.1 }, 'rate: only applies'],
    ['unknown kind', { kind: 'meteor', region: 'cn-hangzhou' }, 'kind:'],
    ['unknown region', { kind: 'region-down', region: 'cn-beijing' }, 'region: unknown region cn-beijing'],
    ['unknown service', { kind: 'region-down', region: 'cn-hangzhou', service: 'cart' }, 'service: unknown service cart'],
    [
      'unknown version',
      { kind: 'region-down', region: 'cn-hangzhou', service: 'reviews', version: 'v9' },
      'version: reviews has no version v9',
    ],
    ['version without service', { kind: 'region-down', region: 'cn-hangzhou', version: 'v1' }, 'version: needs a service'],
    ['bad duration', { kind: 'region-down', region: 'cn-hangzhou', duration: 'soon' }, 'duration: not a positive duration'],
    ['scale-to-zero without service', { kind: 'scale-to-zero', region: 'cn-hangzhou' }, 'service: required for a scale-to-zero fault'],
    [
      'rate on a scale-to-zero',
      { kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'reviews', rate: 0.5 },
      'rate: only applies to error-rate faults, not scale-to-zero',
    ],
    [
      'latencyMs on a scale-to-zero',
      { kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'reviews', latencyMs: 50 },
      'latencyMs: only applies to latency faults, not scale-to-zero',
    ],
    [
      'scale-to-zero of a version not in the region',
      { kind: 'scale-to-zero', region: 'cn-shanghai', service: 'reviews', version: 'v1' },
      'version: no deployment of reviews v1 in cn-shanghai to scale to zero',
    ],
    [
      'scale-to-zero in an unknown region',
      { kind: 'scale-to-zero', region: 'cn-beijing', service: 'reviews' },
      'region: unknown region cn-beijing',
    ],
  ])('POST /faults: %s → 400 naming the field', async (_name, body, fragment) => {
    const r = await call(api, 'POST', '/lab/v1/faults', body);
    expect(r.status).toBe(400);
    expect((r.json?.error as { message: string }).message).toContain(fragment);
    expect(api.lab.faults.list()).toEqual([]);
  });

  test.each([
    ['/lab/v1/traffic?window=abc', 'window: not a positive duration'],
    ['/lab/v1/traffic?window=0s', 'window: not a positive duration'],
    ['/lab/v1/traffic?window=1h', 'window: at most 900s'],
  ])('GET %s → 400', async (path, fragment) => {
    const r = await call(api, 'GET', path);
    expect(r.status).toBe(400);
    expect((r.json?.error as { message: string }).message).toContain(fragment);
  });

  test('faults: inject, list, take effect, delete, and expire by the clock', async () => {
    const created = await call(api, 'POST', '/lab/v1/faults', { kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' });
    const timed = await call(api, 'POST', '/lab/v1/faults', { kind: 'latency', region: 'cn-shanghai', latencyMs: 200, duration: '90s' });
    expect(created.status).toBe(201);
    const id = created.json?.id as string;
    expect(created.headers.get('location')).toBe(`/lab/v1/faults/${id}`);
    expect(created.json?.fault).toEqual({
      id,
      kind: 'region-down',
      region: 'cn-hangzhou',
      service: 'reviews',
      version: null,
      rate: null,
      latencyMs: null,
      createdAt: T0,
      expiresAt: null,
    });
    expect(timed.json?.fault).toMatchObject({ kind: 'latency', latencyMs: 200, expiresAt: T0 + 90_000 });

    const listed = await call(api, 'GET', '/lab/v1/faults');
    expect((listed.json?.faults as Array<{ id: string }>).map((f) => f.id)).toEqual([id, timed.json?.id]);
    const during = await call(api, 'POST', '/lab/v1/requests', { gateway: 'gw-hangzhou', count: 100 });
    expect((during.json?.errors as Record<string, number>)['cn-hangzhou/reviews/v1']).toBeGreaterThan(0);

    await api.lab.clock.advance(90_000);
    const afterExpiry = await call(api, 'GET', '/lab/v1/faults');
    expect((afterExpiry.json?.faults as Array<{ id: string }>).map((f) => f.id)).toEqual([id]);

    const deleted = await call(api, 'DELETE', `/lab/v1/faults/${id}`);
    expect(deleted.status).toBe(200);
    expect((deleted.json?.deleted as { id: string }).id).toBe(id);
    const again = await call(api, 'DELETE', `/lab/v1/faults/${id}`);
    expect(again.status).toBe(404);
    expect((again.json?.error as { message: string }).message).toContain(id);
    expect(api.lab.faults.list()).toEqual([]);
  });

  test('DELETE of a fault path with broken percent-encoding is a 400 naming the id, and deletes nothing', async () => {
    const created = await call(api, 'POST', '/lab/v1/faults', { kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' });
    expect(created.status).toBe(201);
    const r = await call(api, 'DELETE', '/lab/v1/faults/%E0%A4%A');
    expect(r.status).toBe(400);
    expect(r.json?.error).toEqual({
      code: 'INPUT.INVALID',
      message: 'path.id: not valid percent-encoding: "%E0%A4%A"',
      problems: ['path.id: not valid percent-encoding: "%E0%A4%A"'],
    });
    expect(api.errors).toEqual([]);
    expect(api.lab.faults.list().map((f) => f.id)).toEqual([created.json?.id]);
  });

  test('a scale-to-zero fault is created, told to listeners with its deployments, and leaves requests alone', async () => {
    const heard: Array<[string, string]> = [];
    api.lab.faults.subscribe((e) => heard.push([e.type, e.fault.kind]));
    const created = await call(api, 'POST', '/lab/v1/faults', {
      kind: 'scale-to-zero',
      region: 'cn-hangzhou',
      service: 'reviews',
      version: 'v1',
      duration: '2m',
    });
    expect(created.status).toBe(201);
    expect(created.json?.fault).toEqual({
      id: created.json?.id,
      kind: 'scale-to-zero',
      region: 'cn-hangzhou',
      service: 'reviews',
      version: 'v1',
      rate: null,
      latencyMs: null,
      createdAt: T0,
      expiresAt: T0 + 120_000,
    });
    expect(heard).toEqual([['injected', 'scale-to-zero']]);
    // Nobody scaled anything in this test: the data plane serves hangzhou's reviews as before.
    const during = await call(api, 'POST', '/lab/v1/requests', { gateway: 'gw-hangzhou', count: 50 });
    expect(during.json).toMatchObject({ ok: 50, byService: { reviews: { 'cn-hangzhou': 50 } } });
  });

  test('POST /probes probes a region exactly as the data plane does with the same seed, and stays out of the matrix', async () => {
    const twin = labFixture();
    twin.config.setPolicyEverywhere(twin.topology, failoverPolicy);
    const expected = twin.dataPlane.probe('productpage', 'cn-shanghai', 200);

    const r = await call(api, 'POST', '/lab/v1/probes', { service: 'productpage', region: 'cn-shanghai', count: 200 });

    expect(r.status).toBe(200);
    expect(r.json).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(r.json).toMatchObject({
      service: 'productpage',
      region: 'cn-shanghai',
      count: 200,
      ok: 200,
      byService: { productpage: { 'cn-shanghai': 200 } },
    });
    const traffic = await call(api, 'GET', '/lab/v1/traffic?window=10s');
    expect(traffic.json).toMatchObject({ gateways: [], served: [], matrix: {} });
    expect((traffic.json?.probes as Array<{ service: string; requests: number }>).find((c) => c.service === 'productpage')?.requests).toBe(
      200,
    );
  });

  test.each([
    [
      'unknown service and region',
      { service: 'cart', region: 'cn-beijing', count: 1 },
      'service: unknown service cart; region: unknown region cn-beijing',
    ],
    ['count 0', { service: 'reviews', region: 'cn-hangzhou', count: 0 }, 'count:'],
    ['no region', { service: 'reviews', count: 1 }, 'region:'],
    ['unknown field', { service: 'reviews', region: 'cn-hangzhou', count: 1, rps: 2 }, 'rps: unknown field'],
  ])('POST /probes: %s → 400 naming the field', async (_name, body, fragment) => {
    const r = await call(api, 'POST', '/lab/v1/probes', body);
    expect(r.status).toBe(400);
    expect((r.json?.error as { message: string }).message).toContain(fragment);
  });

  test("GET /traffic reports the window's requests per gateway and destination", async () => {
    await call(api, 'POST', '/lab/v1/requests', { gateway: 'gw-hangzhou', count: 300 });
    await api.lab.clock.advance(2_000);
    await call(api, 'POST', '/lab/v1/requests', { gateway: 'gw-shanghai', count: 100 });

    const r = await call(api, 'GET', '/lab/v1/traffic?window=10s');

    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ windowMs: 10_000, from: T0 + 3_000 - 10_000, to: T0 + 3_000 });
    expect((r.json?.gateways as Array<Record<string, unknown>>).map((g) => [g.gateway, g.region, g.requests, g.errors5xx, g.rps])).toEqual([
      ['gw-hangzhou', 'cn-hangzhou', 300, 0, 30],
      ['gw-shanghai', 'cn-shanghai', 100, 0, 10],
    ]);
    expect(r.json?.matrix).toEqual({
      productpage: { 'cn-hangzhou': { 'cn-hangzhou': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
      details: { 'cn-hangzhou': { 'cn-hangzhou': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
      reviews: { 'cn-hangzhou': { 'cn-hangzhou': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
      ratings: { 'cn-shanghai': { 'cn-shanghai': 100 } },
    });
    const narrow = await call(api, 'GET', '/lab/v1/traffic?window=1s');
    expect((narrow.json?.gateways as Array<{ gateway: string }>).map((g) => g.gateway)).toEqual(['gw-shanghai']);
  });

  test('GET /traffic/series: per gateway, one point per step with its rates and served shares, zeros where there was no traffic', async () => {
    await call(api, 'POST', '/lab/v1/requests', { gateway: 'gw-hangzhou', count: 300 });
    await api.lab.clock.advance(5_000);
    const fault = await call(api, 'POST', '/lab/v1/faults', { kind: 'error-rate', region: 'cn-hangzhou', service: 'productpage', rate: 1 });
    expect(fault.status).toBe(201);
    await call(api, 'POST', '/lab/v1/requests', { gateway: 'gw-hangzhou', count: 100 });

    const r = await call(api, 'GET', '/lab/v1/traffic/series?window=20s&step=5s');

    expect(r.status).toBe(200);
    const body = r.json as unknown as {
      from: number;
      to: number;
      stepMs: number;
      gateways: Array<{
        gateway: string;
        region: string;
        points: Array<{ at: number; rps: number; errors5xxPerSecond: number; servedShare: Record<string, number> }>;
      }>;
    };
    expect(body.stepMs).toBe(5_000);
    expect(body.to - body.from).toBe(20_000);
    expect(body.gateways.map((g) => [g.gateway, g.region])).toEqual([['gw-hangzhou', 'cn-hangzhou']]);
    const points = body.gateways[0]!.points;
    expect(points.map((p) => p.at)).toEqual([0, 1, 2, 3].map((i) => body.from + i * 5_000));
    const at = (t: number) => points.find((p) => p.at <= t && t < p.at + 5_000)!;
    expect(at(T0)).toEqual({ at: at(T0).at, rps: 60, errors5xxPerSecond: 0, servedShare: { 'cn-hangzhou': 100 } });
    // The 5xx the gateway answered in that step, as /traffic counts them (retries may save some).
    const lastSecond = await call(api, 'GET', '/lab/v1/traffic?window=1s');
    const errors = (lastSecond.json?.gateways as Array<{ errors5xx: number }>)[0]!.errors5xx;
    expect(errors).toBeGreaterThan(0);
    expect(at(T0 + 5_000)).toMatchObject({ rps: 20, errors5xxPerSecond: errors / 5 });
    expect(points.filter((p) => p.rps === 0).every((p) => p.errors5xxPerSecond === 0 && Object.keys(p.servedShare).length === 0)).toBe(
      true,
    );
  });

  test.each([
    ['/lab/v1/traffic/series?window=abc', 'window: not a positive duration'],
    ['/lab/v1/traffic/series?window=1h', 'window: at most 900s'],
    ['/lab/v1/traffic/series?step=0s', 'step: not a positive duration'],
    ['/lab/v1/traffic/series?step=1500ms', 'step: a whole number of 1s buckets'],
    ['/lab/v1/traffic/series?window=15m&step=1s', 'step: at most 600 points per series'],
  ])('GET %s → 400 naming the field', async (path, fragment) => {
    const r = await call(api, 'GET', path);
    expect(r.status).toBe(400);
    expect((r.json?.error as { message: string }).message).toContain(fragment);
  });

  test('wrong method → 405 with Allow, unknown path under /lab/v1 → 404, other paths are not its own', async () => {
    const wrong = await call(api, 'GET', '/lab/v1/requests');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    const unknown = await call(api, 'GET', '/lab/v1/nothing');
    expect(unknown.status).toBe(404);
    expect((unknown.json?.error as { code: string }).code).toBe('NOT_FOUND');
    const other = await call(api, 'GET', '/apis/apps/v1/deployments');
    expect(other.status).toBe(418);
    expect(other.text).toBe('not the lab');
  });
});

test('an unexpected failure answers 500 without a stack trace, and is reported', async () => {
  const lab = labFixture();
  lab.config.trafficPolicy = () => {
    throw new Error('control plane exploded at /secret/path.ts:12');
  };
  const broken = new LabDataPlane({ topology: lab.topology, config: lab.config, clock: lab.clock, faults: lab.faults, seed: 1 });
  const api = await startApi({ ...lab, dataPlane: broken });
  try {
    const r = await call(api, 'POST', '/lab/v1/requests', { gateway: 'gw-hangzhou', count: 1 });
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ error: { code: 'INTERNAL', message: 'internal error in the lab data plane', problems: [] } });
    expect(r.text).not.toContain('exploded');
    expect(api.errors).toHaveLength(1);
  } finally {
    await api.close();
  }
});
