import { Cron } from 'croner';
import { formatDuration } from './duration';

/** Cron windows: a window opens at each fire time of its cron (in its IANA time zone) and lasts `duration`. */

export interface CronWindow {
  cron: string;
  timezone: string;
  duration: number;
}

export interface CronProblem {
  field: 'cron' | 'timezone';
  message: string;
}

/** Croner fires on whole seconds: no two fire times are closer than this. */
const CRON_RESOLUTION_MS = 1000;

function cronOf(expr: string, timezone: string): Cron {
  // Croner replaces `?` with the current time's value (it reads the clock); in Quartz and
  // Alibaba Cloud crons it means "no specific value", which is what `*` means to croner.
  const pattern = expr.trim().replace(/\?/g, '*');
  // Croner computes from the date it is given; it never reads the clock when one is passed.
  return new Cron(pattern, { timezone, paused: true, legacyMode: true });
}

function timezoneProblem(timezone: string): CronProblem | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return null;
  } catch {
    return { field: 'timezone', message: `unknown IANA time zone ${JSON.stringify(timezone)} (write one like Asia/Shanghai or UTC)` };
  }
}

function cronExpressionProblem(expr: string, timezone: string): CronProblem | null {
  const text = expr.trim();
  const fields = text === '' ? 0 : text.split(/\s+/).length;
  if (fields !== 6) {
    return {
      field: 'cron',
      message: `must have 6 fields (seconds minutes hours day-of-month month day-of-week), got ${fields} in ${JSON.stringify(expr)}`,
    };
  }
  let cron: Cron;
  try {
    cron = cronOf(expr, timezone);
  } catch (err) {
    return { field: 'cron', message: `invalid cron expression ${JSON.stringify(expr)}: ${(err as Error).message}` };
  }
  // A date that cannot exist (day 31 of a 30-day month) parses but never fires.
  if (cron.nextRun(new Date(0)) === null) return { field: 'cron', message: `${JSON.stringify(expr)} never fires` };
  return null;
}

/** Every problem with a window's cron and time zone: both are reported when both are wrong. */
export function cronProblems(expr: string, timezone: string): CronProblem[] {
  const tz = timezoneProblem(timezone);
  const cron = cronExpressionProblem(expr, tz ? 'UTC' : timezone);
  return [tz, cron].filter((p): p is CronProblem => p !== null);
}

/**
 * A small least-recently-used map. The caches below hold only what a pure function of their key
 * returns (a parsed cron; the fire times around an instant), so a hit and a miss give the same
 * answer: they make repeated decisions cheap and never change one.
 */
class Lru<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly limit: number) {}
  get(key: K): V | undefined {
    const v = this.entries.get(key);
    if (v !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as K);
  }
}

/** Distinct (cron, time zone) pairs a process keeps parsed; a policy has a few dozen at most. */
export const WINDOW_CACHE_LIMIT = 512;
const crons = new Lru<string, Cron>(WINDOW_CACHE_LIMIT);

function cachedCron(expr: string, timezone: string): Cron {
  const key = `${timezone}\n${expr}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = cronOf(expr, timezone);
    crons.set(key, cron);
  }
  return cron;
}

/**
 * Between two consecutive fire times nothing changes: for every instant in [from, until), the
 * latest fire time at or before it within the window's duration is `latest` (null: none, the
 * window is closed). One span per window is kept, so a decision each minute finds its answer
 * without asking croner again until the next fire time (~1 µs instead of ~20 `nextRun` calls).
 */
interface Span {
  from: number;
  until: number;
  latest: number | null;
}
const spans = new Lru<string, Span>(WINDOW_CACHE_LIMIT);

/** Fire times walked one by one before bisecting: enough for any window that fires a few times within its reach. */
const WALK_STEPS = 32;

/**
 * Croner's fire times depend on where it starts looking in a day clocks skip: from before the
 * gap it moves a skipped time forward (02:30 → 03:30 EDT), from inside the gap it skips that day.
 * Looking from this long before `now - duration` (longer than any daylight-saving gap, which is
 * at most 2 h) finds every fire time that can open a window covering `now`, so the answer does
 * not depend on which instant was asked first.
 */
const DST_GAP_MS = 3 * 3_600_000;

function spanAt(w: CronWindow, now: number): Span {
  const cron = cachedCron(w.cron, w.timezone);
  const next = (after: number): number => cron.nextRun(new Date(after))?.getTime() ?? Number.POSITIVE_INFINITY;
  // Fire times in (now - duration, now] open a window that covers now; the latest decides.
  let fire = next(now - w.duration - DST_GAP_MS);
  if (fire > now) return { from: now, until: fire, latest: null };
  // Walk the fire times up to now; a cron that fires every second for hours has tens of
  // thousands of them, so past a few steps bisect the lookback instead.
  for (let i = 0; i < WALK_STEPS; i++) {
    const after = next(fire);
    if (after > now) return { from: fire, until: after, latest: fire };
    fire = after;
  }
  // Invariant: a fire time lies in (now - hi, now] and none in (now - lo, now].
  const firesWithin = (lookback: number): number | null => {
    const t = next(now - lookback);
    return t <= now ? t : null;
  };
  let lo = 0;
  let hi = now - fire + 1;
  while (hi - lo > CRON_RESOLUTION_MS) {
    const mid = Math.floor((lo + hi) / 2);
    if (firesWithin(mid) !== null) hi = mid;
    else lo = mid;
  }
  const latest = firesWithin(hi) as number;
  return { from: latest, until: next(latest), latest };
}

/**
 * If a window is open at `now`, when it closes; otherwise null. When openings overlap, the
 * latest opening at or before `now` decides.
 */
export function windowOpenUntil(w: CronWindow, now: number): number | null {
  const key = `${w.timezone}\n${w.cron}\n${w.duration}`;
  let span = spans.get(key);
  if (!span || now < span.from || now >= span.until) {
    span = spanAt(w, now);
    spans.set(key, span);
  }
  if (span.latest === null) return null;
  const closes = span.latest + w.duration;
  return now < closes ? closes : null;
}

/** The next time a window opens strictly after `now`. */
export function nextWindowOpen(w: CronWindow, now: number): number | null {
  return cachedCron(w.cron, w.timezone).nextRun(new Date(now))?.getTime() ?? null;
}

/** A window as a reader of a refusal needs it: `"0 0 10 * * 1-5" (Asia/Shanghai) for 8h`. */
export function windowText(w: CronWindow): string {
  return `${JSON.stringify(w.cron)} (${w.timezone}) for ${formatDuration(w.duration)}`;
}

/** The soonest any of `windows` opens strictly after `now` (null: none ever does). */
export function nextOpening(windows: readonly CronWindow[], now: number): number | null {
  const next = windows.map((w) => nextWindowOpen(w, now)).filter((t): t is number => t !== null);
  return next.length ? Math.min(...next) : null;
}

/**
 * Why a change confined to `windows` is refused at `now`: every window named, and when the next
 * one opens, so the operator knows whether to wait or to change the policy.
 */
export function outsideWindowsText(what: string, windows: readonly CronWindow[], now: number): string {
  const next = nextOpening(windows, now);
  const when =
    next === null ? 'none of them opens again' : `the next window opens at ${new Date(next).toISOString().replace('.000Z', 'Z')}`;
  return `${what} run only in ${windows.map(windowText).join(', ')}; ${when}`;
}
