import { epochMs, parseDimensions, parseJavaMap } from '../../../shared/signals/cms-fields';
import { parseCmsEventBridge } from '../../../shared/signals/cms-eventbridge';
import { parseCmsCallback } from '../../../shared/signals/cms-webhook';
import type { RawAlarm } from '../../../shared/signals/raw-alarm';
import { problemsOf } from './problems';

const AT = Date.parse('2026-11-03T02:15:30Z');

/** A minimal callback: only the fields a CMS threshold alarm always carries. */
const fields = {
  alertName: 'reviews-5xx-ratio',
  alertState: 'ALERT',
  dimensions: '{userId=1234567890123456, instanceId=lb-1, port=443}',
  metricName: 'StatusCode5xx',
  ruleId: 'rule-1',
  timestamp: String(AT),
  triggerLevel: 'CRITICAL',
};
const form = (f: Record<string, string>) => new URLSearchParams(f).toString();

const expected: RawAlarm = {
  source: 'cms',
  name: 'reviews-5xx-ratio',
  state: 'firing',
  level: 'CRITICAL',
  metric: 'StatusCode5xx',
  dimensions: { userId: '1234567890123456', instanceId: 'lb-1', port: '443' },
  labels: { ruleId: 'rule-1' },
  instance: 'rule-1|instanceId=lb-1,port=443,userId=1234567890123456',
  at: AT,
};

describe('parseJavaMap', () => {
  test.each([
    ['{}', {}],
    ['{ }', {}],
    ['{userId=12, instanceId=i-1, region=cn-shenzhen}', { userId: '12', instanceId: 'i-1', region: 'cn-shenzhen' }],
    ['{userId=12,instanceId=i-1}', { userId: '12', instanceId: 'i-1' }],
    // A comma not followed by another key= belongs to the value.
    ['{tags=a,b, instanceId=i-1}', { tags: 'a,b', instanceId: 'i-1' }],
    ['{query=k=v}', { query: 'k=v' }],
    ['userId=12', null],
    ['{=12}', null],
    ['{userId}', null],
  ] as const)('%s', (text, map) => {
    expect(parseJavaMap(text)).toStrictEqual(map);
  });
});

describe('parseDimensions', () => {
  test.each([
    ['JSON array of objects (old docs)', '[{"userId":"12345","instanceId":"i-12345"}]', { userId: '12345', instanceId: 'i-12345' }],
    ['JSON object text', '{"instanceId":"i-1","port":443}', { instanceId: 'i-1', port: '443' }],
    ['an object with numbers and nulls', { instanceId: 'i-1', port: 443, vip: null }, { instanceId: 'i-1', port: '443' }],
    ['absent', undefined, {}],
    ['empty text', '', {}],
    ['plain text', 'instanceId=i-1', null],
    ['a number', 42, null],
    ['an array of strings', ['i-1'], null],
  ] as const)('%s', (_what, value, map) => {
    expect(parseDimensions(value)).toStrictEqual(map);
  });
});

describe('epochMs', () => {
  test.each([
    [1793672130, AT],
    ['1793672130', AT],
    [1793672130000, AT],
    ['1793672130000', AT],
    ['1793672130.5', AT + 500],
    ['2026-11-03T02:15:30Z', AT],
    ['yesterday', null],
    ['', null],
    [0, null],
    [-5, null],
    // Microseconds are neither seconds nor milliseconds.
    [1793672130000000, null],
  ] as const)('%j → %j', (value, ms) => {
    expect(epochMs(value)).toBe(ms);
  });
});

describe('parseCmsCallback', () => {
  test.each([
    ['form-urlencoded', form(fields), 'application/x-www-form-urlencoded'],
    ['form with no content type', form(fields), undefined],
    ['JSON with a content type', JSON.stringify(fields), 'application/json'],
    ['JSON sniffed without a content type', JSON.stringify(fields), undefined],
    [
      'JSON with a seconds number timestamp and object dimensions',
      JSON.stringify({ ...fields, timestamp: AT / 1000, dimensions: expected.dimensions }),
      'application/json',
    ],
    ['form with surrounding whitespace', `\n${form(fields)}\n`, undefined],
  ])('%s', (_what, body, contentType) => {
    expect(parseCmsCallback(body, contentType)).toStrictEqual(expected);
  });

  test.each([
    ['ALARM (old docs) fires', { alertState: 'ALARM' }, { state: 'firing' }],
    ['OK resolves, keeping a CRITICAL triggerLevel', { alertState: 'OK' }, { state: 'resolved' }],
    [
      'OK with triggerLevel OK takes preTriggerLevel',
      { alertState: 'OK', triggerLevel: 'OK', preTriggerLevel: 'WARN' },
      { state: 'resolved', level: 'WARN' },
    ],
    ['INSUFFICIENT_DATA', { alertState: 'INSUFFICIENT_DATA' }, { state: 'insufficient' }],
    // Fields CMS does not document for the callback change nothing, and none of them places the alarm.
    [
      'undocumented fields are ignored',
      {
        regionId: 'cn-shanghai',
        regionName: 'China (Shanghai)',
        lastTime: '3 minutes',
        rawMetricName: 'x',
        productGroupName: 'g',
        groupId: '42',
        transId: 't',
        unit: '%',
      },
      {},
    ],
    [
      'a region-like dimension is only a dimension',
      { dimensions: '{instanceId=lb-1, regionId=cn-shanghai}' },
      { dimensions: { instanceId: 'lb-1', regionId: 'cn-shanghai' }, instance: 'rule-1|instanceId=lb-1,regionId=cn-shanghai' },
    ],
    [
      'descriptive fields become labels',
      { metricProject: 'acs_slb_dashboard', instanceName: 'ingress' },
      { labels: { metricProject: 'acs_slb_dashboard', ruleId: 'rule-1', instanceName: 'ingress' } },
    ],
    [
      'expression and value become the message',
      { expression: '$Average>=5', curValue: '7' },
      { message: '$Average>=5; current value 7', curValue: '7' },
    ],
  ] as const)('%s', (_what, change, diff) => {
    expect(parseCmsCallback(form({ ...fields, ...change }))).toStrictEqual({ ...expected, ...diff });
  });

  test('no level at all leaves level out; empty fields count as absent', () => {
    const { triggerLevel: _t, ...rest } = fields;
    const { level: _l, ...withoutLevel } = expected;
    expect(parseCmsCallback(form({ ...rest, preTriggerLevel: '', regionId: '', metricName: 'StatusCode5xx' }))).toStrictEqual(withoutLevel);
  });

  test('ALERT and OK of one alarm pair up whatever the order of their dimensions', () => {
    const alert = parseCmsCallback(form(fields));
    const ok = parseCmsCallback(form({ ...fields, alertState: 'OK', dimensions: '{port=443, instanceId=lb-1, userId=1234567890123456}' }));
    expect(ok.instance).toBe(alert.instance);
    const otherObject = parseCmsCallback(form({ ...fields, dimensions: '{userId=1234567890123456, instanceId=lb-2, port=443}' }));
    expect(otherObject.instance).not.toBe(alert.instance);
  });

  test('a callback without dimensions identifies the alarm by its rule alone', () => {
    const { dimensions: _d, ...rest } = fields;
    expect(parseCmsCallback(form(rest))).toStrictEqual({ ...expected, dimensions: {}, instance: 'rule-1|' });
  });

  test('without a ruleId the alert name identifies the rule', () => {
    const { ruleId: _r, ...rest } = fields;
    expect(parseCmsCallback(form(rest)).instance).toBe('reviews-5xx-ratio|instanceId=lb-1,port=443,userId=1234567890123456');
  });

  test('the callback and the EventBridge event of one alarm share an instance', () => {
    const viaEvent = parseCmsEventBridge({
      specversion: '1.0',
      source: 'acs.cms',
      data: { ...fields, timestamp: AT, dimensions: expected.dimensions },
    });
    expect(viaEvent).toStrictEqual([{ ...parseCmsCallback(form(fields)), via: 'eventbridge' }]);
  });
});

describe('parseCmsCallback rejects bad input, naming the field', () => {
  const { alertState: _s, ...noState } = fields;
  const { timestamp: _t, ...noTimestamp } = fields;
  test.each([
    ['missing alertState', form(noState), undefined, ['alertState: required']],
    [
      'unknown alertState',
      form({ ...fields, alertState: 'BROKEN' }),
      undefined,
      ['alertState: must be ALERT, OK or INSUFFICIENT_DATA (got "BROKEN")'],
    ],
    ['missing timestamp', form(noTimestamp), undefined, ['timestamp: required']],
    [
      'a timestamp that is not a number',
      form({ ...fields, timestamp: 'yesterday' }),
      undefined,
      ['timestamp: must be epoch seconds or milliseconds (got "yesterday")'],
    ],
    [
      'dimensions that are no map',
      form({ ...fields, dimensions: 'instanceId=lb-1' }),
      undefined,
      ['dimensions: must be a map like {userId=1, instanceId=i-1} or a JSON object (got "instanceId=lb-1")'],
    ],
    [
      'every problem at once',
      form({ alertName: '', timestamp: '0' }),
      undefined,
      ['alertName: required', 'alertState: required', 'timestamp: must be epoch seconds or milliseconds (got "0")'],
    ],
    ['an empty body', '  \n', undefined, ['(body): empty']],
    ['a JSON array', '[1,2]', 'application/json', ['(body): must be a JSON object with the CMS alarm fields']],
    [
      'a JSON alertState of the wrong type',
      JSON.stringify({ ...fields, alertState: { v: 1 } }),
      'application/json',
      ['alertState: must be text'],
    ],
    [
      'an unsupported content type',
      form(fields),
      'multipart/form-data; boundary=x',
      ['(content-type): multipart/form-data; boundary=x is not form-urlencoded or JSON'],
    ],
  ])('%s', (_what, body, contentType, problems) => {
    expect(problemsOf(() => parseCmsCallback(body, contentType))).toStrictEqual(problems);
  });

  test('a JSON content type with a body that is not JSON', () => {
    const problems = problemsOf(() => parseCmsCallback('{alertName=x', 'application/json'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\(body\): not valid JSON \(/);
  });
});
