import { readFileSync } from 'node:fs';
import { CMS_CALLBACK_FIELDS } from '../../../shared/signals/cms-fields';
import { loadPolicyYaml } from '../../../shared/core/policy';
import { parseAckEventBridge } from '../../../shared/signals/ack-eventbridge';
import { toSignals } from '../../../shared/signals/detection';
import type { RawAlarm } from '../../../shared/signals/raw-alarm';
import { AlarmDelivery } from '../../../lab/dataplane/alarm-delivery';
import { AlarmEvaluator } from '../../../lab/dataplane/alarms';
import type { AlarmRule } from '../../../lab/topology/schema';
import { failoverPolicy, advanceAndDeliver, labFixture, T0, type LabFixture } from './support/lab-fixture';
import { Receiver } from './support/receiver';

const noWait = () => Promise.resolve();
/** CloudMonitor "Use the alert callback feature": every documented callback field, the list the product's parser cites. */
const DOCUMENTED_CMS_FIELDS = [...CMS_CALLBACK_FIELDS];

/** The default topology's rule on a 10-s period (its own is CMS's documented 60 s): these tests step in 10-s periods. */
function reviewsRule(lab: LabFixture): AlarmRule {
  const rule = lab.topology.alarms.find((a) => a.id === 'rs-reviews-5xx-hangzhou');
  if (!rule) throw new Error('the default topology lost its reviews alarm');
  return { ...rule, period: 10_000 };
}

describe('alarm rules', () => {
  let receiver: Receiver;
  beforeEach(async () => {
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await receiver.close();
  });

  test("a 5xx-ratio rule posts one CMS callback when it trips and one OK when it clears, with CMS's form fields", async () => {
    const lab = labFixture();
    const { topology, config, clock, faults, dataPlane } = lab;
    // No outlier detection: the faulty endpoints keep their share, so the ratio stays up while the fault lasts.
    config.setPolicyEverywhere(topology, { ...failoverPolicy, outlierDetection: null });
    const delivery = new AlarmDelivery({ clock, sleep: noWait });
    const alarms = new AlarmEvaluator({
      topology,
      rules: [reviewsRule(lab)],
      metrics: dataPlane.metrics,
      config,
      clock,
      delivery,
      targets: { cmsCallbackUrl: receiver.url('/alarm?token=t0ken'), ackEventsUrl: null },
    });
    dataPlane.start();
    alarms.start();

    await advanceAndDeliver(clock, alarms, 30_000);
    expect(receiver.requests).toEqual([]);

    const fault = faults.inject({ kind: 'error-rate', region: 'cn-hangzhou', service: 'reviews', rate: 0.6 });
    await advanceAndDeliver(clock, alarms, 20_000);
    expect(receiver.requests).toEqual([]); // two breaching periods of three
    await advanceAndDeliver(clock, alarms, 10_000);
    expect(receiver.requests).toHaveLength(1);

    const trippedAt = T0 + 60_000;
    const value = dataPlane.metrics.stats(
      { kind: 'destination', region: 'cn-hangzhou', service: 'reviews' },
      trippedAt - 10_000,
      trippedAt,
    ).errorPercent;
    expect(value).toBeGreaterThan(20);
    const alert = receiver.forms()[0];
    // One URL per region, as CMS alarm rules are wired: the callback body names no region.
    expect(receiver.requests[0]).toMatchObject({
      method: 'POST',
      path: '/alarm?token=t0ken&region=cn-hangzhou',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(alert).toEqual({
      alertName: 'reviews-5xx-cn-hangzhou',
      alertState: 'ALERT',
      curValue: String(value),
      dimensions: `{userId=${topology.account}, service=reviews}`,
      expression: '$Average>20',
      instanceName: 'reviews (cn-hangzhou)',
      metricName: 'ServiceRequest5xxRate',
      metricProject: 'acs_service_mesh',
      namespace: 'acs_service_mesh',
      preTriggerLevel: 'OK',
      triggerLevel: 'CRITICAL',
      ruleId: 'rs-reviews-5xx-hangzhou',
      timestamp: String(trippedAt),
      userId: topology.account,
      signature: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    // Exactly the fields CloudMonitor documents for the callback ("Use the alert callback feature"), in that order, no more, no fewer.
    expect(receiver.requests.map((r) => [...new URLSearchParams(r.body).keys()])).toEqual([DOCUMENTED_CMS_FIELDS]);

    // Still breaching: no repeat.
    await advanceAndDeliver(clock, alarms, 20_000);
    expect(receiver.requests).toHaveLength(1);

    faults.delete(fault.id);
    await advanceAndDeliver(clock, alarms, 10_000);
    expect(receiver.requests).toHaveLength(2);
    const clearedAt = T0 + 90_000;
    // The period that clears still holds the tick sent just before the fault was deleted.
    const clearedValue = dataPlane.metrics.stats(
      { kind: 'destination', region: 'cn-hangzhou', service: 'reviews' },
      clearedAt - 10_000,
      clearedAt,
    ).errorPercent;
    expect(clearedValue).toBeLessThanOrEqual(20);
    const ok = receiver.forms()[1];
    expect(ok).toMatchObject({
      alertState: 'OK',
      curValue: String(clearedValue),
      ruleId: 'rs-reviews-5xx-hangzhou',
      timestamp: String(T0 + 90_000),
      triggerLevel: 'CRITICAL',
      preTriggerLevel: 'CRITICAL',
    });

    await advanceAndDeliver(clock, alarms, 30_000);
    expect(receiver.requests).toHaveLength(2);
    expect(alarms.statuses()).toEqual([
      {
        ruleId: 'rs-reviews-5xx-hangzhou',
        name: 'reviews-5xx-cn-hangzhou',
        kind: 'error-ratio',
        state: 'OK',
        breaches: 0,
        lastValue: 0,
        lastEvaluatedAt: T0 + 120_000,
        nextEvaluationAt: T0 + 130_000,
        since: T0 + 90_000,
      },
    ]);
    expect(delivery.records().map((r) => [r.state, r.delivered, r.attempts])).toEqual([
      ['ALERT', true, 1],
      ['OK', true, 1],
    ]);
    await Promise.all([dataPlane.stop(), alarms.stop()]);
  });

  test('ready replicas of a deployment at 0 posts what the kubelet reports (Unhealthy on a pod), and nothing when pods are back', async () => {
    const lab = labFixture();
    const { topology, config, clock, dataPlane } = lab;
    const rule = topology.alarms.find((a) => a.id === 'rs-reviews-v1-unavailable') as AlarmRule;
    const delivery = new AlarmDelivery({ clock, sleep: noWait });
    const alarms = new AlarmEvaluator({
      topology,
      rules: [rule],
      metrics: dataPlane.metrics,
      config,
      clock,
      delivery,
      targets: { cmsCallbackUrl: null, ackEventsUrl: (region) => receiver.url(`/_buses/${region}/events`) },
    });
    alarms.start();

    config.setReplicas('c-hangzhou', 'reviews-v1', 2, 0);
    await advanceAndDeliver(clock, alarms, 5_000);
    config.setReplicas('c-hangzhou', 'reviews-v1', 2, 2);
    await advanceAndDeliver(clock, alarms, 5_000);
    // Scaled to zero: no pod exists to fail a probe, so the cluster reports no Warning.
    config.setReplicas('c-hangzhou', 'reviews-v1', 0, 0);
    await advanceAndDeliver(clock, alarms, 5_000);

    expect(alarms.statuses().map((st) => st.state)).toEqual(['ALERT']);
    // Published on the bus of the cluster's own region (kube-eventer's sink), not sent to a function.
    expect(receiver.requests.map((r) => [r.path, r.contentType])).toEqual([['/_buses/cn-hangzhou/events', 'application/json']]);
    const event = JSON.parse(receiver.requests[0]?.body ?? '{}') as { subject: string; data: { involvedObject: { name: string } } };
    const pod = event.data.involvedObject.name;
    expect(pod).toMatch(/^reviews-v1-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(event).toEqual({
      specversion: '1.0',
      id: expect.any(String),
      source: 'acs.cs',
      type: 'cs:k8s:PodRelatedEvent',
      subject: `acs:cs:cn-hangzhou:${topology.account}:c-hangzhou/apis/v1/namespaces/default/pods/${pod}`,
      time: '2026-01-01T00:00:05Z',
      datacontenttype: 'application/json',
      aliyunaccountid: topology.account,
      aliyunpublishtime: '2026-01-01T00:00:05.000Z',
      aliyuneventbusname: 'default',
      aliyunregionid: 'cn-hangzhou',
      aliyunpublishaddr: '127.0.0.1',
      data: {
        metadata: {
          name: expect.stringMatching(new RegExp(`^${pod}\\.[0-9a-f]{16}$`)),
          namespace: 'default',
          uid: expect.any(String),
          resourceVersion: String(T0 + 5_000),
          creationTimestamp: '2025-12-31T23:59:45Z',
        },
        involvedObject: {
          kind: 'Pod',
          namespace: 'default',
          name: pod,
          uid: expect.any(String),
          apiVersion: 'v1',
          fieldPath: 'spec.containers{reviews}',
        },
        reason: 'Unhealthy',
        message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
        source: { component: 'kubelet', host: expect.stringMatching(/^cn-hangzhou\./) },
        // failureThreshold 3 failed probes made the pod unready; the 5 s period adds none yet.
        firstTimestamp: '2025-12-31T23:59:45Z',
        lastTimestamp: '2026-01-01T00:00:05Z',
        count: 3,
        type: 'Warning',
        eventTime: null,
        reportingComponent: 'kubelet',
        reportingInstance: expect.stringMatching(/^cn-hangzhou\./),
      },
    });
    // The product's parser and the example policy's window (3 within 1m) take it as it comes.
    const policy = loadPolicyYaml(readFileSync('examples/bookinfo.yaml', 'utf8'));
    const [raw] = parseAckEventBridge(event);
    expect(toSignals(raw as RawAlarm, policy).signals).toMatchObject([
      { rule: 'ack-pods-unready', region: 'cn-hangzhou', severity: 'down', status: 'firing' },
    ]);
    await alarms.stop();
  });

  test('a failed delivery is retried, recorded, and never stops the evaluator', async () => {
    const lab = labFixture();
    const { topology, config, clock, dataPlane } = lab;
    const rule = topology.alarms.find((a) => a.id === 'rs-reviews-v1-unavailable') as AlarmRule;
    const cmsRule: AlarmRule = { ...rule, delivery: 'cms' } as AlarmRule;
    const deadUrl = receiver.url('/gone');
    await receiver.close(); // nothing listens on that port now
    receiver = await Receiver.start();
    receiver.answerNext(503, 500);
    const delivery = new AlarmDelivery({ clock, sleep: noWait, retries: 3 });
    const alarms = new AlarmEvaluator({
      topology,
      rules: [cmsRule],
      metrics: dataPlane.metrics,
      config,
      clock,
      delivery,
      targets: { cmsCallbackUrl: deadUrl, ackEventsUrl: null },
    });

    config.setReplicas('c-hangzhou', 'reviews-v1', 2, 0);
    await clock.advance(5_000);
    alarms.evaluate();
    await alarms.idle();
    alarms.setTargets({ cmsCallbackUrl: receiver.url('/alarm'), ackEventsUrl: null });
    config.setReplicas('c-hangzhou', 'reviews-v1', 2, 2);
    await clock.advance(5_000);
    alarms.evaluate();
    await alarms.idle();

    expect(delivery.records()).toEqual([
      {
        ruleId: 'rs-reviews-v1-unavailable',
        kind: 'cms-callback',
        state: 'ALERT',
        url: `${deadUrl}?region=cn-hangzhou`,
        at: T0 + 5_000,
        attempts: 4,
        delivered: false,
        status: null,
        error: expect.stringContaining('ECONNREFUSED'),
      },
      {
        ruleId: 'rs-reviews-v1-unavailable',
        kind: 'cms-callback',
        state: 'OK',
        url: receiver.url('/alarm?region=cn-hangzhou'),
        at: T0 + 10_000,
        attempts: 3,
        delivered: true,
        status: 200,
        error: null,
      },
    ]);
    expect(receiver.forms().map((f) => [f.alertState, f.curValue, f.dimensions])).toEqual([
      ['OK', '2', `{userId=${topology.account}, clusterId=c-hangzhou, namespace=default, deployment=reviews-v1}`],
      ['OK', '2', `{userId=${topology.account}, clusterId=c-hangzhou, namespace=default, deployment=reviews-v1}`],
      ['OK', '2', `{userId=${topology.account}, clusterId=c-hangzhou, namespace=default, deployment=reviews-v1}`],
    ]);
    expect(alarms.statuses()[0]?.state).toBe('OK');
  });

  test('a period with too little traffic neither trips nor clears the rule', async () => {
    const lab = labFixture();
    const { topology, config, clock, faults, dataPlane } = lab;
    config.setPolicyEverywhere(topology, { ...failoverPolicy, outlierDetection: null });
    const rule = { ...reviewsRule(lab), periods: 1, minRequests: 50 } as AlarmRule;
    const delivery = new AlarmDelivery({ clock, sleep: noWait });
    const alarms = new AlarmEvaluator({
      topology,
      rules: [rule],
      metrics: dataPlane.metrics,
      config,
      clock,
      delivery,
      targets: { cmsCallbackUrl: receiver.url('/a'), ackEventsUrl: null },
    });
    faults.inject({ kind: 'error-rate', region: 'cn-hangzhou', service: 'reviews', rate: 1 });

    dataPlane.send('gw-hangzhou', 20); // ~10 reach hangzhou reviews: below minRequests
    await clock.advance(10_000);
    alarms.evaluate();
    expect(alarms.statuses()[0]).toMatchObject({ state: 'OK', breaches: 0, lastValue: null });
    dataPlane.send('gw-hangzhou', 400);
    await clock.advance(10_000);
    alarms.evaluate();
    expect(alarms.statuses()[0]).toMatchObject({ state: 'ALERT', breaches: 1, lastValue: 100 });
    await clock.advance(10_000);
    alarms.evaluate(); // no traffic at all: stays ALERT
    await alarms.idle();
    expect(alarms.statuses()[0]).toMatchObject({ state: 'ALERT', breaches: 1 });
    expect(receiver.forms().map((f) => f.alertState)).toEqual(['ALERT']);
  });

  test('a rule still firing notifies again once per mute period (CMS SilenceTime), and not before', async () => {
    const lab = labFixture();
    const { topology, config, clock, faults, dataPlane } = lab;
    config.setPolicyEverywhere(topology, { ...failoverPolicy, outlierDetection: null });
    const delivery = new AlarmDelivery({ clock, sleep: noWait });
    const alarms = new AlarmEvaluator({
      topology,
      rules: [reviewsRule(lab)],
      metrics: dataPlane.metrics,
      config,
      clock,
      delivery,
      silenceMs: 60_000,
      targets: { cmsCallbackUrl: receiver.url('/a'), ackEventsUrl: null },
    });
    dataPlane.start();
    alarms.start();
    faults.inject({ kind: 'error-rate', region: 'cn-hangzhou', service: 'reviews', rate: 0.6 });
    await advanceAndDeliver(clock, alarms, 30_000); // three breaching periods: the ALERT
    expect(receiver.forms().map((f) => f.alertState)).toEqual(['ALERT']);
    const first = Number(receiver.forms()[0]?.timestamp);
    await advanceAndDeliver(clock, alarms, 50_000); // 50 s into the 60-s mute period: nothing more
    expect(receiver.forms()).toHaveLength(1);
    await advanceAndDeliver(clock, alarms, 10_000);
    expect(receiver.forms().map((f) => [f.alertState, Number(f.timestamp) - first])).toEqual([
      ['ALERT', 0],
      ['ALERT', 60_000],
    ]);
    // The repeat is the same alarm, stamped when it was sent; the rule's state has not changed.
    expect(receiver.forms()[1]?.ruleId).toBe('rs-reviews-5xx-hangzhou');
    expect(alarms.statuses()[0]?.since).toBe(first);
  });

  test("by default a rule still firing is not repeated within a day (CMS's default SilenceTime, 86,400 s)", async () => {
    const lab = labFixture();
    const { topology, config, clock, faults, dataPlane } = lab;
    config.setPolicyEverywhere(topology, { ...failoverPolicy, outlierDetection: null });
    const delivery = new AlarmDelivery({ clock, sleep: noWait });
    const alarms = new AlarmEvaluator({
      topology,
      rules: [reviewsRule(lab)],
      metrics: dataPlane.metrics,
      config,
      clock,
      delivery,
      targets: { cmsCallbackUrl: receiver.url('/a'), ackEventsUrl: null },
    });
    dataPlane.start();
    alarms.start();
    faults.inject({ kind: 'error-rate', region: 'cn-hangzhou', service: 'reviews', rate: 0.6 });
    await advanceAndDeliver(clock, alarms, 30_000);
    await advanceAndDeliver(clock, alarms, 3_600_000);
    expect(receiver.forms().map((f) => f.alertState)).toEqual(['ALERT']);
  });
});
