import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parsePolicy, type Policy } from '../../../shared/core/policy';
import {
  checkCapacity,
  checkClusterAccess,
  checkCloudAlarmWiring,
  checkExecutor,
  checkFailoverReach,
  checkHandMadeLocality,
  checkLocalityLabels,
  checkLocalityLbEnabled,
  checkOutlierDetection,
  checkSignalCoverage,
  checkStateTables,
  checkWorkloadEntryLocality,
  worst,
} from '../../../shared/readiness/checks';
import { type DestinationRuleInfo, type NodeInfo, type WorkloadEntryInfo } from '../../../shared/ports/readiness-probes';
import { destinationRuleInfo, workloadEntryInfo } from '../../../shared/adapters/readiness-probes';
import { workloadEntryProblems } from '../../../lab/k8s/istio-admission';

type Raw = Record<string, unknown>;
const example = () => parseYaml(readFileSync('examples/bookinfo.yaml', 'utf8')) as Raw;
function policyWith(change: (p: Raw) => void = () => undefined): Policy {
  const raw = example();
  delete raw.schedules;
  change(raw);
  return parsePolicy(raw);
}
const istio = (p: Raw) => {
  p.mesh = { backend: 'istio', destinationRules: [{ namespace: 'default', name: 'reviews' }] };
};

const dr = (name: string, o: Partial<DestinationRuleInfo> = {}): DestinationRuleInfo => ({
  namespace: 'default',
  name,
  hasOutlierDetection: true,
  hasLocalityLbSetting: false,
  ...o,
});
const ok = <T>(value: T) => ({ ok: true as const, value });
const err = (error: string) => ({ ok: false as const, error });

describe('outlierDetection', () => {
  test.each([
    ['asm: every rule has it', policyWith(), ok([dr('reviews'), dr('details')]), 'pass'],
    ['asm: one rule lacks it', policyWith(), ok([dr('reviews', { hasOutlierDetection: false }), dr('details')]), 'fail'],
    ['asm: no rule at all', policyWith(), ok([]), 'fail'],
    ['istio: the owned rule is missing', policyWith(istio), ok([dr('details')]), 'fail'],
    [
      'istio: a rule it does not own lacks it',
      policyWith(istio),
      ok([dr('reviews'), dr('details', { hasOutlierDetection: false })]),
      'pass',
    ],
    ['the list could not be read', policyWith(), err('403 forbidden'), 'warn'],
  ] as const)('%s → %s', (_name, policy, probed, status) => {
    const r = checkOutlierDetection(policy, probed as never);
    expect(r.status).toBe(status);
    expect(r.fix === null).toBe(status === 'pass');
  });

  test('the failing row names the rule', () => {
    expect(checkOutlierDetection(policyWith(), ok([dr('reviews', { hasOutlierDetection: false })])).message).toContain('default/reviews');
  });

  test('a raw rule reads as having outlierDetection only when the field is there', () => {
    expect(
      destinationRuleInfo({
        metadata: { namespace: 'a', name: 'b' },
        spec: { trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5 } } },
      }),
    ).toMatchObject({ hasOutlierDetection: true, hasLocalityLbSetting: false });
    expect(
      destinationRuleInfo({
        metadata: { namespace: 'a', name: 'b' },
        spec: { trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: true } } } },
      }),
    ).toMatchObject({ hasOutlierDetection: false, hasLocalityLbSetting: true });
    expect(destinationRuleInfo({ metadata: { namespace: 'a', name: 'b' } })).toMatchObject({
      hasOutlierDetection: false,
      hasLocalityLbSetting: false,
    });
  });

  test("a raw rule labelled app.kubernetes.io/managed-by: regionshift reads as the product's own, any other label value does not", () => {
    expect(
      destinationRuleInfo({ metadata: { namespace: 'a', name: 'b', labels: { 'app.kubernetes.io/managed-by': 'regionshift' } } })
        .ownedByProduct,
    ).toBe(true);
    expect(
      destinationRuleInfo({ metadata: { namespace: 'a', name: 'b', labels: { 'app.kubernetes.io/managed-by': 'helm' } } }).ownedByProduct,
    ).toBeUndefined();
  });
});

describe('handMadeLocalityLb', () => {
  test.each([
    ['asm, none', policyWith(), ok([dr('reviews')]), 'pass'],
    ['asm, one rule sets its own', policyWith(), ok([dr('reviews', { hasLocalityLbSetting: true })]), 'fail'],
    ['istio, the owned rule has it (the product wrote it)', policyWith(istio), ok([dr('reviews', { hasLocalityLbSetting: true })]), 'pass'],
    ['istio, another rule sets its own', policyWith(istio), ok([dr('reviews'), dr('details', { hasLocalityLbSetting: true })]), 'warn'],
    [
      'asm, a service scope rule the product keeps (managed-by label)',
      policyWith(),
      ok([dr('regionshift-reviews', { hasLocalityLbSetting: true, ownedByProduct: true })]),
      'pass',
    ],
  ] as const)('%s → %s', (_n, policy, probed, status) => {
    expect(checkHandMadeLocality(policy, probed as never).status).toBe(status);
  });
});

describe('localityLabels', () => {
  const node = (name: string, region?: string, zone?: string): NodeInfo => ({
    name,
    labels: { ...(region ? { 'topology.kubernetes.io/region': region } : {}), ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}) },
  });
  const good = {
    'c-hangzhou': ok([node('a', 'cn-hangzhou', 'cn-hangzhou-h')]),
    'c-shanghai': ok([node('b', 'cn-shanghai', 'cn-shanghai-e')]),
  };
  test.each([
    ['labelled nodes in every cluster', good, 'pass'],
    ['a node without its region', { ...good, 'c-shanghai': ok([node('b', undefined, 'cn-shanghai-e')]) }, 'fail'],
    ['a node labelled with another region', { ...good, 'c-shanghai': ok([node('b', 'cn-hangzhou', 'cn-hangzhou-h')]) }, 'fail'],
    ['a node without its zone', { ...good, 'c-shanghai': ok([node('b', 'cn-shanghai')]) }, 'warn'],
    ['a cluster with no nodes listed', { ...good, 'c-shanghai': ok([]) }, 'warn'],
    ['a cluster that could not be read', { ...good, 'c-shanghai': err('timeout') }, 'warn'],
  ] as const)('%s → %s', (_n, probed, status) => {
    expect(checkLocalityLabels(policyWith(), probed as never).status).toBe(status);
  });
});

describe('workloadEntryLocality', () => {
  const we = (name: string, locality = '', labels: Record<string, string> = {}): WorkloadEntryInfo => ({
    namespace: 'vms',
    name,
    locality,
    labels,
  });
  test.each([
    ['no WorkloadEntry at all (or no CRD)', ok([]), 'pass'],
    ['region/zone in a declared region', ok([we('a', 'cn-hangzhou/cn-hangzhou-h'), we('b', 'cn-shanghai/cn-shanghai-e/rack1')]), 'pass'],
    [
      'locality from the topology.istio.io/locality label (dots)',
      ok([we('a', '', { 'topology.istio.io/locality': 'cn-hangzhou.cn-hangzhou-h' })]),
      'pass',
    ],
    ['locality from the older istio-locality label', ok([we('a', '', { 'istio-locality': 'cn-shanghai.cn-shanghai-e' })]), 'pass'],
    [
      'cluster label agreeing with the locality',
      ok([we('a', 'cn-hangzhou/cn-hangzhou-h', { 'topology.istio.io/cluster': 'c-hangzhou' })]),
      'pass',
    ],
    [
      'a cluster label naming a cluster outside the policy',
      ok([we('a', 'cn-hangzhou/cn-hangzhou-h', { 'topology.istio.io/cluster': 'elsewhere' })]),
      'pass',
    ],
    ['no locality anywhere', ok([we('a', 'cn-hangzhou/cn-hangzhou-h'), we('b', '', { app: 'reviews' })]), 'fail'],
    ['a region the policy does not declare', ok([we('a', 'us-west-1/us-west-1a')]), 'fail'],
    [
      'a region contradicting its cluster',
      ok([we('a', 'cn-hangzhou/cn-hangzhou-h', { 'topology.istio.io/cluster': 'c-shanghai' })]),
      'fail',
    ],
    [
      'a region contradicting its region label',
      ok([we('a', 'cn-hangzhou/cn-hangzhou-h', { 'topology.kubernetes.io/region': 'cn-shanghai' })]),
      'fail',
    ],
    ['more than three parts', ok([we('a', 'cn-hangzhou/a/b/c')]), 'fail'],
    ['an empty region', ok([we('a', '/cn-hangzhou-h')]), 'fail'],
    ['a region without a zone', ok([we('a', 'cn-hangzhou')]), 'warn'],
    ['the list could not be read', err('403 Forbidden'), 'warn'],
  ] as const)('%s → %s', (_n, probed, status) => {
    const r = checkWorkloadEntryLocality(policyWith(), probed as never);
    expect(r.status).toBe(status);
    expect(r.fix === null).toBe(status === 'pass');
  });

  test('the fail names the entry and what is wrong with it', () => {
    const r = checkWorkloadEntryLocality(
      policyWith(),
      ok([we('a', 'cn-hangzhou/h', { 'topology.istio.io/cluster': 'c-shanghai' }), we('b'), we('c', 'eu-central-1/x')]),
    );
    expect(r.message).toBe(
      'vms/a is in region cn-hangzhou (spec.locality), but its cluster c-shanghai is in cn-shanghai; vms/b has no locality; vms/c is in region eu-central-1 (spec.locality), which the policy does not declare (cn-hangzhou, cn-shanghai)',
    );
    expect(r.fix).toMatch(/spec\.locality/);
  });

  test('the probe reads spec.locality and spec.labels, not metadata.labels', () => {
    expect(
      workloadEntryInfo({ metadata: { namespace: 'vms', name: 'vm1' }, spec: { locality: 'cn-hangzhou/h', labels: { app: 'x' } } }),
    ).toEqual({ namespace: 'vms', name: 'vm1', locality: 'cn-hangzhou/h', labels: { app: 'x' } });
    expect(workloadEntryInfo({ metadata: { namespace: 'vms', name: 'vm1' }, spec: { labels: null } })).toEqual({
      namespace: 'vms',
      name: 'vm1',
      locality: '',
      labels: {},
    });
  });

  test.each([
    [{ address: '10.0.0.5', locality: 'cn-hangzhou/cn-hangzhou-h', ports: { http: 9080 }, labels: { app: 'reviews' } }, []],
    [{ network: 'vpc-1' }, []],
    [{}, ['spec.address: address is required']],
    [{ address: '10.0.0.5', locality: 'a/b/c/d' }, ['spec.locality: "a/b/c/d" must be region, region/zone or region/zone/subzone']],
    [{ address: '10.0.0.5', locality: 'a//c' }, ['spec.locality: "a//c" must be region, region/zone or region/zone/subzone']],
    [{ address: '10.0.0.5', ports: { http: 70000 } }, ['spec.ports[http]: port number 70000 must be in the range 1..65535']],
  ] as const)('the lab twin validates a WorkloadEntry as Istio does: %j', (spec, problems) => {
    expect(workloadEntryProblems(spec)).toEqual(problems);
  });
});

describe('localityLbEnabled', () => {
  const failover = { mode: 'failover' as const, localityLbSetting: { failover: [{ from: 'cn-hangzhou', to: 'cn-shanghai' }] } };
  test.each([
    ['asm enabled', policyWith(), ok({ enabled: true, config: failover }), 'pass'],
    ['asm disabled', policyWith(), ok({ enabled: false, config: null }), 'fail'],
    ['mesh unreadable', policyWith(), err('Forbidden.RAM'), 'fail'],
    ['istio rules carry no setting yet', policyWith(istio), ok({ enabled: false, config: null }), 'warn'],
  ] as const)('%s → %s', (_n, policy, probed, status) => {
    expect(checkLocalityLbEnabled(policy, probed as never).status).toBe(status);
  });
});

describe('capacity: the core arithmetic for every single-region drain', () => {
  const setMax = (name: string, region: string, max: number) => (p: Raw) => {
    const d = (p.scaling as { deployments: Array<{ name: string; regions: Record<string, { max: number }> }> }).deployments.find(
      (x) => x.name === name,
    )!;
    d.regions[region]!.max = max;
  };
  test('the example absorbs either drain', () => expect(checkCapacity(policyWith()).status).toBe('pass'));
  test('exactly at the need passes, one below fails', () => {
    // Draining hangzhou doubles what productpage in shanghai serves: ceil(2 x 2 x 1.2) = 5.
    expect(checkCapacity(policyWith(setMax('productpage-v1', 'cn-shanghai', 5))).status).toBe('pass');
    const r = checkCapacity(policyWith(setMax('productpage-v1', 'cn-shanghai', 4)));
    expect(r.status).toBe('fail');
    expect(r.message).toBe('draining cn-hangzhou: c-shanghai/default/productpage-v1 in cn-shanghai needs 5 replicas, max 4');
  });
  test('headroom counts', () => {
    expect(checkCapacity(policyWith((p) => void (p.response = { headroom: 1.6 }))).status).toBe('fail');
  });
  test('no deployments: cannot tell', () => {
    expect(checkCapacity(policyWith((p) => void (p.scaling = { deployments: [] }))).status).toBe('warn');
  });
});

describe('failoverReach', () => {
  test('the example reaches a serving region from each', () => expect(checkFailoverReach(policyWith()).status).toBe('pass'));
  test('maxDrainedRegions 0 fails', () => {
    expect(checkFailoverReach(policyWith((p) => void (p.safety = { maxDrainedRegions: 0 }))).status).toBe('fail');
  });
  // The policy loader refuses these already; the check still holds for a policy built any other way.
  test('minServingRegions as many as the regions fails', () => {
    const p = policyWith();
    expect(checkFailoverReach({ ...p, safety: { ...p.safety, minServingRegions: 2 } }).message).toContain('safety.minServingRegions 2');
  });
  test('a region whose failover order names no other region fails', () => {
    const p = policyWith();
    const r = checkFailoverReach({ ...p, failover: { ...p.failover, 'cn-hangzhou': [] } });
    expect(r.status).toBe('fail');
    expect(r.message).toContain('failover.cn-hangzhou names no other region');
  });
});

describe('signalCoverage', () => {
  test('the example covers both regions', () => expect(checkSignalCoverage(policyWith()).status).toBe('pass'));
  test('only a fixed rule for one region leaves the other blind', () => {
    const r = checkSignalCoverage(
      policyWith((p) => void (p.detection = { rules: [{ name: 'hz', match: { source: 'cms' }, region: { fixed: 'cn-hangzhou' } }] })),
    );
    expect(r.status).toBe('fail');
    expect(r.message).toContain('cn-shanghai');
  });
  test('a dimension map naming both regions covers both', () => {
    const rules = [
      { name: 'm', match: { source: 'cms' }, region: { fromDimension: 'instanceId', map: { 'i-1': 'cn-hangzhou', 'i-2': 'cn-shanghai' } } },
    ];
    expect(checkSignalCoverage(policyWith((p) => void (p.detection = { rules }))).status).toBe('pass');
  });
  test('drill rules do not count; deploymentAvailability does', () => {
    const rules = [{ name: 'd', match: { source: 'drill' } }];
    expect(checkSignalCoverage(policyWith((p) => void (p.detection = { rules }))).status).toBe('fail');
    expect(checkSignalCoverage(policyWith((p) => void (p.detection = { rules, deploymentAvailability: {} }))).status).toBe('pass');
  });
});

describe('the other rows', () => {
  test('cloud alarm wiring is never claimed as checked', () => {
    expect(checkCloudAlarmWiring(policyWith()).status).toBe('warn');
    // ACK rules: one per cluster region's bus, not one in the functions' region (issue 18).
    expect(checkCloudAlarmWiring(policyWith()).fix).toContain("each cluster region other than the functions' own");
    expect(
      checkCloudAlarmWiring(
        policyWith(
          (p) => void (p.detection = { rules: [{ name: 'a', match: { source: 'alertmanager' }, region: { fromLabel: 'region' } }] }),
        ),
      ).status,
    ).toBe('pass');
  });
  test('state tables', () => {
    expect(checkStateTables(ok({ backend: 'sqlite', version: 3 })).status).toBe('pass');
    expect(checkStateTables(err('OTSObjectNotExist: table not exist')).status).toBe('fail');
  });
  test('cluster access', () => {
    expect(checkClusterAccess(policyWith(), { 'c/ns/a': ok({}) }).status).toBe('pass');
    expect(checkClusterAccess(policyWith(), { 'c/ns/a': ok({}), 'c/ns/b': err('403') }).status).toBe('fail');
  });
  test('executor', () => {
    expect(checkExecutor(ok({ functionName: 'x' })).status).toBe('pass');
    expect(checkExecutor(ok(null)).status).toBe('warn');
    expect(checkExecutor(err('FunctionNotFound')).status).toBe('fail');
  });
  test('the report status is the worst row', () => {
    const row = (status: 'pass' | 'warn' | 'fail') => ({ id: status, status, lookedAt: '', message: '', fix: null });
    expect(worst([row('pass'), row('warn')])).toBe('warn');
    expect(worst([row('warn'), row('fail'), row('pass')])).toBe('fail');
    expect(worst([row('pass')])).toBe('pass');
  });
});
