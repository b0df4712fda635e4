import fc from 'fast-check';
import { isIdentity, matrixProblems, maxRowDelta, roundMatrix, stepToward } from '../../shared/core/matrix';
import { localityLbProblems } from '../../shared/core/mesh-validation';
import { configEquals, matrixFromConfig, parseLiveLocalityLb, renderMeshConfig, toAsmLocalityLbConf } from '../../shared/core/render';
import type { TrafficMatrix } from '../../shared/core/types';

const RUNS = { numRuns: 500 };

/** 2–5 distinct region names like `cn-x17`, in a random declaration order. */
const regionIdsArb = fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: 2, maxLength: 5 }).map((ns) => ns.map((n) => `cn-x${n}`));

/**
 * A share: often exactly 0 (drained cells are common and are where zero-weight bugs live),
 * otherwise any fraction, sometimes tiny enough to round away.
 */
const shareArb = fc.oneof(
  { arbitrary: fc.constant(0), weight: 2 },
  { arbitrary: fc.double({ min: 0, max: 100, noNaN: true, noDefaultInfinity: true }), weight: 5 },
  { arbitrary: fc.double({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true }), weight: 1 },
  // Whole multiples of 5: rows where several cells are exactly a step apart, where caps bind.
  { arbitrary: fc.integer({ min: 0, max: 20 }).map((n) => n * 5), weight: 3 },
);

/** Fractional rows as the health response produces them: scaled to sum to about 100, float error included. */
function sharesArb(regionIds: string[]): fc.Arbitrary<Record<string, Record<string, number>>> {
  const rowArb = (src: string) =>
    fc.oneof(
      { arbitrary: fc.constant({ [src]: 100 }), weight: 1 },
      {
        arbitrary: fc.array(shareArb, { minLength: regionIds.length, maxLength: regionIds.length }).map((values) => {
          const total = values.reduce((s, v) => s + v, 0);
          const row: Record<string, number> = {};
          regionIds.forEach((dst, i) => {
            row[dst] = total > 0 ? ((values[i] ?? 0) * 100) / total : dst === src ? 100 : 0;
          });
          return row;
        }),
        weight: 2,
      },
      {
        // Few destinations, coarse weights: a drain spread over two or three regions, the shape
        // where one far cell and several near ones compete for a capped step.
        arbitrary: fc
          .shuffledSubarray(regionIds, { minLength: 1, maxLength: Math.min(3, regionIds.length) })
          .chain((dsts) =>
            fc.tuple(fc.constant(dsts), fc.array(fc.integer({ min: 1, max: 10 }), { minLength: dsts.length, maxLength: dsts.length })),
          )
          .map(([dsts, parts]) => {
            const total = parts.reduce((s, v) => s + v, 0);
            return Object.fromEntries(dsts.map((d, i) => [d, ((parts[i] ?? 0) * 100) / total]));
          }),
        weight: 2,
      },
    );
  return fc.record(Object.fromEntries(regionIds.map((src) => [src, rowArb(src)]))) as fc.Arbitrary<Record<string, Record<string, number>>>;
}

/** For each region, the other regions in a random preference order. */
function failoverArb(regionIds: string[]): fc.Arbitrary<Record<string, string[]>> {
  return fc.record(
    Object.fromEntries(
      regionIds.map((src) => {
        const others = regionIds.filter((r) => r !== src);
        return [src, fc.shuffledSubarray(others, { minLength: others.length, maxLength: others.length })];
      }),
    ),
  ) as fc.Arbitrary<Record<string, string[]>>;
}

const caseArb = regionIdsArb.chain((regionIds) =>
  fc.record({ regionIds: fc.constant(regionIds), shares: sharesArb(regionIds), failover: failoverArb(regionIds) }),
);

describe('matrix rounding and rendering, for any region set and matrix', () => {
  test('rounded rows are integers 1..100 summing to exactly 100, each within one point of its exact share', () => {
    fc.assert(
      fc.property(caseArb, ({ regionIds, shares }) => {
        const m = roundMatrix(shares, regionIds);
        const violations: string[] = [];
        if (JSON.stringify(Object.keys(m)) !== JSON.stringify(regionIds))
          violations.push(`rows ${Object.keys(m).join(',')} not in declaration order`);
        for (const src of regionIds) {
          const row = m[src] ?? {};
          const total = regionIds.reduce((s, d) => s + (shares[src]?.[d] ?? 0), 0);
          const keys = Object.keys(row);
          if (JSON.stringify(keys) !== JSON.stringify(regionIds.filter((d) => d in row)))
            violations.push(`${src}: keys ${keys.join(',')} not in declaration order`);
          const sum = Object.values(row).reduce((s, w) => s + w, 0);
          if (sum !== 100) violations.push(`${src}: sums to ${sum}`);
          for (const dst of regionIds) {
            const w = row[dst];
            if (w !== undefined && !(Number.isInteger(w) && w >= 1 && w <= 100)) violations.push(`${src}.${dst}: weight ${w}`);
            const exact = ((shares[src]?.[dst] ?? 0) * 100) / total;
            if (Math.abs((w ?? 0) - exact) >= 1 + 1e-6) violations.push(`${src}.${dst}: ${w ?? 0} is a point or more from ${exact}`);
          }
        }
        expect(violations).toEqual([]);
      }),
      RUNS,
    );
  });

  const modesSeen = new Set<string>();

  test('every rendered config passes Istio validation, is failover exactly when the matrix is the identity, and maps back to the matrix', () => {
    fc.assert(
      fc.property(caseArb, ({ regionIds, shares, failover }) => {
        const m = roundMatrix(shares, regionIds);
        const config = renderMeshConfig(m, { regionIds, failover });
        expect(localityLbProblems(config.localityLbSetting)).toEqual([]);
        expect(config.mode === 'failover').toBe(isIdentity(m, regionIds));
        modesSeen.add(config.mode);
        if (config.mode === 'failover') {
          expect(config.localityLbSetting).toEqual({ failover: regionIds.map((from) => ({ from, to: failover[from]?.[0] })) });
        }
        expect(matrixFromConfig(config, regionIds)).toEqual(m);
        expect(configEquals(parseLiveLocalityLb(toAsmLocalityLbConf(config)).config, config)).toBe(true);
      }),
      RUNS,
    );
    // The identity ⇔ failover half of the property means nothing unless both sides were generated.
    expect([...modesSeen].sort()).toEqual(['distribute', 'failover']);
  });
});

describe('stepToward, for any pair of matrices and step size', () => {
  const pairArb = regionIdsArb.chain((regionIds) =>
    fc.record({
      regionIds: fc.constant(regionIds),
      from: sharesArb(regionIds),
      to: sharesArb(regionIds),
      maxPoints: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constantFrom(1, 10, 20, 25, 30, 50)),
    }),
  );

  test('no cell moves more than maxPoints, cells only move toward the target, and it arrives in ceil(maxDelta/maxPoints) steps', () => {
    fc.assert(
      fc.property(pairArb, ({ regionIds, from: fromShares, to: toShares, maxPoints }) => {
        const from = roundMatrix(fromShares, regionIds);
        const to = roundMatrix(toShares, regionIds);
        const expectedSteps = Math.ceil(maxRowDelta(from, to, regionIds) / maxPoints);
        let current: TrafficMatrix = from;
        // Plain comparisons inside the walk (expect() per cell per step is too slow for 500 runs);
        // the first violation is reported with the step and cell it happened at.
        const violations: string[] = [];
        for (let step = 1; step <= expectedSteps && violations.length === 0; step++) {
          const next = stepToward(current, to, maxPoints, regionIds);
          violations.push(...matrixProblems(`step ${step}`, next, regionIds));
          for (const src of regionIds) {
            for (const dst of regionIds) {
              const before = current[src]?.[dst] ?? 0;
              const after = next[src]?.[dst] ?? 0;
              const target = to[src]?.[dst] ?? 0;
              const at = `step ${step} ${src}→${dst} ${before}→${after} (target ${target})`;
              if (Math.abs(after - before) > maxPoints) violations.push(`${at}: moved more than ${maxPoints}`);
              if (Math.abs(target - after) > Math.abs(target - before) || Math.sign(target - after) * Math.sign(target - before) < 0) {
                violations.push(`${at}: moved away from or past the target`);
              }
            }
          }
          // Each step brings the farthest cell a full step closer: never slower than the minimum.
          const left = maxRowDelta(next, to, regionIds);
          if (left > (expectedSteps - step) * maxPoints)
            violations.push(`step ${step}: ${left} points still to go, too many for ${expectedSteps - step} more steps`);
          current = next;
        }
        expect(violations).toEqual([]);
        expect(current).toEqual(to);
        expect(stepToward(current, to, maxPoints, regionIds)).toEqual(to);
      }),
      RUNS,
    );
  });
});
