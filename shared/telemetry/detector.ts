import type { TelemetryPolicy } from '../core/policy-schema';
import type { Signal } from '../core/types';
import { ALL, parseKey, servingKey, totals, type Cell, type TelemetryRow } from './windows';

/**
 * The detector: which regions (or workloads in a region) the window shows degraded, as signals
 * with magnitude for the engine. Pure: the row, the policy and `now` in; signals out, the row's
 * detector memory updated.
 *
 * A unit (region × service, or region × service × workload) trips only when all hold over the
 * window (policy `telemetry`):
 *  1. it served at least `minRequests` requests;
 *  2. the Wilson lower bound of its 5xx share, at one-sided `z`, is above `threshold`;
 *  3. that lower bound exceeds its peers' Wilson upper bound by `margin`: the peers are the same
 *     workload in the other regions when it runs there with `minRequests`, else the service's
 *     total there. No peer with `minRequests`: condition 3 is not checked (the target guard still
 *     refuses to move traffic to a region measured worse).
 *
 * False-positive bound: for a unit whose true 5xx rate is at or below `threshold`, condition 2
 * alone holds with probability ≤ Φ(−z) per window (the Wilson interval's one-sided coverage; it is
 * close to nominal for n·p ≥ 5, which `minRequests` ≥ 100 and `threshold` ≥ 5% give): with the
 * defaults (z = 3.09, n ≥ 100, threshold 10%) below 0.1% per window, and at a background rate of
 * 1–2% far smaller (the lower bound of 2% over 100 requests is 0.3%). Both regions equally bad
 * fail condition 3 for both: a global incident, no drain.
 *
 * A firing unit resolves when it has been clean (≥ `minRequests`, share under `threshold`) for
 * `clearAfter`; with too few requests to judge (its traffic moved away) it stays firing until
 * its TTL, as an alarm whose OK was lost does.
 */

export const TELEMETRY_SOURCE = 'telemetry';
export const TELEMETRY_RULE = 'telemetry-5xx';

/** Wilson score interval bounds of e successes in n at one-sided z. */
export function wilson(e: number, n: number, z: number): { lower: number; upper: number } {
  if (n <= 0) return { lower: 0, upper: 1 };
  const p = e / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lower: Math.max(0, (centre - spread) / denom), upper: Math.min(1, (centre + spread) / denom) };
}

export interface UnitVerdict {
  key: string;
  region: string;
  service: string;
  /** `*` for the service's total in the region. */
  workload: string;
  n: number;
  share: number;
  lower: number;
  /** The peers' upper bound (null: no peer with enough requests). */
  peerUpper: number | null;
  tripped: boolean;
  clean: boolean;
  /** Why it tripped, or the first condition that failed. */
  why: string;
}

export function signalKey(region: string, service: string, workload: string): string {
  return `${TELEMETRY_SOURCE}|${region}|${service}|${workload}`;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Judge every serving unit of the window. */
export function judge(cells: Map<string, Cell>, policy: TelemetryPolicy): UnitVerdict[] {
  const threshold = policy.threshold / 100;
  const margin = policy.margin / 100;
  const units: Array<{ region: string; service: string; workload: string; cell: Cell }> = [];
  for (const [key, cell] of cells) {
    const k = parseKey(key);
    if (k?.view === 'serving') units.push({ region: k.region, service: k.service, workload: k.part, cell });
  }
  const get = (region: string, service: string, workload: string) => cells.get(servingKey(region, service, workload));
  const regionsOf = (service: string) => [...new Set(units.filter((u) => u.service === service).map((u) => u.region))];
  const out: UnitVerdict[] = [];
  for (const u of units) {
    const { n, e } = u.cell;
    const share = n > 0 ? e / n : 0;
    const { lower } = wilson(e, n, policy.z);
    // Peers: the same workload elsewhere when it runs there with enough requests, else the service's total elsewhere.
    const others = regionsOf(u.service).filter((r) => r !== u.region);
    const pool = (workload: string) =>
      others
        .map((r) => get(r, u.service, workload))
        .filter((c): c is Cell => c !== undefined)
        .reduce((a, c) => ({ n: a.n + c.n, e: a.e + c.e }), { n: 0, e: 0 });
    let peer = u.workload !== ALL ? pool(u.workload) : { n: 0, e: 0 };
    if (peer.n < policy.minRequests) peer = pool(ALL);
    const peerUpper = peer.n >= policy.minRequests ? wilson(peer.e, peer.n, policy.z).upper : null;
    let tripped = false;
    let why: string;
    if (n < policy.minRequests) why = `${n} requests < ${policy.minRequests}`;
    else if (lower <= threshold) why = `lower bound ${pct(lower)} ≤ threshold ${pct(threshold)}`;
    else if (peerUpper !== null && lower - peerUpper < margin)
      why = `lower bound ${pct(lower)} not ${policy.margin} points above peers' upper bound ${pct(peerUpper)}: global, not this region`;
    else {
      tripped = true;
      why = `${pct(share)} 5xx over ${n} requests (lower bound ${pct(lower)} > ${pct(threshold)}${peerUpper !== null ? `, peers ≤ ${pct(peerUpper)}` : ', no peer with enough requests'})`;
    }
    const clean = !tripped && n >= policy.minRequests && share < threshold;
    out.push({
      key: signalKey(u.region, u.service, u.workload),
      region: u.region,
      service: u.service,
      workload: u.workload,
      n,
      share,
      lower,
      peerUpper,
      tripped,
      clean,
      why,
    });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

export interface Detection {
  verdicts: UnitVerdict[];
  /** Firing (new, or refreshed before its TTL runs out) and resolved signals to ingest. */
  signals: Signal[];
}

/**
 * Judge the window and update the row's memory: a unit that trips fires (or is refreshed every
 * third of its TTL); one that has been clean `clearAfter` resolves; the rest change nothing.
 * The signal's measure is the service's 5xx share in that region (what the target guard weighs
 * regions by); a workload's own share is in its name.
 */
export function detect(row: TelemetryRow, policy: TelemetryPolicy, now: number): Detection {
  const verdicts = judge(totals(row, now, policy.window), policy);
  const byKey = new Map(verdicts.map((v) => [v.key, v]));
  const signals: Signal[] = [];
  const serviceShare = (v: UnitVerdict) => byKey.get(signalKey(v.region, v.service, ALL))?.share ?? v.share;
  const make = (v: UnitVerdict, status: 'firing' | 'resolved'): Signal => ({
    key: v.key,
    source: TELEMETRY_SOURCE,
    rule: TELEMETRY_RULE,
    region: v.region,
    service: v.service,
    severity: policy.severity,
    status,
    at: now,
    ttl: policy.ttl,
    name:
      v.workload === ALL
        ? `telemetry: ${v.service} in ${v.region} ${pct(v.share)} 5xx over ${v.n} requests`
        : `telemetry: ${v.workload} (${v.service}) in ${v.region} ${pct(v.share)} 5xx over ${v.n} requests`,
    measure: { kind: 'errorShare', value: Math.round(serviceShare(v) * 10000) / 10000, metric: 'telemetry.5xxShare' },
  });
  for (const v of verdicts) {
    const mem = row.active[v.key];
    if (v.tripped) {
      if (!mem) {
        row.active[v.key] = { since: now, cleanSince: null, sentAt: now };
        signals.push(make(v, 'firing'));
      } else {
        mem.cleanSince = null;
        if (now - mem.sentAt >= policy.ttl / 3) {
          mem.sentAt = now;
          signals.push(make(v, 'firing'));
        }
      }
    } else if (mem) {
      if (v.clean) {
        mem.cleanSince ??= now;
        if (now - mem.cleanSince >= policy.clearAfter) {
          delete row.active[v.key];
          signals.push(make(v, 'resolved'));
        }
      } else mem.cleanSince = null;
    }
  }
  // A unit with no cell in the window any more: forgotten after its TTL (the engine lapses the signal itself).
  for (const [key, mem] of Object.entries(row.active)) {
    if (!byKey.has(key) && now - mem.sentAt >= policy.ttl) delete row.active[key];
  }
  return { verdicts, signals };
}
