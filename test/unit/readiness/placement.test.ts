import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parsePolicy, type Policy } from '../../../shared/core/policy';
import { checkControlPlanePlacement, placementOf, tablestoreEndpointRegion } from '../../../shared/readiness/checks';
import { runReadiness } from '../../../shared/readiness/run';
import { type ReadinessProbes } from '../../../shared/ports/readiness-probes';

type Raw = Record<string, unknown>;
function policyWith(change: (p: Raw) => void = () => undefined): Policy {
  const raw = parseYaml(readFileSync('examples/bookinfo.yaml', 'utf8')) as Raw;
  delete raw.schedules;
  delete raw.placement;
  change(raw);
  return parsePolicy(raw);
}
const istio = (p: Raw) => {
  p.mesh = { backend: 'istio', destinationRules: [{ namespace: 'default', name: 'reviews' }] };
};

describe('control-plane-placement', () => {
  it('reads the region of a Tablestore endpoint, public, internal and VPC', () => {
    expect(tablestoreEndpointRegion('https://rs.cn-beijing.ots.aliyuncs.com')).toBe('cn-beijing');
    expect(tablestoreEndpointRegion('https://rs.cn-hangzhou.ots-internal.aliyuncs.com')).toBe('cn-hangzhou');
    expect(tablestoreEndpointRegion('https://rs.cn-shanghai.vpc.tablestore.aliyuncs.com')).toBe('cn-shanghai');
    expect(tablestoreEndpointRegion('http://127.0.0.1:9000')).toBeNull();
    expect(tablestoreEndpointRegion('not a url')).toBeNull();
  });

  it('fails when the functions run in a steered region, naming it', () => {
    const r = checkControlPlanePlacement(policyWith(istio), { functionRegion: 'cn-hangzhou' });
    expect(r.status).toBe('fail');
    expect(r.message).toContain('functions in cn-hangzhou');
    expect(r.fix).toContain('placement.acknowledgeSharedFate');
  });

  it('fails when the Tablestore instance is in a steered region though the functions are not', () => {
    const r = checkControlPlanePlacement(policyWith(istio), {
      functionRegion: 'cn-beijing',
      tablestoreEndpoint: 'https://rs.cn-shanghai.ots.aliyuncs.com',
    });
    expect(r.status).toBe('fail');
    expect(r.message).toContain('Tablestore instance in cn-shanghai');
    expect(r.message).not.toContain('functions in');
  });

  it('fails when the ASM control plane (mesh.apiRegion) is a steered region', () => {
    const p = policyWith();
    expect(p.mesh.backend === 'asm' && p.mesh.apiRegion).toBe('cn-hangzhou');
    const r = checkControlPlanePlacement(p, { functionRegion: 'cn-beijing', tablestoreEndpoint: 'https://rs.cn-beijing.ots.aliyuncs.com' });
    expect(r.status).toBe('fail');
    expect(r.message).toContain('ASM control plane in cn-hangzhou');
  });

  it('passes outside the steered regions', () => {
    const r = checkControlPlanePlacement(policyWith(istio), {
      functionRegion: 'cn-beijing',
      tablestoreEndpoint: 'https://rs.cn-beijing.ots.aliyuncs.com',
    });
    expect(r.status).toBe('pass');
    expect(r.message).toContain('functions in cn-beijing');
  });

  it('an acknowledged region is a warn carrying the reason; an unacknowledged one still fails', () => {
    const ack = (regions: string[]) => (p: Raw) => {
      p.placement = { acknowledgeSharedFate: regions, reason: 'one-region account' };
    };
    const p = policyWith(ack(['cn-hangzhou']));
    const r = checkControlPlanePlacement(p, { functionRegion: 'cn-hangzhou' });
    expect(r.status).toBe('warn');
    expect(r.message).toContain('one-region account');
    const s = checkControlPlanePlacement(p, { functionRegion: 'cn-shanghai' });
    expect(s.status).toBe('fail');
    expect(s.message).toContain('cn-shanghai');
  });

  it('an unknown functions region is a warn naming FC_REGION', () => {
    const r = checkControlPlanePlacement(policyWith(istio), {});
    expect(r.status).toBe('warn');
    expect(r.message).toContain('FC_REGION');
  });

  it('refuses a placement without a reason or with a bad region, naming the field', () => {
    expect(() =>
      policyWith((p) => {
        p.placement = { acknowledgeSharedFate: ['cn-hangzhou'] };
      }),
    ).toThrow(/placement\.reason/);
    expect(() =>
      policyWith((p) => {
        p.placement = { acknowledgeSharedFate: ['Hangzhou'], reason: 'x' };
      }),
    ).toThrow(/placement\.acknowledgeSharedFate/);
  });

  it("runReadiness reports the row from the probes' placement", async () => {
    const fail = async () => {
      throw new Error('not probed');
    };
    const probes: ReadinessProbes = {
      destinationRules: fail,
      nodes: fail,
      workloadEntries: fail,
      meshLive: fail,
      deployment: fail,
      stateStore: fail,
      executor: fail,
      placement: () => ({ functionRegion: 'cn-hangzhou' }),
    };
    const report = await runReadiness(policyWith(istio), probes, 0);
    const row = report.checks.find((c) => c.id === 'control-plane-placement');
    expect(row?.status).toBe('fail');
  });
});

describe('placementOf: what a function knows of its own placement', () => {
  it("takes FC_REGION first, else the invocation context's region; the Tablestore endpoint only with tablestore state", () => {
    const ots = 'https://rs.cn-beijing.vpc.tablestore.aliyuncs.com';
    expect(placementOf({ FC_REGION: 'cn-beijing', REGIONSHIFT_STATE: 'tablestore', TABLESTORE_ENDPOINT: ots }, 'cn-shanghai')).toEqual({
      functionRegion: 'cn-beijing',
      tablestoreEndpoint: ots,
    });
    expect(placementOf({ REGIONSHIFT_STATE: 'sqlite', TABLESTORE_ENDPOINT: ots }, 'cn-shanghai')).toEqual({
      functionRegion: 'cn-shanghai',
    });
    expect(placementOf({ FC_REGION: '' }, undefined)).toEqual({});
  });

  it('gives the row a verdict where the runtime only has the context region (no more "FC_REGION unset")', () => {
    const r = checkControlPlanePlacement(policyWith(istio), placementOf({}, 'cn-hangzhou'));
    expect(r.status).toBe('fail');
    expect(r.message).toContain('functions in cn-hangzhou');
    expect(checkControlPlanePlacement(policyWith(istio), placementOf({}, undefined)).message).toContain('FC_REGION unset');
  });
});

describe('the example deployment is placed outside the steered regions', () => {
  it('s.yaml vars.region and its Tablestore endpoint are not regions of examples/bookinfo.yaml', () => {
    const s = parseYaml(readFileSync('s.yaml', 'utf8')) as { vars: { region: string; tablestoreInstance: string } };
    const p = parsePolicy(parseYaml(readFileSync('examples/bookinfo.yaml', 'utf8')));
    expect(p.regionIds).not.toContain(s.vars.region);
    const endpoint = `https://${s.vars.tablestoreInstance}.${s.vars.region}.vpc.tablestore.aliyuncs.com`;
    const r = checkControlPlanePlacement(p, { functionRegion: s.vars.region, tablestoreEndpoint: endpoint });
    // Only ASM's control plane shares a steered region's fate, and the example says so.
    expect(r.status).toBe('warn');
    expect(r.message).toContain(`functions in ${s.vars.region}`);
    expect(r.message).toContain('shared fate acknowledged for cn-hangzhou');
  });
});
