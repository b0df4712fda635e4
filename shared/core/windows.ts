import { Cron } from 'croner';

/** Cron windows: a window opens at each fire time of its cron (in its IANA time zone) and lasts `duration`. */

export interface CronWindow {
  cron: string;
  timezone: string;
  duration: number;
}

function cronOf(expr: string, timezone: string): Cron {
  // Croner computes from the date it is given; it never reads the clock when one is passed.
  return new Cron(expr, { timezone, paused: true, legacyMode: true });
}

export function validCron(expr: string, timezone: string): { field: 'cron' | 'timezone'; message: string } | null {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return { field: 'timezone', message: `unknown IANA time zone ${timezone}` };
  }
  const fields = expr.trim().split(/\s+/).length;
  if (fields !== 6) return { field: 'cron', message: `must have 6 fields (seconds minutes hours day-of-month month day-of-week), got ${fields}` };
  try {
    cronOf(expr, timezone);
    return null;
  } catch (err) {
    return { field: 'cron', message: `invalid cron expression: ${(err as Error).message}` };
  }
}

/** If a window is open at `now`, when it closes (the latest opening's end); otherwise null. */
export function windowOpenUntil(w: CronWindow, now: number): number | null {
  const cron = cronOf(w.cron, w.timezone);
  // Fire times in (now - duration, now] open a window that covers now.
  let cursor: Date | null = cron.nextRun(new Date(now - w.duration));
  let end: number | null = null;
  for (let guard = 0; cursor && cursor.getTime() <= now && guard < 10_000; guard++) {
    end = cursor.getTime() + w.duration;
    cursor = cron.nextRun(cursor);
  }
  return end !== null && end > now ? end : null;
}

/** The next time a window opens strictly after `now`. */
export function nextWindowOpen(w: CronWindow, now: number): number | null {
  return cronOf(w.cron, w.timezone).nextRun(new Date(now))?.getTime() ?? null;
}
