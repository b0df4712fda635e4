import fc from 'fast-check';
import { decide } from '../../../shared/core/decide';
import { matrixEquals, matrixProblems, servingRegions } from '../../../shared/core/matrix';
import { localityLbProblems } from '../../../shared/core/mesh-validation';
import { parsePolicy, type Policy } from '../../../shared/core/policy';
import type { ControlCommand, Input, MeshState } from '../../../shared/core/types';
import { replay } from './fixtures';

/**
 * With service scopes, whatever happens to regions and services: every per-host matrix is
 * complete and accepted by the mesh, no service is left serving in fewer than minServingRegions,
 * a host is listed only where it differs from the default, and the state survives a JSON round
 * trip (it is stored as JSON) with the same next decision.
 */

const SECOND = 1000;
const SERVICES = ['front', 'api', 'db'];

interface World {
  policy: Policy;
  inputs: Array<{ dt: number; input: Input }>;
}

const worldArb: fc.Arbitrary<World> = fc
  .record({
    n: fc.integer({ min: 2, max: 3 }),
    everyHop: fc.boolean(),
    degradedShare: fc.integer({ min: 0, max: 100 }),
    maxStepPercent: fc.integer({ min: 10, max: 100 }),
  })
  .chain((p) => {
    const regions = ['cn-a', 'cn-b', 'cn-c'].slice(0, p.n);
    const policy = parsePolicy({
      name: 'prop',
      mesh: { backend: 'asm', meshId: 'm', apiRegion: 'cn-a' },
      regions: Object.fromEntries(regions.map((r) => [r, { clusters: [{ id: `c-${r}` }] }])),
      response: { degradedShare: p.degradedShare },
      recovery: { holdFor: '30s', stepHold: '20s', maxHold: '5m' },
      safety: { cooldown: '5s', stepInterval: '10s', maxStepPercent: p.maxStepPercent, maxDrainedRegions: p.n - 1 },
      scopes: { shiftAt: p.everyHop ? 'every-hop' : 'entry', entry: ['front'], services: Object.fromEntries(SERVICES.map((s) => [s, {}])) },
      scaling: {
        deployments: SERVICES.map((s) => ({
          name: `${s}-v1`,
          namespace: 'default',
          service: s,
          regions: Object.fromEntries(regions.map((r) => [r, { normalReplicas: 2, min: 1, max: 8 }])),
        })),
      },
    });
    const region = fc.constantFrom(...regions);
    const service = fc.constantFrom<string | undefined>(undefined, ...SERVICES);
    const signal = fc.record({
      key: fc.integer({ min: 1, max: 6 }).map((k) => `k${k}`),
      source: fc.constantFrom('cms', 'alertmanager'),
      region,
      service,
      severity: fc.constantFrom('degraded' as const, 'down' as const),
      status: fc.constantFrom('firing' as const, 'firing' as const, 'resolved' as const),
    });
    const withService = <T extends object>(c: T, s: string | undefined): T => (s === undefined ? c : { ...c, service: s });
    const command: fc.Arbitrary<ControlCommand> = fc.oneof(
      fc
        .tuple(region, service)
        .map(([r, s]) => withService({ kind: 'drill' as const, region: r, duration: 120 * SECOND, actor: 'prop' }, s)),
      fc
        .tuple(fc.subarray(regions, { minLength: 1, maxLength: regions.length - 1 }), service)
        .map(([drain, s]) => withService({ kind: 'override' as const, drain, actor: 'prop', reason: 'prop' }, s)),
      fc.constant({ kind: 'clearOverride' as const, actor: 'prop' }),
      fc.constant({ kind: 'abortDrill' as const, actor: 'prop' }),
    );
    const input: fc.Arbitrary<Input> = fc.oneof(
      {
        arbitrary: signal.map(({ service: s, ...rest }) => ({
          kind: 'signal' as const,
          // The service is part of the key: one alarm is about one (region, service).
          signal: {
            ...rest,
            ...(s ? { service: s } : {}),
            key: `${rest.source}|${rest.key}|${s ?? '-'}|${rest.region}`,
            rule: rest.source,
            at: 0,
            ttl: 600 * SECOND,
          },
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

test('per-host matrices are complete, accepted, keep each service serving, and differ from the default', () => {
  const seen = { scoped: 0, serviceDown: 0 };
  fc.assert(
    fc.property(worldArb, ({ policy, inputs }) => {
      replay(policy, inputs, (d, prev, stamped, now) => {
        // Stored as JSON: the same decision from the round-tripped state.
        if (prev)
          expect(JSON.stringify(decide(policy, JSON.parse(JSON.stringify(prev)) as MeshState, stamped, now).plan)).toBe(
            JSON.stringify(d.plan),
          );
        for (const step of d.plan.steps) {
          if (step.kind !== 'mesh') continue;
          for (const [host, r] of Object.entries(step.scopes ?? {})) {
            seen.scoped++;
            expect(host).toMatch(/^(front|api|db)\.default\.svc\.cluster\.local$/);
            expect(localityLbProblems(r.config.localityLbSetting)).toEqual([]);
            expect(matrixProblems(host, r.matrix, policy.regionIds)).toEqual([]);
            expect(servingRegions(r.matrix, policy.regionIds).length).toBeGreaterThanOrEqual(policy.safety.minServingRegions);
            expect(matrixEquals(r.matrix, step.matrix)).toBe(false);
          }
        }
        if (Object.values(d.state.serviceHealth ?? {}).some((row) => Object.values(row).some((h) => h.status === 'DOWN')))
          seen.serviceDown++;
      });
    }),
    { numRuns: 150 },
  );
  expect(seen.scoped).toBeGreaterThan(20);
  expect(seen.serviceDown).toBeGreaterThan(20);
});
