import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dashboardMomentUrl, dashboardUrlFrom, dingtalkSignedUrl, notifierFor } from '../../../shared/adapters/notify';
import { downSignal, World } from './harness';

/**
 * Notifications carry the decision's one-line explanation, the matrix it leaves and a link to
 * the dashboard: through the engine (what the executor hands the notifier), and as the DingTalk
 * robot and a webhook receive them over HTTP on loopback.
 */

interface Received {
  path: string;
  search: URLSearchParams;
  body: Record<string, unknown>;
}

let server: Server;
let base: string;
let received: Received[];

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const url = new URL(req.url ?? '/', 'http://x');
      received.push({ path: url.pathname, search: url.searchParams, body: JSON.parse(text) as Record<string, unknown> });
      res.setHeader('content-type', 'application/json');
      res.end(url.pathname === '/robot/send' ? '{"errcode":0,"errmsg":"ok"}' : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let w: World;
beforeEach(() => {
  received = [];
  w = new World();
});
afterEach(() => w.cleanup());

describe('notifications', () => {
  it('a drain notice carries the one-line explanation, the new matrix and the plan id', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    w.clock.advance(60_000);
    const [out] = await engine.ingest([downSignal(w.clock)], 'alarm');

    const [n] = w.notifier.at('critical');
    expect(n?.text).toContain('cn-hangzhou HEALTHY → DOWN');
    expect(n?.planId).toBe(out?.plan.id);
    expect(n?.explanation).toBe(`${out?.plan.trigger}: ${out?.plan.reasons.join('; ')}`);
    expect(n?.explanation).toMatch(
      /^signal cms\|hz-5xx firing: .*; cn-hangzhou HEALTHY → DOWN: down signals meet quorum .*; layer normal$/,
    );
    expect(n?.explanation).not.toContain('\n');
    expect(n?.matrix).toEqual(out?.plan.after?.matrix);
    expect(n?.matrix).toEqual({ 'cn-hangzhou': { 'cn-shanghai': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } });
    expect(n?.matrixChanged).toBe(true);
    // The moment the dashboard link opens at is the decision's, not the send time of the notice.
    expect(n?.decidedAt).toBe(out?.plan.at);
  });

  it('the link of a notice sent after its decision opens the dashboard at the decision, naming the plan', async () => {
    const notifier = notifierFor([{ type: 'webhook', url: `${base}/hook`, minLevel: 'info' }], () => undefined, {
      dashboardUrl: 'https://control.example.com/control/',
    });
    const decidedAt = Date.UTC(2026, 0, 1, 2, 30, 5, 250);
    await notifier.notify({
      level: 'info',
      title: 't',
      text: 'x',
      mesh: 'm',
      at: decidedAt + 90_000,
      decidedAt,
      planId: 'bookinfo-000007',
    });
    const link = received[0]?.body.dashboardUrl as string;
    expect(link).toBe('https://control.example.com/control/#at=2026-01-01T02:30:05.250Z&plan=bookinfo-000007');
    expect(received[0]?.body.decidedAt).toBe('2026-01-01T02:30:05.250Z');
    // What the dashboard reads: the fragment as URLSearchParams, the time back to the millisecond.
    const frag = new URLSearchParams(new URL(link).hash.slice(1));
    expect(Date.parse(frag.get('at') ?? '')).toBe(decidedAt);
    expect(frag.get('plan')).toBe('bookinfo-000007');
    expect(frag.has('token')).toBe(false);
    // A notice without a plan (an alert) links to its own time; an odd plan id is escaped.
    expect(dashboardMomentUrl('https://c.example.com/', 0)).toBe('https://c.example.com/#at=1970-01-01T00:00:00.000Z');
    expect(
      new URLSearchParams(new URL(dashboardMomentUrl('https://c.example.com/', 0, 'a&token=x')).hash.slice(1)).get('token'),
    ).toBeNull();
  });

  it('DingTalk gets a signed markdown message with the explanation, the matrix and the dashboard link; the webhook gets them as JSON', async () => {
    const notifier = notifierFor(
      [
        { type: 'dingtalk', webhook: `${base}/robot/send?access_token=t0k`, secret: 'SEC-test', minLevel: 'info' },
        { type: 'webhook', url: `${base}/hook`, minLevel: 'warning' },
      ],
      () => undefined,
      { dashboardUrl: 'https://control.example.com/control/' },
    );
    const at = Date.UTC(2026, 0, 1, 2, 30);
    await notifier.notify({
      level: 'critical',
      title: 'regionshift bookinfo',
      text: 'cn-hangzhou HEALTHY → DOWN',
      mesh: 'bookinfo',
      at,
      decidedAt: at - 2_000,
      explanation: 'alarm: cn-hangzhou HEALTHY → DOWN: cms-5xx; layer normal',
      planId: 'bookinfo-000002',
      matrix: { 'cn-shanghai': { 'cn-shanghai': 100 }, 'cn-hangzhou': { 'cn-shanghai': 90, 'cn-hangzhou': 10 } },
      matrixChanged: true,
    });

    const ding = received.find((r) => r.path === '/robot/send');
    expect(ding?.search.get('access_token')).toBe('t0k');
    expect(`${base}/robot/send?${ding?.search.toString()}`).toBe(dingtalkSignedUrl(`${base}/robot/send?access_token=t0k`, 'SEC-test', at));
    expect(ding?.body).toEqual({
      msgtype: 'markdown',
      markdown: {
        title: 'regionshift bookinfo',
        text: [
          '### regionshift bookinfo',
          '**critical** cn-hangzhou HEALTHY → DOWN',
          '',
          '> alarm: cn-hangzhou HEALTHY → DOWN: cms-5xx; layer normal',
          '',
          'New matrix:',
          '',
          '- cn-hangzhou → cn-hangzhou 10%, cn-shanghai 90%',
          '- cn-shanghai → cn-shanghai 100%',
          '',
          '2026-01-01T02:30:00.000Z · plan bookinfo-000002',
          '',
          '[Open the dashboard at this moment](https://control.example.com/control/#at=2026-01-01T02:29:58.000Z&plan=bookinfo-000002)',
        ].join('\n'),
      },
    });

    const hook = received.find((r) => r.path === '/hook');
    expect(hook?.body).toEqual({
      level: 'critical',
      title: 'regionshift bookinfo',
      text: 'cn-hangzhou HEALTHY → DOWN',
      mesh: 'bookinfo',
      at: '2026-01-01T02:30:00.000Z',
      decidedAt: '2026-01-01T02:29:58.000Z',
      explanation: 'alarm: cn-hangzhou HEALTHY → DOWN: cms-5xx; layer normal',
      planId: 'bookinfo-000002',
      matrix: { 'cn-shanghai': { 'cn-shanghai': 100 }, 'cn-hangzhou': { 'cn-shanghai': 90, 'cn-hangzhou': 10 } },
      matrixChanged: true,
      matrixText: ['cn-hangzhou → cn-hangzhou 10%, cn-shanghai 90%', 'cn-shanghai → cn-shanghai 100%'],
      dashboardUrl: 'https://control.example.com/control/#at=2026-01-01T02:29:58.000Z&plan=bookinfo-000002',
    });
  });

  it('an unchanged matrix says so; without a dashboard URL there is no link', async () => {
    const notifier = notifierFor(
      [
        { type: 'dingtalk', webhook: `${base}/robot/send?access_token=t0k`, secret: 's', minLevel: 'info' },
        { type: 'webhook', url: `${base}/hook`, minLevel: 'info' },
      ],
      () => undefined,
      { dashboardUrl: undefined },
    );
    await notifier.notify({
      level: 'warning',
      title: 't',
      text: 'refused',
      mesh: 'm',
      at: 0,
      explanation: 'x',
      matrix: { a: { a: 100 } },
      matrixChanged: false,
    });
    const text = (received.find((r) => r.path === '/robot/send')?.body.markdown as { text: string }).text;
    expect(text).toContain('Matrix (unchanged):\n\n- a → a 100%');
    expect(text).not.toContain('dashboard');
    expect(received.find((r) => r.path === '/hook')?.body).not.toHaveProperty('dashboardUrl');
  });

  it.each([
    ['not a url', 'REGIONSHIFT_DASHBOARD_URL: not a URL'],
    ['ftp://control.example.com/', 'REGIONSHIFT_DASHBOARD_URL: must be an http(s) URL (got ftp:)'],
    ['https://control.example.com/control/#token=secret', 'REGIONSHIFT_DASHBOARD_URL: must not carry a fragment or credentials'],
    ['https://user:pw@control.example.com/', 'REGIONSHIFT_DASHBOARD_URL: must not carry a fragment or credentials'],
  ])('a bad REGIONSHIFT_DASHBOARD_URL (%s) is refused by name and left out of the notices', async (raw, problem) => {
    expect(dashboardUrlFrom(raw)).toEqual({ url: null, problem: expect.stringContaining(problem) as unknown as string });
    const log: Array<Record<string, unknown>> = [];
    const notifier = notifierFor([{ type: 'webhook', url: `${base}/hook`, minLevel: 'info' }], (l) => log.push(l), { dashboardUrl: raw });
    await notifier.notify({ level: 'info', title: 't', text: 'x', mesh: 'm', at: 0 });
    expect(log).toEqual([{ msg: 'notification config ignored', error: expect.stringContaining(problem) as unknown }]);
    expect(received[0]?.body).not.toHaveProperty('dashboardUrl');
    expect(JSON.stringify(received)).not.toContain('secret');
  });
});
