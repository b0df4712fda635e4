import { InvariantError } from '../../shared/core/errors';
import {
  compactMatrix,
  identityMatrix,
  inboundShares,
  isIdentity,
  matrixEquals,
  matrixProblems,
  maxRowDelta,
  roundMatrix,
  servingRegions,
  stepToward,
} from '../../shared/core/matrix';
import type { TrafficMatrix } from '../../shared/core/types';

const AB = ['cn-a', 'cn-b'];
const ABC = ['cn-a', 'cn-b', 'cn-c'];

describe('roundMatrix', () => {
  test.each<[string, Record<string, Record<string, number>>, string[], TrafficMatrix]>([
    [
      'integers pass through (90/10)',
      { 'cn-a': { 'cn-a': 90, 'cn-b': 10 }, 'cn-b': { 'cn-b': 100 } },
      AB,
      { 'cn-a': { 'cn-a': 90, 'cn-b': 10 }, 'cn-b': { 'cn-b': 100 } },
    ],
    [
      '33.33/33.33/33.34: the largest remainder wins',
      { 'cn-a': { 'cn-a': 33.33, 'cn-b': 33.33, 'cn-c': 33.34 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      ABC,
      { 'cn-a': { 'cn-a': 33, 'cn-b': 33, 'cn-c': 34 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
    ],
    [
      'exact thirds: the tie goes to the region declared first',
      { 'cn-a': { 'cn-a': 100 / 3, 'cn-b': 100 / 3, 'cn-c': 100 / 3 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      ABC,
      { 'cn-a': { 'cn-a': 34, 'cn-b': 33, 'cn-c': 33 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
    ],
    [
      'exact thirds, other declaration order: the tie follows regionIds',
      { 'cn-a': { 'cn-a': 100 / 3, 'cn-b': 100 / 3, 'cn-c': 100 / 3 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      ['cn-c', 'cn-b', 'cn-a'],
      { 'cn-c': { 'cn-c': 100 }, 'cn-b': { 'cn-b': 100 }, 'cn-a': { 'cn-c': 34, 'cn-b': 33, 'cn-a': 33 } },
    ],
    // 33.333333333333336 is a float-noise third; it must tie with 33.33333333333333, not beat it.
    [
      'float noise does not break a tie',
      {
        'cn-a': { 'cn-a': 33.33333333333333, 'cn-b': 33.33333333333333, 'cn-c': 33.333333333333336 },
        'cn-b': { 'cn-b': 100 },
        'cn-c': { 'cn-c': 100 },
      },
      ABC,
      { 'cn-a': { 'cn-a': 34, 'cn-b': 33, 'cn-c': 33 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
    ],
    // Math.round per cell would give 67/17/17 = 101.
    [
      'per-cell rounding would overshoot',
      { 'cn-a': { 'cn-a': 66.6, 'cn-b': 16.7, 'cn-c': 16.7 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      ABC,
      { 'cn-a': { 'cn-a': 66, 'cn-b': 17, 'cn-c': 17 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
    ],
    // Math.round per cell would give 13/13/75 = 101; floors give 99.
    [
      'equal halves of a point',
      { 'cn-a': { 'cn-a': 12.5, 'cn-b': 12.5, 'cn-c': 75 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      ABC,
      { 'cn-a': { 'cn-a': 13, 'cn-b': 12, 'cn-c': 75 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
    ],
    [
      'a row of fractions of 1 is scaled to 100 first',
      { 'cn-a': { 'cn-a': 0.5, 'cn-b': 0.25, 'cn-c': 0.25 }, 'cn-b': { 'cn-b': 1 }, 'cn-c': { 'cn-a': 3, 'cn-c': 1 } },
      ABC,
      { 'cn-a': { 'cn-a': 50, 'cn-b': 25, 'cn-c': 25 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-a': 75, 'cn-c': 25 } },
    ],
    [
      'a drained row leaves its own region out; zero cells are omitted',
      { 'cn-a': { 'cn-a': 0, 'cn-b': 60.2, 'cn-c': 39.8 }, 'cn-b': { 'cn-b': 100, 'cn-c': 0 }, 'cn-c': { 'cn-c': 100 } },
      ABC,
      { 'cn-a': { 'cn-b': 60, 'cn-c': 40 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
    ],
    [
      'a share too small for a point gets none',
      { 'cn-a': { 'cn-a': 99.7, 'cn-b': 0.3 }, 'cn-b': { 'cn-b': 100 } },
      AB,
      { 'cn-a': { 'cn-a': 100 }, 'cn-b': { 'cn-b': 100 } },
    ],
  ])('%s', (_name, input, regionIds, expected) => {
    const out = roundMatrix(input, regionIds);
    expect(out).toEqual(expected);
    // Same bytes, not just the same cells: plans are compared by their serialisation.
    expect(JSON.stringify(out)).toBe(JSON.stringify(expected));
  });

  test('rows and keys come out in regionIds order whatever the input order', () => {
    const out = roundMatrix({ 'cn-c': { 'cn-c': 100 }, 'cn-b': { 'cn-c': 20, 'cn-b': 80 }, 'cn-a': { 'cn-c': 5, 'cn-a': 95 } }, ABC);
    expect(JSON.stringify(out)).toBe('{"cn-a":{"cn-a":95,"cn-c":5},"cn-b":{"cn-b":80,"cn-c":20},"cn-c":{"cn-c":100}}');
  });

  test.each<[string, Record<string, Record<string, number>>, string[]]>([
    [
      'a row that sums to 0',
      { 'cn-a': { 'cn-a': 0, 'cn-b': 0 }, 'cn-b': { 'cn-b': 100 } },
      ["matrix.cn-a: shares sum to 0, so this region's traffic would go nowhere"],
    ],
    ['a missing row', { 'cn-b': { 'cn-b': 100 } }, ["matrix.cn-a: shares sum to 0, so this region's traffic would go nowhere"]],
    [
      'a negative share',
      { 'cn-a': { 'cn-a': 110, 'cn-b': -10 }, 'cn-b': { 'cn-b': 100 } },
      ['matrix.cn-a.cn-b: share must be a finite number >= 0 (got -10)'],
    ],
    [
      'an unknown region',
      { 'cn-a': { 'cn-a': 100 }, 'cn-b': { 'cn-z': 100 } },
      ['matrix.cn-b.cn-z: unknown region (declared: cn-a, cn-b)'],
    ],
  ])('rejects %s, naming it', (_name, input, problems) => {
    expect(() => roundMatrix(input, AB)).toThrow(InvariantError);
    try {
      roundMatrix(input, AB);
    } catch (err) {
      expect((err as InvariantError).problems).toEqual(problems);
    }
  });
});

describe('identity and equality', () => {
  test('identityMatrix keeps every region local, in regionIds order', () => {
    expect(JSON.stringify(identityMatrix(['cn-b', 'cn-a']))).toBe('{"cn-b":{"cn-b":100},"cn-a":{"cn-a":100}}');
  });

  test.each<[string, Record<string, Record<string, number>>, boolean]>([
    ['the identity', { 'cn-a': { 'cn-a': 100 }, 'cn-b': { 'cn-b': 100 } }, true],
    ['the identity with explicit zeros', { 'cn-a': { 'cn-a': 100, 'cn-b': 0 }, 'cn-b': { 'cn-b': 100 } }, true],
    ['a row missing', { 'cn-a': { 'cn-a': 100 } }, false],
    ['one point moved', { 'cn-a': { 'cn-a': 99, 'cn-b': 1 }, 'cn-b': { 'cn-b': 100 } }, false],
    ['a drained region', { 'cn-a': { 'cn-b': 100 }, 'cn-b': { 'cn-b': 100 } }, false],
  ])('isIdentity: %s → %s', (_name, m, expected) => {
    expect(isIdentity(m, AB)).toBe(expected);
  });

  test.each<[string, Record<string, Record<string, number>>, Record<string, Record<string, number>>, boolean]>([
    ['missing cell equals 0', { 'cn-a': { 'cn-a': 100 } }, { 'cn-a': { 'cn-a': 100, 'cn-b': 0 } }, true],
    ['missing row equals a row of zeros', { 'cn-a': { 'cn-a': 100 } }, { 'cn-a': { 'cn-a': 100 }, 'cn-b': { 'cn-b': 0 } }, true],
    ['key order is irrelevant', { 'cn-a': { 'cn-a': 90, 'cn-b': 10 } }, { 'cn-a': { 'cn-b': 10, 'cn-a': 90 } }, true],
    ['a differing cell', { 'cn-a': { 'cn-a': 90, 'cn-b': 10 } }, { 'cn-a': { 'cn-a': 80, 'cn-b': 20 } }, false],
    ['a row only one side has', { 'cn-a': { 'cn-a': 100 } }, { 'cn-a': { 'cn-a': 100 }, 'cn-b': { 'cn-b': 100 } }, false],
  ])('matrixEquals: %s → %s', (_name, a, b, expected) => {
    expect(matrixEquals(a, b)).toBe(expected);
    expect(matrixEquals(b, a)).toBe(expected);
  });

  test('compactMatrix drops zeros and orders rows and keys by regionIds; absent rows stay absent', () => {
    const out = compactMatrix({ 'cn-c': { 'cn-a': 0, 'cn-c': 100 }, 'cn-a': { 'cn-c': 10, 'cn-b': 0, 'cn-a': 90 } }, ABC);
    expect(JSON.stringify(out)).toBe('{"cn-a":{"cn-a":90,"cn-c":10},"cn-c":{"cn-c":100}}');
  });

  test('matrixProblems names every defect of an integer matrix', () => {
    expect(matrixProblems('m', { 'cn-a': { 'cn-a': 90, 'cn-b': 9 }, 'cn-x': { 'cn-b': 100 } }, AB)).toEqual([
      'm.cn-x: unknown region (declared: cn-a, cn-b)',
      'm.cn-a: weights must sum to 100 (got 99)',
      "m.cn-b: missing row (every region's traffic must go somewhere)",
    ]);
    expect(matrixProblems('m', { 'cn-a': { 'cn-a': 99.5, 'cn-b': 0.5 }, 'cn-b': { 'cn-b': 100 } }, AB)).toEqual([
      'm.cn-a.cn-a: must be an integer percent in 0..100 (got 99.5)',
      'm.cn-a.cn-b: must be an integer percent in 0..100 (got 0.5)',
    ]);
    expect(matrixProblems('m', identityMatrix(AB), AB)).toEqual([]);
  });
});

describe('inboundShares', () => {
  test.each<[string, Record<string, Record<string, number>>, Record<string, number>, Record<string, number>]>([
    ['identity: each region serves its own load', identityMatrix(AB), { 'cn-a': 100, 'cn-b': 300 }, { 'cn-a': 0.25, 'cn-b': 0.75 }],
    [
      '90/10 weighted by load',
      { 'cn-a': { 'cn-a': 90, 'cn-b': 10 }, 'cn-b': { 'cn-b': 100 } },
      { 'cn-a': 100, 'cn-b': 300 },
      { 'cn-a': 0.225, 'cn-b': 0.775 },
    ],
    [
      'a drained region serves nothing',
      { 'cn-a': { 'cn-b': 50, 'cn-c': 50 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      { 'cn-a': 200, 'cn-b': 100, 'cn-c': 100 },
      { 'cn-a': 0, 'cn-b': 0.5, 'cn-c': 0.5 },
    ],
    [
      'a region with no load still receives what others send it',
      { 'cn-a': { 'cn-a': 100 }, 'cn-b': { 'cn-a': 40, 'cn-b': 60 }, 'cn-c': { 'cn-c': 100 } },
      { 'cn-a': 0, 'cn-b': 50, 'cn-c': 50 },
      { 'cn-a': 0.2, 'cn-b': 0.3, 'cn-c': 0.5 },
    ],
  ])('%s', (_name, m, load, expected) => {
    const regionIds = Object.keys(load);
    const out = inboundShares(m, load, regionIds);
    expect(Object.keys(out)).toEqual(regionIds);
    for (const r of regionIds) expect(out[r]).toBeCloseTo(expected[r] as number, 12);
  });

  test('rejects zero total load and missing or negative load', () => {
    expect(() => inboundShares(identityMatrix(AB), { 'cn-a': 0, 'cn-b': 0 }, AB)).toThrow('load: total client load must be > 0');
    expect(() => inboundShares(identityMatrix(AB), { 'cn-a': 10 }, AB)).toThrow('load.cn-b: must be a finite number >= 0 (got undefined)');
    expect(() => inboundShares(identityMatrix(AB), { 'cn-a': 10, 'cn-b': -1 }, AB)).toThrow(
      'load.cn-b: must be a finite number >= 0 (got -1)',
    );
  });
});

describe('maxRowDelta', () => {
  test.each<[string, Record<string, Record<string, number>>, Record<string, Record<string, number>>, number]>([
    ['equal matrices', identityMatrix(ABC), identityMatrix(ABC), 0],
    ['a full drain', identityMatrix(AB), { 'cn-a': { 'cn-b': 100 }, 'cn-b': { 'cn-b': 100 } }, 100],
    [
      'the largest cell over all rows, not the row sum',
      { 'cn-a': { 'cn-a': 90, 'cn-b': 10 }, 'cn-b': { 'cn-b': 70, 'cn-c': 30 }, 'cn-c': { 'cn-c': 100 } },
      { 'cn-a': { 'cn-a': 70, 'cn-b': 15, 'cn-c': 15 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      30,
    ],
    [
      'a cell present on one side only',
      { 'cn-a': { 'cn-a': 95, 'cn-c': 5 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      identityMatrix(ABC),
      5,
    ],
  ])('%s → %d', (_name, a, b, expected) => {
    expect(maxRowDelta(a, b, ABC)).toBe(expected);
    expect(maxRowDelta(b, a, ABC)).toBe(expected);
  });
});

describe('stepToward', () => {
  const drainedA: TrafficMatrix = { 'cn-a': { 'cn-b': 100 }, 'cn-b': { 'cn-b': 100 } };

  test.each<[string, TrafficMatrix, TrafficMatrix, number, string[], TrafficMatrix[]]>([
    [
      'a 100→0 drain in 50-point steps',
      identityMatrix(AB),
      drainedA,
      50,
      AB,
      [{ 'cn-a': { 'cn-a': 50, 'cn-b': 50 }, 'cn-b': { 'cn-b': 100 } }, drainedA],
    ],
    [
      'the way back from a drain',
      drainedA,
      identityMatrix(AB),
      40,
      AB,
      [
        { 'cn-a': { 'cn-a': 40, 'cn-b': 60 }, 'cn-b': { 'cn-b': 100 } },
        { 'cn-a': { 'cn-a': 80, 'cn-b': 20 }, 'cn-b': { 'cn-b': 100 } },
        identityMatrix(AB),
      ],
    ],
    [
      'within maxPoints: lands on the target in one step',
      identityMatrix(AB),
      { 'cn-a': { 'cn-a': 90, 'cn-b': 10 }, 'cn-b': { 'cn-b': 100 } },
      10,
      AB,
      [{ 'cn-a': { 'cn-a': 90, 'cn-b': 10 }, 'cn-b': { 'cn-b': 100 } }],
    ],
    // One source split over two targets: both targets grow evenly, so neither lags behind.
    [
      'one cell down, two up',
      { 'cn-a': { 'cn-a': 100 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      { 'cn-a': { 'cn-b': 50, 'cn-c': 50 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      30,
      ABC,
      [
        { 'cn-a': { 'cn-a': 70, 'cn-b': 15, 'cn-c': 15 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
        { 'cn-a': { 'cn-a': 40, 'cn-b': 30, 'cn-c': 30 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
        { 'cn-a': { 'cn-a': 10, 'cn-b': 45, 'cn-c': 45 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
        { 'cn-a': { 'cn-b': 50, 'cn-c': 50 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      ],
    ],
    [
      'an odd unit goes to the region declared first',
      { 'cn-a': { 'cn-a': 100 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      { 'cn-a': { 'cn-b': 50, 'cn-c': 50 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      25,
      ABC,
      [
        { 'cn-a': { 'cn-a': 75, 'cn-b': 13, 'cn-c': 12 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
        { 'cn-a': { 'cn-a': 50, 'cn-b': 25, 'cn-c': 25 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
        { 'cn-a': { 'cn-a': 25, 'cn-b': 38, 'cn-c': 37 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
        { 'cn-a': { 'cn-b': 50, 'cn-c': 50 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      ],
    ],
    // The up cell can take only 30 a step, so the farthest down cell gives first; a nearer one
    // giving first would leave the 60-point cell for a fourth step.
    [
      'two cells down, one up: the farthest gives first; rows move independently',
      { 'cn-a': { 'cn-a': 20, 'cn-b': 60, 'cn-c': 20 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      { 'cn-a': { 'cn-c': 100 }, 'cn-b': { 'cn-b': 80, 'cn-c': 20 }, 'cn-c': { 'cn-c': 100 } },
      30,
      ABC,
      [
        { 'cn-a': { 'cn-a': 20, 'cn-b': 30, 'cn-c': 50 }, 'cn-b': { 'cn-b': 80, 'cn-c': 20 }, 'cn-c': { 'cn-c': 100 } },
        { 'cn-a': { 'cn-a': 10, 'cn-b': 10, 'cn-c': 80 }, 'cn-b': { 'cn-b': 80, 'cn-c': 20 }, 'cn-c': { 'cn-c': 100 } },
        { 'cn-a': { 'cn-c': 100 }, 'cn-b': { 'cn-b': 80, 'cn-c': 20 }, 'cn-c': { 'cn-c': 100 } },
      ],
    ],
    // Levelling alone would take 55 from cn-a (down to cn-b's 5 left); the cap holds it to 50.
    [
      'a far cell beside a near one still moves at most maxPoints',
      { 'cn-a': { 'cn-a': 60, 'cn-b': 10, 'cn-d': 30 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 }, 'cn-d': { 'cn-d': 100 } },
      { 'cn-a': { 'cn-c': 35, 'cn-d': 65 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 }, 'cn-d': { 'cn-d': 100 } },
      50,
      ['cn-a', 'cn-b', 'cn-c', 'cn-d'],
      [
        { 'cn-a': { 'cn-a': 10, 'cn-c': 30, 'cn-d': 60 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 }, 'cn-d': { 'cn-d': 100 } },
        { 'cn-a': { 'cn-c': 35, 'cn-d': 65 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 }, 'cn-d': { 'cn-d': 100 } },
      ],
    ],
    [
      'and a far target beside a near one takes at most maxPoints',
      { 'cn-a': { 'cn-a': 35, 'cn-b': 35, 'cn-d': 30 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 }, 'cn-d': { 'cn-d': 100 } },
      { 'cn-a': { 'cn-c': 60, 'cn-d': 40 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 }, 'cn-d': { 'cn-d': 100 } },
      50,
      ['cn-a', 'cn-b', 'cn-c', 'cn-d'],
      [
        {
          'cn-a': { 'cn-a': 5, 'cn-b': 5, 'cn-c': 50, 'cn-d': 40 },
          'cn-b': { 'cn-b': 100 },
          'cn-c': { 'cn-c': 100 },
          'cn-d': { 'cn-d': 100 },
        },
        { 'cn-a': { 'cn-c': 60, 'cn-d': 40 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 }, 'cn-d': { 'cn-d': 100 } },
      ],
    ],
    [
      'already there: unchanged',
      { 'cn-a': { 'cn-a': 90, 'cn-b': 10 }, 'cn-b': { 'cn-b': 100 } },
      { 'cn-a': { 'cn-a': 90, 'cn-b': 10 }, 'cn-b': { 'cn-b': 100 } },
      5,
      AB,
      [{ 'cn-a': { 'cn-a': 90, 'cn-b': 10 }, 'cn-b': { 'cn-b': 100 } }],
    ],
  ])('%s', (_name, from, to, maxPoints, regionIds, expectedSteps) => {
    let current = from;
    const steps: TrafficMatrix[] = [];
    for (let i = 0; i < expectedSteps.length; i++) {
      current = stepToward(current, to, maxPoints, regionIds);
      steps.push(current);
    }
    expect(steps).toEqual(expectedSteps);
    expect(steps.map((s) => JSON.stringify(s))).toEqual(expectedSteps.map((s) => JSON.stringify(s)));
  });

  test.each<[string, number, Record<string, Record<string, number>>, string]>([
    ['maxPoints 0', 0, identityMatrix(AB), 'maxPoints: must be an integer >= 1 (got 0)'],
    ['fractional maxPoints', 2.5, identityMatrix(AB), 'maxPoints: must be an integer >= 1 (got 2.5)'],
    [
      'a from row that does not sum to 100',
      10,
      { 'cn-a': { 'cn-a': 90 }, 'cn-b': { 'cn-b': 100 } },
      'from.cn-a: weights must sum to 100 (got 90)',
    ],
  ])('rejects %s', (_name, maxPoints, from, message) => {
    expect(() => stepToward(from, drainedA, maxPoints, AB)).toThrow(message);
  });
});

describe('servingRegions', () => {
  test.each<[string, Record<string, Record<string, number>>, string[]]>([
    ['the identity: all of them', identityMatrix(ABC), ABC],
    [
      'a drained region is not serving',
      { 'cn-a': { 'cn-b': 60, 'cn-c': 40 }, 'cn-b': { 'cn-b': 100 }, 'cn-c': { 'cn-c': 100 } },
      ['cn-b', 'cn-c'],
    ],
    ['a region serving only others counts', { 'cn-a': { 'cn-b': 100 }, 'cn-b': { 'cn-c': 100 }, 'cn-c': { 'cn-a': 100 } }, ABC],
    [
      'explicit zeros do not count; result is in regionIds order',
      { 'cn-c': { 'cn-b': 100, 'cn-a': 0 }, 'cn-a': { 'cn-b': 100 }, 'cn-b': { 'cn-b': 100 } },
      ['cn-b'],
    ],
  ])('%s', (_name, m, expected) => {
    expect(servingRegions(m, ABC)).toEqual(expected);
  });
});
