import { Cron } from 'croner';

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
    return { field: 'cron', message: `must have 6 fields (seconds minutes hours day-of-month month day-of-week), got ${fields} in ${JSON.stringify(expr)}` };
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

/** The first problem with a cron and its time zone, or null when the window can be scheduled. */
export function validCron(expr: string, timezone: string): CronProblem | null {
  return cronProblems(expr, timezone)[0] ?? null;
}

/**
 * If a window is open at `now`, when it closes; otherwise null. When openings overlap, the
 * latest opening at or before `now` decides.
 */
export function windowOpenUntil(w: CronWindow, now: number): number | null {
  const cron = cronOf(w.cron, w.timezone);
  const firesWithin = (lookback: number): Date | null => {
    const next = cron.nextRun(new Date(now - lookback));
    return next && next.getTime() <= now ? next : null;
  };
  // Fire times in (now - duration, now] open a window that covers now.
  if (!firesWithin(w.duration)) return null;
  // Bisect the lookback instead of walking every fire time: a window of a cron that fires
  // every second for hours has tens of thousands of them.
  // Invariant: a fire time lies in (now - hi, now] and none in (now - lo, now].
  let lo = 0;
  let hi = w.duration;
  while (hi - lo > CRON_RESOLUTION_MS) {
    const mid = Math.floor((lo + hi) / 2);
    if (firesWithin(mid)) hi = mid;
    else lo = mid;
  }
  const latest = firesWithin(hi);
  return latest ? latest.getTime() + w.duration : null;
}

/** The next time a window opens strictly after `now`. */
export function nextWindowOpen(w: CronWindow, now: number): number | null {
  return cronOf(w.cron, w.timezone).nextRun(new Date(now))?.getTime() ?? null;
}
