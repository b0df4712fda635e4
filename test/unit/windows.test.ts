import { cronProblems, nextWindowOpen, windowOpenUntil, type CronWindow } from '../../shared/core/windows';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The next `n` openings after `from`, as UTC instants. */
function openings(w: CronWindow, from: string, n: number): string[] {
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const next = nextWindowOpen(w, t);
    if (next === null) break;
    out.push(iso(next) as string);
    t = next;
  }
  return out;
}

describe('a window across midnight (22:00 for 8h, Asia/Shanghai = UTC+8)', () => {
  const night: CronWindow = { cron: '0 0 22 * * *', timezone: 'Asia/Shanghai', duration: 8 * H };
  const cases: Array<[string, string, string | null]> = [
    ['one minute before it opens', '2026-03-10T21:59:00+08:00', null],
    ['the instant it opens', '2026-03-10T22:00:00+08:00', '2026-03-10T22:00:00.000Z'],
    ['after midnight, local time', '2026-03-11T02:00:00+08:00', '2026-03-10T22:00:00.000Z'],
    ['the last second', '2026-03-11T05:59:59+08:00', '2026-03-10T22:00:00.000Z'],
    ['the instant it closes', '2026-03-11T06:00:00+08:00', null],
  ];
  it.each(cases)('%s (%s): open until %s', (_name, now, until) => {
    expect(iso(windowOpenUntil(night, at(now)))).toBe(until);
  });

  it('opens next strictly after now: at 21:59 tonight, at 22:00 tomorrow', () => {
    expect(iso(nextWindowOpen(night, at('2026-03-10T21:59:00+08:00')))).toBe('2026-03-10T14:00:00.000Z');
    expect(iso(nextWindowOpen(night, at('2026-03-10T22:00:00+08:00')))).toBe('2026-03-11T14:00:00.000Z');
  });
});

describe('a weekday window (10:00-18:00 Monday to Friday, Asia/Shanghai)', () => {
  const office: CronWindow = { cron: '0 0 10 * * 1-5', timezone: 'Asia/Shanghai', duration: 8 * H };
  const cases: Array<[string, string, string | null]> = [
    ['Friday noon', '2026-03-13T12:00:00+08:00', '2026-03-13T10:00:00.000Z'],
    ['Saturday noon', '2026-03-14T12:00:00+08:00', null],
    ['Monday 09:59:59', '2026-03-16T09:59:59+08:00', null],
    ['Monday 17:59:59', '2026-03-16T17:59:59+08:00', '2026-03-16T10:00:00.000Z'],
    // Read in UTC, the window would not open until 10:00 UTC.
    ['Monday 10:30 local = 02:30 UTC', '2026-03-16T02:30:00Z', '2026-03-16T10:00:00.000Z'],
  ];
  it.each(cases)('%s (%s): open until %s', (_name, now, until) => {
    expect(iso(windowOpenUntil(office, at(now)))).toBe(until);
  });

  it('from Saturday, the next opening is Monday 10:00 local', () => {
    expect(openings(office, '2026-03-14T12:00:00+08:00', 2)).toEqual(['2026-03-16T02:00:00.000Z', '2026-03-17T02:00:00.000Z']);
  });
});

describe('daylight saving time (Europe/Berlin: CET +1, CEST +2 from 29 March to 25 October 2026)', () => {
  const office: CronWindow = { cron: '0 0 9 * * 1-5', timezone: 'Europe/Berlin', duration: 8 * H };

  it('09:00 local is 08:00 UTC before the change and 07:00 UTC after it', () => {
    expect(openings(office, '2026-03-26T00:00:00Z', 4)).toEqual([
      '2026-03-26T08:00:00.000Z',
      '2026-03-27T08:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
      '2026-03-31T07:00:00.000Z',
    ]);
    expect(openings(office, '2026-10-22T00:00:00Z', 4)).toEqual([
      '2026-10-22T07:00:00.000Z',
      '2026-10-23T07:00:00.000Z',
      '2026-10-26T08:00:00.000Z',
      '2026-10-27T08:00:00.000Z',
    ]);
  });

  it('is open at 09:30 CEST on the Monday after the change, which a fixed +1 offset would miss', () => {
    expect(iso(windowOpenUntil(office, at('2026-03-30T07:30:00Z')))).toBe('2026-03-30T15:00:00.000Z');
    expect(iso(windowOpenUntil(office, at('2026-03-27T07:30:00Z')))).toBeNull();
  });

  it('a time the clocks skip fires once, an hour later by the wall clock; a time they repeat fires once', () => {
    const nightly: CronWindow = { cron: '0 30 2 * * *', timezone: 'Europe/Berlin', duration: H };
    // 29 March: 02:30 does not exist; it fires at 01:30 UTC (03:30 CEST).
    expect(openings(nightly, '2026-03-28T00:00:00Z', 3)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
    // 25 October: 02:30 happens twice (00:30 and 01:30 UTC); it fires on the second only.
    expect(openings(nightly, '2026-10-24T00:00:00Z', 3)).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });
});

describe('overlapping and dense openings', () => {
  it('when openings overlap, the latest one decides when the window closes', () => {
    const hourly: CronWindow = { cron: '0 0 * * * *', timezone: 'UTC', duration: 2 * H };
    // Opened at 09:00 (until 11:00) and at 10:00 (until 12:00).
    expect(iso(windowOpenUntil(hourly, at('2026-01-01T10:30:00Z')))).toBe('2026-01-01T12:00:00.000Z');
  });

  it('a cron firing every second with a 12h window closes 12h after the last second, not after the first', () => {
    const everySecond: CronWindow = { cron: '* * * * * *', timezone: 'UTC', duration: 12 * H };
    expect(iso(windowOpenUntil(everySecond, at('2026-01-01T12:00:00.500Z')))).toBe('2026-01-02T00:00:00.000Z');
  });
});

describe('`?` means "no specific value", as in Quartz and Alibaba Cloud crons', () => {
  it('`0 0 22 ? * MON` opens on Mondays only, whatever the date the policy is loaded', () => {
    // Croner alone would read `?` as today's day of the month and also fire on that date.
    const mondays = openings({ cron: '0 0 22 ? * MON', timezone: 'UTC', duration: H }, '2026-01-01T00:00:00Z', 10);
    expect(mondays.map((d) => new Date(d).getUTCDay())).toEqual(Array(10).fill(1));
    expect(mondays[0]).toBe('2026-01-05T22:00:00.000Z');
    expect(mondays[9]).toBe('2026-03-09T22:00:00.000Z');
  });
});

describe('cron and time zone problems', () => {
  const SIX = 'must have 6 fields (seconds minutes hours day-of-month month day-of-week)';
  const cases: Array<[string, string, string, Array<{ field: string; message: string }>]> = [
    ['a valid cron', '0 0 22 * * *', 'Asia/Shanghai', []],
    ['five fields (a crontab line)', '0 22 * * *', 'UTC', [{ field: 'cron', message: `${SIX}, got 5 in "0 22 * * *"` }]],
    ['seven fields (with a year)', '0 0 22 * * * 2026', 'UTC', [{ field: 'cron', message: `${SIX}, got 7 in "0 0 22 * * * 2026"` }]],
    ['blank', '   ', 'UTC', [{ field: 'cron', message: `${SIX}, got 0 in "   "` }]],
    [
      'an hour of 61',
      '0 0 61 * * *',
      'UTC',
      [{ field: 'cron', message: 'invalid cron expression "0 0 61 * * *": CronPattern: Invalid value for hour: 61' }],
    ],
    ['31 April', '0 0 0 31 4 *', 'UTC', [{ field: 'cron', message: '"0 0 0 31 4 *" never fires' }]],
    [
      'an unknown time zone',
      '0 0 22 * * *',
      'Asia/Beijing',
      [{ field: 'timezone', message: 'unknown IANA time zone "Asia/Beijing" (write one like Asia/Shanghai or UTC)' }],
    ],
    [
      'a UTC offset instead of a zone',
      '0 0 22 * * *',
      '+08:00',
      [{ field: 'timezone', message: 'unknown IANA time zone "+08:00" (write one like Asia/Shanghai or UTC)' }],
    ],
    [
      'both wrong: both reported',
      '0 22 * * *',
      'Mars/Olympus',
      [
        { field: 'timezone', message: 'unknown IANA time zone "Mars/Olympus" (write one like Asia/Shanghai or UTC)' },
        { field: 'cron', message: `${SIX}, got 5 in "0 22 * * *"` },
      ],
    ],
  ];
  it.each(cases)('%s', (_name, cron, timezone, expected) => {
    expect(cronProblems(cron, timezone)).toEqual(expected);
  });
});

/**
 * `windowOpenUntil` keeps the fire times around the last instant it was asked about. The answer
 * must be the one a plain walk over croner's fire times gives, whatever was asked before:
 * instants in order, backwards, and jumping between windows, across DST changes, windows longer
 * than a day, and one that fires every second (the bisecting path).
 */
describe('windowOpenUntil is the same whatever was asked before (its fire-time cache)', () => {
  const M = 60_000;
  /**
   * The reference: the latest of croner's fire times up to now, walked one by one (no cache, no
   * bisecting) from 3 h before `now - duration` (from inside a DST gap croner skips the day), and
   * open when it is within the duration. The every-second cron has a closed form instead.
   */
  function reference(w: CronWindow, now: number): number | null {
    if (w.cron === '* * * * * *') return Math.floor(now / 1000) * 1000 + w.duration;
    let latest: number | null = null;
    let t = now - w.duration - 3 * H;
    for (;;) {
      const next = nextWindowOpen(w, t);
      if (next === null || next > now) break;
      latest = next;
      t = next;
    }
    return latest !== null && latest > now - w.duration ? latest + w.duration : null;
  }
  const windows: Array<[string, CronWindow]> = [
    ['22:00 Asia/Shanghai for 8h', { cron: '0 0 22 * * *', timezone: 'Asia/Shanghai', duration: 8 * H }],
    ['09:00 Europe/Berlin weekdays for 8h (DST)', { cron: '0 0 9 * * 1-5', timezone: 'Europe/Berlin', duration: 8 * H }],
    ['02:30 America/New_York for 90 min (a time DST skips)', { cron: '0 30 2 * * *', timezone: 'America/New_York', duration: 90 * M }],
    ['Friday 20:00 UTC for 3 days (longer than a day)', { cron: '0 0 20 * * 5', timezone: 'UTC', duration: 72 * H }],
    ['every 10 minutes for 25 minutes (overlapping)', { cron: '0 */10 * * * *', timezone: 'Asia/Shanghai', duration: 25 * M }],
    ['every second for 20 minutes (bisected)', { cron: '* * * * * *', timezone: 'UTC', duration: 20 * M }],
  ];
  // Around the 2026 European spring change (29 March) and the US one (8 March), every 37 minutes.
  const instants = (from: string, hours: number) =>
    Array.from({ length: Math.floor((hours * 60) / 37) }, (_, i) => at(from) + i * 37 * M + (i % 3) * 999);

  it.each(windows)('%s: in order, backwards and interleaved', (_name, w) => {
    const times = [...instants('2026-03-06T00:00:00Z', 96), ...instants('2026-03-27T00:00:00Z', 96)];
    const expected = times.map((t) => reference(w, t));
    expect(times.map((t) => windowOpenUntil(w, t))).toEqual(expected);
    expect([...times].reverse().map((t) => windowOpenUntil(w, t))).toEqual([...expected].reverse());
    const other = windows[0]![1];
    expect(times.map((t) => [windowOpenUntil(w, t), windowOpenUntil(other, t)])).toEqual(
      times.map((t, i) => [expected[i], reference(other, t)]),
    );
  });

  it('at the edges of the cached span: the instant a window opens, the last millisecond, the instant it closes', () => {
    const night = windows[0]![1];
    const opens = at('2026-03-10T22:00:00+08:00');
    const asked = [opens + 3 * H, opens - 1, opens, opens + 8 * H - 1, opens + 8 * H, opens + 24 * H - 1, opens + 24 * H, opens + 1];
    expect(asked.map((t) => iso(windowOpenUntil(night, t)))).toEqual(asked.map((t) => iso(reference(night, t))));
    expect(asked.map((t) => iso(windowOpenUntil(night, t)))).toEqual([
      '2026-03-10T22:00:00.000Z',
      null,
      '2026-03-10T22:00:00.000Z',
      '2026-03-10T22:00:00.000Z',
      null,
      null,
      '2026-03-11T22:00:00.000Z',
      '2026-03-10T22:00:00.000Z',
    ]);
  });
});
