import { readFileSync } from 'node:fs';
import { parsePolicy } from '../../../shared/core/policy';
import { parseAckEventBridge } from '../../../shared/signals/ack-eventbridge';
import { availabilitySignals, availabilityTargets } from '../../../shared/core/availability';
import { toSignals } from '../../../shared/signals/detection';

const sample = (name: string) => readFileSync(new URL(`../../../events/alarms/${name}`, import.meta.url), 'utf8');

/** Bookinfo with reviews scoped and its Deployment reviews-v1 (namespace bookinfo) tied to it. */
function policyWith(service: string | undefined) {
  return parsePolicy({
    name: 'bookinfo',
    mesh: { backend: 'asm', meshId: 'm', apiRegion: 'cn-hangzhou' },
    regions: { 'cn-hangzhou': { clusters: [{ id: 'c-hangzhou' }] }, 'cn-shanghai': { clusters: [{ id: 'c-shanghai' }] } },
    scopes: { entry: ['productpage'], services: { productpage: {}, reviews: {} } },
    detection: {
      rules: [
        { name: 'pods-unready', match: { source: 'ack', alertName: 'Unhealthy' }, region: { fromCluster: true }, severity: 'degraded' },
      ],
      deploymentAvailability: {},
    },
    scaling: {
      deployments: [
        {
          name: 'reviews-v1',
          namespace: 'bookinfo',
          ...(service ? { service } : {}),
          regions: { 'cn-hangzhou': { normalReplicas: 2, max: 4 }, 'cn-shanghai': { normalReplicas: 2, max: 4 } },
        },
      ],
    },
  });
}

describe('detection maps an alarm to (region, service)', () => {
  const unhealthy = parseAckEventBridge(JSON.parse(sample('ack-pod-unhealthy.json')))[0];

  test('an ACK event on a pod of reviews-v1 → the service of that Deployment in scaling.deployments', () => {
    if (!unhealthy) throw new Error('sample parsed to nothing');
    const [s] = toSignals(unhealthy, policyWith('reviews')).signals;
    expect(s).toMatchObject({ region: 'cn-hangzhou', service: 'reviews', severity: 'degraded' });
  });

  test('without a service on the Deployment the signal stays region-level', () => {
    if (!unhealthy) throw new Error('sample parsed to nothing');
    const [s] = toSignals(unhealthy, policyWith(undefined)).signals;
    expect(s).toBeDefined();
    expect(s).not.toHaveProperty('service');
  });

  test("deployment availability signals name the Deployment's service", () => {
    const p = policyWith('reviews');
    const target = availabilityTargets(p).find((t) => t.region === 'cn-hangzhou');
    if (!target) throw new Error('no target');
    const out = availabilitySignals(p, null, [{ target, available: 0 }], 1_000_000);
    expect(out.signals[0]).toMatchObject({ region: 'cn-hangzhou', service: 'reviews', severity: 'down' });
  });
});
