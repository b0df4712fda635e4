import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startLab, type Lab } from '../../lab/world';
import { launchBrowser, type TestBrowser } from './browser';
import { scheduleFreePolicyFile, waitFor } from './lab-fixture';

/** The dashboard's readiness panel in headless Chromium against the lab: rows as the API gives them, a broken precondition shown failing. */
let lab: Lab;
let browser: TestBrowser;
let page: Page;
let dir: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'regionshift-dash-ready-'));
  lab = await startLab({ background: false, stateFile: path.join(dir, 'state.db'), policyFile: scheduleFreePolicyFile(dir), log: () => undefined });
  await waitFor('locality LB on the mesh', () => lab.controlPlane.asm.servedLocalityLb()?.enabled === true, 30_000);
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (err) => pageErrors.push(err.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await lab?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
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
  expect(first).toMatchObject({ outlierDetection: 'PASS', localityLabels: 'PASS', workloadEntryLocality: 'PASS', localityLbEnabled: 'PASS', capacity: 'PASS', executor: 'PASS', cloudAlarmWiring: 'WARN' });
  expect(Object.keys(first)).toHaveLength(12);
  expect(await page.locator('#readiness-status').innerText()).toBe('WARN');

  lab.controlPlane.asm.setLocalityLbEnabled(false);
  try {
    await panel.getByRole('button', { name: 'Run readiness checks' }).click();
    await waitFor('the FAIL row', async () => (await rows()).localityLbEnabled === 'FAIL', 15_000);
    expect(await page.locator('#readiness-status').innerText()).toBe('FAIL');
    const row = page.getByRole('table', { name: 'Readiness checks' }).locator('tr', { has: page.getByRole('rowheader', { name: 'localityLbEnabled' }) });
    expect(await row.innerText()).toContain('LocalityLoadBalancing=true');
  } finally {
    lab.controlPlane.asm.setLocalityLbEnabled(true);
  }
  expect(pageErrors).toEqual([]);
}, 90_000);
