import { parsePolicy } from '../../../shared/core/policy';
import { measureOf, toSignals } from '../../../shared/signals/detection';
import type { RawAlarm } from '../../../shared/signals/raw-alarm';

/** A signal's magnitude: CMS curValue or an Alertmanager annotation, read as the rule says. */
const base = {
  name: 'bookinfo',
  mesh: { backend: 'asm', meshId: 'c-mesh-1', apiRegion: 'cn-hangzhou' },
  regions: { 'cn-hangzhou': { clusters: [{ id: 'c-hangzhou' }] }, 'cn-shanghai': { clusters: [{ id: 'c-shanghai' }] } },
};
const policy = parsePolicy({
  ...base,
  detection: {
    rules: [
      { name: 'cms-5xx', match: { source: 'cms', alertName: '*-5xx-*' }, measure: { kind: 'errorPercent' } },
      { name: 'cms-latency', match: { source: 'cms', alertName: '*-latency-p99' }, severity: 'degraded', measure: { kind: 'latencyMs' } },
      { name: 'cms-plain', match: { source: 'cms', alertName: 'plain-*' } },
      {
        name: 'am',
        match: { source: 'alertmanager' },
        region: { fromLabel: 'region' },
        measure: { kind: 'errorRatio', from: { annotation: 'value' } },
      },
    ],
  },
});

const cms = (name: string, curValue: string | undefined, metric = 'ServiceRequest5xxRate'): RawAlarm => ({
  source: 'cms',
  name,
  state: 'firing',
  level: 'CRITICAL',
  metric,
  dimensions: {},
  labels: {},
  urlRegion: 'cn-hangzhou',
  instance: `${name}|`,
  at: 1_700_000_000_000,
  ...(curValue !== undefined && { curValue }),
});
const am = (annotations: Record<string, string>): RawAlarm => ({
  source: 'alertmanager',
  name: 'ReviewsErrors',
  state: 'firing',
  level: 'critical',
  dimensions: {},
  labels: { alertname: 'ReviewsErrors', region: 'cn-shanghai' },
  regionId: 'cn-shanghai',
  instance: 'fp',
  at: 1_700_000_000_000,
  annotations,
});
const measureOfSignal = (raw: RawAlarm) => toSignals(raw, policy).signals.map((s) => s.measure);

describe('signal measure', () => {
  test.each([
    [
      'a 5xx percent becomes an error share',
      cms('reviews-5xx-cn-hangzhou', '34.5'),
      [{ kind: 'errorShare', value: 0.345, metric: 'ServiceRequest5xxRate' }],
    ],
    [
      'a percent sign is allowed',
      cms('reviews-5xx-cn-hangzhou', ' 60% '),
      [{ kind: 'errorShare', value: 0.6, metric: 'ServiceRequest5xxRate' }],
    ],
    [
      'a latency is kept as milliseconds of its metric',
      cms('reviews-latency-p99', '812', 'ServiceRequestLatency'),
      [{ kind: 'latencyMs', value: 812, metric: 'ServiceRequestLatency' }],
    ],
    ['no curValue: the signal fires without a measure', cms('reviews-5xx-cn-hangzhou', undefined), [undefined]],
    ['a curValue that is no number gives no measure', cms('reviews-5xx-cn-hangzhou', 'NaN'), [undefined]],
    ['a percent over 100 is not an error share', cms('reviews-5xx-cn-hangzhou', '140'), [undefined]],
    ['a rule without measure: gives none', cms('plain-alarm', '34.5'), [undefined]],
    [
      'an Alertmanager annotation holding {{ $value }} (a ratio)',
      am({ value: '0.42', summary: 'x' }),
      [{ kind: 'errorShare', value: 0.42, metric: 'am' }],
    ],
    ['an inherited key is no annotation', am({ summary: 'x' }), [undefined]],
  ])('%s', (_what, raw, expected) => {
    expect(measureOfSignal(raw)).toStrictEqual(expected);
  });

  test('a resolve carries no measure (it clears by key)', () => {
    const rule = policy.detection.rules[0];
    if (!rule) throw new Error('no rule');
    expect(measureOf(rule, { ...cms('reviews-5xx-cn-hangzhou', '5'), state: 'resolved' })).toBeUndefined();
  });

  test('the annotation is read as an own key only: __proto__ or toString name nothing', () => {
    const p = parsePolicy({
      ...base,
      detection: {
        rules: [
          {
            name: 'am',
            match: { source: 'alertmanager' },
            region: { fromLabel: 'region' },
            measure: { kind: 'value', from: { annotation: 'toString' } },
          },
        ],
      },
    });
    expect(toSignals(am({ summary: 'x' }), p).signals.map((s) => s.measure)).toStrictEqual([undefined]);
  });
});
