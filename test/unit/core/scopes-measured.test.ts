import { readFileSync } from 'node:fs';
import { decide } from '../../../shared/core/decide';
import { loadPolicyYaml, type Policy } from '../../../shared/core/policy';
import type { MeshConfig, Plan } from '../../../shared/core/types';
import { bookinfoOutlierDetection } from '../dataplane/support/in-memory-config';
import { labFixture } from '../dataplane/support/lab-fixture';

/**
 * The issue's figures, measured on the lab's data plane (the simulated Envoy hops of Bookinfo:
 * gateway → productpage → reviews): the plan the core decides is installed per host (a host the
 * plan does not list gets the default), 10,000 requests enter at the hangzhou gateway, and we
 * count where reviews served them. reviews-v1 runs only in hangzhou and reviews-v2 only in
 * shanghai, as in the ASM docs' scenario.
 */

const text = readFileSync('examples/bookinfo-scoped.yaml', 'utf8');
const scoped = loadPolicyYaml(text);
const everyHop = loadPolicyYaml(text.replace('shiftAt: entry', 'shiftAt: every-hop'));

/** Install the plan's routing in the lab: scoped hosts get their own config, every other host the default. */
function reviewsServedIn(plan: Plan, requests = 10_000): Record<string, number> {
  const lab = labFixture({ seed: 11 });
  const after = plan.after;
  if (!after) throw new Error('the plan changed nothing');
  const policyOf = (c: MeshConfig) => ({
    localityLb: { enabled: true, ...c.localityLbSetting },
    outlierDetection: bookinfoOutlierDetection,
  });
  for (const s of lab.topology.services) {
    const own = Object.entries(after.scopes ?? {}).find(([host]) => host.split('.')[0] === s.name)?.[1];
    lab.config.setPolicy(s.name, policyOf(own?.config ?? after.config));
  }
  return lab.dataPlane.send('gw-hangzhou', requests).byService.reviews ?? {};
}

/** The first plan at 22:00 Asia/Shanghai, when the evening 90/10 schedule opens. */
const eveningPlan = (p: Policy) => decide(p, null, { kind: 'tick' }, Date.parse('2026-03-02T14:00:00Z')).plan;

describe('measured on the lab data plane: 90/10 evening shift of hangzhou', () => {
  test('the two policies differ only in shiftAt', () => {
    expect(scoped.scopes?.shiftAt).toBe('entry');
    expect(everyHop.scopes?.shiftAt).toBe('every-hop');
    expect({ ...everyHop, scopes: scoped.scopes }).toEqual(scoped);
  });

  test("entry shift: ~10% of hangzhou requests reach shanghai's reviews (one cross-region hop)", () => {
    const served = reviewsServedIn(eveningPlan(scoped));
    const sh = served['cn-shanghai'] ?? 0;
    expect(sh).toBeGreaterThan(850);
    expect(sh).toBeLessThan(1150);
  });

  test('every-hop (the previous rendering): the shift compounds to ~19%', () => {
    const served = reviewsServedIn(eveningPlan(everyHop));
    const sh = served['cn-shanghai'] ?? 0;
    expect(sh).toBeGreaterThan(1700);
    expect(sh).toBeLessThan(2100);
  });
});

/** cn-hangzhou DOWN (a region-level signal), resolved, and after the 5m hold at its first recovery step (25%). */
function recoveringPlan(p: Policy): Plan {
  const t = Date.parse('2026-03-02T02:00:00Z'); // 10:00 in Asia/Shanghai: no schedule open
  const sig = (status: 'firing' | 'resolved', at: number) => ({
    kind: 'signal' as const,
    signal: {
      key: 'node',
      source: 'ack',
      rule: 'ack-node-not-ready',
      region: 'cn-hangzhou',
      severity: 'down' as const,
      status,
      at,
      ttl: 600_000,
    },
  });
  let state = decide(p, null, { kind: 'tick' }, t).state;
  state = decide(p, state, sig('firing', t + 10_000), t + 10_000).state;
  state = decide(p, state, sig('resolved', t + 60_000), t + 60_000).state;
  const d = decide(p, state, { kind: 'tick' }, t + 60_000 + 5 * 60_000);
  expect(d.state.health['cn-hangzhou']?.status).toBe('RECOVERING');
  return d.plan;
}

describe('measured on the lab data plane: the 25% recovery stage of hangzhou', () => {
  test('entry shift: ~25% of hangzhou requests are served locally end to end', () => {
    const local = reviewsServedIn(recoveringPlan(scoped))['cn-hangzhou'] ?? 0;
    expect(local).toBeGreaterThan(2250);
    expect(local).toBeLessThan(2750);
  });

  test('every-hop: only ~6% are (25% at each of two hops)', () => {
    const local = reviewsServedIn(recoveringPlan(everyHop))['cn-hangzhou'] ?? 0;
    expect(local).toBeGreaterThan(450);
    expect(local).toBeLessThan(800);
  });
});
