import type { EffectiveTrafficPolicy } from '../../../lab/dataplane/config-source';
import type { Pod } from '../../../lab/dataplane/endpoints';
import { layoutEndpoints, localityMatches } from '../../../lab/dataplane/locality-lb';

function pod(region: string, zone: string, n: number): Pod {
  return {
    id: `${zone}-${n}`,
    cluster: `c-${region}`,
    namespace: 'default',
    deployment: 'reviews',
    service: 'reviews',
    version: 'v1',
    region,
    zone,
    labels: {},
    servedKey: `${region}/reviews/v1`,
  };
}

const pods = [
  pod('cn-hangzhou', 'h', 0),
  pod('cn-hangzhou', 'h', 1),
  pod('cn-hangzhou', 'i', 0),
  pod('cn-shanghai', 'e', 0),
  pod('cn-beijing', 'a', 0),
];
const caller = { region: 'cn-hangzhou', zone: 'h' };
const policy = (p: Partial<EffectiveTrafficPolicy>): EffectiveTrafficPolicy => ({
  localityLb: null,
  outlierDetection: null,
  subsets: {},
  ...p,
});
const shape = (l: ReturnType<typeof layoutEndpoints>) => ({
  mode: l.mode,
  levels: l.levels.map((lv) => lv.groups.map((g) => `${g.locality}${g.weight === null ? '' : `=${g.weight}`}:${g.hosts.length}`)),
});

describe('localityMatches (Istio util.LocalityMatch)', () => {
  test.each([
    ['cn-hangzhou/*', true],
    ['cn-hangzhou', true],
    ['cn-hangzhou/h', true],
    ['cn-hangzhou/i', false],
    ['*', true],
    ['cn-shanghai/*', false],
    ['cn-hangzhou/h/*', true],
    ['cn-hangzhou/h/s1', false],
  ] as const)('%s → %s', (pattern, expected) => {
    expect(localityMatches(caller, pattern)).toBe(expected);
  });
});

describe('layoutEndpoints', () => {
  const od = { consecutive5xxErrors: 5 };

  test('failover: own zone, own region, the failover target, then the rest', () => {
    const l = layoutEndpoints(
      caller,
      pods,
      policy({ localityLb: { failover: [{ from: 'cn-hangzhou', to: 'cn-beijing' }] }, outlierDetection: od }),
    );
    expect(shape(l)).toEqual({
      mode: 'failover',
      levels: [['cn-hangzhou/h:2'], ['cn-hangzhou/i:1'], ['cn-beijing/a:1'], ['cn-shanghai/e:1']],
    });
  });

  test("failover without an entry for the caller's region: every other region shares one level", () => {
    const l = layoutEndpoints(caller, pods, policy({ localityLb: { enabled: true }, outlierDetection: od }));
    expect(shape(l)).toEqual({
      mode: 'failover',
      levels: [['cn-hangzhou/h:2'], ['cn-hangzhou/i:1'], ['cn-shanghai/e:1', 'cn-beijing/a:1']],
    });
  });

  test('empty levels are compacted: no local endpoints makes the failover target P0', () => {
    const remote = pods.filter((p) => p.region !== 'cn-hangzhou');
    const l = layoutEndpoints(
      caller,
      remote,
      policy({ localityLb: { failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] }, outlierDetection: od }),
    );
    expect(shape(l)).toEqual({ mode: 'failover', levels: [['cn-shanghai/e:1'], ['cn-beijing/a:1']] });
  });

  test('distribute: a `to` weight is split over the localities it matches by endpoint count (rounded up); unmatched ones are dropped', () => {
    const l = layoutEndpoints(
      caller,
      pods,
      policy({ localityLb: { distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 80, 'cn-shanghai/*': 20 } }] } }),
    );
    expect(shape(l)).toEqual({ mode: 'distribute', levels: [['cn-hangzhou/h=54:2', 'cn-hangzhou/i=27:1', 'cn-shanghai/e=20:1']] });
  });

  test("distribute: each locality's share is rounded up on its own, so 10 over 2 + 1 endpoints in two zones is 7 + 4 = 11 (Istio applyLocalityWeights)", () => {
    const three = [
      pod('cn-hangzhou', 'h', 0),
      pod('cn-hangzhou', 'i', 0),
      pod('cn-shanghai', 'e', 0),
      pod('cn-shanghai', 'e', 1),
      pod('cn-shanghai', 'f', 0),
    ];
    const l = layoutEndpoints(
      caller,
      three,
      policy({ localityLb: { distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 90, 'cn-shanghai/*': 10 } }] } }),
    );
    expect(shape(l)).toEqual({
      mode: 'distribute',
      levels: [['cn-hangzhou/h=45:1', 'cn-hangzhou/i=45:1', 'cn-shanghai/e=7:2', 'cn-shanghai/f=4:1']],
    });
  });

  test("distribute: a `to` weight is split by the localities' endpoint weights (a WorkloadEntry's spec.weight), not their endpoint counts", () => {
    const vm: Pod = { ...pod('cn-shanghai', 'e', 9), kind: 'workload-entry', weight: 3 };
    const l = layoutEndpoints(
      caller,
      [pod('cn-hangzhou', 'h', 0), vm, pod('cn-shanghai', 'f', 0)],
      policy({ localityLb: { distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 80, 'cn-shanghai/*': 20 } }] } }),
    );
    // Istio: locality weights 3 (the VM) and 1 (the pod) share 20 as 15 and 5; by count it would be 10 and 10.
    expect(shape(l)).toEqual({ mode: 'distribute', levels: [['cn-hangzhou/h=80:1', 'cn-shanghai/e=15:1', 'cn-shanghai/f=5:1']] });
  });

  test('distribute in bare regions (as regionshift sends it to ASM) lays out the same as region/*', () => {
    const bare = layoutEndpoints(
      caller,
      pods,
      policy({ localityLb: { distribute: [{ from: 'cn-hangzhou', to: { 'cn-hangzhou': 80, 'cn-shanghai': 20 } }] } }),
    );
    const wildcard = layoutEndpoints(
      caller,
      pods,
      policy({ localityLb: { distribute: [{ from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 80, 'cn-shanghai/*': 20 } }] } }),
    );
    expect(shape(bare)).toEqual(shape(wildcard));
    expect(shape(bare).mode).toBe('distribute');
  });

  test('flat: no setting, disabled, failover without outlier detection, or no distribute entry for the caller', () => {
    const flat = { mode: 'flat', levels: [['cn-hangzhou/h:2', 'cn-hangzhou/i:1', 'cn-shanghai/e:1', 'cn-beijing/a:1']] };
    expect(shape(layoutEndpoints(caller, pods, policy({})))).toEqual(flat);
    expect(
      shape(
        layoutEndpoints(
          caller,
          pods,
          policy({ localityLb: { enabled: false, failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] }, outlierDetection: od }),
        ),
      ),
    ).toEqual(flat);
    expect(
      shape(layoutEndpoints(caller, pods, policy({ localityLb: { failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] } }))),
    ).toEqual(flat);
    expect(
      shape(
        layoutEndpoints(caller, pods, policy({ localityLb: { distribute: [{ from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } }] } })),
      ),
    ).toEqual(flat);
  });
});
