import { failoverPolicy, labFixture } from './support/lab-fixture';

/**
 * The API accepts up to 100 000 requests in one call and the background loop sends every
 * gateway's load each second: `send` must keep well ahead of both. Measured ~100 000–160 000
 * requests/s of four hops each on a loaded machine; the floor leaves room for slower CI hosts.
 */
test('send sustains at least 25 000 requests/s with locality failover and outlier detection on', () => {
  const { topology, config, dataPlane } = labFixture();
  config.setPolicyEverywhere(topology, failoverPolicy);
  dataPlane.send('gw-hangzhou', 20_000); // warm up the JIT

  const started = performance.now();
  const r = dataPlane.send('gw-hangzhou', 100_000);
  const perSecond = 100_000 / ((performance.now() - started) / 1000);

  expect(r.ok).toBe(100_000);
  expect(perSecond).toBeGreaterThan(25_000);
});
