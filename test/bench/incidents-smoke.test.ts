import { incidents, type IncidentTiming } from '../../bench/incidents/incidents';
import { runIncident, type RunResult } from '../../bench/incidents/run';
import { STRATEGIES, type Strategy } from '../../bench/incidents/strategies';

/**
 * The incident benchmark's quick subset, short: the real functions, engine, adapters and twins on
 * simulated time. What must hold whatever the tuning: same seed → same figures; the docs' static
 * rule fails a hard region down; regionshift drains it; a false alarm moves nothing under the
 * quorum policy (and does reach the product: the default policy acts on it); with service scopes,
 * one service down moves only that service.
 */

const SMOKE: IncidentTiming = { faultMs: 120_000, tailMs: 60_000 };
const byId = (id: string) => incidents(SMOKE).find((i) => i.id === id) as ReturnType<typeof incidents>[number];
const strategy = (id: string) => STRATEGIES.find((s) => s.id === id) as Strategy;
const figures = (r: RunResult) => ({ ...r, samples: r.samples.map((s) => [s.requests, s.failed, s.overSlo, s.hops, s.localHops, s.crossHops].join(',')) });

describe('incident benchmark (quick subset)', () => {
  test('hard region down: deterministic by seed; static fails requests, regionshift drains', async () => {
    const incident = byId('hard-down');
    const a = await runIncident(incident, strategy('regionshift'));
    const b = await runIncident(incident, strategy('regionshift'));
    expect(a.errors).toEqual([]);
    expect(figures(b)).toEqual(figures(a));
    const stat = await runIncident(incident, strategy('static'));
    // The docs' rule ejects nothing from 2 endpoints: every request of the region fails while the fault lasts.
    expect(stat.failed).toBeGreaterThanOrEqual(20 * 120);
    expect(stat.meshChanges).toBe(0);
    // regionshift: the region drained through the mesh (traffic crosses regions), far fewer failures.
    expect(a.meshChanges).toBeGreaterThanOrEqual(1);
    expect(a.crossHopsPerRequest).toBeGreaterThan(stat.crossHopsPerRequest);
    expect(a.failed * 10).toBeLessThan(stat.failed);
  }, 240_000);

  test('false alarm: zero mesh changes under the quorum policy; the default policy does act on it', async () => {
    const incident = byId('false-alarm');
    const quorum = await runIncident(incident, strategy('regionshift-quorum2'));
    expect(quorum.errors).toEqual([]);
    expect(quorum.meshChanges).toBe(0);
    expect(quorum.failed).toBe(0);
    const plain = await runIncident(incident, strategy('regionshift'));
    expect(plain.meshChanges).toBeGreaterThanOrEqual(1);
  }, 240_000);

  test('the baselines act as modelled: zero-endpoint moves reviews out at 0 ready and back; DNS moves clients on a failing check', async () => {
    const zero = await runIncident(byId('scale-to-zero'), strategy('zero-endpoint'));
    expect(zero.errors).toEqual([]);
    expect(zero.meshChanges).toBe(2); // the DestinationRule written when reviews had no ready pod, and again when one was ready
    const dns = await runIncident(byId('partial-5xx'), strategy('dns'));
    expect(dns.meshChanges).toBeGreaterThanOrEqual(1); // DNS answer changes
    // Clients sent to the other region enter there: the extra entry hop shows as cross-region hops.
    const stat = await runIncident(byId('partial-5xx'), strategy('static-tuned'));
    expect(dns.crossHopsPerRequest).toBeGreaterThan(stat.crossHopsPerRequest);
  }, 240_000);

  test('one service down: the scoped policy moves only reviews (fewer cross-region hops per request), failing no more', async () => {
    const incident = byId('service-down');
    const plain = await runIncident(incident, strategy('regionshift'));
    const scoped = await runIncident(incident, strategy('regionshift-scoped'));
    expect(plain.errors).toEqual([]);
    expect(scoped.errors).toEqual([]);
    expect(scoped.meshChanges).toBeGreaterThanOrEqual(1);
    expect(scoped.failed).toBeLessThanOrEqual(plain.failed);
    expect(scoped.crossHopsPerRequest).toBeLessThan(plain.crossHopsPerRequest * 0.75);
  }, 240_000);
});
