import { readFileSync } from 'node:fs';
import { parseAckEventBridge } from '../../../shared/signals/ack-eventbridge';
import { unwrapCloudEvents } from '../../../shared/signals/cloudevent';
import { parseCmsEventBridge } from '../../../shared/signals/cms-eventbridge';
import type { RawAlarm } from '../../../shared/signals/raw-alarm';
import { problemsOf } from './problems';

const sampleJson = (name: string) => JSON.parse(readFileSync(new URL(`../../../events/alarms/${name}`, import.meta.url), 'utf8'));

const AT = Date.parse('2026-11-03T02:15:30Z');
const cmsData = { alertName: 'a', alertState: 'ALERT', dimensions: { instanceId: 'i-1' }, ruleId: 'r', timestamp: AT, triggerLevel: 'WARN' };
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
    [
      'the payload timestamp wins over the envelope time',
      { specversion: '1.0', time: '2026-11-03T02:20:00Z', data: cmsData },
      [cmsAlarm],
    ],
  ])('%s', (_what, event, alarms) => {
    expect(parseCmsEventBridge(event)).toStrictEqual(alarms);
  });

  test.each([
    ['a bad second event of a batch', [{ specversion: '1.0', data: cmsData }, { specversion: '1.0', data: { ...cmsData, alertState: 'FIRE' } }], ['[1].data.alertState: must be ALERT, OK or INSUFFICIENT_DATA (got "FIRE")']],
    ['no timestamp anywhere', { specversion: '1.0', data: { ...cmsData, timestamp: undefined } }, ['data.timestamp: required']],
    ['a timestamp in microseconds', { ...cmsData, timestamp: AT * 1000 }, [`timestamp: must be epoch seconds or milliseconds (got ${AT * 1000})`]],
    ['a payload that is not an object', { specversion: '1.0', data: [1] }, ['data: must be an object with the CMS alarm fields']],
  ])('rejects %s', (_what, event, problems) => {
    expect(problemsOf(() => parseCmsEventBridge(event))).toStrictEqual(problems);
  });
});

/** An ACK event envelope around a core/v1 Event, with the parts a test changes. */
function ackEvent(data: Record<string, unknown>, envelope: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    source: 'acs.cs',
    type: 'cs:k8s:DeploymentRelatedEvent',
    subject: 'acs:cs:cn-shanghai:1234567890123456:c-shanghai/apis/apps/v1/namespaces/bookinfo/deployments/reviews-v1',
    time: '2026-11-03T02:30:00Z',
    aliyunregionid: 'cn-shanghai',
    ...envelope,
    data: {
      involvedObject: { kind: 'Deployment', namespace: 'bookinfo', name: 'reviews-v1' },
      lastTimestamp: '2026-11-03T02:29:00Z',
      ...data,
    },
  };
}

const deploymentAlarm: RawAlarm = {
  source: 'ack',
  name: 'MinimumReplicasUnavailable',
  state: 'firing',
  level: 'Warning',
  dimensions: {},
  labels: { namespace: 'bookinfo', kind: 'Deployment', name: 'reviews-v1', reason: 'MinimumReplicasUnavailable' },
  regionId: 'cn-shanghai',
  clusterId: 'c-shanghai',
  instance: 'c-shanghai/Deployment/bookinfo/reviews-v1/Available',
  at: Date.parse('2026-11-03T02:29:00Z'),
};

describe('parseAckEventBridge', () => {
  test.each([
    ['unavailable by reason', { reason: 'MinimumReplicasUnavailable', type: 'Warning' }, deploymentAlarm],
    [
      'unavailable by message only, with another reason',
      { reason: 'DeploymentUnhealthy', type: 'Warning', message: 'Deployment does not have minimum availability.' },
      { ...deploymentAlarm, labels: { ...deploymentAlarm.labels, reason: 'DeploymentUnhealthy' }, message: 'Deployment does not have minimum availability.' },
    ],
    [
      'MinimumReplicasAvailable clears it under the same instance',
      { reason: 'MinimumReplicasAvailable', type: 'Normal' },
      { ...deploymentAlarm, state: 'resolved', level: 'Normal', labels: { ...deploymentAlarm.labels, reason: 'MinimumReplicasAvailable' } },
    ],
    [
      'a "has minimum availability" message clears it',
      { reason: 'ScalingReplicaSet', type: 'Normal', message: 'Deployment has minimum availability.' },
      { ...deploymentAlarm, state: 'resolved', level: 'Normal', labels: { ...deploymentAlarm.labels, reason: 'ScalingReplicaSet' }, message: 'Deployment has minimum availability.' },
    ],
    [
      'FailedCreate on a ReplicaSet',
      { reason: 'FailedCreate', type: 'Warning', involvedObject: { kind: 'ReplicaSet', namespace: 'bookinfo', name: 'reviews-v1-5d8f' } },
      {
        ...deploymentAlarm,
        name: 'FailedCreate',
        labels: { namespace: 'bookinfo', kind: 'ReplicaSet', name: 'reviews-v1-5d8f', reason: 'FailedCreate' },
        instance: 'c-shanghai/ReplicaSet/bookinfo/reviews-v1-5d8f/FailedCreate',
      },
    ],
    [
      'SuccessfulCreate clears FailedCreate',
      { reason: 'SuccessfulCreate', type: 'Normal', involvedObject: { kind: 'ReplicaSet', namespace: 'bookinfo', name: 'reviews-v1-5d8f' } },
      {
        ...deploymentAlarm,
        name: 'FailedCreate',
        state: 'resolved',
        level: 'Normal',
        labels: { namespace: 'bookinfo', kind: 'ReplicaSet', name: 'reviews-v1-5d8f', reason: 'SuccessfulCreate' },
        instance: 'c-shanghai/ReplicaSet/bookinfo/reviews-v1-5d8f/FailedCreate',
      },
    ],
    [
      'an events.k8s.io-style eventTime with microseconds when lastTimestamp is null',
      { reason: 'MinimumReplicasUnavailable', type: 'Warning', lastTimestamp: null, eventTime: '2026-11-03T02:28:59.123456Z' },
      { ...deploymentAlarm, at: Date.parse('2026-11-03T02:28:59.123Z') },
    ],
    [
      'the envelope time when the event has no time',
      { reason: 'MinimumReplicasUnavailable', type: 'Warning', lastTimestamp: undefined },
      { ...deploymentAlarm, at: Date.parse('2026-11-03T02:30:00Z') },
    ],
  ])('%s', (_what, data, alarm) => {
    expect(parseAckEventBridge(ackEvent(data))).toStrictEqual([alarm]);
  });

  test('a region missing from the subject comes from aliyunregionid', () => {
    const event = ackEvent({ reason: 'MinimumReplicasUnavailable', type: 'Warning' }, { subject: 'acs:cs::1234567890123456:c-shanghai/apis/apps/v1/namespaces/bookinfo/deployments/reviews-v1' });
    expect(parseAckEventBridge(event)).toStrictEqual([deploymentAlarm]);
  });

  test('an informational Normal event yields nothing; a batch keeps the alarms in order', () => {
    expect(parseAckEventBridge(ackEvent({ reason: 'ScalingReplicaSet', type: 'Normal', message: 'Scaled up replica set reviews-v1-5d8f to 3' }))).toStrictEqual([]);
    const batch = [sampleJson('ack-node-notready.json'), ackEvent({ reason: 'Pulled', type: 'Normal' }), sampleJson('ack-node-ready.json')];
    expect(parseAckEventBridge(batch).map((a) => [a.name, a.state, a.instance])).toStrictEqual([
      ['NodeNotReady', 'firing', 'c-hangzhou/Node/cn-hangzhou.10.0.1.12/Ready'],
      ['NodeNotReady', 'resolved', 'c-hangzhou/Node/cn-hangzhou.10.0.1.12/Ready'],
    ]);
  });

  const firing = { reason: 'MinimumReplicasUnavailable', type: 'Warning' };
  test.each([
    [
      'a subject of another service',
      ackEvent(firing, { subject: 'acs:ecs:cn-shanghai:1234567890123456:instance/i-1' }),
      ['subject: must look like acs:cs:{region}:{account}:{clusterId}/... (got "acs:ecs:cn-shanghai:1234567890123456:instance/i-1")'],
    ],
    ['no subject', ackEvent(firing, { subject: undefined }), ['subject: must look like acs:cs:{region}:{account}:{clusterId}/... (got null)']],
    ['no region anywhere', ackEvent(firing, { subject: 'acs:cs::1:c-shanghai/x', aliyunregionid: undefined }), ['subject: names no region, and the envelope has no aliyunregionid']],
    ['another source', ackEvent(firing, { source: 'acs.ecs' }), ['source: must be acs.cs for ACK cluster events (got "acs.ecs")']],
    ['RawData in a batch', [{ reason: 'NodeNotReady', involvedObject: { kind: 'Node', name: 'n1' } }], ['[0].subject: required (the cluster id is only in the CloudEvents envelope; do not deliver ACK events as RawData)']],
    ['no reason', ackEvent({ type: 'Warning' }), ['data.reason: required']],
    ['no involvedObject name', ackEvent({ ...firing, involvedObject: { kind: 'Pod' } }), ['data.involvedObject.name: required']],
    ['an unknown event type', ackEvent({ ...firing, type: 'Error' }), ['data.type: must be Normal or Warning']],
    ['a bad lastTimestamp', ackEvent({ ...firing, lastTimestamp: 'soon' }), ['data.lastTimestamp: must be an RFC 3339 time (got "soon")']],
    ['no time at all', ackEvent({ ...firing, lastTimestamp: undefined }, { time: undefined }), ["data.lastTimestamp: required (or eventTime, firstTimestamp, or the envelope's time)"]],
    ['data that is not an Event', { ...ackEvent({}), data: [] }, ['data: must be a Kubernetes core/v1 Event object']],
  ])('rejects %s', (_what, event, problems) => {
    expect(problemsOf(() => parseAckEventBridge(event))).toStrictEqual(problems);
  });
});
