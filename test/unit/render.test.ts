import { InvariantError, MeshRejectedError, ValidationError } from '../../shared/core/errors';
import { identityMatrix } from '../../shared/core/matrix';
import { configEquals, matrixFromConfig, parseLiveLocalityLb, renderMeshConfig, toAsmLocalityLbConf } from '../../shared/core/render';
import { localityLbProblems } from '../../shared/core/mesh-validation';
import type { MeshConfig, TrafficMatrix } from '../../shared/core/types';

const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';
const BJ = 'cn-beijing';
type FailoverPolicy = { regionIds: string[]; failover: Record<string, string[]> };
const TWO: FailoverPolicy = { regionIds: [HZ, SH], failover: { [HZ]: [SH], [SH]: [HZ] } };
const THREE: FailoverPolicy = { regionIds: [HZ, SH, BJ], failover: { [HZ]: [SH, BJ], [SH]: [BJ, HZ], [BJ]: [HZ, SH] } };

const failoverPairsTwo = [
  { from: HZ, to: SH },
  { from: SH, to: HZ },
];
const failoverTwo: MeshConfig = { mode: 'failover', localityLbSetting: { failover: failoverPairsTwo } };
const ninetyTen: MeshConfig = {
  mode: 'distribute',
  localityLbSetting: {
    distribute: [
      { from: `${HZ}/*`, to: { [`${HZ}/*`]: 90, [`${SH}/*`]: 10 } },
      { from: `${SH}/*`, to: { [`${SH}/*`]: 100 } },
    ],
  },
};

describe('renderMeshConfig', () => {
  test.each<[string, TrafficMatrix, FailoverPolicy, MeshConfig]>([
    ['2-region identity → failover pairs', identityMatrix([HZ, SH]), TWO, failoverTwo],
    [
      "3-region identity → each region's first failover choice, in regionIds order",
      identityMatrix([HZ, SH, BJ]),
      THREE,
      {
        mode: 'failover',
        localityLbSetting: {
          failover: [
            { from: HZ, to: SH },
            { from: SH, to: BJ },
            { from: BJ, to: HZ },
          ],
        },
      },
    ],
    [
      '90/10 → distribute, one rule per source, a local-only source included',
      { [HZ]: { [HZ]: 90, [SH]: 10 }, [SH]: { [SH]: 100 } },
      TWO,
      ninetyTen,
    ],
    [
      'a drained region: its rule omits itself, zero weights omitted',
      { [HZ]: { [HZ]: 0, [SH]: 70, [BJ]: 30 }, [SH]: { [SH]: 100, [BJ]: 0 }, [BJ]: { [BJ]: 100 } },
      THREE,
      {
        mode: 'distribute',
        localityLbSetting: {
          distribute: [
            { from: `${HZ}/*`, to: { [`${SH}/*`]: 70, [`${BJ}/*`]: 30 } },
            { from: `${SH}/*`, to: { [`${SH}/*`]: 100 } },
            { from: `${BJ}/*`, to: { [`${BJ}/*`]: 100 } },
          ],
        },
      },
    ],
  ])('%s', (_name, matrix, policy, expected) => {
    const config = renderMeshConfig(matrix, policy);
    expect(config).toEqual(expected);
    expect(JSON.stringify(config)).toBe(JSON.stringify(expected));
  });

  test("rule order follows regionIds, not the matrix's key order", () => {
    const config = renderMeshConfig({ [SH]: { [SH]: 100 }, [HZ]: { [SH]: 10, [HZ]: 90 } }, TWO);
    expect(JSON.stringify(config)).toBe(JSON.stringify(ninetyTen));
  });

  test('a matrix that is not a complete integer matrix is refused before rendering', () => {
    expect(() => renderMeshConfig({ [HZ]: { [HZ]: 90.5, [SH]: 9.5 }, [SH]: { [SH]: 100 } }, TWO)).toThrow(InvariantError);
    expect(() => renderMeshConfig({ [HZ]: { [HZ]: 100 } }, TWO)).toThrow(`matrix.${SH}: missing row`);
  });

  test('a config the mesh would reject is never returned', () => {
    // The policy loader forbids failing over to oneself; if such a policy slipped through,
    // rendering must stop rather than hand Istio a from == to rule.
    const selfFailover = { regionIds: [HZ, SH], failover: { [HZ]: [HZ], [SH]: [HZ] } };
    expect(() => renderMeshConfig(identityMatrix([HZ, SH]), selfFailover)).toThrow(MeshRejectedError);
    expect(() => renderMeshConfig(identityMatrix([HZ, SH]), selfFailover)).toThrow(`from and to must differ (${HZ})`);
    const regionWithWildcard = { regionIds: ['cn-*', SH], failover: { 'cn-*': [SH], [SH]: ['cn-*'] } };
    expect(() => renderMeshConfig(identityMatrix(['cn-*', SH]), regionWithWildcard)).toThrow(MeshRejectedError);
  });
});

describe('toAsmLocalityLbConf', () => {
  test.each<[string, MeshConfig, string]>([
    ['failover', failoverTwo, '{"failover":[{"from":"cn-hangzhou","to":"cn-shanghai"},{"from":"cn-shanghai","to":"cn-hangzhou"}]}'],
    // Bare regions, as in ASM's UpdateMeshFeature examples (`{"from":"cn-beijing","to":{"cn-beijing":70,…}}`).
    [
      'distribute',
      ninetyTen,
      '{"distribute":[{"from":"cn-hangzhou","to":{"cn-hangzhou":90,"cn-shanghai":10}},{"from":"cn-shanghai","to":{"cn-shanghai":100}}]}',
    ],
  ])('%s → the exact LocalityLBConf string', (_name, config, expected) => {
    expect(toAsmLocalityLbConf(config)).toBe(expected);
  });

  test('only from/to reach the API, in a fixed key order', () => {
    const withExtras = { mode: 'failover', localityLbSetting: { failover: [{ to: SH, from: HZ, priority: 1 }] } } as unknown as MeshConfig;
    expect(toAsmLocalityLbConf(withExtras)).toBe('{"failover":[{"from":"cn-hangzhou","to":"cn-shanghai"}]}');
  });

  test('a distribute rendered as region/* goes out bare and still passes Istio validation', () => {
    const sent = JSON.parse(toAsmLocalityLbConf(ninetyTen)) as { distribute: Array<{ from: string; to: Record<string, number> }> };
    expect(sent.distribute.map((d) => d.from)).toEqual([HZ, SH]);
    expect(sent.distribute.flatMap((d) => Object.keys(d.to)).every((loc) => !loc.includes('/'))).toBe(true);
    expect(localityLbProblems(sent)).toEqual([]);
    expect(configEquals(parseLiveLocalityLb(sent).config, ninetyTen)).toBe(true);
  });

  test('refuses a config the mesh would reject', () => {
    const badWeights: MeshConfig = {
      mode: 'distribute',
      localityLbSetting: { distribute: [{ from: `${HZ}/*`, to: { [`${HZ}/*`]: 90, [`${SH}/*`]: 5 } }] },
    };
    expect(() => toAsmLocalityLbConf(badWeights)).toThrow(MeshRejectedError);
    const modeMismatch: MeshConfig = { mode: 'distribute', localityLbSetting: failoverTwo.localityLbSetting };
    expect(() => toAsmLocalityLbConf(modeMismatch)).toThrow('mode is distribute but the setting holds failover');
  });
});

describe('parseLiveLocalityLb', () => {
  const failoverEntries = [
    { from: HZ, to: SH },
    { from: SH, to: HZ },
  ];
  const capitalisedFailover = [
    { From: HZ, To: SH },
    { From: SH, To: HZ },
  ];
  const distributeEntries = [
    { from: `${HZ}/*`, to: { [`${HZ}/*`]: 90, [`${SH}/*`]: 10 } },
    { from: `${SH}/*`, to: { [`${SH}/*`]: 100 } },
  ];

  test.each<[string, unknown, boolean, MeshConfig | null]>([
    ['Istio localityLbSetting, failover', { enabled: true, failover: failoverEntries }, true, failoverTwo],
    ['Istio localityLbSetting, distribute (enabled unset)', { distribute: distributeEntries }, true, ninetyTen],
    [
      'ASM, Failover as an array with capitalised keys',
      { Enabled: true, Failover: capitalisedFailover, Distribute: null },
      true,
      failoverTwo,
    ],
    ['ASM, Failover as a {failover:[…]} wrapper', { Enabled: true, Failover: { failover: failoverEntries } }, true, failoverTwo],
    [
      'ASM, Failover as a capitalised {Failover:[…]} wrapper',
      { Enabled: true, Failover: { Failover: capitalisedFailover } },
      true,
      failoverTwo,
    ],
    [
      'ASM, Failover as a JSON string of the wrapper',
      { Enabled: true, Failover: JSON.stringify({ failover: failoverEntries }) },
      true,
      failoverTwo,
    ],
    [
      'ASM, Distribute as a {distribute:[…]} wrapper with capitalised entries',
      {
        Enabled: true,
        Failover: [],
        Distribute: {
          distribute: [
            { From: `${HZ}/*`, To: { [`${HZ}/*`]: 90, [`${SH}/*`]: 10 } },
            { From: `${SH}/*`, To: { [`${SH}/*`]: 100 } },
          ],
        },
      },
      true,
      ninetyTen,
    ],
    [
      'ASM, Distribute as an array with string weights',
      {
        Enabled: 'true',
        Distribute: [
          { From: `${HZ}/*`, To: { [`${HZ}/*`]: '90', [`${SH}/*`]: '10' } },
          { From: `${SH}/*`, To: { [`${SH}/*`]: '100' } },
        ],
      },
      true,
      ninetyTen,
    ],
    [
      'ASM, Distribute entry whose To is a JSON string',
      {
        Enabled: true,
        Distribute: [
          { From: `${HZ}/*`, To: JSON.stringify({ [`${HZ}/*`]: 90, [`${SH}/*`]: 10 }) },
          { From: `${SH}/*`, To: { [`${SH}/*`]: 100 } },
        ],
      },
      true,
      ninetyTen,
    ],
    [
      'the whole LocalityLB as a JSON string',
      JSON.stringify({ Enabled: true, Failover: { failover: failoverEntries } }),
      true,
      failoverTwo,
    ],
    [
      'a LocalityLBConf string as sent',
      '{"failover":[{"from":"cn-hangzhou","to":"cn-shanghai"},{"from":"cn-shanghai","to":"cn-hangzhou"}]}',
      true,
      failoverTwo,
    ],
    ['disabled, even with rules present', { Enabled: false, Failover: failoverEntries }, false, null],
    ['disabled as the string "false"', { Enabled: 'False', Failover: failoverEntries }, false, null],
    ['enabled with no rules', { Enabled: true, Failover: [], Distribute: { distribute: [] } }, true, null],
    [
      'failoverPriority only: not something this product drives',
      { enabled: true, failoverPriority: ['topology.kubernetes.io/region'] },
      true,
      null,
    ],
    ['an empty object', {}, false, null],
    ['null', null, false, null],
    ['undefined', undefined, false, null],
    ['an empty string', '', false, null],
    ['no Enabled, no rules: off', { Failover: [] }, false, null],
    ['Enabled as the string "TRUE"', { Enabled: 'TRUE', Failover: failoverEntries }, true, failoverTwo],
    ['disabled: rules it keeps are not read, even malformed', { Enabled: false, Failover: [{ from: HZ }] }, false, null],
  ])('%s', (_name, raw, enabled, config) => {
    expect(parseLiveLocalityLb(raw)).toEqual({ enabled, config });
  });

  test.each<[string, unknown, string]>([
    [
      'both failover and distribute',
      { Enabled: true, Failover: failoverEntries, Distribute: distributeEntries },
      'LocalityLB: sets both Failover and Distribute',
    ],
    ['malformed JSON', '{"failover":[', 'LocalityLB: not valid JSON'],
    ['a failover entry without to', { failover: [{ from: HZ }] }, 'LocalityLB.Failover[0]: must be {from: region, to: region}'],
    [
      'a non-numeric weight',
      { distribute: [{ from: `${HZ}/*`, to: { [`${HZ}/*`]: 'most' } }] },
      `LocalityLB.Distribute[0].to.${HZ}/*: weight must be a number`,
    ],
    ['Failover that is not a list', { Failover: 42 }, 'LocalityLB.Failover: must be a list of {from, to}'],
    ['a top level that is not an object', [1, 2], 'LocalityLB: must be an object'],
    ['an Enabled that is neither true nor false', { Enabled: 1, Failover: failoverEntries }, 'LocalityLB.Enabled: must be true or false'],
  ])('rejects %s', (_name, raw, message) => {
    expect(() => parseLiveLocalityLb(raw)).toThrow(ValidationError);
    expect(() => parseLiveLocalityLb(raw)).toThrow(message);
  });
});

describe('matrixFromConfig', () => {
  test.each<[string, MeshConfig, string[], TrafficMatrix]>([
    ['failover → identity, whatever the failover order', failoverTwo, [HZ, SH], { [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } }],
    ['distribute → weights with /* stripped', ninetyTen, [HZ, SH], { [HZ]: { [HZ]: 90, [SH]: 10 }, [SH]: { [SH]: 100 } }],
    [
      'a source without a rule stays local',
      { mode: 'distribute', localityLbSetting: { distribute: [{ from: `${HZ}/*`, to: { [`${SH}/*`]: 60, [`${BJ}/*`]: 40 } }] } },
      [HZ, SH, BJ],
      { [HZ]: { [SH]: 60, [BJ]: 40 }, [SH]: { [SH]: 100 }, [BJ]: { [BJ]: 100 } },
    ],
    [
      'bare region localities (hand-written) read the same as region/*',
      { mode: 'distribute', localityLbSetting: { distribute: [{ from: SH, to: { [SH]: 20, [HZ]: 80 } }] } },
      [HZ, SH],
      { [HZ]: { [HZ]: 100 }, [SH]: { [HZ]: 80, [SH]: 20 } },
    ],
    [
      'region and region/* for the same destination add up',
      { mode: 'distribute', localityLbSetting: { distribute: [{ from: `${HZ}/*`, to: { [HZ]: 30, [`${HZ}/*`]: 20, [`${SH}/*`]: 50 } }] } },
      [HZ, SH],
      { [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } },
    ],
  ])('%s', (_name, config, regionIds, expected) => {
    const m = matrixFromConfig(config, regionIds);
    expect(m).toEqual(expected);
    expect(JSON.stringify(m)).toBe(JSON.stringify(expected));
  });

  test.each<[string, MeshConfig, string]>([
    [
      'a zone-level rule',
      { mode: 'distribute', localityLbSetting: { distribute: [{ from: `${HZ}/cn-hangzhou-h/*`, to: { [`${SH}/*`]: 100 } }] } },
      `distribute[0].from: ${HZ}/cn-hangzhou-h/* is finer than a region`,
    ],
    [
      'an unknown region',
      { mode: 'distribute', localityLbSetting: { distribute: [{ from: `${HZ}/*`, to: { 'us-west-1/*': 100 } }] } },
      'distribute[0].to.us-west-1/*: unknown region us-west-1',
    ],
    [
      'two rules for one source',
      {
        mode: 'distribute',
        localityLbSetting: {
          distribute: [
            { from: `${HZ}/*`, to: { [`${SH}/*`]: 100 } },
            { from: HZ, to: { [HZ]: 100 } },
          ],
        },
      },
      `distribute[1].from: ${HZ} has more than one rule`,
    ],
    [
      'weights that do not sum to 100',
      { mode: 'distribute', localityLbSetting: { distribute: [{ from: `${HZ}/*`, to: { [`${SH}/*`]: 60 } }] } },
      `distribute.${HZ}: weights must sum to 100 (got 60)`,
    ],
  ])('refuses to adopt %s', (_name, config, message) => {
    expect(() => matrixFromConfig(config, [HZ, SH])).toThrow(message);
  });
});

describe('configEquals', () => {
  test.each<[string, MeshConfig | null, MeshConfig | null, boolean]>([
    ['the same config', ninetyTen, ninetyTen, true],
    [
      'weight keys in another order',
      ninetyTen,
      {
        mode: 'distribute',
        localityLbSetting: {
          distribute: [
            { from: `${HZ}/*`, to: { [`${SH}/*`]: 10, [`${HZ}/*`]: 90 } },
            { from: `${SH}/*`, to: { [`${SH}/*`]: 100 } },
          ],
        },
      },
      true,
    ],
    [
      'rules in another order',
      failoverTwo,
      {
        mode: 'failover',
        localityLbSetting: {
          failover: [
            { from: SH, to: HZ },
            { from: HZ, to: SH },
          ],
        },
      },
      true,
    ],
    [
      'region and region/* are the same locality',
      ninetyTen,
      {
        mode: 'distribute',
        localityLbSetting: {
          distribute: [
            { from: HZ, to: { [HZ]: 90, [SH]: 10 } },
            { from: SH, to: { [SH]: 100 } },
          ],
        },
      },
      true,
    ],
    [
      'a later rule for the same source is dead',
      failoverTwo,
      { mode: 'failover', localityLbSetting: { failover: [...failoverPairsTwo, { from: HZ, to: BJ }] } },
      true,
    ],
    [
      'a later distribute rule for the same source is dead',
      ninetyTen,
      {
        mode: 'distribute',
        localityLbSetting: {
          distribute: [
            { from: `${HZ}/*`, to: { [`${HZ}/*`]: 90, [`${SH}/*`]: 10 } },
            { from: `${SH}/*`, to: { [`${SH}/*`]: 100 } },
            { from: `${HZ}/*`, to: { [`${SH}/*`]: 100 } },
          ],
        },
      },
      true,
    ],
    [
      'one weight differs',
      ninetyTen,
      {
        mode: 'distribute',
        localityLbSetting: {
          distribute: [
            { from: `${HZ}/*`, to: { [`${HZ}/*`]: 80, [`${SH}/*`]: 20 } },
            { from: `${SH}/*`, to: { [`${SH}/*`]: 100 } },
          ],
        },
      },
      false,
    ],
    [
      'a rule missing',
      ninetyTen,
      { mode: 'distribute', localityLbSetting: { distribute: [{ from: `${HZ}/*`, to: { [`${HZ}/*`]: 90, [`${SH}/*`]: 10 } }] } },
      false,
    ],
    [
      'a failover target differs',
      failoverTwo,
      {
        mode: 'failover',
        localityLbSetting: {
          failover: [
            { from: HZ, to: BJ },
            { from: SH, to: HZ },
          ],
        },
      },
      false,
    ],
    ['failover against distribute', failoverTwo, ninetyTen, false],
    ['both null', null, null, true],
    ['null against a config', null, failoverTwo, false],
  ])('%s → %s', (_name, a, b, expected) => {
    expect(configEquals(a, b)).toBe(expected);
    expect(configEquals(b, a)).toBe(expected);
  });

  test('what is sent reads back as the same config', () => {
    for (const config of [failoverTwo, ninetyTen])
      expect(configEquals(parseLiveLocalityLb(toAsmLocalityLbConf(config)).config, config)).toBe(true);
  });
});
