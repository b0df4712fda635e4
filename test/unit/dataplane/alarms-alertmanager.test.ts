import { readFileSync } from 'node:fs';
import { loadPolicyYaml } from '../../../shared/core/policy';
import { parseAlertmanager } from '../../../shared/signals/alertmanager';
import { toSignals } from '../../../shared/signals/detection';
import { AlarmDelivery } from '../../../lab/dataplane/alarm-delivery';
import { AlarmEvaluator } from '../../../lab/dataplane/alarms';
import { alarmRuleSchema, type AlarmRule } from '../../../lab/topology/schema';
import { labPolicyYaml } from '../../../lab/world';
import { failoverPolicy, advanceAndDeliver, labFixture, T0 } from './support/lab-fixture';
import { Receiver } from './support/receiver';

/**
 * An error-ratio rule delivered as `alertmanager`: what an ARMS Prometheus alert rule over the
 * same 5xx ratio sends through Alertmanager's webhook (payload version 4), the second source the
 * three-region world's quorum of 2 needs. The product's own parser and the three-region policy
 * read it.
 */
const noWait = () => Promise.resolve();
/** Prometheus Alertmanager, "Configuration" → `<webhook_config>`: the payload's top-level fields and an alert's. */
const DOCUMENTED_WEBHOOK_FIELDS = [
  'alerts',
  'commonAnnotations',
  'commonLabels',
  'externalURL',
  'groupKey',
  'groupLabels',
  'receiver',
  'status',
  'truncatedAlerts',
  'version',
];
const DOCUMENTED_ALERT_FIELDS = ['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status'];

describe('Alertmanager-delivered alarm rules', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await receiver.close();
  });

  test('trips with one firing webhook and clears with one resolved, same fingerprint and startsAt; the three-region policy reads it as a down signal of its own rule', async () => {
    const lab = labFixture();
    const { topology, config, clock, faults, dataPlane } = lab;
    config.setPolicyEverywhere(topology, { ...failoverPolicy, outlierDetection: null });
    const rule: AlarmRule = alarmRuleSchema.parse({
      id: 'prom-reviews-5xx-hangzhou',
      kind: 'error-ratio',
      delivery: 'alertmanager',
      name: 'Storefront5xxHigh',
      service: 'reviews',
      region: 'cn-hangzhou',
      thresholdPercent: 20,
      periods: 3,
      period: '10s',
    });
    const alarms = new AlarmEvaluator({
      topology,
      rules: [rule],
      metrics: dataPlane.metrics,
      config,
      clock,
      delivery: new AlarmDelivery({ clock, sleep: noWait }),
      // A CMS URL too: an alertmanager rule must not post there.
      targets: {
        cmsCallbackUrl: receiver.url('/alarm/cms?token=t0ken'),
        ackEventsUrl: null,
        alertmanagerUrl: receiver.url('/alarm/alertmanager?token=t0ken'),
      },
    });
    dataPlane.start();
    alarms.start();

    const fault = faults.inject({ kind: 'error-rate', region: 'cn-hangzhou', service: 'reviews', rate: 0.6 });
    await advanceAndDeliver(clock, alarms, 20_000);
    expect(receiver.requests).toEqual([]);
    await advanceAndDeliver(clock, alarms, 10_000);
    expect(receiver.requests).toHaveLength(1);
    const trippedAt = T0 + 30_000;
    expect(receiver.requests[0]).toMatchObject({
      method: 'POST',
      path: '/alarm/alertmanager?token=t0ken',
      contentType: 'application/json',
    });
    const firing = JSON.parse(receiver.requests[0]!.body) as { alerts: Array<Record<string, unknown>> } & Record<string, unknown>;
    expect(Object.keys(firing).sort()).toEqual(DOCUMENTED_WEBHOOK_FIELDS);
    expect(Object.keys(firing.alerts[0]!).sort()).toEqual(DOCUMENTED_ALERT_FIELDS);
    expect(firing).toMatchObject({ version: '4', status: 'firing', truncatedAlerts: 0 });
    expect(firing.alerts[0]).toMatchObject({
      status: 'firing',
      labels: { alertname: 'Storefront5xxHigh', region: 'cn-hangzhou', service: 'reviews', severity: 'critical' },
      startsAt: new Date(trippedAt).toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
    });

    const policy = loadPolicyYaml(labPolicyYaml('examples/topologies/three-region.policy.yaml'));
    const [raw] = parseAlertmanager(firing);
    expect(toSignals(raw!, policy).signals).toMatchObject([
      { source: 'alertmanager', rule: 'prometheus-5xx', region: 'cn-hangzhou', severity: 'down', status: 'firing' },
    ]);

    faults.delete(fault.id);
    await advanceAndDeliver(clock, alarms, 10_000);
    expect(receiver.requests).toHaveLength(2);
    const resolved = JSON.parse(receiver.requests[1]!.body) as { alerts: Array<Record<string, unknown>> } & Record<string, unknown>;
    expect(resolved).toMatchObject({ status: 'resolved' });
    expect(resolved.alerts[0]).toMatchObject({
      status: 'resolved',
      startsAt: new Date(trippedAt).toISOString(),
      endsAt: new Date(trippedAt + 10_000).toISOString(),
      fingerprint: firing.alerts[0]!.fingerprint,
    });
    const [clear] = parseAlertmanager(resolved);
    expect(toSignals(clear!, policy).signals).toMatchObject([{ rule: 'prometheus-5xx', region: 'cn-hangzhou', status: 'resolved' }]);
    await alarms.stop();
    await dataPlane.stop();
  });

  test("the three-region world raises both of its policy's 5xx sources in every region", () => {
    const topology = readFileSync('examples/topologies/three-region.yaml', 'utf8');
    for (const region of ['hangzhou', 'shanghai', 'beijing']) {
      expect(topology).toContain(`id: rs-reviews-5xx-${region}, kind: error-ratio, name: reviews-5xx-ratio`);
      expect(topology).toContain(`id: prom-reviews-5xx-${region}, kind: error-ratio, delivery: alertmanager, name: Storefront5xxHigh`);
    }
  });
});
