import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asmExpireTime, KubeconfigResolver } from '../../../shared/adapters/kubeconfig';
import { FakeClock } from '../../../lab/fakes/fake-clock';

const KUBECONFIG = (n: number) => `apiVersion: v1
kind: Config
clusters: [{ name: m, cluster: { server: "https://mesh-${n}.example:6443" } }]
users: [{ name: u, user: { token: t${n} } }]
contexts: [{ name: c, context: { cluster: m, user: u } }]
current-context: c
`;

let server: Server;
let endpoint: string;
let calls = 0;
let expireTime: string | undefined;
beforeAll(async () => {
  server = createServer((_req, res) => {
    calls += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ RequestId: `r${calls}`, Kubeconfig: KUBECONFIG(calls), ...(expireTime ? { ExpireTime: expireTime } : {}) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((r) => server.close(() => r())));

const T0 = Date.parse('2026-03-02T01:00:00Z');
const resolver = (clock: FakeClock) =>
  new KubeconfigResolver({
    sources: { mesh: { from: 'asm', meshId: 'm1', endpoint } },
    credentials: { accessKeyId: 'id', accessKeySecret: 'secret' },
    clock,
    refreshMarginMs: 5 * 60_000,
  });

test('an ASM kubeconfig is refreshed before its ExpireTime (DescribeServiceMeshKubeconfig)', async () => {
  calls = 0;
  // As documented: "YYYY-MM-DD hh:mm:ss", no zone; read as UTC+8. T0 + 20 min in UTC+8 is 09:20.
  expireTime = '2026-03-02 09:20:00';
  const clock = new FakeClock(T0);
  const r = resolver(clock);
  const first = await r.get('mesh');
  clock.advance(15 * 60_000 - 1);
  expect(await r.get('mesh')).toBe(first);
  expect(calls).toBe(1);
  clock.advance(1);
  const second = await r.get('mesh');
  expect(second).not.toBe(first);
  expect(second.getCurrentCluster()?.server).toBe('https://mesh-2.example:6443');
  expect(calls).toBe(2);
});

test('without an ExpireTime the cached ASM kubeconfig still expires (after an hour, less the margin)', async () => {
  calls = 0;
  expireTime = undefined;
  const clock = new FakeClock(T0);
  const r = resolver(clock);
  const first = await r.get('mesh');
  clock.advance(55 * 60_000 - 1);
  expect(await r.get('mesh')).toBe(first);
  clock.advance(1);
  expect(await r.get('mesh')).not.toBe(first);
  expect(calls).toBe(2);
});

test('ExpireTime without a zone is read in UTC+8 (the earliest reading); with a zone, as written', () => {
  expect(asmExpireTime('2024-05-28 16:00:00')).toBe(Date.parse('2024-05-28T08:00:00Z'));
  expect(asmExpireTime('2024-05-28T16:00:00Z')).toBe(Date.parse('2024-05-28T16:00:00Z'));
  expect(Number.isNaN(asmExpireTime('soon'))).toBe(true);
});
