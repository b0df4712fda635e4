import { bookinfoOutlierDetection } from './support/in-memory-config';
import { failoverPolicy, labFixture, percentOf } from './support/lab-fixture';

/** The behaviours the ASM multi-region docs show on Bookinfo, reproduced on the default lab topology. */

describe('distribute mode', () => {
  test("90/10 from cn-hangzhou sends ~10% of the hangzhou gateway's reviews calls to cn-shanghai", () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    config.setPolicy('reviews', {
      localityLb: { enabled: true, distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 90, 'cn-shanghai/*': 10 } }] },
      outlierDetection: bookinfoOutlierDetection,
    });

    const r = dataPlane.send('gw-hangzhou', 2000);

    expect(r.failed).toBe(0);
    expect(r.byRegion).toEqual({ 'cn-hangzhou': 2000 });
    const reviews = r.byService.reviews;
    expect((reviews?.['cn-hangzhou'] ?? 0) + (reviews?.['cn-shanghai'] ?? 0)).toBe(2000);
    const shanghai = percentOf(reviews, 'cn-shanghai');
    expect(shanghai).toBeGreaterThanOrEqual(7);
    expect(shanghai).toBeLessThanOrEqual(13);
    // The version shows the region: v1 lives only in hangzhou, v2 only in shanghai.
    expect(r.served['cn-shanghai/reviews/v2']).toBe(reviews?.['cn-shanghai']);
    expect(r.served['cn-hangzhou/reviews/v1']).toBe(reviews?.['cn-hangzhou']);
  });

  test('the same rule does not apply to callers in cn-shanghai (no matching from): they spread over every endpoint', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    config.setPolicy('reviews', {
      localityLb: { enabled: true, distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 90, 'cn-shanghai/*': 10 } }] },
      outlierDetection: bookinfoOutlierDetection,
    });

    const r = dataPlane.send('gw-shanghai', 2000);

    const hangzhou = percentOf(r.byService.reviews, 'cn-hangzhou');
    expect(hangzhou).toBeGreaterThan(44);
    expect(hangzhou).toBeLessThan(56);
  });

  test('a locality left out of `to` gets nothing, and a drained region stays drained', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, {
      localityLb: {
        enabled: true,
        distribute: [
          { from: 'cn-hangzhou/*', to: { 'cn-shanghai/*': 100 } },
          { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
        ],
      },
      outlierDetection: null,
    });

    const r = dataPlane.send('gw-hangzhou', 500);

    expect(r.failed).toBe(0);
    expect(r.byService).toEqual({
      productpage: { 'cn-shanghai': 500 },
      details: { 'cn-shanghai': 500 },
      reviews: { 'cn-shanghai': 500 },
      ratings: { 'cn-shanghai': 500 },
    });
  });
});

describe('failover mode', () => {
  test('reviews-v1 scaled to 0 ready in cn-hangzhou: every hangzhou request gets reviews from cn-shanghai, none fails', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    config.setReplicas('c-hangzhou', 'reviews-v1', 0, 0);

    const r = dataPlane.send('gw-hangzhou', 2000);

    expect(r.failed).toBe(0);
    expect(r.byService.reviews).toEqual({ 'cn-shanghai': 2000 });
    expect(r.byService.productpage).toEqual({ 'cn-hangzhou': 2000 });
    expect(r.byService.details).toEqual({ 'cn-hangzhou': 2000 });
    // reviews-v2 runs in shanghai and calls ratings there: the request has moved region for good.
    expect(r.byService.ratings).toEqual({ 'cn-shanghai': 2000 });
  });

  test('locality on with outlier detection, all healthy: each region is served by its own reviews version', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, { localityLb: { enabled: true }, outlierDetection: bookinfoOutlierDetection });

    const hz = dataPlane.send('gw-hangzhou', 1000);
    const sh = dataPlane.send('gw-shanghai', 1000);

    expect(hz.served).toEqual({ 'cn-hangzhou/productpage/v1': 1000, 'cn-hangzhou/details/v1': 1000, 'cn-hangzhou/reviews/v1': 1000 });
    expect(sh.served).toEqual({
      'cn-shanghai/productpage/v1': 1000,
      'cn-shanghai/details/v1': 1000,
      'cn-shanghai/reviews/v2': 1000,
      'cn-shanghai/ratings/v1': 1000,
    });
  });

  test('the same setting without outlier detection is not locality-aware: both versions answer hangzhou', () => {
    const { topology, config, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, { localityLb: { enabled: true }, outlierDetection: null });

    const hz = dataPlane.send('gw-hangzhou', 1000);

    const v2 = percentOf(hz.byService.reviews, 'cn-shanghai');
    expect(v2).toBeGreaterThan(40);
    expect(v2).toBeLessThan(60);
  });

  test('region-down on reviews in cn-hangzhou with outlier detection: after ejection hangzhou is served by cn-shanghai', async () => {
    const { topology, config, faults, dataPlane, clock } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    faults.inject({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' });

    const first = dataPlane.send('gw-hangzhou', 200);
    await clock.advance(5_000);
    const after = dataPlane.send('gw-hangzhou', 1000);

    // Each caller ejects a dead endpoint after 5 consecutive 503s from it: a handful of failures, then none.
    // (The gateway may eject a hangzhou productpage pod too: it answered 500 while learning. Envoy does the same.)
    expect(first.failed).toBeGreaterThan(0);
    expect(first.failed).toBeLessThan(60);
    expect(after.failed).toBe(0);
    expect(after.byService.reviews).toEqual({ 'cn-shanghai': 1000 });
    const ejectedReviews = new Set(
      dataPlane
        .ejections()
        .filter((e) => e.cluster === 'reviews|')
        .map((e) => e.hostId),
    );
    expect([...ejectedReviews].every((id) => id.startsWith('c-hangzhou/default/reviews-v1-'))).toBe(true);
    expect(ejectedReviews.size).toBeGreaterThan(0);
  });

  test('the same fault without outlier detection keeps failing: nothing ever ejects the dead hangzhou endpoints', async () => {
    const { topology, config, faults, dataPlane, clock } = labFixture();
    config.setPolicyEverywhere(topology, { ...failoverPolicy, outlierDetection: null });
    faults.inject({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' });

    const first = dataPlane.send('gw-hangzhou', 1000);
    await clock.advance(10 * 60_000);
    const later = dataPlane.send('gw-hangzhou', 1000);

    for (const r of [first, later]) {
      // Half of the reviews endpoints are the dead hangzhou ones, and they keep their half.
      expect(r.failed).toBeGreaterThan(400);
      expect(r.failed).toBeLessThan(600);
      expect(r.errors['cn-hangzhou/reviews/v1']).toBe(r.served['cn-hangzhou/reviews/v1']);
    }
    expect(dataPlane.ejections()).toEqual([]);
  });

  test('ejected endpoints come back after baseEjectionTime once the fault is gone', async () => {
    const { topology, config, faults, dataPlane, clock } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    const fault = faults.inject({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' });
    dataPlane.send('gw-hangzhou', 200);
    expect(dataPlane.ejections().length).toBeGreaterThan(0);

    faults.delete(fault.id);
    await clock.advance(40_000);
    expect(dataPlane.ejections()).toEqual([]);
    const healed = dataPlane.send('gw-hangzhou', 500);
    expect(healed.failed).toBe(0);
    expect(healed.byService.reviews).toEqual({ 'cn-hangzhou': 500 });
  });

  test('while the fault lasts, an endpoint that comes back fails again and is ejected for twice as long', async () => {
    const { topology, config, faults, dataPlane, clock } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    faults.inject({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' });
    dataPlane.send('gw-hangzhou', 200);
    const reviewsEjections = () =>
      dataPlane
        .ejections()
        .filter((e) => e.cluster === 'reviews|')
        .map((e) => e.multiplier);
    const first = reviewsEjections();
    expect(first.length).toBeGreaterThan(0);
    expect(new Set(first)).toEqual(new Set([1]));

    // Unejected by the interval sweep at 30 s; retried before the next sweep could forgive it.
    await clock.advance(35_000);
    expect(reviewsEjections()).toEqual([]);
    const retried = dataPlane.send('gw-hangzhou', 200);
    expect(retried.errors['cn-hangzhou/reviews/v1']).toBeGreaterThan(0);
    expect(new Set(reviewsEjections())).toEqual(new Set([2]));

    // Ejected at 35 s for 60 s: still out at 85 s, back at the first sweep from 95 s.
    await clock.advance(50_000);
    expect(new Set(reviewsEjections())).toEqual(new Set([2]));
    await clock.advance(20_000);
    expect(reviewsEjections()).toEqual([]);
  });

  test("Istio's default maxEjectionPercent (10%) ejects nothing from a 4-endpoint cluster: (0 + 1) / 4 is over 10%", () => {
    const { topology, config, faults, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, { ...failoverPolicy, outlierDetection: { consecutive5xxErrors: 5 } });
    faults.inject({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' });

    dataPlane.send('gw-hangzhou', 500);

    expect(dataPlane.ejections()).toEqual([]);
    // Nothing ejected, so hangzhou's reviews keep being picked and keep failing.
    expect(dataPlane.send('gw-hangzhou', 500).failed).toBe(500);
  });
});
