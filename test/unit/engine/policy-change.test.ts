import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parsePolicy, type Policy } from '../../../shared/core/policy';
import type { Signal } from '../../../shared/core/types';
import { FakeClusterScaler } from '../../../lab/fakes';
import { World } from './harness';

const EXAMPLE = 'examples/three-region.yaml';

/** examples/three-region.yaml as an object, notifications reduced to the log (no secrets needed). */
function threeRegionRaw(): Record<string, unknown> {
  const raw = parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
  raw.notifications = [{ type: 'log' }];
  return raw;
}

/** The parts of the example the region is named in. */
interface ThreeRegionRaw {
  regions: Record<string, unknown>;
  failover: Record<string, string[]>;
  safety: { minServingRegions: number };
  scaling: { deployments: Array<{ regions: Record<string, unknown> }> };
  schedules: Array<{ matrix: Record<string, unknown> }>;
}

/** The same policy with `region` removed everywhere it is named. */
function withoutRegion(region: string): Policy {
  const raw = threeRegionRaw() as unknown as ThreeRegionRaw;
  delete raw.regions[region];
  delete raw.failover[region];
  for (const order of Object.values(raw.failover)) order.splice(order.indexOf(region), 1);
  raw.safety.minServingRegions = 1; // two regions: one may be drained
  for (const d of raw.scaling.deployments) delete d.regions[region];
  for (const s of raw.schedules) delete s.matrix[region];
  return parsePolicy(raw);
}

const deployments = {
  'c-hangzhou/shop/storefront-web': 6,
  'c-shanghai/shop/storefront-web': 3,
  'c-beijing/shop/storefront-web': 3,
  'c-hangzhou/shop/checkout': 4,
  'c-shanghai/shop/checkout': 2,
  'c-beijing/shop/checkout': 2,
};

function down(w: World, key: string, source: string, region: string): Signal {
  return {
    key,
    source,
    rule: source === 'cms' ? 'cms-5xx' : 'prometheus-5xx',
    region,
    severity: 'down',
    status: 'firing',
    at: w.clock.now(),
    ttl: 3_600_000,
  };
}

let w: World;
afterEach(() => w.cleanup());

describe('a policy change that removes a region', () => {
  it('tick, an alarm and pause all succeed on state committed under the three-region policy', async () => {
    w = new World(parsePolicy(threeRegionRaw()));
    const scaler = new FakeClusterScaler(w.clock, { readyDelayMs: 0, deployments });
    const before = w.engine({ scaler });
    await before.tick();
    w.clock.advance(10_000);
    await before.ingest([down(w, 'cms|bj', 'cms', 'cn-beijing'), down(w, 'am|bj', 'alertmanager', 'cn-beijing')], 'alarm');
    const { state: drained } = await w.store.load('storefront');
    expect(drained?.health['cn-beijing']?.status).toBe('DOWN');

    const after = w.engine({ policy: withoutRegion('cn-beijing'), scaler });
    w.clock.advance(10_000);
    const applies = w.mesh.applied.length;
    const tick = await after.tick();
    expect(tick.decision.committed).toBe(true);
    expect(tick.decision.plan.reasons[0]).toBe('policy changed: region cn-beijing removed; its health is dropped');
    // The mesh gets the config of the regions left, with no rule naming cn-beijing.
    expect(w.mesh.applied).toHaveLength(applies + 1);
    expect(JSON.stringify(w.mesh.lastApplied)).not.toContain('cn-beijing');
    expect(w.mesh.lastApplied?.mode).toBe('failover');
    // The note is in the audit, with the decision.
    const audit = await after.history({ limit: 50 });
    const decision = audit.find((e) => e.kind === 'decision' && e.planId === tick.decision.plan.id);
    expect((decision?.detail as { reasons: string[] }).reasons).toEqual(
      expect.arrayContaining(['policy changed: region cn-beijing removed; its health is dropped']),
    );
    w.clock.advance(10_000);
    const [alarm] = await after.ingest([down(w, 'cms|sh', 'cms', 'cn-shanghai')], 'alarm');
    expect(alarm?.committed).toBe(true);
    const pause = await after.command({ kind: 'pause', actor: 'alice', reason: 'policy rollout' }, { dryRun: false });
    expect(pause.committed).toBe(true);
    const { state } = await w.store.load('storefront');
    expect(Object.keys(state?.health ?? {})).toEqual(['cn-hangzhou', 'cn-shanghai']);
    expect(state?.paused).toMatchObject({ actor: 'alice' });
  });

  it('pause is the first thing after the change: it pauses, and the mesh is not touched while paused', async () => {
    w = new World(parsePolicy(threeRegionRaw()));
    const scaler = new FakeClusterScaler(w.clock, { readyDelayMs: 0, deployments });
    await w.engine({ scaler }).tick();
    const after = w.engine({ policy: withoutRegion('cn-beijing'), scaler });
    const applies = w.mesh.applied.length;
    w.clock.advance(10_000);
    const pause = await after.command({ kind: 'pause', actor: 'alice', reason: 'rolling out the two-region policy' }, { dryRun: false });
    expect(pause.committed).toBe(true);
    expect(pause.plan.reasons.slice(0, 2)).toEqual([
      'policy changed: region cn-beijing removed; its health is dropped',
      'policy changed: the applied mesh config names other regions than the policy declares; it is rendered and applied afresh for cn-hangzhou, cn-shanghai',
    ]);
    w.clock.advance(60_000);
    const tick = await after.tick();
    expect(tick.decision.plan.refused.map((r) => r.rule)).toEqual(['paused']);
    expect(w.mesh.applied).toHaveLength(applies);
    const resume = await after.command({ kind: 'resume', actor: 'alice' }, { dryRun: false });
    expect(resume.committed).toBe(true);
    expect(w.mesh.applied).toHaveLength(applies + 1);
    expect(JSON.stringify(w.mesh.lastApplied)).not.toContain('cn-beijing');
  });
});
