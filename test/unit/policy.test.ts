import { readFileSync } from 'node:fs';
import { PolicyError } from '../../shared/core/errors';
import { loadPolicyYaml, parsePolicy, type Policy } from '../../shared/core/policy';

const H = 3_600_000;
const M = 60_000;

const example = (name: string) => readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8');
const DINGTALK_ENV = { DINGTALK_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=t0k3n', DINGTALK_SECRET: 'SEC0123' };

/** The problems a policy is rejected with; fails the test when it is accepted. */
function problemsOf(parse: () => Policy): string[] {
  try {
    parse();
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  throw new Error('the policy was accepted');
}

const twoRegions = () => ({
  name: 'shop',
  mesh: { backend: 'asm', meshId: 'shop-mesh', apiRegion: 'cn-hangzhou' },
  regions: {
    'cn-hangzhou': { clusters: [{ id: 'c-hz' }] },
    'cn-shanghai': { clusters: [{ id: 'c-sh' }] },
  } as Record<string, unknown>,
});

const threeRegions = () => ({
  ...twoRegions(),
  regions: { ...twoRegions().regions, 'cn-beijing': { clusters: [{ id: 'c-bj' }] } },
});

const deployment = (regions: Record<string, unknown>) => ({ scaling: { deployments: [{ name: 'web', namespace: 'shop', regions }] } });
const schedule = (fields: Record<string, unknown>) => ({
  schedules: [{ name: 'night', cron: '0 0 22 * * *', timezone: 'Asia/Shanghai', duration: '2h', ...fields }],
});

describe('the example policies', () => {
  it('bookinfo.yaml: the default lab, with every field the core reads filled', () => {
    const p = loadPolicyYaml(example('bookinfo.yaml'));
    expect(p.mesh).toEqual({ backend: 'asm', meshId: 'bookinfo-mesh', apiRegion: 'cn-hangzhou', updateTimeout: M });
    expect(p.regionIds).toEqual(['cn-hangzhou', 'cn-shanghai']);
    expect(p.regions).toEqual({
      'cn-hangzhou': { load: 1, clusters: [{ id: 'c-hangzhou', kubeconfig: { fromCloud: true, endpoint: 'private' } }] },
      'cn-shanghai': { load: 1, clusters: [{ id: 'c-shanghai', kubeconfig: { fromCloud: true, endpoint: 'public' } }] },
    });
    expect(p.normal).toEqual({ 'cn-hangzhou': { 'cn-hangzhou': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } });
    expect(p.failover).toEqual({ 'cn-hangzhou': ['cn-shanghai'], 'cn-shanghai': ['cn-hangzhou'] });
    expect(p.detection.rules.map((r) => [r.name, r.region, r.severity])).toEqual([
      ['cms-5xx', { fromUrl: true }, { CRITICAL: 'down', WARN: 'degraded' }],
      ['cms-latency', { fromUrl: true }, 'degraded'],
      ['ack-pods-unready', { fromCluster: true }, 'down'],
      ['ack-node-not-ready', { fromCluster: true }, 'down'],
      ['alertmanager-mesh', { fromLabel: 'region' }, { critical: 'down', warning: 'degraded' }],
    ]);
    const placements = p.scaling.deployments.flatMap((d) => Object.keys(d.regions).map((r) => `${r}/${d.namespace}/${d.name}`));
    expect(placements).toEqual([
      'cn-hangzhou/default/productpage-v1',
      'cn-shanghai/default/productpage-v1',
      'cn-hangzhou/default/reviews-v1',
      'cn-shanghai/default/reviews-v2',
      'cn-hangzhou/default/ratings-v1',
      'cn-shanghai/default/ratings-v1',
      'cn-hangzhou/default/details-v1',
      'cn-shanghai/default/details-v1',
    ]);
    expect(p.schedules).toEqual([
      {
        name: 'evening-shift',
        cron: '0 0 22 * * *',
        timezone: 'Asia/Shanghai',
        duration: 2 * H,
        matrix: { 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
      },
    ]);
    expect(p.drills).toEqual({
      allowedWindows: [{ cron: '0 0 10 * * 1-5', timezone: 'Asia/Shanghai', duration: 8 * H }],
      maxDuration: H,
      outcomeAlarms: ['*-5xx-*'],
    });
    expect([p.notifications, p.drift]).toEqual([[{ type: 'log' }], 'reapply']);
  });

  it('bookinfo-istio.yaml: the same policy, owning four DestinationRules', () => {
    const istio = loadPolicyYaml(example('bookinfo-istio.yaml'));
    const asm = loadPolicyYaml(example('bookinfo.yaml'));
    expect(istio.mesh).toEqual({
      backend: 'istio',
      destinationRules: ['productpage', 'reviews', 'ratings', 'details'].map((name) => ({ namespace: 'default', name })),
      kubeconfig: {},
    });
    // placement differs on purpose: only the ASM variant has a control plane (mesh.apiRegion) in a steered region;
    // so does telemetry: it reads the access logs ASM ships to SLS, which the ASM variant configures.
    expect(istio.telemetry).toBeUndefined();
    expect(asm.telemetry?.logstores.map((l) => l.cluster)).toEqual(['c-hangzhou', 'c-shanghai']);
    expect({ ...istio, mesh: null, placement: null, telemetry: null }).toEqual({ ...asm, mesh: null, placement: null, telemetry: null });
  });

  it('three-region.yaml: loads, orders, quorum, freeze window and the night schedule', () => {
    const p = loadPolicyYaml(example('three-region.yaml'), DINGTALK_ENV);
    expect(Object.fromEntries(p.regionIds.map((r) => [r, p.regions[r]?.load]))).toEqual({
      'cn-hangzhou': 2,
      'cn-shanghai': 1,
      'cn-beijing': 1,
    });
    expect(p.normal).toEqual({
      'cn-hangzhou': { 'cn-hangzhou': 100 },
      'cn-shanghai': { 'cn-shanghai': 100 },
      'cn-beijing': { 'cn-beijing': 100 },
    });
    expect(p.failover).toEqual({
      'cn-hangzhou': ['cn-shanghai', 'cn-beijing'],
      'cn-shanghai': ['cn-hangzhou', 'cn-beijing'],
      'cn-beijing': ['cn-shanghai', 'cn-hangzhou'],
    });
    expect(p.detection.quorum).toBe(2);
    expect(p.safety).toEqual({
      minServingRegions: 2,
      maxDrainedRegions: 1,
      maxStepPercent: 50,
      stepInterval: M,
      cooldown: 30_000,
      freezeWindows: [{ cron: '0 0 0 11 11 *', timezone: 'Asia/Shanghai', duration: 24 * H }],
    });
    expect(p.schedules.map((s) => [s.name, s.duration, s.matrix])).toEqual([
      [
        'follow-the-sun',
        6 * H,
        {
          'cn-hangzhou': { 'cn-hangzhou': 100 },
          'cn-shanghai': { 'cn-hangzhou': 50, 'cn-shanghai': 50 },
          'cn-beijing': { 'cn-hangzhou': 50, 'cn-beijing': 50 },
        },
      ],
    ]);
    expect(p.notifications).toEqual([
      { type: 'log' },
      { type: 'dingtalk', webhook: DINGTALK_ENV.DINGTALK_WEBHOOK, secret: 'SEC0123', minLevel: 'warning' },
    ]);
  });
});

describe('schedules', () => {
  it('a schedule matrix may list only the rows it changes', () => {
    const p = parsePolicy({ ...twoRegions(), ...schedule({ matrix: { 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 } } }) });
    expect(p.schedules[0]?.matrix).toEqual({ 'cn-hangzhou': { 'cn-hangzhou': 90, 'cn-shanghai': 10 } });
  });

  it('`?` is accepted in a schedule cron', () => {
    expect(parsePolicy({ ...twoRegions(), ...schedule({ cron: '0 0 22 ? * MON-FRI', drain: ['cn-hangzhou'] }) }).schedules[0]?.cron).toBe(
      '0 0 22 ? * MON-FRI',
    );
  });
});

describe('defaults', () => {
  it('a minimal policy gets every default the design gives, and no more', () => {
    const p = parsePolicy(twoRegions());
    const expected: Policy = {
      apiVersion: 'regionshift/v1',
      name: 'shop',
      mesh: { backend: 'asm', meshId: 'shop-mesh', apiRegion: 'cn-hangzhou', updateTimeout: M },
      regions: {
        'cn-hangzhou': { load: 1, clusters: [{ id: 'c-hz', kubeconfig: {} }] },
        'cn-shanghai': { load: 1, clusters: [{ id: 'c-sh', kubeconfig: {} }] },
      },
      regionIds: ['cn-hangzhou', 'cn-shanghai'],
      normal: { 'cn-hangzhou': { 'cn-hangzhou': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
      failover: { 'cn-hangzhou': ['cn-shanghai'], 'cn-shanghai': ['cn-hangzhou'] },
      detection: {
        quorum: 1,
        defaultTtl: 10 * M,
        rules: [],
        maxAge: H,
        clockSkew: 5 * M,
        maxSignalsPerRegion: 100,
        cmsEventBridge: { maxSeverity: 'degraded' },
      },
      recovery: { holdFor: 5 * M, steps: [25, 50, 100], stepHold: 2 * M, maxHold: H },
      response: { degradedShare: 50, headroom: 1.2, redistribute: 'failoverOrder', guard: { margin: 5 } },
      safety: { minServingRegions: 1, maxDrainedRegions: 1, maxStepPercent: 50, stepInterval: M, cooldown: 30_000, freezeWindows: [] },
      scaling: { readyTimeout: 5 * M, scaleDownDelay: 15 * M, deployments: [] },
      schedules: [],
      overrides: { defaultTtl: H, maxTtl: 72 * H },
      drills: { allowedWindows: [], maxDuration: H, outcomeAlarms: [] },
      notifications: [{ type: 'log' }],
      drift: 'reapply',
    };
    expect(p).toEqual(expected);
  });

  it('fills defaults inside a section that is only partly written', () => {
    const p = parsePolicy({ ...twoRegions(), recovery: { holdFor: '90s' }, safety: { cooldown: 5 } });
    expect(p.recovery).toEqual({ holdFor: 90_000, steps: [25, 50, 100], stepHold: 2 * M, maxHold: H });
    expect(p.safety).toEqual({
      minServingRegions: 1,
      maxDrainedRegions: 1,
      maxStepPercent: 50,
      stepInterval: M,
      cooldown: 5000,
      freezeWindows: [],
    });
  });

  it('default failover orders follow declaration order; zero weights are dropped from the normal matrix', () => {
    const p = parsePolicy({
      ...threeRegions(),
      normal: {
        'cn-hangzhou': { 'cn-hangzhou': 100, 'cn-beijing': 0 },
        'cn-shanghai': { 'cn-shanghai': 80, 'cn-hangzhou': 20 },
        'cn-beijing': { 'cn-beijing': 100 },
      },
    });
    expect(p.failover).toEqual({
      'cn-hangzhou': ['cn-shanghai', 'cn-beijing'],
      'cn-shanghai': ['cn-hangzhou', 'cn-beijing'],
      'cn-beijing': ['cn-hangzhou', 'cn-shanghai'],
    });
    expect(p.normal).toEqual({
      'cn-hangzhou': { 'cn-hangzhou': 100 },
      'cn-shanghai': { 'cn-shanghai': 80, 'cn-hangzhou': 20 },
      'cn-beijing': { 'cn-beijing': 100 },
    });
  });
});

const DECLARED_2 = '(declared: cn-hangzhou, cn-shanghai)';

describe('a broken policy is rejected with every problem, each naming its path', () => {
  const mesh = twoRegions().mesh;
  const cases: Array<[string, unknown, string[]]> = [
    ['missing mesh id', { ...twoRegions(), mesh: { backend: 'asm', apiRegion: 'cn-hangzhou' } }, ['mesh.meshId: required']],
    [
      'unknown mesh backend',
      { ...twoRegions(), mesh: { ...mesh, backend: 'linkerd' } },
      ['mesh.backend: must be one of asm, istio (got "linkerd")'],
    ],
    [
      'a region with no load',
      { ...twoRegions(), regions: { ...twoRegions().regions, 'cn-hangzhou': { load: 0 } } },
      ['regions.cn-hangzhou.load: must be > 0'],
    ],
    ['one region', { ...twoRegions(), regions: { 'cn-hangzhou': {} } }, ['regions: declare at least two regions']],
    [
      'a region id that is not one',
      { ...twoRegions(), regions: { ...twoRegions().regions, 'cn.beijing': {} } },
      ['regions.cn.beijing: not a valid key: must be a region id like cn-hangzhou (lowercase letters, digits, dashes)'],
    ],
    ['a misspelt section', { ...twoRegions(), saftey: { minServingRegions: 2 } }, ['saftey: unknown field']],
    [
      'a cluster id declared twice',
      { ...twoRegions(), regions: { 'cn-hangzhou': { clusters: [{ id: 'c-1' }] }, 'cn-shanghai': { clusters: [{ id: 'c-1' }] } } },
      ['regions.cn-shanghai.clusters[0].id: c-1 is already declared in cn-hangzhou'],
    ],
    [
      'a matrix row summing to 90',
      { ...twoRegions(), normal: { 'cn-hangzhou': { 'cn-hangzhou': 80, 'cn-shanghai': 10 }, 'cn-shanghai': { 'cn-shanghai': 100 } } },
      ['normal.cn-hangzhou: weights sum to 90, must be exactly 100'],
    ],
    [
      'a weight above 100 (the row checks wait until the matrix parses)',
      { ...twoRegions(), normal: { 'cn-hangzhou': { 'cn-hangzhou': 110 } } },
      ['normal.cn-hangzhou.cn-hangzhou: must be <= 100'],
    ],
    [
      'a matrix with a missing row',
      { ...twoRegions(), normal: { 'cn-hangzhou': { 'cn-hangzhou': 100 } } },
      ["normal: no row for cn-shanghai (every region's traffic must go somewhere)"],
    ],
    [
      'an unknown region in a failover list',
      { ...twoRegions(), failover: { 'cn-hangzhou': ['cn-guangzhou'] } },
      [`failover.cn-hangzhou[0]: unknown region cn-guangzhou ${DECLARED_2}`],
    ],
    [
      'failover to itself',
      { ...twoRegions(), failover: { 'cn-hangzhou': ['cn-hangzhou', 'cn-shanghai'] } },
      ['failover.cn-hangzhou[0]: a region cannot fail over to itself'],
    ],
    [
      'an empty failover list',
      { ...twoRegions(), failover: { 'cn-shanghai': [] } },
      ['failover.cn-shanghai: empty, so a drained cn-shanghai would have nowhere to send its traffic'],
    ],
    [
      'a failover cycle stranding a region',
      {
        ...threeRegions(),
        failover: { 'cn-hangzhou': ['cn-shanghai'], 'cn-shanghai': ['cn-hangzhou'], 'cn-beijing': ['cn-hangzhou', 'cn-shanghai'] },
      },
      [
        'failover.cn-hangzhou: following the failover orders from cn-hangzhou never reaches cn-beijing, so its traffic is stranded when cn-hangzhou and cn-shanghai are drained',
        'failover.cn-shanghai: following the failover orders from cn-shanghai never reaches cn-beijing, so its traffic is stranded when cn-shanghai and cn-hangzhou are drained',
      ],
    ],
    [
      'a rule whose region is not a known shape',
      {
        ...twoRegions(),
        detection: {
          rules: [
            { name: 'r', region: { fromPayload: 'region' } },
            { name: 'r', region: { fromZone: 'x' } },
          ],
        },
      },
      [
        'detection.rules[0].region.fromPayload: must be regionId (got "region")',
        'detection.rules[1].region: must be one of {fromUrl: true}, {fixed: <region>}, {fromInstance: {<instance id>: <region>}}, {fromDimension: <name>, map?: {<value>: <region>}}, {fromLabel: <name>}, {fromCluster: true}',
      ],
    ],
    [
      'rules sharing a name, one fixed to an unknown region',
      { ...twoRegions(), detection: { rules: [{ name: 'r' }, { name: 'r', region: { fixed: 'cn-beijing' } }] } },
      [`detection.rules[1].region.fixed: unknown region cn-beijing ${DECLARED_2}`, 'detection.rules[1].name: r is used twice'],
    ],
    [
      'an ACK rule on a Deployment condition reason, which is never an Event',
      {
        ...twoRegions(),
        detection: {
          rules: [{ name: 'r', match: { source: 'ack', alertName: 'MinimumReplicasUnavailable' }, region: { fromCluster: true } }],
        },
      },
      [
        'detection.rules[0].match.alertName: MinimumReplicasUnavailable is a reason of a Deployment condition, never of a Kubernetes Event, so this rule can never fire; use detection.deploymentAvailability, or match Warning events (FailedCreate, Unhealthy, BackOff, ...) with a window',
      ],
    ],
    [
      'a rule window of no time, and availability thresholds the wrong way round',
      {
        ...twoRegions(),
        detection: {
          deploymentAvailability: { downAtOrBelow: 50, degradedBelow: 20 },
          rules: [{ name: 'r', window: { count: 0, within: '0s' } }],
        },
      },
      [
        'detection.rules[0].window.count: must be >= 1',
        'detection.rules[0].window.within: must be longer than 0s',
        'detection.deploymentAvailability: degradedBelow must be greater than downAtOrBelow',
      ],
    ],
    [
      'a deployment with min > max',
      { ...twoRegions(), ...deployment({ 'cn-hangzhou': { normalReplicas: 3, min: 4, max: 2 } }) },
      ['scaling.deployments[0].regions.cn-hangzhou: min (4) > max (2)'],
    ],
    [
      'normalReplicas outside its bounds',
      { ...twoRegions(), ...deployment({ 'cn-hangzhou': { normalReplicas: 8, max: 6 }, 'cn-shanghai': { normalReplicas: 0, max: 6 } }) },
      [
        'scaling.deployments[0].regions.cn-hangzhou.normalReplicas: 8 is outside [min 1, max 6]',
        'scaling.deployments[0].regions.cn-shanghai.normalReplicas: 0 is outside [min 1, max 6]',
      ],
    ],
    [
      'a deployment in a cluster its region does not have',
      { ...twoRegions(), ...deployment({ 'cn-hangzhou': { cluster: 'c-sh', normalReplicas: 2, max: 6 } }) },
      ['scaling.deployments[0].regions.cn-hangzhou.cluster: c-sh is not a cluster of cn-hangzhou (declared: c-hz)'],
    ],
    [
      'the same deployment scaled by two entries',
      {
        ...twoRegions(),
        scaling: {
          deployments: [1, 2].map(() => ({ name: 'web', namespace: 'shop', regions: { 'cn-hangzhou': { normalReplicas: 2, max: 6 } } })),
        },
      },
      ['scaling.deployments[1].regions.cn-hangzhou: c-hz/shop/web is already scaled by scaling.deployments[0].regions.cn-hangzhou'],
    ],
    [
      'a bad cron (5 fields) and a bad time zone',
      {
        ...twoRegions(),
        ...schedule({
          cron: '0 22 * * *',
          timezone: 'Asia/Shangai',
          matrix: { 'cn-hangzhou': { 'cn-hangzhou': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
        }),
      },
      [
        'schedules[0].timezone: unknown IANA time zone "Asia/Shangai" (write one like Asia/Shanghai or UTC)',
        'schedules[0].cron: must have 6 fields (seconds minutes hours day-of-month month day-of-week), got 5 in "0 22 * * *"',
      ],
    ],
    [
      'a schedule with both matrix and drain',
      {
        ...twoRegions(),
        ...schedule({ matrix: { 'cn-hangzhou': { 'cn-shanghai': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } }, drain: ['cn-hangzhou'] }),
      },
      ['schedules[0]: set either matrix or drain, not both'],
    ],
    [
      'a schedule row that does not add up, to an undeclared region',
      { ...twoRegions(), ...schedule({ matrix: { 'cn-hangzhou': { 'cn-hangzhou': 70, 'cn-wuhan': 20 } } }) },
      [
        `schedules[0].matrix.cn-hangzhou.cn-wuhan: unknown region cn-wuhan ${DECLARED_2}`,
        'schedules[0].matrix.cn-hangzhou: weights sum to 90, must be exactly 100',
      ],
    ],
    [
      'a schedule that drains every region',
      { ...twoRegions(), ...schedule({ drain: ['cn-hangzhou', 'cn-shanghai'] }) },
      ['schedules[0].drain: cannot drain every region'],
    ],
    [
      'a schedule that lasts no time',
      { ...twoRegions(), ...schedule({ drain: ['cn-hangzhou'], duration: '0s' }) },
      ['schedules[0].duration: must be longer than 0s'],
    ],
    [
      'a freeze window on a date that never comes',
      { ...twoRegions(), safety: { freezeWindows: [{ cron: '0 0 0 31 4 *', duration: '1h' }] } },
      ['safety.freezeWindows[0].cron: "0 0 0 31 4 *" never fires'],
    ],
    [
      'a duration without a unit',
      { ...twoRegions(), recovery: { holdFor: '5 minutes' } },
      ['recovery.holdFor: must be a duration like 30s, 5m, 1h30m (got "5 minutes")'],
    ],
    [
      'recovery steps that never give the full share back',
      { ...twoRegions(), recovery: { steps: [50, 25] } },
      ['recovery.steps: the last step must be 100 (full share back)', 'recovery.steps: must increase'],
    ],
    [
      'holds and TTLs that contradict each other',
      { ...twoRegions(), recovery: { holdFor: '2h' }, overrides: { defaultTtl: '4d' } },
      ['recovery.maxHold: 1h is shorter than recovery.holdFor (2h)', 'overrides.defaultTtl: 4d is longer than overrides.maxTtl (3d)'],
    ],
    [
      'more serving regions than declared',
      { ...twoRegions(), safety: { minServingRegions: 3 } },
      ['safety.minServingRegions: 3 is more than the 2 declared regions'],
    ],
    [
      'a webhook that is not a URL',
      { ...twoRegions(), notifications: [{ type: 'webhook', url: 'hooks/ops' }] },
      ['notifications[0].url: must be a URL (got "hooks/ops")'],
    ],
    [
      'a drift mode that does not exist',
      { ...twoRegions(), drift: 'ignore' },
      ['drift: must be one of reapply, adopt, alert (got "ignore")'],
    ],
    [
      'several problems at once, structural and semantic',
      {
        ...twoRegions(),
        mesh: { backend: 'asm', apiRegion: 'cn-hangzhou' },
        regions: { 'cn-hangzhou': { load: -1, clusters: [{ id: 'c-hz' }] }, 'cn-shanghai': { clusters: [{ id: 'c-sh' }] } },
        normal: { 'cn-hangzhou': { 'cn-hangzhou': 90 }, 'cn-shanghai': { 'cn-shanghai': 100 } },
        failover: { 'cn-hangzhou': ['cn-hangzhou'] },
        ...deployment({ 'cn-shanghai': { normalReplicas: 2, min: 3, max: 1 } }),
        drills: { allowedWindows: [{ cron: '0 0 10 * * 1-5', timezone: 'Mars/Olympus', duration: '8h' }] },
        drift: 'sometimes',
      },
      [
        'mesh.meshId: required',
        'regions.cn-hangzhou.load: must be > 0',
        'drift: must be one of reapply, adopt, alert (got "sometimes")',
        'normal.cn-hangzhou: weights sum to 90, must be exactly 100',
        'failover.cn-hangzhou[0]: a region cannot fail over to itself',
        'scaling.deployments[0].regions.cn-shanghai: min (3) > max (1)',
        'drills.allowedWindows[0].timezone: unknown IANA time zone "Mars/Olympus" (write one like Asia/Shanghai or UTC)',
      ],
    ],
    ['not a mapping at all', ['name: shop'], ['(root): must be a mapping of fields (got a list)']],
  ];

  it.each(cases)('%s', (_name, raw, expected) => {
    expect(problemsOf(() => parsePolicy(raw))).toEqual(expected);
  });

  it('the error message lists the problems under a stable code', () => {
    const err = (() => {
      try {
        parsePolicy({ ...twoRegions(), drift: 'ignore' });
      } catch (e) {
        return e as PolicyError;
      }
      throw new Error('accepted');
    })();
    expect([err.code, err.retryable, err.message]).toEqual([
      'POLICY.INVALID',
      false,
      'invalid policy:\n  drift: must be one of reapply, adopt, alert (got "ignore")',
    ]);
  });
});
