import fc from 'fast-check';
import { matrixProblems, servingRegions } from '../../../shared/core/matrix';
import { localityLbProblems } from '../../../shared/core/mesh-validation';
import { parsePolicy, type Policy } from '../../../shared/core/policy';
import type { ControlCommand, Input } from '../../../shared/core/types';
import { replay } from './fixtures';

/**
 * Whatever the policy and whatever happens to the regions, nothing the core emits may be
 * rejected by the mesh, no matrix may leave a source's traffic unserved, and the safety floor
 * (minServingRegions) holds on every plan. Random policies (2–4 regions, failover orders,
 * degraded shares, quorum, redistribution) meet random sequences of signals, drills, overrides
 * and ticks.
 */

const RUNS = { numRuns: 200 };
const SECOND = 1000;

interface World {
  policy: Policy;
  inputs: Array<{ dt: number; input: Input }>;
}

const worldArb: fc.Arbitrary<World> = fc
  .record({
    n: fc.integer({ min: 2, max: 4 }),
    order: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 4, maxLength: 4 }),
    degradedShare: fc.integer({ min: 0, max: 100 }),
    quorum: fc.integer({ min: 1, max: 2 }),
    proportional: fc.boolean(),
    maxStepPercent: fc.integer({ min: 10, max: 100 }),
    loads: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 4, maxLength: 4 }),
  })
  .chain((p) => {
    const regions = ['cn-a', 'cn-b', 'cn-c', 'cn-d'].slice(0, p.n);
    const policy = parsePolicy({
      name: 'prop',
      mesh: { backend: 'asm', meshId: 'm', apiRegion: 'cn-a' },
      regions: Object.fromEntries(regions.map((r, i) => [r, { load: p.loads[i], clusters: [{ id: `c-${r}` }] }])),
      // Each region's failover order: the others, rotated by a random amount.
      failover: Object.fromEntries(
        regions.map((r, i) => {
          const others = regions.filter((o) => o !== r);
          const k = (p.order[i] ?? 0) % others.length;
          return [r, [...others.slice(k), ...others.slice(0, k)]];
        }),
      ),
      detection: { quorum: p.quorum },
      response: { degradedShare: p.degradedShare, redistribute: p.proportional ? 'proportional' : 'failoverOrder' },
      recovery: { holdFor: '30s', stepHold: '20s', maxHold: '5m' },
      safety: { cooldown: '5s', stepInterval: '10s', maxStepPercent: p.maxStepPercent, maxDrainedRegions: p.n - 1 },
      scaling: {
        deployments: [
          {
            name: 'web',
            namespace: 'default',
            regions: Object.fromEntries(regions.map((r) => [r, { normalReplicas: 2, min: 1, max: 8 }])),
          },
        ],
      },
    });
    const region = fc.constantFrom(...regions);
    const signal = fc.record({
      key: fc.integer({ min: 1, max: 6 }).map((k) => `k${k}`),
      source: fc.constantFrom('cms', 'alertmanager', 'ack'),
      region,
      severity: fc.constantFrom('degraded' as const, 'down' as const),
      status: fc.constantFrom('firing' as const, 'firing' as const, 'resolved' as const),
    });
    const command: fc.Arbitrary<ControlCommand> = fc.oneof(
      region.map((r) => ({ kind: 'drill' as const, region: r, duration: 120 * SECOND, actor: 'prop' })),
      fc
        .subarray(regions, { minLength: 1, maxLength: regions.length - 1 })
        .map((drain) => ({ kind: 'override' as const, drain, actor: 'prop', reason: 'prop' })),
      fc.constant({ kind: 'clearOverride' as const, actor: 'prop' }),
      fc.constant({ kind: 'abortDrill' as const, actor: 'prop' }),
    );
    const input: fc.Arbitrary<Input> = fc.oneof(
      {
        arbitrary: signal.map((s) => ({
          kind: 'signal' as const,
          signal: { ...s, key: `${s.source}|${s.key}`, rule: s.source, at: 0, ttl: 600 * SECOND },
        })),
        weight: 5,
      },
      { arbitrary: fc.constant({ kind: 'tick' as const }), weight: 4 },
      { arbitrary: command.map((c) => ({ kind: 'command' as const, command: c })), weight: 1 },
    );
    return fc
      .array(fc.record({ dt: fc.integer({ min: 0, max: 90 }).map((s) => s * SECOND), input }), { minLength: 1, maxLength: 40 })
      .map((inputs) => ({ policy, inputs }));
  });

test('every plan renders a config the mesh accepts, complete matrices, and keeps a region serving', () => {
  const seen = { distribute: 0, failover: 0, down: 0, scale: 0 };
  fc.assert(
    fc.property(worldArb, ({ policy, inputs }) => {
      replay(policy, inputs, (d) => {
        for (const step of d.plan.steps) {
          if (step.kind === 'mesh') {
            seen[step.config.mode]++;
            expect(localityLbProblems(step.config.localityLbSetting)).toEqual([]);
            expect(matrixProblems('matrix', step.matrix, policy.regionIds)).toEqual([]);
            expect(servingRegions(step.matrix, policy.regionIds).length).toBeGreaterThanOrEqual(policy.safety.minServingRegions);
          }
          if (step.kind === 'scale') {
            seen.scale++;
            expect(step.to).toBeGreaterThanOrEqual(1);
            expect(step.to).toBeLessThanOrEqual(8);
          }
        }
        if (Object.values(d.state.health).some((h) => h.status === 'DOWN')) seen.down++;
        // The applied matrix is always complete (every source served somewhere).
        if (d.state.applied) expect(matrixProblems('applied', d.state.applied.matrix, policy.regionIds)).toEqual([]);
      });
    }),
    RUNS,
  );
  // The generator must reach the interesting cases, or the property proves little.
  expect(Object.values(seen).every((n) => n > 20)).toBe(true);
});

test('the same inputs give byte-identical plans', () => {
  fc.assert(
    fc.property(worldArb, ({ policy, inputs }) => {
      const run = () => {
        const plans: string[] = [];
        replay(policy, inputs, (d) => plans.push(JSON.stringify(d.plan)));
        return plans;
      };
      expect(run()).toEqual(run());
    }),
    { numRuns: 50 },
  );
});
