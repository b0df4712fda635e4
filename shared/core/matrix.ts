// Matrices reach these functions from the core and its own state, never straight from a request
// (the edge checks input with matrixProblems): a broken one is an internal invariant, a 5xx.
import { InvariantError } from './errors';
import type { TrafficMatrix } from './types';

/**
 * Arithmetic on traffic matrices `W[src][dst]` (percent). Every function that returns a matrix
 * returns it compact and ordered: rows and keys in `regionIds` order, zero entries left out, so
 * that the same matrix always serialises to the same bytes (plans must be byte-identical).
 */

type Shares = Record<string, Record<string, number>>;

/**
 * Fractions are compared in millionths of a point: float noise such as 33.333333333333336
 * against 33.33333333333333 must count as a tie, or the tie-break by region order would
 * depend on the order of floating-point additions upstream.
 */
const MICRO = 1_000_000;

/** Numbers as written (NaN and Infinity included), anything else as JSON. */
function shown(v: unknown): string {
  return typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
}

function cell(m: Shares, src: string, dst: string): number {
  return m[src]?.[dst] ?? 0;
}

/** The set of a policy's region ids, built once per array (they are checked on every matrix operation). */
const knownSets = new WeakMap<readonly string[], { size: number; set: Set<string> }>();
function knownSet(regionIds: readonly string[]): Set<string> {
  const hit = knownSets.get(regionIds);
  // The length guards against an array grown after it was first seen.
  if (hit && hit.size === regionIds.length) return hit.set;
  const set = new Set(regionIds);
  knownSets.set(regionIds, { size: regionIds.length, set });
  return set;
}

function unknownRegionProblems(name: string, m: Shares, regionIds: readonly string[]): string[] {
  const known = knownSet(regionIds);
  const problems: string[] = [];
  // Keys, not entries: this runs on every matrix operation, and the [key, row] pairs are garbage.
  for (const src of Object.keys(m)) {
    const row = m[src];
    if (!known.has(src)) problems.push(`${name}.${src}: unknown region (declared: ${regionIds.join(', ')})`);
    for (const dst of Object.keys(row ?? {})) {
      if (!known.has(dst)) problems.push(`${name}.${src}.${dst}: unknown region (declared: ${regionIds.join(', ')})`);
    }
  }
  return problems;
}

/**
 * Why `m` is not a complete integer matrix over `regionIds`: every region has a row, every
 * weight is an integer in 0..100, every row sums to exactly 100. Empty when it is one.
 */
export function matrixProblems(name: string, m: Shares, regionIds: readonly string[]): string[] {
  const problems = unknownRegionProblems(name, m, regionIds);
  for (const src of regionIds) {
    const row = m[src];
    if (row === undefined) {
      problems.push(`${name}.${src}: missing row (every region's traffic must go somewhere)`);
      continue;
    }
    let sum = 0;
    for (const [dst, w] of Object.entries(row)) {
      if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 100) {
        problems.push(`${name}.${src}.${dst}: must be an integer percent in 0..100 (got ${shown(w)})`);
      } else sum += w;
    }
    if (sum !== 100 && !problems.some((p) => p.startsWith(`${name}.${src}.`))) {
      problems.push(`${name}.${src}: weights must sum to 100 (got ${sum})`);
    }
  }
  return problems;
}

function assertKnownRegions(name: string, m: Shares, regionIds: readonly string[]): void {
  const problems = unknownRegionProblems(name, m, regionIds);
  if (problems.length > 0) throw new InvariantError(problems);
}

/** One row of non-negative shares to integers summing to exactly 100, by largest remainder. */
function roundRow(src: string, row: Record<string, number>, regionIds: readonly string[]): Record<string, number> {
  const problems: string[] = [];
  for (const dst of Object.keys(row)) {
    const v = row[dst];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      problems.push(`matrix.${src}.${dst}: share must be a finite number >= 0 (got ${shown(v)})`);
    }
  }
  if (problems.length > 0) throw new InvariantError(problems);
  const total = regionIds.reduce((s, dst) => s + (row[dst] ?? 0), 0);
  if (!(total > 0)) throw new InvariantError([`matrix.${src}: shares sum to 0, so this region's traffic would go nowhere`]);

  // Parallel arrays rather than an object per cell: this runs for every row of every matrix a
  // decision rounds (400 cells at 20 regions).
  const n = regionIds.length;
  const floors = new Array<number>(n);
  const fractions = new Array<number>(n);
  let remainder = 100;
  for (let i = 0; i < n; i++) {
    const micro = Math.round(((row[regionIds[i] as string] ?? 0) * 100 * MICRO) / total);
    floors[i] = Math.floor(micro / MICRO);
    fractions[i] = micro % MICRO;
    remainder -= floors[i] as number;
  }
  // The remainder is below the number of cells (each fraction is < 1 point), so one pass hands it
  // out, largest fraction first, ties to the region declared first. Most rows are whole already
  // (remainder 0): no sort for them.
  if (remainder > 0) {
    const byRemainder = Array.from({ length: n }, (_, i) => i).sort((a, b) => (fractions[b] as number) - (fractions[a] as number) || a - b);
    for (const i of byRemainder) {
      if (remainder <= 0) break;
      floors[i] = (floors[i] as number) + 1;
      remainder -= 1;
    }
  }
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) if ((floors[i] as number) > 0) out[regionIds[i] as string] = floors[i] as number;
  return out;
}

/**
 * Fractional shares (each row summing to about 100, or to anything positive: rows are scaled to
 * 100 first) to an integer matrix whose rows sum to exactly 100. Ties in the largest-remainder
 * step go to the region declared first. A row that is missing or sums to 0 is an error.
 */
export function roundMatrix(m: Shares, regionIds: string[]): TrafficMatrix {
  assertKnownRegions('matrix', m, regionIds);
  const out: TrafficMatrix = {};
  for (const src of regionIds) out[src] = roundRow(src, m[src] ?? {}, regionIds);
  return out;
}

/** Every region serves its own traffic: rendered as failover mode. */
export function identityMatrix(regionIds: readonly string[]): TrafficMatrix {
  const out: TrafficMatrix = {};
  for (const r of regionIds) out[r] = { [r]: 100 };
  return out;
}

/** `matrixEquals(m, identityMatrix(regionIds))` without building the identity. */
export function isIdentity(m: Shares, regionIds: readonly string[]): boolean {
  const known = knownSet(regionIds);
  for (const src of Object.keys(m)) {
    const row = m[src] ?? {};
    for (const dst of Object.keys(row)) if ((row[dst] ?? 0) !== (src === dst && known.has(src) ? 100 : 0)) return false;
  }
  for (const r of regionIds) if (cell(m, r, r) !== 100) return false;
  return true;
}

/** Every cell `a` names (a missing one counts as 0) equals the same cell of `b`. */
function cellsMatch(a: Shares, b: Shares): boolean {
  for (const src of Object.keys(a)) {
    const row = a[src] ?? {};
    for (const dst of Object.keys(row)) if ((row[dst] ?? 0) !== cell(b, src, dst)) return false;
  }
  return true;
}

/**
 * Cell-by-cell equality where a missing cell or row counts as 0: the cells either names, each
 * compared (no set of their union is built: this runs several times per decision).
 */
export function matrixEquals(a: Shares, b: Shares): boolean {
  return cellsMatch(a, b) && cellsMatch(b, a);
}

/** The same matrix with zero cells dropped and rows and keys in `regionIds` order. */
export function compactMatrix(m: Shares, regionIds: readonly string[]): TrafficMatrix {
  assertKnownRegions('matrix', m, regionIds);
  const out: TrafficMatrix = {};
  for (const src of regionIds) {
    const row = m[src];
    if (row === undefined) continue;
    const compact: Record<string, number> = {};
    for (const dst of regionIds) {
      const w = row[dst] ?? 0;
      if (w !== 0) compact[dst] = w;
    }
    out[src] = compact;
  }
  return out;
}

/**
 * Design §3.4: the fraction of all client load that lands in each region,
 * `I[d] = Σ_s load[s]·W[s][d] / Σ_s load[s]` with W in percent, so each value is in [0, 1].
 */
export function inboundShares(m: Shares, load: Record<string, number>, regionIds: readonly string[]): Record<string, number> {
  assertKnownRegions('matrix', m, regionIds);
  const problems: string[] = [];
  for (const r of regionIds) {
    const l = load[r];
    if (typeof l !== 'number' || !Number.isFinite(l) || l < 0) problems.push(`load.${r}: must be a finite number >= 0 (got ${shown(l)})`);
  }
  if (problems.length > 0) throw new InvariantError(problems);
  const totalLoad = regionIds.reduce((s, r) => s + (load[r] ?? 0), 0);
  if (!(totalLoad > 0)) throw new InvariantError(['load: total client load must be > 0']);
  // Row by row (one lookup per source), each destination summed in the same source order as
  // Σ_s, so every value is bit for bit what the column-wise sum gives.
  const served = new Array<number>(regionIds.length).fill(0);
  for (const src of regionIds) {
    const l = load[src] ?? 0;
    const row = m[src];
    for (let j = 0; j < regionIds.length; j++) served[j] = (served[j] as number) + l * (row?.[regionIds[j] as string] ?? 0);
  }
  const out: Record<string, number> = {};
  regionIds.forEach((dst, j) => {
    out[dst] = (served[j] as number) / 100 / totalLoad;
  });
  return out;
}

/** The largest change, in percentage points, of any source's traffic to any destination. */
export function maxRowDelta(a: Shares, b: Shares, regionIds: readonly string[]): number {
  assertKnownRegions('a', a, regionIds);
  assertKnownRegions('b', b, regionIds);
  let max = 0;
  for (const src of regionIds) {
    for (const dst of regionIds) max = Math.max(max, Math.abs(cell(a, src, dst) - cell(b, src, dst)));
  }
  return max;
}

/**
 * Take `total` units out of `room` (per-cell headroom, capped at the step), one unit at a time,
 * always from the cell with the most left to go (ties: the region declared first). Levelling
 * from the top is what makes a move finish in ceil(maxDelta / maxPoints) steps: the farthest
 * cell moves a full step every time, and no cell is left behind it.
 */
function levelFromTop(remaining: number[], cap: number, total: number): number[] {
  const moved = remaining.map(() => 0);
  for (let unit = 0; unit < total; unit++) {
    let best = -1;
    for (let i = 0; i < remaining.length; i++) {
      const left = (remaining[i] ?? 0) - (moved[i] ?? 0);
      if (left <= 0 || (moved[i] ?? 0) >= cap) continue;
      if (best === -1 || left > (remaining[best] ?? 0) - (moved[best] ?? 0)) best = i;
    }
    if (best === -1) break;
    moved[best] = (moved[best] ?? 0) + 1;
  }
  return moved;
}

/**
 * One elective step from `from` toward `to`: every cell moves by at most `maxPoints`, each row
 * still sums to 100, and a row already within `maxPoints` of its target lands on it. Mass only
 * leaves cells that are going down and only enters cells that are going up.
 */
export function stepToward(from: Shares, to: Shares, maxPoints: number, regionIds: string[]): TrafficMatrix {
  if (!Number.isInteger(maxPoints) || maxPoints < 1) {
    throw new InvariantError([`maxPoints: must be an integer >= 1 (got ${shown(maxPoints)})`]);
  }
  const problems = [...matrixProblems('from', from, regionIds), ...matrixProblems('to', to, regionIds)];
  if (problems.length > 0) throw new InvariantError(problems);
  const out: TrafficMatrix = {};
  for (const src of regionIds) {
    const current = regionIds.map((dst) => cell(from, src, dst));
    const delta = regionIds.map((dst, i) => cell(to, src, dst) - (current[i] ?? 0));
    const down = delta.map((d) => Math.max(0, -d));
    const up = delta.map((d) => Math.max(0, d));
    const roomDown = down.reduce((s, d) => s + Math.min(d, maxPoints), 0);
    const roomUp = up.reduce((s, d) => s + Math.min(d, maxPoints), 0);
    const total = Math.min(roomDown, roomUp);
    const taken = levelFromTop(down, maxPoints, total);
    const given = levelFromTop(up, maxPoints, total);
    const row: Record<string, number> = {};
    regionIds.forEach((dst, i) => {
      const w = (current[i] ?? 0) - (taken[i] ?? 0) + (given[i] ?? 0);
      if (w !== 0) row[dst] = w;
    });
    out[src] = row;
  }
  return out;
}

/** Regions that receive any traffic, in `regionIds` order. */
export function servingRegions(m: Shares, regionIds: readonly string[]): string[] {
  return regionIds.filter((dst) => Object.keys(m).some((src) => cell(m, src, dst) > 0));
}
