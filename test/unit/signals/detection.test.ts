import { readFileSync } from 'node:fs';
import { boundedKey } from '../../../shared/core/limits';
import { parsePolicy } from '../../../shared/core/policy';
import type { Signal } from '../../../shared/core/types';
import { parseAckEventBridge } from '../../../shared/signals/ack-eventbridge';
import { parseAlertmanager } from '../../../shared/signals/alertmanager';
import { parseCmsCallback } from '../../../shared/signals/cms-webhook';
import { detectionWarnings, globMatch, toSignals } from '../../../shared/signals/detection';
import type { RawAlarm } from '../../../shared/signals/raw-alarm';

const sample = (name: string) => readFileSync(new URL(`../../../events/alarms/${name}`, import.meta.url), 'utf8');
const only = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0] as T;
};

const base = {
  name: 'bookinfo',
  mesh: { backend: 'asm', meshId: 'c-mesh-1', apiRegion: 'cn-hangzhou' },
  regions: { 'cn-hangzhou': { clusters: [{ id: 'c-hangzhou' }] }, 'cn-shanghai': { clusters: [{ id: 'c-shanghai' }] } },
};

const policy = parsePolicy({
  ...base,
  detection: {
    defaultTtl: '10m',
    rules: [
      { name: 'reviews-5xx', match: { source: 'cms', alertName: 'reviews-5xx-*' }, service: 'reviews', ttl: '15m' },
      {
        name: 'ecs-cpu',
        match: { source: 'cms', metric: 'CPUUtilization' },
        region: { fromInstance: { 'i-uf6f5r8k2n3p4q5r6s7t': 'cn-shanghai', 'i-bp1other': 'cn-hangzhou' } },
        severity: 'degraded',
      },
      {
        name: 'prometheus',
        match: { source: 'alertmanager', labels: { namespace: 'bookinfo' } },
        region: { fromLabel: 'region' },
        severity: { critical: 'down', warning: 'degraded' },
      },
      { name: 'node-down', match: { source: 'ack', alertName: 'NodeNotReady' }, region: { fromCluster: true }, severity: 'down' },
      { name: 'node-degraded', match: { source: 'ack', alertName: 'Node*Ready' }, severity: 'degraded' },
      {
        name: 'reviews-cannot-create',
        match: { source: 'ack', alertName: 'Failed?reate', labels: { namespace: 'bookinfo' } },
        region: { fixed: 'cn-shanghai' },
        severity: 'down',
        ttl: '5m',
      },
      {
        name: 'pods-unready',
        match: { source: 'ack', alertName: 'Unhealthy' },
        region: { fromCluster: true },
        severity: 'degraded',
        window: { count: 5, within: '2m' },
      },
    ],
  },
});

const TEN_MIN = 600_000;
const HZ_INSTANCE =
  'putNewAlarm_user_7e5c0f4a-9b1d-4a8e-b3c2-1d6f0a9e8b74|instanceId=lb-bp1o94dp5i6earr9g6d1i,port=443,userId=1234567890123456,vip=47.96.12.34';
const NODE_INSTANCE = 'c-hangzhou/Node/cn-hangzhou.10.0.1.12/Ready';

describe('globMatch', () => {
  test.each([
    ['reviews-5xx-*', 'reviews-5xx-ratio', true],
    ['reviews-5xx-*', 'reviews-5xx-', true],
    ['reviews-5xx-*', 'ratings-5xx-ratio', false],
    ['*-ratio', 'reviews-5xx-ratio', true],
    ['*5xx*', 'reviews-5xx-ratio', true],
    ['Node?otReady', 'NodeNotReady', true],
    ['Node?otReady', 'NodeotReady', false],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYcZ', false],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['NodeNotReady', 'nodenotready', false],
    // Regex metacharacters are literal.
    ['cpu.[high]', 'cpu.[high]', true],
    ['cpu.[high]', 'cpuX[high]', false],
    ['??', '杭州', true],
  ] as const)('%j on %j → %s', (pattern, text, result) => {
    expect(globMatch(pattern, text)).toBe(result);
  });
});

describe('toSignals on the samples', () => {
  test('CMS ALERT and OK produce signals with one key: firing, then resolved', () => {
    const firing: Signal = {
      // The callback URL's region is part of the key; a key past 160 characters ends in a hash of the whole.
      key: boundedKey(`reviews-5xx|cms|@cn-hangzhou|${HZ_INSTANCE}`),
      source: 'cms',
      rule: 'reviews-5xx',
      region: 'cn-hangzhou',
      service: 'reviews',
      severity: 'down',
      status: 'firing',
      at: Date.parse('2026-11-03T02:15:30Z'),
      ttl: 900_000,
      name: 'reviews-5xx-ratio',
    };
    // The callback names no region; the region its URL named (?region=) places it.
    const viaUrl = (name: string) => ({ ...parseCmsCallback(sample(name)), urlRegion: 'cn-hangzhou' });
    expect(toSignals(viaUrl('cms-callback-alert.txt'), policy)).toStrictEqual({ signals: [firing], matched: ['reviews-5xx'] });
    expect(toSignals(viaUrl('cms-callback-ok.txt'), policy)).toStrictEqual({
      signals: [{ ...firing, status: 'resolved', at: Date.parse('2026-11-03T02:31:30Z') }],
      matched: ['reviews-5xx'],
    });
  });

  test('a metric rule places an ECS alarm by its instance id (fromInstance) with a fixed severity', () => {
    const raw = parseCmsCallback(sample('cms-callback-seconds-json-dims.txt'));
    expect(toSignals(raw, policy)).toStrictEqual({
      signals: [
        {
          key: `ecs-cpu|cms|${raw.instance}`,
          source: 'cms',
          rule: 'ecs-cpu',
          region: 'cn-shanghai',
          severity: 'degraded',
          status: 'firing',
          at: Date.parse('2026-11-03T03:05:00Z'),
          ttl: TEN_MIN,
          name: 'ecs-cpu-shanghai',
        },
      ],
      matched: ['ecs-cpu'],
    });
  });

  test('Alertmanager severity labels map through the level map; the service comes from the label', () => {
    const [errors, latency] = parseAlertmanager(sample('alertmanager-firing.json')).map((raw) => toSignals(raw, policy));
    const common = {
      source: 'alertmanager',
      rule: 'prometheus',
      region: 'cn-shanghai',
      service: 'reviews',
      status: 'firing',
      ttl: TEN_MIN,
    } as const;
    expect(errors).toStrictEqual({
      signals: [
        {
          ...common,
          key: 'prometheus|alertmanager|8f2c1a7e9b3d5064',
          severity: 'down',
          at: Date.parse('2026-11-03T02:15:30.112Z'),
          name: 'ReviewsHighErrorRate',
        },
      ],
      matched: ['prometheus'],
    });
    expect(latency).toStrictEqual({
      signals: [
        {
          ...common,
          key: 'prometheus|alertmanager|1b9e4d2a7c6f3085',
          severity: 'degraded',
          at: Date.parse('2026-11-03T02:16:00Z'),
          name: 'ReviewsHighLatency',
        },
      ],
      matched: ['prometheus'],
    });
  });

  test('two matching rules give two signals with distinct keys, and NodeReady resolves both', () => {
    const common = {
      source: 'ack',
      region: 'cn-hangzhou',
      status: 'firing',
      at: Date.parse('2026-11-03T02:20:14Z'),
      ttl: TEN_MIN,
      name: 'NodeNotReady',
    } as const;
    const firing: Signal[] = [
      { ...common, key: `node-down|ack|${NODE_INSTANCE}`, rule: 'node-down', severity: 'down' },
      { ...common, key: `node-degraded|ack|${NODE_INSTANCE}`, rule: 'node-degraded', severity: 'degraded' },
    ];
    expect(toSignals(only(parseAckEventBridge(JSON.parse(sample('ack-node-notready.json')))), policy)).toStrictEqual({
      signals: firing,
      matched: ['node-down', 'node-degraded'],
    });
    const resolved = toSignals(only(parseAckEventBridge(JSON.parse(sample('ack-node-ready.json')))), policy);
    expect(resolved).toStrictEqual({
      signals: firing.map((s) => ({ ...s, status: 'resolved', at: Date.parse('2026-11-03T02:41:52Z') })),
      matched: ['node-down', 'node-degraded'],
    });
  });

  test('a fixed region and a rule ttl', () => {
    const raw = only(parseAckEventBridge(JSON.parse(sample('ack-replicaset-failedcreate.json'))));
    expect(toSignals(raw, policy)).toStrictEqual({
      signals: [
        {
          key: 'reviews-cannot-create|ack|c-shanghai/Deployment/bookinfo/reviews-v1/FailedCreate',
          source: 'ack',
          rule: 'reviews-cannot-create',
          region: 'cn-shanghai',
          severity: 'down',
          status: 'firing',
          at: Date.parse('2026-11-03T02:22:47Z'),
          ttl: 300_000,
          name: 'FailedCreate',
        },
      ],
      matched: ['reviews-cannot-create'],
    });
  });

  describe('a window on the Event count', () => {
    const unhealthy = only(parseAckEventBridge(JSON.parse(sample('ack-pod-unhealthy.json'))));
    const at = (count: number, spanS: number): RawAlarm => ({
      ...unhealthy,
      occurrences: { count, first: unhealthy.at - spanS * 1000, last: unhealthy.at },
    });

    test('7 failed probes within 60 s meet 5 within 2m: one signal for the deployment', () => {
      expect(toSignals(unhealthy, policy)).toStrictEqual({
        signals: [
          {
            key: 'pods-unready|ack|c-hangzhou/Deployment/bookinfo/reviews-v1/Unhealthy',
            source: 'ack',
            rule: 'pods-unready',
            region: 'cn-hangzhou',
            severity: 'degraded',
            status: 'firing',
            at: Date.parse('2026-11-03T02:21:30Z'),
            ttl: TEN_MIN,
            name: 'Unhealthy',
          },
        ],
        matched: ['pods-unready'],
      });
    });

    test.each([
      [4, 60, 0, '4 occurrence(s) within 120s (count 4 over 60s), window needs 5'],
      [5, 120, 1, null],
      // Longer than the window: counted at the average rate over the span.
      [10, 240, 1, null],
      [9, 240, 0, '4 occurrence(s) within 120s (count 9 over 240s), window needs 5'],
    ] as const)('count %d over %d s → %d signal(s)', (count, span, signals, why) => {
      const result = toSignals(at(count, span), policy);
      expect(result.signals).toHaveLength(signals);
      expect(result.matched).toStrictEqual(['pods-unready']);
      expect(result.note).toBe(why === null ? undefined : `ack alarm Unhealthy: rule pods-unready: ${why}`);
    });

    test('an alarm without an occurrence count never meets a window', () => {
      const { occurrences: _o, ...bare } = unhealthy;
      expect(toSignals(bare, policy).signals).toStrictEqual([]);
    });
  });

  test('an event whose region contradicts the policy region of its cluster is not acted on', () => {
    const event = JSON.parse(sample('ack-node-notready.json'));
    event.subject = event.subject.replace('acs:cs:cn-hangzhou:', 'acs:cs:mars-1:');
    const result = toSignals(only(parseAckEventBridge(event)), policy);
    // node-down places by cluster and refuses; node-degraded takes the payload region, which the policy does not declare.
    expect(result.signals).toStrictEqual([]);
    expect(result.matched).toStrictEqual(['node-down', 'node-degraded']);
    expect(result.note).toContain(
      'rule node-down: the event names region mars-1, but cluster c-hangzhou is in cn-hangzhou by the policy; not acted on',
    );
  });

  test('an alarm no rule matches yields no signal and a note, not an error', () => {
    const raw = only(parseAckEventBridge(JSON.parse(sample('ack-pod-backoff.json'))));
    expect(toSignals(raw, policy)).toStrictEqual({ signals: [], matched: [], note: 'ack alarm BackOff matches no detection rule' });
  });
});

describe('toSignals: which rules match', () => {
  const fixed = { region: { fixed: 'cn-hangzhou' }, severity: 'degraded' };
  const criteria = parsePolicy({
    ...base,
    detection: {
      rules: [
        { name: 'by-source', match: { source: 'ack' }, ...fixed },
        { name: 'by-name', match: { alertName: 'reviews-*-ratio' }, ...fixed },
        { name: 'by-metric', match: { metric: 'StatusCode5xx' }, ...fixed },
        { name: 'by-dimensions', match: { dimensions: { instanceId: 'lb-1', port: '443' } }, ...fixed },
        { name: 'by-labels', match: { labels: { severity: 'critical', namespace: 'bookinfo' } }, ...fixed },
      ],
    },
  });
  const raw = (over: Partial<RawAlarm>): RawAlarm => ({
    source: 'lab',
    name: 'other',
    state: 'firing',
    dimensions: {},
    labels: {},
    instance: 'i',
    at: 1,
    ...over,
  });

  test.each([
    ['nothing in common', raw({}), []],
    ['the source', raw({ source: 'ack' }), ['by-source']],
    ['the alert name glob', raw({ name: 'reviews-5xx-ratio' }), ['by-name']],
    ['a name the glob does not cover', raw({ name: 'reviews-5xx-count' }), []],
    ['the metric', raw({ metric: 'StatusCode5xx' }), ['by-metric']],
    ['another metric', raw({ metric: 'StatusCode4xx' }), []],
    [
      'every listed dimension, extra ones allowed',
      raw({ dimensions: { instanceId: 'lb-1', port: '443', vip: '1.2.3.4' } }),
      ['by-dimensions'],
    ],
    ['only some listed dimensions', raw({ dimensions: { instanceId: 'lb-1' } }), []],
    ['a dimension with another value', raw({ dimensions: { instanceId: 'lb-1', port: '80' } }), []],
    ['every listed label', raw({ labels: { severity: 'critical', namespace: 'bookinfo', pod: 'p' } }), ['by-labels']],
    ['a label given as a dimension does not count', raw({ dimensions: { severity: 'critical', namespace: 'bookinfo' } }), []],
    [
      'several rules at once',
      raw({ source: 'ack', name: 'reviews-5xx-ratio', metric: 'StatusCode5xx' }),
      ['by-source', 'by-name', 'by-metric'],
    ],
  ])('%s', (_what, alarm, rules) => {
    const result = toSignals(alarm, criteria);
    expect(result.matched).toStrictEqual(rules);
    expect(result.signals.map((s) => s.key)).toStrictEqual(rules.map((r) => `${r}|${alarm.source}|i`));
  });
});

describe('toSignals: alarms a matching rule cannot use', () => {
  const edge = parsePolicy({
    ...base,
    detection: {
      rules: [
        { name: 'payload', match: { alertName: 'p' } },
        { name: 'dimension', match: { alertName: 'd' }, region: { fromDimension: 'region' } },
        { name: 'label', match: { alertName: 'l' }, region: { fromLabel: 'region' } },
        { name: 'cluster', match: { alertName: 'c' }, region: { fromCluster: true } },
      ],
    },
  });
  const raw = (over: Partial<RawAlarm>): RawAlarm => ({
    source: 'cms',
    name: 'p',
    state: 'firing',
    level: 'WARN',
    dimensions: {},
    labels: {},
    urlRegion: 'cn-hangzhou',
    instance: 'i',
    at: 5,
    ...over,
  });
  const signal = (rule: string, over: Partial<Signal> = {}): Signal => ({
    key: `${rule}|cms|@cn-hangzhou|i`,
    source: 'cms',
    rule,
    region: 'cn-hangzhou',
    severity: 'degraded',
    status: 'firing',
    at: 5,
    ttl: TEN_MIN,
    name: rule === 'payload' ? 'p' : rule[0],
    ...over,
  });

  test.each([
    ['region from the callback URL (the default)', raw({}), { signals: [signal('payload')], matched: ['payload'] }],
    [
      'region from a dimension',
      raw({ name: 'd', dimensions: { region: 'cn-shanghai' } }),
      { signals: [signal('dimension', { region: 'cn-shanghai' })], matched: ['dimension'] },
    ],
    [
      'region from a label',
      raw({ name: 'l', labels: { region: 'cn-shanghai' } }),
      { signals: [signal('label', { region: 'cn-shanghai' })], matched: ['label'] },
    ],
    [
      'region from a cluster',
      raw({ name: 'c', clusterId: 'c-shanghai' }),
      { signals: [signal('cluster', { region: 'cn-shanghai' })], matched: ['cluster'] },
    ],
    [
      'service from a dimension when no label names it',
      raw({ dimensions: { service: 'ratings' } }),
      { signals: [signal('payload', { service: 'ratings' })], matched: ['payload'] },
    ],
    [
      'a region the policy does not declare',
      raw({ urlRegion: 'cn-beijing' }),
      {
        signals: [],
        matched: ['payload'],
        note: 'cms alarm p: rule payload: region cn-beijing (from the callback URL) is not declared in the policy (declared: cn-hangzhou, cn-shanghai)',
      },
    ],
    [
      'no region in the URL (an EventBridge event has none), whatever regionId the payload has',
      raw({ urlRegion: undefined, regionId: 'cn-hangzhou' }),
      {
        signals: [],
        matched: ['payload'],
        note: "cms alarm p: rule payload: the alarm came without a callback URL naming a region (set ?region=<region> on the cms callback URL, or place the rule's alarms with fixed or fromInstance)",
      },
    ],
    [
      'a missing dimension',
      raw({ name: 'd' }),
      { signals: [], matched: ['dimension'], note: 'cms alarm d: rule dimension: no region in dimension region' },
    ],
    [
      'a missing label',
      raw({ name: 'l' }),
      { signals: [], matched: ['label'], note: 'cms alarm l: rule label: no region in label region' },
    ],
    [
      'no cluster id',
      raw({ name: 'c' }),
      { signals: [], matched: ['cluster'], note: 'cms alarm c: rule cluster: the alarm names no cluster' },
    ],
    [
      'an unknown cluster',
      raw({ name: 'c', clusterId: 'c-beijing' }),
      { signals: [], matched: ['cluster'], note: 'cms alarm c: rule cluster: cluster c-beijing belongs to no region of the policy' },
    ],
    [
      'a firing level the default map does not know',
      raw({ level: 'INFO' }),
      {
        signals: [],
        matched: ['payload'],
        note: 'cms alarm p: rule payload: level INFO is not mapped to a severity (mapped: CRITICAL, critical, WARN, warning, Warning)',
      },
    ],
    [
      'a firing alarm without a level',
      raw({ level: undefined }),
      { signals: [], matched: ['payload'], note: 'cms alarm p: rule payload: the alarm has no level to map to a severity' },
    ],
    [
      'a resolve clears whatever its level',
      raw({ state: 'resolved', level: 'OK' }),
      { signals: [signal('payload', { status: 'resolved' })], matched: ['payload'] },
    ],
    ['CRITICAL maps to down', raw({ level: 'CRITICAL' }), { signals: [signal('payload', { severity: 'down' })], matched: ['payload'] }],
    [
      'insufficient data',
      raw({ state: 'insufficient' }),
      { signals: [], matched: ['payload'], note: 'cms alarm p reports insufficient data, which says nothing about health' },
    ],
  ])('%s', (_what, alarm, result) => {
    expect(toSignals(alarm, edge)).toStrictEqual(result);
  });
});

describe('toSignals: region maps from a dimension value', () => {
  const mapped = parsePolicy({
    ...base,
    detection: {
      rules: [
        {
          name: 'by-instance',
          match: { alertName: 'i' },
          region: { fromInstance: { 'lb-hz': 'cn-hangzhou', 'lb-sh': 'cn-shanghai' } },
          severity: 'down',
        },
        {
          name: 'by-vip',
          match: { alertName: 'v' },
          region: { fromDimension: 'vip', map: { '47.96.12.34': 'cn-hangzhou' } },
          severity: 'down',
        },
        { name: 'legacy', match: { alertName: 'p' }, region: { fromPayload: 'regionId' }, severity: 'down' },
      ],
    },
  });
  const raw = (name: string, dimensions: Record<string, string>, over: Partial<RawAlarm> = {}): RawAlarm => ({
    source: 'cms',
    name,
    state: 'firing',
    dimensions,
    labels: {},
    instance: 'i',
    at: 5,
    ...over,
  });
  const regions = (alarm: RawAlarm) => {
    const r = toSignals(alarm, mapped);
    return { regions: r.signals.map((s) => s.region), note: r.note };
  };

  test.each([
    ['an instance in the map', raw('i', { instanceId: 'lb-sh' }), { regions: ['cn-shanghai'], note: undefined }],
    [
      'an instance not in the map',
      raw('i', { instanceId: 'lb-x' }),
      { regions: [], note: "cms alarm i: rule by-instance: instance lb-x is not in the rule's fromInstance map" },
    ],
    [
      'no instanceId dimension',
      raw('i', { vip: '1.2.3.4' }),
      { regions: [], note: 'cms alarm i: rule by-instance: the alarm has no instanceId dimension to look up in fromInstance' },
    ],
    ['a dimension value in the map', raw('v', { vip: '47.96.12.34' }), { regions: ['cn-hangzhou'], note: undefined }],
    [
      'a dimension value not in the map',
      raw('v', { vip: '1.2.3.4' }),
      { regions: [], note: "cms alarm v: rule by-vip: dimension vip=1.2.3.4 is not in the rule's map" },
    ],
    // Reads a payload regionId, which no CMS callback has (the parser never sets one).
    [
      'fromPayload on a CMS alarm',
      raw('p', {}, { urlRegion: 'cn-hangzhou' }),
      { regions: [], note: 'cms alarm p: rule legacy: no region in the payload (CMS callbacks carry no regionId; use fromUrl)' },
    ],
  ])('%s', (_what, alarm, want) => {
    expect(regions(alarm)).toStrictEqual(want);
  });

  test('a map naming an undeclared region is a policy problem', () => {
    expect(() =>
      parsePolicy({ ...base, detection: { rules: [{ name: 'x', region: { fromInstance: { 'lb-1': 'cn-beijing' } } }] } }),
    ).toThrow('detection.rules[0].region.fromInstance.lb-1: unknown region cn-beijing (declared: cn-hangzhou, cn-shanghai)');
  });
});

describe('detectionWarnings', () => {
  const warn = (rules: unknown[]) => detectionWarnings(parsePolicy({ ...base, detection: { rules } }));

  test('a CMS rule whose region can only come from an undocumented field', () => {
    expect(warn([{ name: 'old', match: { source: 'cms' }, region: { fromPayload: 'regionId' } }])).toStrictEqual([
      "detection.rules[0] (old).region: region can only come from an undocumented field: CloudMonitor alarm callbacks carry no regionId, so no CMS alarm would become a signal (use {fromUrl: true} with ?region=<region> on each region's callback URL, {fixed: <region>} or {fromInstance: {<instance id>: <region>}})",
    ]);
    // A rule with no source matches CMS alarms too.
    expect(warn([{ name: 'any', region: { fromPayload: 'regionId' } }])).toHaveLength(1);
  });

  test('an ACK rule cannot use the URL; fromPayload on other sources reads their own region field', () => {
    expect(
      warn([
        { name: 'k', match: { source: 'ack' }, region: { fromPayload: 'regionId' } },
        { name: 'a', match: { source: 'alertmanager' }, region: { fromPayload: 'regionId' } },
        { name: 'u', match: { source: 'ack' }, region: { fromUrl: true } },
      ]),
    ).toStrictEqual([
      'detection.rules[2] (u).region: ACK events arrive through EventBridge, which has no callback URL to name a region (use {fromCluster: true})',
    ]);
  });

  test('the working forms, the default included, warn about nothing', () => {
    expect(
      warn([
        { name: 'default-cms', match: { source: 'cms' } },
        { name: 'default-ack', match: { source: 'ack' } },
        { name: 'url', match: { source: 'cms' }, region: { fromUrl: true } },
        { name: 'fixed', match: { source: 'cms' }, region: { fixed: 'cn-hangzhou' } },
        { name: 'map', match: { source: 'cms' }, region: { fromInstance: { 'lb-1': 'cn-hangzhou' } } },
        { name: 'label', match: { source: 'alertmanager' }, region: { fromLabel: 'region' } },
        { name: 'cluster', match: { source: 'ack' }, region: { fromCluster: true } },
      ]),
    ).toStrictEqual([]);
  });
});
