import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startControlHost, type ControlHost } from './control-host';

/**
 * `regionshift report` against the real control function (local FC host, real engine on
 * SQLite): an alarm drains cn-hangzhou, an operator pauses; the report tells both, with the chart.
 */

let h: ControlHost;
let dir: string;
beforeEach(async () => {
  h = await startControlHost();
  dir = mkdtempSync(path.join(tmpdir(), 'regionshift-report-'));
});
afterEach(async () => {
  await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('writes the Markdown postmortem and its SVG timeline: decisions, steps with timings, who did what', async () => {
  expect(await h.tick()).toBe(200);
  const from = h.clock.now() + 1; // after the first tick's decision
  h.clock.advance(60_000);
  expect(await h.alarmDown()).toBe(200);
  await h.host.idle();
  h.clock.advance(60_000);
  expect((await h.cli(['pause', '--reason', 'looking into hangzhou', '--actor', 'alice'])).code).toBe(0);
  h.clock.advance(60_000);
  const to = h.clock.now();
  const file = path.join(dir, 'incident.md');
  const run = await h.cli(['report', '--from', new Date(from).toISOString(), '--to', String(to), '--out', file]);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  expect(run.stdout).toBe(`wrote ${file} and ${path.join(dir, 'incident.svg')}: 2 decisions, 2 signals/commands/alerts`);
  const md = readFileSync(file, 'utf8');
  const svg = readFileSync(path.join(dir, 'incident.svg'), 'utf8');
  expect(md).toContain('![Share served per region, health bands and decisions](incident.svg)');
  expect(md.match(/^### D\d /gm)).toHaveLength(2);
  // Alarm names are escaped text in the report (a `|` of the CMS key included).
  expect(md).toMatch(/^### D1 .* signal cms-5xx\\\|cms\\\|.* firing$/m);
  expect(md).toMatch(/^> .*cn-hangzhou HEALTHY → DOWN/m);
  expect(md).toMatch(/^### D2 .* command pause by alice$/m);
  expect(md).toContain('Plan `');
  expect(md).toMatch(/\| \d \| mesh distribute: cn-hangzhou→\{cn-shanghai 100%\}.* \| done \| \d+ (ms|s) \| 1 \|/);
  expect(md).toMatch(/\| command \| alice \| pause \|/);
  expect(md).toMatch(/\*\*cn-hangzhou\*\*: HEALTHY .* DOWN /);
  expect(svg.match(/<g class="marker">/g)).toHaveLength(2);
  expect(svg).toContain('data-source="cn-hangzhou" data-region="cn-shanghai"');
});

test.each([
  [['report', '--to', '2026-03-01T00:00:00Z'], '--from: required'],
  [['report', '--from', 'yesterday', '--to', '1'], '--from: must be epoch milliseconds or an ISO-8601'],
  [['report', '--from', '2000', '--to', '1000'], '--to: must be after --from'],
  [['report', '--from', '1', '--to', '2', '--out', 'x.txt'], '--out: must name a .md file'],
])('%p is a usage error naming the flag', async (argv, message) => {
  const run = await h.cli(argv);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain(message);
});
