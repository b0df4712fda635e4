import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { labApiHandler } from '../../../lab/dataplane/api';
import { failoverPolicy, labFixture } from './support/lab-fixture';
import { bookinfoOutlierDetection } from './support/in-memory-config';

/**
 * Each batch counts its requests by how many hops crossed regions (the caller's sidecar, or the
 * gateway, in one region and the serving pod in another). It is the figure that tells an entry
 * shift (one crossing at most) from a shift applied at every hop (a request can leave and come back).
 */

const distributeEverywhere = {
  localityLb: {
    enabled: true,
    distribute: [
      { from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 90, 'cn-shanghai/*': 10 } },
      { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 90, 'cn-hangzhou/*': 10 } },
    ],
  },
  outlierDetection: bookinfoOutlierDetection,
};
const total = (h: Record<string, number>) => Object.values(h).reduce((a, b) => a + b, 0);

test('failover everywhere: every request stays in its region (all 0)', () => {
  const { topology, config, dataPlane } = labFixture();
  config.setPolicyEverywhere(topology, failoverPolicy);
  expect(dataPlane.send('gw-hangzhou', 500).crossRegion).toEqual({ '0': 500 });
});

test('reviews alone sent to shanghai: one crossing per request, the reviews hop (reviews-v2 calls ratings in shanghai)', () => {
  const { topology, config, dataPlane } = labFixture();
  config.setPolicyEverywhere(topology, failoverPolicy);
  config.setPolicy('reviews', {
    localityLb: {
      enabled: true,
      distribute: [
        { from: 'cn-hangzhou/*', to: { 'cn-shanghai/*': 100 } },
        { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
      ],
    },
    outlierDetection: bookinfoOutlierDetection,
  });
  const r = dataPlane.send('gw-hangzhou', 500);
  expect(r.failed).toBe(0);
  expect(r.crossRegion).toEqual({ '1': 500 });
});

test('a 90/10 distribute at every hop: some requests cross twice (out and back, or out at two hops)', () => {
  const { topology, config, dataPlane } = labFixture();
  config.setPolicyEverywhere(topology, distributeEverywhere);
  const r = dataPlane.send('gw-hangzhou', 5000);
  expect(total(r.crossRegion)).toBe(5000);
  expect(r.crossRegion['2'] ?? 0).toBeGreaterThan(50);
  // Four hops (gateway→productpage→details, reviews; ratings only under reviews-v2): never more than 4.
  expect(Object.keys(r.crossRegion).every((k) => Number(k) <= 4)).toBe(true);
});

test('probes: every probe is counted too', () => {
  const { topology, config, dataPlane } = labFixture();
  config.setPolicyEverywhere(topology, failoverPolicy);
  expect(dataPlane.probe('reviews', 'cn-shanghai', 40).crossRegion).toEqual({ '0': 40 });
});

test('the lab API answers the histogram with POST /lab/v1/requests', async () => {
  const lab = labFixture();
  lab.config.setPolicyEverywhere(lab.topology, distributeEverywhere);
  const handle = labApiHandler({ topology: lab.topology, dataPlane: lab.dataPlane, faults: lab.faults, onError: () => undefined });
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/lab/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ gateway: 'gw-hangzhou', count: 2000 }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { crossRegion: Record<string, number> };
    expect(total(body.crossRegion)).toBe(2000);
    expect(body.crossRegion['2'] ?? 0).toBeGreaterThan(0);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
