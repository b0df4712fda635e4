import type { Page } from 'playwright-core';
import type { Lab } from '../../lab/world';
import { startBrowserLab, type BrowserLab } from './browser-lab';
import { waitFor } from './lab-fixture';

/** The dashboard's readiness panel in headless Chromium against the lab: rows as the API gives them, a broken precondition shown failing. */
let lab: Lab;
let page: Page;
let pageErrors: string[];
let fixture: BrowserLab;

beforeAll(async () => {
  fixture = await startBrowserLab('dash-ready', { pageTimeoutMs: 15_000 });
  ({ lab, page, pageErrors } = fixture);
  await waitFor('locality LB on the mesh', () => lab.controlPlane.asm.servedLocalityLb()?.enabled === true, 30_000);
}, 60_000);

afterAll(async () => {
  await fixture?.stop();
});

async function rows(): Promise<Record<string, string>> {
  const table = page.getByRole('table', { name: 'Readiness checks' });
  const out: Record<string, string> = {};
  for (const row of await table.locator('tbody tr').all()) {
    out[(await row.locator('th').innerText()).trim()] = (await row.locator('td').first().innerText()).trim();
  }
  return out;
}

test('the panel runs the checks on demand and shows each row; a disabled locality LB shows FAIL with its fix', async () => {
  await page.goto(`${lab.controlUrl}#token=${lab.secrets.readToken}`);
  const panel = page.getByRole('region', { name: 'Readiness' });
  expect(await panel.getByRole('table').count()).toBe(0); // nothing runs until asked
  await panel.getByRole('button', { name: 'Run readiness checks' }).click();
  await page.getByRole('table', { name: 'Readiness checks' }).waitFor();
  const first = await rows();
  expect(first).toMatchObject({
    outlierDetection: 'PASS',
    localityLabels: 'PASS',
    workloadEntryLocality: 'PASS',
    localityLbEnabled: 'PASS',
    capacity: 'PASS',
    executor: 'PASS',
    cloudAlarmWiring: 'WARN',
    'control-plane-placement': 'WARN',
  });
  expect(Object.keys(first)).toHaveLength(13);
  expect(await page.locator('#readiness-status').innerText()).toBe('WARN');

  lab.controlPlane.asm.setLocalityLbEnabled(false);
  try {
    await panel.getByRole('button', { name: 'Run readiness checks' }).click();
    await waitFor('the FAIL row', async () => (await rows()).localityLbEnabled === 'FAIL', 15_000);
    expect(await page.locator('#readiness-status').innerText()).toBe('FAIL');
    const row = page
      .getByRole('table', { name: 'Readiness checks' })
      .locator('tr', { has: page.getByRole('rowheader', { name: 'localityLbEnabled' }) });
    expect(await row.innerText()).toContain('LocalityLoadBalancing=true');
  } finally {
    lab.controlPlane.asm.setLocalityLbEnabled(true);
  }
  expect(pageErrors).toEqual([]);
}, 90_000);
