import { activeSchedules, statusView } from '../../../shared/engine/status';
import { renderStatus } from '../../../cli/control-render';
import { bookinfoPolicy } from './harness';

/** An active schedule is named in status (API, CLI) with when it ends, instead of an unexplained matrix. */

const RH = 'cn-hangzhou';
const RS = 'cn-shanghai';
// Weekdays 18:00-20:00 UTC: "evening" sends a tenth of hangzhou's traffic to shanghai.
const policy = bookinfoPolicy({
  schedules: [{ name: 'evening', cron: '0 0 18 * * 1-5', timezone: 'UTC', duration: '2h', matrix: { [RH]: { [RH]: 90, [RS]: 10 } } }],
});
// A Tuesday, pinned: inside the window, and outside it.
const INSIDE = Date.parse('2026-11-03T18:30:00Z');
const OUTSIDE = Date.parse('2026-11-03T21:00:00Z');

describe('status: active schedules', () => {
  test('inside its window a schedule is listed with its name, end and the matrix it sets (rows it leaves keep the normal one)', () => {
    expect(activeSchedules(policy, INSIDE)).toEqual([
      { name: 'evening', until: '2026-11-03T20:00:00.000Z', matrix: { [RH]: { [RH]: 90, [RS]: 10 }, [RS]: { [RS]: 100 } } },
    ]);
    expect(statusView(policy, null, 0, [], [], INSIDE).schedules.map((s) => s.name)).toEqual(['evening']);
  });

  test('outside its window none is', () => {
    expect(activeSchedules(policy, OUTSIDE)).toEqual([]);
    expect(statusView(policy, null, 0, [], [], OUTSIDE).schedules).toEqual([]);
  });

  test('regionshift status prints the schedule and when it ends, or says none', () => {
    const print = (now: number) => {
      const lines: string[] = [];
      renderStatus(statusView(policy, null, 0, [], [], now), { log: (l) => lines.push(l), error: (l) => lines.push(l) });
      return lines;
    };
    expect(print(INSIDE)).toContain(
      `schedule: evening  until 2026-11-03T20:00:00.000Z  (sets ${RH} → ${RH} 90%, ${RS} 10%; ${RS} → ${RS} 100%)`,
    );
    expect(print(OUTSIDE)).toContain('schedule: none');
  });
});
