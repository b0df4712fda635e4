import { readFileSync } from 'node:fs';
import { parseAckEventBridge } from '../../../shared/signals/ack-eventbridge';
import { parseAlertmanager } from '../../../shared/signals/alertmanager';
import { parseCmsEventBridge } from '../../../shared/signals/cms-eventbridge';
import { CMS_CALLBACK_FIELDS } from '../../../shared/signals/cms-fields';
import { parseCmsCallback } from '../../../shared/signals/cms-webhook';
import type { RawAlarm } from '../../../shared/signals/raw-alarm';

/** The shipped samples are the contract with real senders: each must parse to exactly this. */

const sample = (name: string) => readFileSync(new URL(`../../../events/alarms/${name}`, import.meta.url), 'utf8');

const HZ_RULE = 'putNewAlarm_user_7e5c0f4a-9b1d-4a8e-b3c2-1d6f0a9e8b74';
const HZ_SLB_DIMS = { userId: '1234567890123456', instanceId: 'lb-bp1o94dp5i6earr9g6d1i', port: '443', vip: '47.96.12.34' };
const HZ_SLB_INSTANCE = `${HZ_RULE}|instanceId=lb-bp1o94dp5i6earr9g6d1i,port=443,userId=1234567890123456,vip=47.96.12.34`;
const HZ_LABELS = {
  metricProject: 'acs_slb_dashboard',
  ruleId: HZ_RULE,
  instanceName: 'reviews-hangzhou-ingress',
};

const hzAlert: RawAlarm = {
  source: 'cms',
  name: 'reviews-5xx-ratio',
  state: 'firing',
  level: 'CRITICAL',
  metric: 'StatusCode5xx',
  dimensions: HZ_SLB_DIMS,
  labels: HZ_LABELS,
  instance: HZ_SLB_INSTANCE,
  at: Date.parse('2026-11-03T02:15:30Z'),
  message: '$Average>=5; current value 12.4',
  curValue: '12.4',
};

const hzOk: RawAlarm = {
  ...hzAlert,
  state: 'resolved',
  at: Date.parse('2026-11-03T02:31:30Z'),
  message: '$Average>=5; current value 0.2',
  curValue: '0.2',
};

describe('CMS callback samples', () => {
  test('form-urlencoded ALERT with Java-map dimensions and a millisecond timestamp', () => {
    expect(parseCmsCallback(sample('cms-callback-alert.txt'), 'application/x-www-form-urlencoded')).toStrictEqual(hzAlert);
  });

  test('the OK of the same alarm: resolved, same instance, level taken from preTriggerLevel', () => {
    expect(parseCmsCallback(sample('cms-callback-ok.txt'), 'application/x-www-form-urlencoded; charset=UTF-8')).toStrictEqual(hzOk);
  });

  test('seconds timestamp and JSON dimensions (an ECS alarm: userId and instanceId, no region)', () => {
    expect(parseCmsCallback(sample('cms-callback-seconds-json-dims.txt'))).toStrictEqual({
      source: 'cms',
      name: 'ecs-cpu-shanghai',
      state: 'firing',
      level: 'WARN',
      metric: 'CPUUtilization',
      dimensions: { userId: '1234567890123456', instanceId: 'i-uf6f5r8k2n3p4q5r6s7t' },
      labels: {
        metricProject: 'acs_ecs_dashboard',
        ruleId: 'putNewAlarm_user_3b8e6a21-5c4d-4f7e-a1b9-0e2d7c6f5a18',
        instanceName: 'reviews-shanghai-node-2',
      },
      instance: 'putNewAlarm_user_3b8e6a21-5c4d-4f7e-a1b9-0e2d7c6f5a18|instanceId=i-uf6f5r8k2n3p4q5r6s7t,userId=1234567890123456',
      at: Date.parse('2026-11-03T03:05:00Z'),
      message: '$Average>=90; current value 93.7',
      curValue: '93.7',
    } satisfies RawAlarm);
  });
});

describe('CMS EventBridge samples', () => {
  test('one CloudEvent with JSON-typed fields parses like the callback of the same alarm; aliyunregionid places nothing', () => {
    expect(parseCmsEventBridge(JSON.parse(sample('cms-eventbridge-alarm.json')))).toStrictEqual([{ ...hzAlert, via: 'eventbridge' }]);
  });

  test('a batch of two: a string-typed WARN alarm in cn-shanghai and a JSON-typed OK in cn-hangzhou', () => {
    expect(parseCmsEventBridge(JSON.parse(sample('cms-eventbridge-batch.json')))).toStrictEqual([
      {
        source: 'cms',
        name: 'reviews-5xx-ratio',
        state: 'firing',
        level: 'WARN',
        metric: 'StatusCode5xx',
        dimensions: { userId: '1234567890123456', instanceId: 'lb-uf6k2p8m3n4q5r6s7t8u9', port: '443' },
        labels: {
          metricProject: 'acs_slb_dashboard',
          ruleId: 'putNewAlarm_user_c4a19e7b-2d3f-4e5a-9b8c-6f1e0d2a7b93',
          instanceName: 'reviews-shanghai-ingress',
        },
        instance:
          'putNewAlarm_user_c4a19e7b-2d3f-4e5a-9b8c-6f1e0d2a7b93|instanceId=lb-uf6k2p8m3n4q5r6s7t8u9,port=443,userId=1234567890123456',
        at: Date.parse('2026-11-03T02:16:02Z'),
        message: '$Average>=5; current value 6.1',
        curValue: '6.1',
        via: 'eventbridge',
      },
      { ...hzOk, via: 'eventbridge' },
    ] satisfies RawAlarm[]);
  });
});

describe('CMS samples carry only the documented callback fields', () => {
  // CloudMonitor "Use the alert callback feature" (en and zh): the whole list. No region among them.
  const documented = new Set([
    'alertName',
    'alertState',
    'curValue',
    'dimensions',
    'expression',
    'instanceName',
    'metricName',
    'metricProject',
    'namespace',
    'preTriggerLevel',
    'ruleId',
    'signature',
    'timestamp',
    'triggerLevel',
    'userId',
  ]);
  const undocumented = (names: string[]) => names.filter((n) => !documented.has(n));

  test.each(['cms-callback-alert.txt', 'cms-callback-ok.txt', 'cms-callback-seconds-json-dims.txt'])('%s', (name) => {
    const names = [...new URLSearchParams(sample(name).trim()).keys()];
    expect(names.length).toBeGreaterThan(5);
    expect(undocumented(names)).toStrictEqual([]);
  });

  test.each(['cms-eventbridge-alarm.json', 'cms-eventbridge-batch.json'])('%s (the data of each event)', (name) => {
    const parsed = JSON.parse(sample(name)) as unknown;
    const events = (Array.isArray(parsed) ? parsed : [parsed]) as Array<{ type: string; data: Record<string, unknown> }>;
    for (const e of events) {
      expect(e.type).toBe('cms:CloudMonitor:AlertWebHook');
      expect(undocumented(Object.keys(e.data))).toStrictEqual([]);
    }
  });

  test('the shared list the parser and the lab use is exactly the documented one', () => {
    expect([...CMS_CALLBACK_FIELDS].sort()).toStrictEqual([...documented].sort());
  });
});

describe('ACK EventBridge samples', () => {
  const node = 'cn-hangzhou.10.0.1.12';
  test('NodeNotReady (recorded by the node controller as Normal) fires as a warning', () => {
    expect(parseAckEventBridge(JSON.parse(sample('ack-node-notready.json')))).toStrictEqual([
      {
        source: 'ack',
        name: 'NodeNotReady',
        state: 'firing',
        level: 'Warning',
        dimensions: {},
        labels: { kind: 'Node', name: node, node, reason: 'NodeNotReady' },
        regionId: 'cn-hangzhou',
        clusterId: 'c-hangzhou',
        instance: `c-hangzhou/Node/${node}/Ready`,
        at: Date.parse('2026-11-03T02:20:14Z'),
        occurrences: { count: 1, first: Date.parse('2026-11-03T02:20:14Z'), last: Date.parse('2026-11-03T02:20:14Z') },
        message: `Node ${node} status is now: NodeNotReady`,
      },
    ] satisfies RawAlarm[]);
  });

  test('NodeReady resolves NodeNotReady under the same name and instance', () => {
    expect(parseAckEventBridge(JSON.parse(sample('ack-node-ready.json')))).toStrictEqual([
      {
        source: 'ack',
        name: 'NodeNotReady',
        state: 'resolved',
        level: 'Normal',
        dimensions: {},
        labels: { kind: 'Node', name: node, node, reason: 'NodeReady' },
        regionId: 'cn-hangzhou',
        clusterId: 'c-hangzhou',
        instance: `c-hangzhou/Node/${node}/Ready`,
        at: Date.parse('2026-11-03T02:41:52Z'),
        occurrences: { count: 1, first: Date.parse('2026-11-03T02:41:52Z'), last: Date.parse('2026-11-03T02:41:52Z') },
        message: `Node ${node} status is now: NodeReady`,
      },
    ] satisfies RawAlarm[]);
  });

  test('a ReplicaSet that cannot create pods (quota), placed on its Deployment', () => {
    expect(parseAckEventBridge(JSON.parse(sample('ack-replicaset-failedcreate.json')))).toStrictEqual([
      {
        source: 'ack',
        name: 'FailedCreate',
        state: 'firing',
        level: 'Warning',
        dimensions: {},
        labels: {
          namespace: 'bookinfo',
          kind: 'ReplicaSet',
          name: 'reviews-v1-6c9b7d8f54',
          deployment: 'reviews-v1',
          reason: 'FailedCreate',
        },
        regionId: 'cn-shanghai',
        clusterId: 'c-shanghai',
        instance: 'c-shanghai/Deployment/bookinfo/reviews-v1/FailedCreate',
        at: Date.parse('2026-11-03T02:22:47Z'),
        occurrences: { count: 6, first: Date.parse('2026-11-03T02:21:05Z'), last: Date.parse('2026-11-03T02:22:47Z') },
        message:
          'Error creating: pods "reviews-v1-6c9b7d8f54-7xk2p" is forbidden: exceeded quota: bookinfo-quota, requested: cpu=500m, used: cpu=4, limited: cpu=4',
      },
    ] satisfies RawAlarm[]);
  });

  test('a failing readiness probe, counted per deployment', () => {
    expect(parseAckEventBridge(JSON.parse(sample('ack-pod-unhealthy.json')))).toMatchObject([
      {
        name: 'Unhealthy',
        state: 'firing',
        labels: {
          namespace: 'bookinfo',
          kind: 'Pod',
          name: 'reviews-v1-5b7d9c6f48-q8w2n',
          deployment: 'reviews-v1',
          node: 'cn-hangzhou.10.0.1.14',
          reason: 'Unhealthy',
        },
        instance: 'c-hangzhou/Deployment/bookinfo/reviews-v1/Unhealthy',
        occurrences: { count: 7, first: Date.parse('2026-11-03T02:20:30Z'), last: Date.parse('2026-11-03T02:21:30Z') },
      },
    ]);
  });

  test('a crash-looping Pod, with the node it runs on', () => {
    expect(parseAckEventBridge(JSON.parse(sample('ack-pod-backoff.json')))).toStrictEqual([
      {
        source: 'ack',
        name: 'BackOff',
        state: 'firing',
        level: 'Warning',
        dimensions: {},
        labels: {
          namespace: 'bookinfo',
          kind: 'Pod',
          name: 'reviews-v2-7d9c8b6f5-x2k4q',
          deployment: 'reviews-v2',
          node: 'cn-hangzhou.10.0.1.13',
          reason: 'BackOff',
        },
        regionId: 'cn-hangzhou',
        clusterId: 'c-hangzhou',
        instance: 'c-hangzhou/Deployment/bookinfo/reviews-v2/BackOff',
        at: Date.parse('2026-11-03T02:24:09Z'),
        occurrences: { count: 14, first: Date.parse('2026-11-03T02:18:40Z'), last: Date.parse('2026-11-03T02:24:09Z') },
        message:
          'Back-off restarting failed container reviews in pod reviews-v2-7d9c8b6f5-x2k4q_bookinfo(9a1c3e5f-7b9d-4f2a-8c4e-6a8c0e2b4d13)',
      },
    ] satisfies RawAlarm[]);
  });
});

describe('Alertmanager samples', () => {
  const errorRateLabels = {
    alertname: 'ReviewsHighErrorRate',
    cluster_id: 'c-shanghai',
    namespace: 'bookinfo',
    region: 'cn-shanghai',
    service: 'reviews',
    severity: 'critical',
  };
  const errorRate: RawAlarm = {
    source: 'alertmanager',
    name: 'ReviewsHighErrorRate',
    state: 'firing',
    level: 'critical',
    dimensions: {},
    labels: errorRateLabels,
    regionId: 'cn-shanghai',
    clusterId: 'c-shanghai',
    instance: '8f2c1a7e9b3d5064',
    at: Date.parse('2026-11-03T02:15:30.112Z'),
    message: 'reviews 5xx ratio is 14.2% in cn-shanghai',
    annotations: {
      summary: 'reviews 5xx ratio is 14.2% in cn-shanghai',
      description: 'More than 5% of requests to reviews.bookinfo in cn-shanghai failed with 5xx over the last 2 minutes.',
    },
  };

  test('a firing group of two alerts; the description stands in for a missing summary', () => {
    expect(parseAlertmanager(JSON.parse(sample('alertmanager-firing.json')))).toStrictEqual([
      errorRate,
      {
        source: 'alertmanager',
        name: 'ReviewsHighLatency',
        state: 'firing',
        level: 'warning',
        dimensions: {},
        labels: { ...errorRateLabels, alertname: 'ReviewsHighLatency', severity: 'warning' },
        regionId: 'cn-shanghai',
        clusterId: 'c-shanghai',
        instance: '1b9e4d2a7c6f3085',
        at: Date.parse('2026-11-03T02:16:00Z'),
        message: 'p99 latency of reviews.bookinfo in cn-shanghai is above 1s.',
        annotations: { description: 'p99 latency of reviews.bookinfo in cn-shanghai is above 1s.' },
      },
    ] satisfies RawAlarm[]);
  });

  test('the resolve carries the same fingerprint and is dated by endsAt', () => {
    expect(parseAlertmanager(sample('alertmanager-resolved.json'))).toStrictEqual([
      { ...errorRate, state: 'resolved', at: Date.parse('2026-11-03T02:33:30.112Z') },
    ]);
  });
});
