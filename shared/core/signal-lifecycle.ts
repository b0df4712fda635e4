import { abortDrill, drillAbortReason } from './commands';
import { SIGNAL_NOTES_MAX } from './limits';
import { ownValue, setOwn } from './own';
import type { Policy } from './policy';
import { healthKey } from './scopes';
import type { IgnoredSignal, LapsedSignal, MeshState, Signal, SignalTombstone } from './types';

/**
 * The lifecycle of one alarm in the state, by its signal key:
 *
 *   firing ──resolve──▶ tombstone (resolvedAt) ──maxAge──▶ forgotten
 *     ▲   ╲                 │
 *     │    TTL: lapses      └─ a firing stamped ≤ resolvedAt: out of order, ignored
 *     └── a firing stamped after resolvedAt (a new outage)
 *
 * Senders deliver at least once and in any order (CMS retries, EventBridge and FC async
 * deliveries): without the tombstone a late copy of an ALERT re-opened a resolved alarm for its
 * whole TTL. Pure like `decide`: `now` is a parameter.
 */

/** What applying signals did, for the decision's notes and its audit. */
export interface SignalEffect {
  notes: string[];
  /** A drill was aborted: its revert is applied at once, not as an elective shift. */
  drillAborted: boolean;
  /** Regions (health keys) whose signal was resolved by this input: clear as of now. */
  resolvedIn: string[];
  /** Lines about individual signals so far; past SIGNAL_NOTES_MAX they are only counted. */
  signalNotes: number;
  ignored: IgnoredSignal[];
}

const iso = (t: number) => new Date(t).toISOString();

/** Whole seconds or minutes, for explain text about alarm times. */
function age(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

/** A repeat of the active signal: same key, same severity, same place. */
function repeats(known: Signal | undefined, s: Signal): known is Signal {
  return known !== undefined && known.severity === s.severity && known.region === s.region;
}

/**
 * Whether an alarm's own time lets it act at `now`: stamped further ahead than
 * `detection.clockSkew` (a broken sender clock), a firing no newer than the resolve remembered for
 * its key or a resolve older than the firing it would clear (delivered out of order), or older
 * than `detection.maxAge` (a replay, a stuck queue). A repeat of an active firing keeps it alive
 * whatever its time: Alertmanager repeats a long-running alert with its original `startsAt`, and
 * ignoring it would let a real outage lapse.
 */
export function signalTimeVerdict(policy: Policy, state: MeshState, s: Signal, now: number): IgnoredSignal | null {
  const { maxAge, clockSkew } = policy.detection;
  const known = ownValue(state.signals, s.key);
  const base = { key: s.key, status: s.status, region: s.region, at: s.at };
  if (s.at > now + clockSkew) {
    return {
      ...base,
      reason: 'future',
      message: `${s.key} ${s.status} stamped ${iso(s.at)}, ${age(s.at - now)} ahead (clockSkew ${age(clockSkew)}): stale, ignored`,
    };
  }
  const tomb = ownValue(state.tombstones, s.key);
  if (s.status === 'firing' && tomb && s.at <= tomb.resolvedAt) {
    return {
      ...base,
      reason: 'out-of-order',
      message: `firing for ${s.key} stamped ${iso(s.at)} is not newer than its resolve (${iso(tomb.resolvedAt)}): ignored`,
    };
  }
  if (s.status === 'resolved' && known && s.at < known.at) {
    return {
      ...base,
      reason: 'out-of-order',
      message: `resolve for ${s.key} stamped ${iso(s.at)} is older than its firing (${iso(known.at)}): ignored`,
    };
  }
  if (now - s.at > maxAge) {
    if (s.status === 'firing' && repeats(known, s)) return null;
    return {
      ...base,
      reason: 'stale',
      message: `${s.key} ${s.status} stamped ${iso(s.at)}, ${age(now - s.at)} old (maxAge ${age(maxAge)}): stale, ignored`,
    };
  }
  return null;
}

/** A line about one signal: a delivery of thousands must not write thousands of reasons into the plan. */
function signalNote(out: SignalEffect, line: string): void {
  if (out.signalNotes++ < SIGNAL_NOTES_MAX) out.notes.push(line);
}

/** Remember a resolve (the latest one's time). Whether the state changed. */
function entomb(state: MeshState, s: Signal): boolean {
  const tombs = state.tombstones ?? {};
  const prev = ownValue(tombs, s.key);
  if (prev && prev.resolvedAt >= s.at) return false;
  setOwn<SignalTombstone>(tombs, s.key, { region: s.region, resolvedAt: s.at });
  state.tombstones = tombs;
  return true;
}

export function applySignal(policy: Policy, state: MeshState, s: Signal, now: number, out: SignalEffect): void {
  const ignored = signalTimeVerdict(policy, state, s, now);
  if (ignored) {
    out.ignored.push(ignored);
    signalNote(out, ignored.message);
    return;
  }
  const abort = drillAbortReason(policy, state, s);
  if (abort) {
    out.notes.push(...abortDrill(policy, state, abort, now));
    out.drillAborted = true; // reverting an aborted drill is not an elective shift: no step limits
  }
  const known = ownValue(state.signals, s.key);
  if (s.status === 'firing') {
    // A repeat of an active alarm changes nothing; past half its TTL it keeps the alarm alive.
    if (repeats(known, s) && now - (known.seenAt ?? known.at) < known.ttl / 2) {
      signalNote(out, `signal ${s.key} already active (duplicate)`);
    } else {
      // The source's time is kept (a later resolve is ordered against it); the TTL counts from arrival.
      setOwn(state.signals, s.key, { ...s, at: known ? Math.max(known.at, s.at) : s.at, seenAt: now });
      signalNote(
        out,
        `signal ${s.key}: ${s.region} ${s.severity} from ${s.source}${s.rule ? ` (rule ${s.rule})` : ''}${known ? ' (refreshed)' : ''}`,
      );
    }
    return;
  }
  const remembered = entomb(state, s);
  if (known) {
    out.resolvedIn.push(healthKey(policy, known));
    delete state.signals[s.key];
    signalNote(out, `signal ${s.key} resolved`);
  } else if (remembered)
    signalNote(out, `resolve for ${s.key}, which is not active: remembered (a firing stamped before it will be ignored)`);
  else signalNote(out, `resolve for ${s.key}, which is not active: nothing to do`);
}

/** Severity order for eviction: the least severe lapse first. */
const RANK: Record<Signal['severity'], number> = { degraded: 0, down: 1 };

/**
 * Keep at most `detection.maxSignalsPerRegion` active signals per region, which bounds the state
 * row whatever a sender floods us with. The least severe lapse first, the ones heard from least
 * recently first among equals: newer `degraded` signals never lapse an active `down`. Only when a
 * region holds more `down` signals than the cap do the oldest of them lapse (the region stays
 * DOWN: the cap's worth of them remain).
 */
export function capSignals(policy: Policy, state: MeshState): { lapsed: LapsedSignal[]; notes: string[] } {
  const max = policy.detection.maxSignalsPerRegion;
  const out: { lapsed: LapsedSignal[]; notes: string[] } = { lapsed: [], notes: [] };
  for (const [region, list] of byRegion(Object.values(state.signals))) {
    if (list.length <= max) continue;
    list.sort(
      (a, b) => RANK[a.severity] - RANK[b.severity] || (a.seenAt ?? a.at) - (b.seenAt ?? b.at) || a.at - b.at || a.key.localeCompare(b.key),
    );
    const drop = list.slice(0, list.length - max);
    for (const s of drop) {
      delete state.signals[s.key];
      out.lapsed.push({ key: s.key, region, at: s.at });
    }
    out.notes.push(
      `${drop.length} least severe, oldest signals of ${region} lapsed: more than detection.maxSignalsPerRegion (${max}) active (first: ${drop
        .slice(0, 3)
        .map((s) => s.key)
        .join(', ')})`,
    );
  }
  return out;
}

/**
 * Forget tombstones past `detection.maxAge` (a firing stamped before them is stale by then) and
 * keep at most `detection.maxSignalsPerRegion` per region, the latest resolves: they live in the
 * one state row too. The field goes away when none is left, as in rows from before it existed.
 */
export function pruneTombstones(policy: Policy, state: MeshState, now: number): void {
  const tombs = state.tombstones;
  if (!tombs) return;
  const { maxAge, maxSignalsPerRegion: max } = policy.detection;
  const kept: Array<{ key: string; region: string; resolvedAt: number }> = [];
  for (const key of Object.keys(tombs)) {
    const t = tombs[key] as SignalTombstone;
    if (now - t.resolvedAt > maxAge) delete tombs[key];
    else kept.push({ key, ...t });
  }
  for (const [, list] of byRegion(kept)) {
    if (list.length <= max) continue;
    list.sort((a, b) => a.resolvedAt - b.resolvedAt || a.key.localeCompare(b.key));
    for (const t of list.slice(0, list.length - max)) delete tombs[t.key];
  }
  if (Object.keys(tombs).length === 0) delete state.tombstones;
}

/** Items grouped by region, regions in a fixed order (deterministic notes). */
function byRegion<T extends { region: string }>(items: T[]): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const list = groups.get(item.region);
    if (list) list.push(item);
    else groups.set(item.region, [item]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}
