import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { incidentWindow, latestIncident, INCIDENT_LOOKBACK_MS } from '../../functions/control/dashboard/timeline-layout';
import type { StatusView } from '../../shared/engine/api';
import type { Timeline } from '../../shared/engine/timeline';
import type { Lab } from '../../lab/world';
import { startBrowserLab, type BrowserLab } from './browser-lab';
import { controlCall, until, waitFor } from './lab-fixture';

/**
 * What the on-call engineer sees, in headless Chromium against the lab: the active schedule
 * named with its end, history rows that say what each decision did (steps folded under it), and
 * a timeline that opens on the latest incident with a legend and the mesh-confirmed shares.
 * The lab's policy has a schedule open at any hour (fires every minute, lasts two), so the test
 * holds whenever it runs.
 */

const RH = 'cn-hangzhou';
const RS = 'cn-shanghai';
const SCHEDULE = 'always-on';

let lab: Lab;
let page: Page;
let shots: string;
let pageErrors: string[];
let fixture: BrowserLab;

const text = async (l: Locator) => ((await l.count()) === 1 ? (await l.innerText()).replace(/\s+/g, ' ').trim() : null);

function alwaysOnSchedulePolicy(dir: string): string {
  const policy = parseYaml(readFileSync('examples/bookinfo.yaml', 'utf8')) as Record<string, unknown>;
  policy.schedules = [{ name: SCHEDULE, cron: '0 * * * * *', timezone: 'UTC', duration: '2m', matrix: { [RH]: { [RH]: 90, [RS]: 10 } } }];
  const file = path.join(dir, 'bookinfo-always-on.yaml');
  writeFileSync(file, stringifyYaml(policy));
  return file;
}

async function status(): Promise<StatusView> {
  const res = await fetch(`${lab.controlUrl}v1/status`, { headers: { authorization: `Bearer ${lab.secrets.readToken}` } });
  return (await res.json()) as StatusView;
}

// Open plans may keep a scale-down due later; the mesh having what was decided is what counts here.
const settled = (s: StatusView) => !s.shifting;

beforeAll(async () => {
  fixture = await startBrowserLab('oncall-truth', { pageTimeoutMs: 10_000, policyFile: alwaysOnSchedulePolicy });
  ({ lab, page, pageErrors, shots } = fixture);
  // An incident to look at: a drain of hangzhou pinned and cleared once the schedule's matrix is live.
  await waitFor('the schedule live on the mesh', async () => {
    const s = await status();
    return settled(s) && s.matrix?.[RH]?.[RS] === 10;
  });
  const pinned = await controlCall(lab, 'POST', '/v1/overrides', { drain: [RH], ttl: '30m', reason: 'on-call e2e' });
  expect(pinned.status).toBe(200);
  await waitFor(
    'the drain live',
    async () => {
      const s = await status();
      return settled(s) && s.matrix?.[RH]?.[RS] === 100;
    },
    60_000,
  );
  const id = ((await status()).override as { id: string }).id;
  expect((await controlCall(lab, 'DELETE', `/v1/overrides/${id}`)).status).toBe(200);
  await waitFor(
    'back on the schedule',
    async () => {
      const s = await status();
      return settled(s) && s.matrix?.[RH]?.[RS] === 10;
    },
    60_000,
  );
}, 180_000);

afterAll(async () => {
  await fixture?.stop();
});

test('status, the dashboard and its history say what is going on: the schedule and its end, what each decision did', async () => {
  const s = await status();
  expect(s.schedules.map((x) => x.name)).toEqual([SCHEDULE]);
  expect(Date.parse(s.schedules[0]?.until ?? '')).toBeGreaterThan(Date.parse(s.at));

  await page.goto(`${lab.controlUrl}#token=${lab.secrets.readToken}`);
  const banner = page.getByRole('region', { name: `Active schedule ${SCHEDULE}` });
  expect(
    await until(
      () => text(banner),
      (t) => t !== null,
    ),
  ).toMatch(
    new RegExp(
      `^Schedule ${SCHEDULE} active until .+ · the policy's schedule sets the target · ${RH} → ${RH} 90%, ${RS} 10%; ${RS} → ${RS} 100%$`,
    ),
  );

  // The drain's row: what it did and why (the override), not "…Z command"; its steps folded under it, named by target.
  const history = page.getByRole('list', { name: 'History' });
  const drainRow = history.getByRole('listitem').filter({ hasText: `all HEALTHY → drain ${RH}: ${RH} → ${RS} 100%` });
  expect(
    await until(
      () => drainRow.count(),
      (n) => n === 1,
    ),
  ).toBe(1);
  expect(await text(drainRow.locator('.what'))).toMatch(
    new RegExp(`^all HEALTHY → drain ${RH}: ${RH} → ${RS} 100%.* \\[override ovr-[^ ]+ until `),
  );
  const steps = drainRow.locator('details.steps');
  // Scale-downs fall due later (policy's delay): not all steps are done yet.
  expect(await text(steps.locator('summary'))).toMatch(/^steps: \d+\/\d+ steps done$/);
  await steps.locator('summary').click();
  expect(await text(steps.locator('ol'))).toContain('mesh bookinfo distribute done');
  // The schedule's own decision (back from the drain) names the schedule.
  expect(await text(history)).toContain(`[schedule ${SCHEDULE} until `);
  // No step row floods the list: every step outcome on the page sits under its decision.
  expect(await history.locator(':scope > li .kind.k-step').count()).toBe(0);
  await page.screenshot({ path: path.join(shots, 'dashboard-oncall.png'), fullPage: true });
}, 60_000);

test('the timeline opens on the latest incident, with a legend and the confirmed shares beside the commanded ones', async () => {
  const charts = page.locator('#tl-charts');
  expect(await page.getByLabel('Range').inputValue()).toBe('incident');
  const drawnFrom = await until(
    () => charts.getAttribute('data-placed'),
    (v) => v !== null,
  );
  // The same window from the server's answer for the last 7 days: the drain and its clearing.
  const now = Date.now();
  const res = await fetch(`${lab.controlUrl}v1/timeline?from=${now - INCIDENT_LOOKBACK_MS}&to=${now}`, {
    headers: { authorization: `Bearer ${lab.secrets.readToken}` },
  });
  const week = (await res.json()) as Timeline;
  const incident = latestIncident(week);
  expect(incident).not.toBeNull();
  const expected = incidentWindow(incident, now);
  expect(Number(drawnFrom)).toBe(expected?.from);
  // Minutes long, so the incident fills the chart instead of a sliver of the last hour.
  expect(Number(await charts.getAttribute('data-to')) - Number(drawnFrom)).toBeLessThan(15 * 60_000);
  expect(await text(page.locator('#tl-note'))).toContain('latest incident');

  const legend = page.getByRole('list', { name: 'Legend' });
  for (const entry of [
    'HEALTHY healthy',
    'DEGRADED',
    'DOWN down (drained)',
    'RECOVERING',
    'commanded share (filled)',
    'confirmed by the mesh (dashed)',
  ])
    expect(await text(legend)).toContain(entry);
  // Each chart carries both series: the commanded shares and what the mesh confirmed.
  const hz = page.locator(`.tl-chart[data-source="${RH}"]`);
  expect(await text(hz.locator('.u-legend'))).toContain(`served in ${RS}`);
  expect(await text(hz.locator('.u-legend'))).toContain(`confirmed in ${RS}`);
  // Markers: none overlaps another in its row.
  const boxes = await page
    .locator('.tl-marker:not(.dot)')
    .evaluateAll((ms) =>
      ms.map(
        (m) => ({ row: m.getAttribute('data-row'), ...m.getBoundingClientRect().toJSON() }) as { row: string; left: number; right: number },
      ),
    );
  for (const a of boxes) for (const b of boxes) if (a !== b && a.row === b.row) expect(a.right <= b.left || b.right <= a.left).toBe(true);
  // A marker's detail says when the mesh confirmed its decision.
  await page
    .getByRole('button', { name: /^Decision D\d+: / })
    .last()
    .click();
  expect(
    await until(
      () => text(page.locator('#tl-detail h3')),
      (t) => !!t,
    ),
  ).toMatch(/mesh confirmed after [\d.]+ s/);
  await page.getByRole('region', { name: 'Incident timeline' }).screenshot({ path: path.join(shots, 'dashboard-oncall-timeline.png') });
  expect(pageErrors).toEqual([]);
}, 60_000);
