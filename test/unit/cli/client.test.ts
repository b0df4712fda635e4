import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlClient, TransportError } from '../../../cli/client';
import { runCli } from './control-host';

/**
 * The client against stand-in servers on 127.0.0.1: what goes on the wire (checked with an
 * independent HMAC), and what the commands do with answers the real API gives rarely (busy,
 * 5xx, not JSON, no answer at all).
 */

const SECRET = 'stub-secret-0123456789abcdef';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Reply = { status: number; body: string; headers?: Record<string, string> } | 'hang';

async function stub(replies: (seen: Seen, n: number) => Reply): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      const r = replies(s, seen.length);
      if (r === 'hang') {
        hanging.push(res);
        return;
      }
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/control`,
    seen,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The docs/api.md string to sign, computed here without the product's code. */
function expectedSignature(s: Seen, signedTarget: string): string {
  const text = [s.headers['x-regionshift-timestamp'], s.method, signedTarget, s.headers['x-regionshift-request-id'], s.body].join('\n');
  return createHmac('sha256', SECRET).update(text, 'utf8').digest('hex');
}

const STATUS = JSON.stringify({
  mesh: 'm',
  version: 1,
  at: '2026-01-01T00:00:00.000Z',
  paused: null,
  health: { 'cn-a': { status: 'HEALTHY', since: '2026-01-01T00:00:00.000Z', causes: [] } },
  matrix: null,
  config: null,
  override: null,
  drill: null,
  activeSignals: [],
  openPlans: [],
  refused: [],
});
const BUSY = {
  status: 503,
  body: JSON.stringify({ error: { code: 'STATE.BUSY', message: 'busy', requestId: 'r-1' } }),
  headers: { 'retry-after': '0' },
};

describe('control client on the wire', () => {
  test('signs the path the function sees, with the sorted query, and sends the actor', async () => {
    const s = await stub(() => ({ status: 200, body: JSON.stringify({ events: [], next: null }) }));
    try {
      const res = await runCli(['history', '--limit', '2', '--before', '9', '--actor', 'ops@example'], {
        REGIONSHIFT_ENDPOINT: `${s.url}/`,
        REGIONSHIFT_CONTROL_SECRET: SECRET,
      });
      expect(res).toMatchObject({ code: 0, stdout: 'no events' });
      const [req] = s.seen;
      expect(req?.url).toBe('/control/v1/history?limit=2&before=9');
      expect(req?.headers['x-regionshift-signature']).toBe(expectedSignature(req as Seen, '/v1/history?before=9&limit=2'));
      expect(req?.headers['x-regionshift-actor']).toBe('ops@example');
      expect(Math.abs(Number(req?.headers['x-regionshift-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    } finally {
      await s.close();
    }
  });

  test('a command posts exactly the JSON it signed, with durations as written', async () => {
    const s = await stub(() => ({
      status: 200,
      body: JSON.stringify({
        plan: { id: 'p-1', steps: [], refused: [] },
        explain: ['ok'],
        committed: true,
        executed: 0,
        handedOff: false,
      }),
    }));
    try {
      const res = await runCli(['override', '--drain', 'cn-a,cn-b', '--ttl', '90', '--force', '--reason', 'why'], {
        REGIONSHIFT_ENDPOINT: s.url,
        REGIONSHIFT_CONTROL_SECRET: SECRET,
      });
      expect(res.code).toBe(0);
      const [req] = s.seen;
      expect(req?.method).toBe('POST');
      expect(req?.headers['content-type']).toBe('application/json');
      expect(JSON.parse(req?.body ?? '')).toEqual({ drain: ['cn-a', 'cn-b'], ttl: 90, force: true, reason: 'why' });
      expect(req?.headers['x-regionshift-signature']).toBe(expectedSignature(req as Seen, '/v1/overrides'));
      expect(req?.headers['x-regionshift-actor']).toBeUndefined();
    } finally {
      await s.close();
    }
  });

  test('STATE.BUSY is retried, signed anew each time', async () => {
    const s = await stub((_seen, n) => (n < 3 ? BUSY : { status: 200, body: STATUS }));
    try {
      const res = await runCli(['status'], { REGIONSHIFT_ENDPOINT: s.url, REGIONSHIFT_CONTROL_SECRET: SECRET });
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('cn-a  HEALTHY');
      expect(s.seen).toHaveLength(3);
      expect(new Set(s.seen.map((r) => r.headers['x-regionshift-request-id'])).size).toBe(3);
    } finally {
      await s.close();
    }
  });

  test('a server that stays busy, a 500, or a 2xx that is not the API exit 3', async () => {
    const s = await stub((seen) => {
      if (seen.url.endsWith('/v1/pause')) return BUSY;
      if (seen.url.endsWith('/v1/resume'))
        return { status: 500, body: JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error', requestId: 'req-500-abc' } }) };
      if (seen.url.endsWith('/v1/status'))
        return { status: 200, body: '<html>a proxy page</html>', headers: { 'content-type': 'text/html' } };
      return { status: 200, body: '[1,2]' };
    });
    const env = { REGIONSHIFT_ENDPOINT: s.url, REGIONSHIFT_CONTROL_SECRET: SECRET };
    try {
      const busy = await runCli(['pause', '--reason', 'x'], env);
      expect(busy.code).toBe(3);
      expect(busy.stderr).toContain('error 503 STATE.BUSY: busy');
      expect(s.seen.filter((r) => r.url.endsWith('/v1/pause'))).toHaveLength(3);

      const internal = await runCli(['resume'], env);
      expect(internal.code).toBe(3);
      expect(internal.stderr).toContain('error 500 INTERNAL: internal error');
      expect(internal.stderr).toContain("request id req-500-abc: find it in the control function's log");

      const html = await runCli(['status'], env);
      expect(html.code).toBe(3);
      expect(html.stderr).toContain('answered 200 without JSON');

      const wrongShape = await runCli(['history'], env);
      expect(wrongShape.code).toBe(3);
      expect(wrongShape.stderr).toContain('unexpected answer');
    } finally {
      await s.close();
    }
  });

  test('an answer that never comes is a TransportError after the timeout', async () => {
    const s = await stub(() => 'hang');
    try {
      const client = new ControlClient({ endpoint: s.url, secret: SECRET, timeoutMs: 200 });
      await expect(client.request('GET', '/v1/status')).rejects.toThrow(TransportError);
      await expect(client.request('GET', '/v1/status')).rejects.toThrow(/timed out/);
    } finally {
      await s.close();
    }
  });
});
