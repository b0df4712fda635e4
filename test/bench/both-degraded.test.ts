import { incidents, BOTH_DEGRADED, bothDegradedId, QUICK_TIMING, type Incident } from '../../bench/incidents/incidents';
import { runIncident } from '../../bench/incidents/run';
import { STRATEGIES, type Strategy } from '../../bench/incidents/strategies';

/**
 * Issue #17's bar on the incidents with both regions degraded (productpage answering 5xx in
 * cn-hangzhou and cn-shanghai at once, in both orders of which is sicker): regionshift fails no
 * more requests than doing nothing (`static-tuned`: failover mode and the lab's outlier rule).
 * Quick timing (3-min fault, 6-min tail), the lab's own CMS rules and the policy's own periods.
 */

const list = incidents(QUICK_TIMING);
const strategy = (id: string) => STRATEGIES.find((s) => s.id === id) as Strategy;

describe('both regions degraded: regionshift fails no more than static-tuned', () => {
  test.each(BOTH_DEGRADED.map(([hz, sh]) => [bothDegradedId(hz, sh)]))(
    '%s',
    async (id) => {
      const incident = list.find((i) => i.id === id) as Incident;
      const envoy = await runIncident(incident, strategy('static-tuned'));
      const rs = await runIncident(incident, strategy('regionshift'));
      expect(rs.errors).toEqual([]);
      // Both regions do fail requests: the incident is not a no-op for either.
      expect(envoy.failed).toBeGreaterThan(0);
      expect({
        incident: id,
        regionshiftFailed: rs.failed,
        staticTunedFailed: envoy.failed,
        regionshiftNoWorse: rs.failed <= envoy.failed,
      }).toEqual({ incident: id, regionshiftFailed: rs.failed, staticTunedFailed: envoy.failed, regionshiftNoWorse: true });
    },
    240_000,
  );
});
