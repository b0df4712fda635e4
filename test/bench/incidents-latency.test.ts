import { incidents, type IncidentTiming } from '../../bench/incidents/incidents';
import { runIncident } from '../../bench/incidents/run';
import { STRATEGIES, type Strategy } from '../../bench/incidents/strategies';

/**
 * The latency incident (a 10-min fault, a short tail): the lab's latency alarms reach regionshift,
 * which sheds part of a slow region's share. (Service scopes' figure is in the smoke test.)
 */

// 10 min of fault: the lab's latency rules at their documented periods (60 s × 3) fire ~3.5 min in.
const SHORT: IncidentTiming = { faultMs: 600_000, tailMs: 60_000 };
const byId = (id: string) => incidents(SHORT).find((i) => i.id === id) as ReturnType<typeof incidents>[number];
const strategy = (id: string) => STRATEGIES.find((s) => s.id === id) as Strategy;

describe('incident benchmark: latency alarms', () => {
  test('latency +800 ms: regionshift hears the latency alarm and sheds part of the region (fewer requests over the SLO than Envoy alone)', async () => {
    const incident = byId('latency');
    const envoy = await runIncident(incident, strategy('static-tuned'));
    const rs = await runIncident(incident, strategy('regionshift'));
    expect(rs.errors).toEqual([]);
    // Envoy alone: every request of the slow region's clients is over 500 ms for the whole fault.
    expect(envoy.overSlo).toBeGreaterThanOrEqual(20 * 600);
    expect(envoy.meshChanges).toBe(0);
    // regionshift: degraded, not drained (it keeps part of its share), so some requests stay slow.
    expect(rs.meshChanges).toBeGreaterThanOrEqual(1);
    expect(rs.overSlo).toBeLessThan(envoy.overSlo * 0.75);
    expect(rs.overSlo).toBeGreaterThan(0);
    expect(rs.failed).toBe(0);
  }, 240_000);
});
