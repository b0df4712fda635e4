import { parseAlertmanager } from '../../../shared/signals/alertmanager';
import type { RawAlarm } from '../../../shared/signals/raw-alarm';
import { problemsOf } from './problems';

const STARTS = '2026-11-03T02:15:30Z';
const ENDS = '2026-11-03T02:40:00Z';

const alert = (over: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'ReviewsHighErrorRate', severity: 'critical', region: 'cn-hangzhou', service: 'reviews' },
  annotations: { summary: 'reviews is failing' },
  startsAt: STARTS,
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus:9090/graph',
  fingerprint: 'a1b2c3d4e5f60718',
  ...over,
});
const webhook = (...alerts: unknown[]) => ({ version: '4', status: 'firing', receiver: 'regionshift', groupLabels: {}, alerts });

const firing: RawAlarm = {
  source: 'alertmanager',
  name: 'ReviewsHighErrorRate',
  state: 'firing',
  level: 'critical',
  dimensions: {},
  labels: { alertname: 'ReviewsHighErrorRate', severity: 'critical', region: 'cn-hangzhou', service: 'reviews' },
  regionId: 'cn-hangzhou',
  instance: 'a1b2c3d4e5f60718',
  at: Date.parse(STARTS),
  message: 'reviews is failing',
  annotations: { summary: 'reviews is failing' },
};

describe('parseAlertmanager', () => {
  test.each([
    ['a firing alert is dated by startsAt', webhook(alert()), [firing]],
    [
      'a resolved alert is dated by endsAt',
      webhook(alert({ status: 'resolved', endsAt: ENDS })),
      [{ ...firing, state: 'resolved', at: Date.parse(ENDS) }],
    ],
    ['a resolved alert without an end falls back to startsAt', webhook(alert({ status: 'resolved' })), [{ ...firing, state: 'resolved' }]],
    [
      'each alert of a mixed group keeps its own status',
      { ...webhook(alert(), alert({ status: 'resolved', endsAt: ENDS, fingerprint: 'ff' })), status: 'firing' },
      [firing, { ...firing, state: 'resolved', at: Date.parse(ENDS), instance: 'ff' }],
    ],
    [
      'no fingerprint: the sorted labels identify the alert',
      webhook(alert({ fingerprint: undefined })),
      [{ ...firing, instance: 'alertname=ReviewsHighErrorRate,region=cn-hangzhou,service=reviews,severity=critical' }],
    ],
    [
      'no severity, region or annotations: those fields are left out',
      webhook(alert({ labels: { alertname: 'X', job: 'mesh' }, annotations: undefined })),
      [
        {
          source: 'alertmanager',
          name: 'X',
          state: 'firing',
          dimensions: {},
          labels: { alertname: 'X', job: 'mesh' },
          instance: 'a1b2c3d4e5f60718',
          at: Date.parse(STARTS),
        },
      ],
    ],
    [
      'a cluster_id label names the cluster',
      webhook(alert({ labels: { alertname: 'X', cluster_id: 'c-hangzhou' }, annotations: { description: 'd' } })),
      [
        {
          source: 'alertmanager',
          name: 'X',
          state: 'firing',
          dimensions: {},
          labels: { alertname: 'X', cluster_id: 'c-hangzhou' },
          clusterId: 'c-hangzhou',
          instance: 'a1b2c3d4e5f60718',
          at: Date.parse(STARTS),
          message: 'd',
          annotations: { description: 'd' },
        },
      ],
    ],
    ['the body as JSON text', JSON.stringify(webhook(alert())), [firing]],
    ['the body as bytes', Buffer.from(JSON.stringify(webhook(alert()))), [firing]],
  ])('%s', (_what, body, alarms) => {
    expect(parseAlertmanager(body)).toStrictEqual(alarms);
  });

  test.each([
    ['an empty alerts array', webhook(), ['alerts: must list at least one alert']],
    ['no alerts field', { version: '4', status: 'firing' }, ['alerts: required']],
    ['another payload version', { ...webhook(alert()), version: '3' }, ['version: must be "4" (Alertmanager webhook payload version 4)']],
    ['a missing alertname', webhook(alert({ labels: { severity: 'critical' } })), ['alerts[0].labels.alertname: required']],
    [
      'an alert status Alertmanager never sends',
      webhook(alert(), alert({ status: 'pending' })),
      ['alerts[1].status: must be firing or resolved'],
    ],
    ['a startsAt that is no time', webhook(alert({ startsAt: 'nope' })), ['alerts[0].startsAt: must be an RFC 3339 time (got "nope")']],
    ['a missing startsAt', webhook(alert({ startsAt: undefined })), ['alerts[0].startsAt: required']],
    ['the zero time as startsAt', webhook(alert({ startsAt: '0001-01-01T00:00:00Z' })), ['alerts[0].startsAt: required']],
    [
      'a label that is not a string',
      webhook(alert({ labels: { alertname: 'X', replicas: 3 } })),
      ['alerts[0].labels.replicas: must be a string'],
    ],
    ['a JSON array body', [alert()], ['(root): must be an Alertmanager webhook object']],
    ['an empty body', '', ['(body): empty']],
  ])('rejects %s', (_what, body, problems) => {
    expect(problemsOf(() => parseAlertmanager(body))).toStrictEqual(problems);
  });

  test('a body that is not JSON', () => {
    expect(problemsOf(() => parseAlertmanager('status=firing'))[0]).toMatch(/^\(body\): not valid JSON \(/);
  });
});
