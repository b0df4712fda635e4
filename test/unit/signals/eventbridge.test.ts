import { readFileSync } from 'node:fs';
import { parseAckDelivery, parseAckEventBridge } from '../../../shared/signals/ack-eventbridge';
import { unwrapCloudEvents } from '../../../shared/signals/cloudevent';
import { parseCmsEventBridge } from '../../../shared/signals/cms-eventbridge';
import type { RawAlarm } from '../../../shared/signals/raw-alarm';
import { problemsOf } from './problems';

const sampleJson = (name: string) => JSON.parse(readFileSync(new URL(`../../../events/alarms/${name}`, import.meta.url), 'utf8'));

const AT = Date.parse('2026-11-03T02:15:30Z');
const cmsData = {
  alertName: 'a',
  alertState: 'ALERT',
  dimensions: { instanceId: 'i-1' },
  ruleId: 'r',
  timestamp: AT,
  triggerLevel: 'WARN',
};
const cmsAlarm: RawAlarm = {
  source: 'cms',
  name: 'a',
  state: 'firing',
  level: 'WARN',
  dimensions: { instanceId: 'i-1' },
  labels: { ruleId: 'r' },
  instance: 'r|instanceId=i-1',
  at: AT,
};

describe('unwrapCloudEvents', () => {
  test('one envelope, a batch, and RawData are told apart', () => {
    expect(unwrapCloudEvents({ specversion: '1.0', source: 's', data: { x: 1 } })).toStrictEqual([
      { envelope: { specversion: '1.0', source: 's' }, data: { x: 1 }, eventPath: [], dataPath: ['data'] },
    ]);
    expect(unwrapCloudEvents([{ specversion: '1.0', data: { x: 1 } }, { x: 2 }])).toStrictEqual([
      { envelope: { specversion: '1.0' }, data: { x: 1 }, eventPath: [0], dataPath: [0, 'data'] },
      { envelope: null, data: { x: 2 }, eventPath: [1], dataPath: [1] },
    ]);
  });

  test('text, bytes and JSON-text data are decoded', () => {
    const text = JSON.stringify({ specversion: '1.0', data: JSON.stringify({ x: 1 }) });
    const want = [{ envelope: { specversion: '1.0' }, data: { x: 1 }, eventPath: [], dataPath: ['data'] }];
    expect(unwrapCloudEvents(text)).toStrictEqual(want);
    expect(unwrapCloudEvents(Buffer.from(text))).toStrictEqual(want);
  });

  test.each([
    ['an empty batch', [], ['(event): an empty batch holds no event']],
    ['an empty text', '', ['(event): empty']],
    ['a number in a batch', [{ x: 1 }, 7], ['[1]: must be a CloudEvent or an event payload object']],
    ['a bare string value', '"hello"', ['(event): must be a CloudEvent or an event payload object']],
    ['an envelope without data', { specversion: '1.0', id: 'e1' }, ['data: required']],
    ['a specversion of the wrong type', { specversion: 1, data: {} }, ['specversion: must be a string']],
    ['a subject of the wrong type in a batch', [{ specversion: '1.0', subject: 5, data: {} }], ['[0].subject: must be a string']],
  ])('rejects %s', (_what, input, problems) => {
    expect(problemsOf(() => unwrapCloudEvents(input))).toStrictEqual(problems);
  });

  test('text that is not JSON, in the event or in its data', () => {
    expect(problemsOf(() => unwrapCloudEvents('not json'))[0]).toMatch(/^\(event\): not valid JSON \(/);
    expect(problemsOf(() => unwrapCloudEvents({ specversion: '1.0', data: '{oops' }))[0]).toMatch(/^data: not valid JSON \(/);
  });
});

describe('parseCmsEventBridge', () => {
  test.each([
    ['RawData: only the payload', cmsData, [cmsAlarm]],
    ['RawData batch', [cmsData, { ...cmsData, alertState: 'OK' }], [cmsAlarm, { ...cmsAlarm, state: 'resolved' }]],
    ['any source and type are accepted', { specversion: '1.0', source: 'acs.cloudmonitor', type: 'whatever', data: cmsData }, [cmsAlarm]],
    [
      'the envelope time stands in for a missing timestamp',
      { specversion: '1.0', time: '2026-11-03T02:20:00Z', data: { ...cmsData, timestamp: undefined } },
      [{ ...cmsAlarm, at: Date.parse('2026-11-03T02:20:00Z') }],
    ],
    ['the payload timestamp wins over the envelope time', { specversion: '1.0', time: '2026-11-03T02:20:00Z', data: cmsData }, [cmsAlarm]],
  ])('%s', (_what, event, alarms) => {
    // Each marked as come through EventBridge: detection caps its severity (detection.cmsEventBridge).
    expect(parseCmsEventBridge(event)).toStrictEqual(alarms.map((a) => ({ ...a, via: 'eventbridge' })));
  });

  test.each([
    [
      'a bad second event of a batch',
      [
        { specversion: '1.0', data: cmsData },
        { specversion: '1.0', data: { ...cmsData, alertState: 'FIRE' } },
      ],
      ['[1].data.alertState: must be ALERT, OK or INSUFFICIENT_DATA (got "FIRE")'],
    ],
    ['no timestamp anywhere', { specversion: '1.0', data: { ...cmsData, timestamp: undefined } }, ['data.timestamp: required']],
    [
      'a timestamp in microseconds',
      { ...cmsData, timestamp: AT * 1000 },
      [`timestamp: must be epoch seconds or milliseconds (got ${AT * 1000})`],
    ],
    ['a payload that is not an object', { specversion: '1.0', data: [1] }, ['data: must be an object with the CMS alarm fields']],
  ])('rejects %s', (_what, event, problems) => {
    expect(problemsOf(() => parseCmsEventBridge(event))).toStrictEqual(problems);
  });
});

/** An ACK event envelope around a core/v1 Event (as kube-eventer marshals it), with the parts a test changes. */
function ackEvent(data: Record<string, unknown>, envelope: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    source: 'acs.cs',
    type: 'cs:k8s:PodRelatedEvent',
    subject: 'acs:cs:cn-shanghai:1234567890123456:c-shanghai/apis/v1/namespaces/bookinfo/pods/reviews-v1-5d8f7c9b4-x2k4q',
    time: '2026-11-03T02:30:00Z',
    aliyunregionid: 'cn-shanghai',
    ...envelope,
    data: {
      involvedObject: { kind: 'Pod', namespace: 'bookinfo', name: 'reviews-v1-5d8f7c9b4-x2k4q' },
      lastTimestamp: '2026-11-03T02:29:00Z',
      ...data,
    },
  };
}

const ACK_AT = Date.parse('2026-11-03T02:29:00Z');
const podAlarm: RawAlarm = {
  source: 'ack',
  name: 'Unhealthy',
  state: 'firing',
  level: 'Warning',
  dimensions: {},
  labels: { namespace: 'bookinfo', kind: 'Pod', name: 'reviews-v1-5d8f7c9b4-x2k4q', deployment: 'reviews-v1', reason: 'Unhealthy' },
  regionId: 'cn-shanghai',
  clusterId: 'c-shanghai',
  instance: 'c-shanghai/Deployment/bookinfo/reviews-v1/Unhealthy',
  at: ACK_AT,
  occurrences: { count: 1, first: ACK_AT, last: ACK_AT },
};
const replicaSet = { kind: 'ReplicaSet', namespace: 'bookinfo', name: 'reviews-v1-5d8f7c9b4' };

describe('parseAckEventBridge', () => {
  test.each([
    ['a Warning on a pod, placed on its deployment', { reason: 'Unhealthy', type: 'Warning' }, podAlarm],
    [
      'its count and first time',
      { reason: 'Unhealthy', type: 'Warning', count: 9, firstTimestamp: '2026-11-03T02:27:00Z' },
      { ...podAlarm, occurrences: { count: 9, first: Date.parse('2026-11-03T02:27:00Z'), last: ACK_AT } },
    ],
    [
      'FailedCreate on a ReplicaSet',
      { reason: 'FailedCreate', type: 'Warning', involvedObject: replicaSet },
      {
        ...podAlarm,
        name: 'FailedCreate',
        labels: { ...replicaSet, deployment: 'reviews-v1', reason: 'FailedCreate' },
        instance: 'c-shanghai/Deployment/bookinfo/reviews-v1/FailedCreate',
      },
    ],
    [
      'SuccessfulCreate clears FailedCreate under the same instance',
      { reason: 'SuccessfulCreate', type: 'Normal', involvedObject: replicaSet },
      {
        ...podAlarm,
        name: 'FailedCreate',
        state: 'resolved',
        level: 'Normal',
        labels: { ...replicaSet, deployment: 'reviews-v1', reason: 'SuccessfulCreate' },
        instance: 'c-shanghai/Deployment/bookinfo/reviews-v1/FailedCreate',
      },
    ],
    [
      "a pod name that is not a deployment's keeps its own identity",
      { reason: 'BackOff', type: 'Warning', involvedObject: { kind: 'Pod', namespace: 'bookinfo', name: 'redis-0' } },
      {
        ...podAlarm,
        name: 'BackOff',
        labels: { namespace: 'bookinfo', kind: 'Pod', name: 'redis-0', reason: 'BackOff' },
        instance: 'c-shanghai/Pod/bookinfo/redis-0/BackOff',
      },
    ],
    [
      "an events.k8s.io-style event (the scheduler's): eventTime, and repeats in series",
      {
        reason: 'FailedScheduling',
        type: 'Warning',
        lastTimestamp: null,
        eventTime: '2026-11-03T02:25:59.123456Z',
        series: { count: 4, lastObservedTime: '2026-11-03T02:28:59.123456Z' },
      },
      {
        ...podAlarm,
        name: 'FailedScheduling',
        labels: { ...podAlarm.labels, reason: 'FailedScheduling' },
        instance: 'c-shanghai/Deployment/bookinfo/reviews-v1/FailedScheduling',
        at: Date.parse('2026-11-03T02:28:59.123Z'),
        occurrences: { count: 4, first: Date.parse('2026-11-03T02:25:59.123Z'), last: Date.parse('2026-11-03T02:28:59.123Z') },
      },
    ],
    [
      'the envelope time when the event has no time',
      { reason: 'Unhealthy', type: 'Warning', lastTimestamp: undefined },
      {
        ...podAlarm,
        at: Date.parse('2026-11-03T02:30:00Z'),
        occurrences: { count: 1, first: Date.parse('2026-11-03T02:30:00Z'), last: Date.parse('2026-11-03T02:30:00Z') },
      },
    ],
  ])('%s', (_what, data, alarm) => {
    expect(parseAckEventBridge(ackEvent(data))).toStrictEqual([alarm]);
  });

  test('a region missing from the subject comes from aliyunregionid', () => {
    const event = ackEvent(
      { reason: 'Unhealthy', type: 'Warning' },
      { subject: 'acs:cs::1234567890123456:c-shanghai/apis/v1/namespaces/bookinfo/pods/reviews-v1-5d8f7c9b4-x2k4q' },
    );
    expect(parseAckEventBridge(event)).toStrictEqual([podAlarm]);
  });

  test('Deployment availability is no Event: its condition wording neither fires nor clears anything', () => {
    const deployment = { involvedObject: { kind: 'Deployment', namespace: 'bookinfo', name: 'reviews-v1' } };
    expect(
      parseAckEventBridge(
        ackEvent({ ...deployment, reason: 'ScalingReplicaSet', type: 'Normal', message: 'Deployment has minimum availability.' }),
      ),
    ).toStrictEqual([]);
    expect(
      parseAckEventBridge(
        ackEvent({ ...deployment, reason: 'ScalingReplicaSet', type: 'Normal', message: 'Deployment does not have minimum availability.' }),
      ),
    ).toStrictEqual([]);
  });

  test('an informational Normal event yields nothing; a batch keeps the alarms in order', () => {
    expect(
      parseAckEventBridge(ackEvent({ reason: 'ScalingReplicaSet', type: 'Normal', message: 'Scaled up replica set reviews-v1-5d8f to 3' })),
    ).toStrictEqual([]);
    const batch = [sampleJson('ack-node-notready.json'), ackEvent({ reason: 'Pulled', type: 'Normal' }), sampleJson('ack-node-ready.json')];
    expect(parseAckEventBridge(batch).map((a) => [a.name, a.state, a.instance])).toStrictEqual([
      ['NodeNotReady', 'firing', 'c-hangzhou/Node/cn-hangzhou.10.0.1.12/Ready'],
      ['NodeNotReady', 'resolved', 'c-hangzhou/Node/cn-hangzhou.10.0.1.12/Ready'],
    ]);
  });

  test('event types it does not handle are ignored, whatever their data, and the rest of the batch is parsed', () => {
    // The ARMS-collected type is another shape (not a core/v1 Event); its data here is opaque on purpose.
    const arms = {
      specversion: '1.0',
      id: 'a1',
      source: 'acs.cs',
      type: 'cs:k8s:k8s-event-via-arms',
      subject: 'acs:cs:cn-hangzhou:1:c-hangzhou',
      time: '2026-11-03T02:30:00Z',
      data: { anything: [1, 2] },
    };
    const unknownKind = ackEvent(
      { reason: 'Unhealthy', type: 'Warning', involvedObject: { kind: '', name: 'x' } },
      { type: 'cs:k8s:UnknownTypeEvent' },
    );
    expect(parseAckDelivery([arms, ackEvent({ reason: 'Unhealthy', type: 'Warning' }), unknownKind])).toStrictEqual({
      alarms: [podAlarm],
      ignored: [
        {
          at: '[0]',
          type: 'cs:k8s:k8s-event-via-arms',
          why: 'type cs:k8s:k8s-event-via-arms is not a Kubernetes Event forwarded by kube-eventer (cs:k8s:<Kind>RelatedEvent)',
        },
        {
          at: '[2]',
          type: 'cs:k8s:UnknownTypeEvent',
          why: 'type cs:k8s:UnknownTypeEvent is not a Kubernetes Event forwarded by kube-eventer (cs:k8s:<Kind>RelatedEvent)',
        },
      ],
    });
    expect(parseAckDelivery(arms)).toStrictEqual({
      alarms: [],
      ignored: [expect.objectContaining({ at: '(event)', type: 'cs:k8s:k8s-event-via-arms' })],
    });
  });

  const firing = { reason: 'Unhealthy', type: 'Warning' };
  test.each([
    [
      'a subject of another service',
      ackEvent(firing, { subject: 'acs:ecs:cn-shanghai:1234567890123456:instance/i-1' }),
      ['subject: must look like acs:cs:{region}:{account}:{clusterId}/... (got "acs:ecs:cn-shanghai:1234567890123456:instance/i-1")'],
    ],
    [
      'no subject',
      ackEvent(firing, { subject: undefined }),
      ['subject: must look like acs:cs:{region}:{account}:{clusterId}/... (got null)'],
    ],
    [
      'no region anywhere',
      ackEvent(firing, { subject: 'acs:cs::1:c-shanghai/x', aliyunregionid: undefined }),
      ['subject: names no region, and the envelope has no aliyunregionid'],
    ],
    ['another source', ackEvent(firing, { source: 'acs.ecs' }), ['source: must be acs.cs for ACK cluster events (got "acs.ecs")']],
    [
      'RawData in a batch',
      [{ reason: 'NodeNotReady', involvedObject: { kind: 'Node', name: 'n1' } }],
      ['[0].subject: required (the cluster id is only in the CloudEvents envelope; do not deliver ACK events as RawData)'],
    ],
    ['no reason', ackEvent({ type: 'Warning' }), ['data.reason: required']],
    ['no involvedObject name', ackEvent({ ...firing, involvedObject: { kind: 'Pod' } }), ['data.involvedObject.name: required']],
    ['an unknown event type', ackEvent({ ...firing, type: 'Error' }), ['data.type: must be Normal or Warning']],
    ['a bad lastTimestamp', ackEvent({ ...firing, lastTimestamp: 'soon' }), ['data.lastTimestamp: must be an RFC 3339 time (got "soon")']],
    [
      'no time at all',
      ackEvent({ ...firing, lastTimestamp: undefined }, { time: undefined }),
      ["data.lastTimestamp: required (or eventTime, firstTimestamp, or the envelope's time)"],
    ],
    ['data that is not an Event', { ...ackEvent({}), data: [] }, ['data: must be a Kubernetes core/v1 Event object']],
  ])('rejects %s', (_what, event, problems) => {
    expect(problemsOf(() => parseAckEventBridge(event))).toStrictEqual(problems);
  });
});
