import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { SqliteStateStore } from '../../shared/adapters/state-sqlite';
import { MESH_SCOPE } from '../../lab/k8s/control-plane';
import { VIRTUAL_SERVICES } from '../../lab/k8s/resources';
import type { StatusView } from '../../shared/engine/api';
import type { Lab } from '../../lab/world';
import { startBrowserLab, type BrowserLab } from './browser-lab';
import { until } from './lab-fixture';

/**
 * The dashboard's entry services (policy scopes.entryFrom) in headless Chromium against the lab:
 * examples/bookinfo-scoped.yaml with the entry derived from the gateway's VirtualService instead
 * of named (the lab seeds default/bookinfo bound to default/bookinfo-gateway, routing to
 * productpage). The page must show the derived set and where it came from in the scopes panel,
 * and, once the VirtualService is gone, why the latest read was not used and which set is kept.
 * What it shows must agree with GET /v1/status.
 */

const GATEWAY = 'default/bookinfo-gateway';

function entryFromPolicy(dir: string): string {
  const policy = parseYaml(readFileSync('examples/bookinfo-scoped.yaml', 'utf8')) as Record<string, unknown>;
  delete policy.schedules; // the same matrix at any hour
  const scopes = policy.scopes as Record<string, unknown>;
  delete scopes.entry;
  scopes.entryFrom = { gateways: [GATEWAY] };
  const file = path.join(dir, 'bookinfo-entry-from.yaml');
  writeFileSync(file, stringifyYaml(policy));
  return file;
}

let fixture: BrowserLab;
let lab: Lab;
let page: Page;

const text = async (l: Locator) => ((await l.count()) === 1 ? (await l.innerText()).replace(/\s+/g, ' ').trim() : null);

async function serverStatus(): Promise<StatusView> {
  const res = await fetch(`${lab.controlUrl}v1/status`, { headers: { authorization: `Bearer ${lab.secrets.readToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as StatusView;
}

beforeAll(async () => {
  fixture = await startBrowserLab('dash-entry', { pageTimeoutMs: 10_000, policyFile: entryFromPolicy });
  ({ lab, page } = fixture);
  await lab.tick();
}, 90_000);

afterAll(async () => {
  await fixture?.stop();
});

describe("dashboard: entry services derived from the gateway's VirtualService", () => {
  test('the scopes panel shows the derived set, the VirtualService and gateway it came from, and since when', async () => {
    const status = await until(serverStatus, (s) => s.entry?.services.join() === 'productpage', 20_000);
    expect(status.entry).toEqual({
      source: 'virtualservices',
      services: ['productpage'],
      gateways: [GATEWAY],
      from: ['default/bookinfo'],
      since: expect.any(String),
      problem: null,
    });
    // No host is routed apart yet: the panel is there for the entry alone.
    expect(status.scopes).toBeUndefined();

    await page.goto(`${lab.controlUrl}#token=${lab.secrets.readToken}`);
    const entry = page.getByRole('region', { name: 'Entry services' });
    const shown = await until(
      () => text(entry),
      (t) => t !== null && t.includes('productpage'),
    );
    expect(shown).toMatch(
      /^Entry services: productpage — derived from VirtualService default\/bookinfo bound to gateway default\/bookinfo-gateway, since \S.* \(\d+[smhd] ago\)$/,
    );
    expect(await page.locator('#scopes-panel').isVisible()).toBe(true);
    expect(await entry.locator('time').getAttribute('datetime')).toBe(status.entry?.since);
    expect(await page.getByRole('status', { name: 'Entry services problem' }).count()).toBe(0);
    await page.screenshot({ path: path.join(fixture.shots, 'dashboard-entry.png'), fullPage: true });
  }, 60_000);

  test('the VirtualService gone: the page says the latest read was not used, why, and that productpage is kept', async () => {
    lab.controlPlane.store.delete(MESH_SCOPE, VIRTUAL_SERVICES, 'default', 'bookinfo');
    await lab.tick();
    const status = await until(serverStatus, (s) => Boolean(s.entry?.problem), 20_000);
    expect(status.entry?.services).toEqual(['productpage']);
    const message = status.entry?.problem?.message;
    expect(message).toBe('no VirtualService bound to gateways default/bookinfo-gateway routes anywhere');

    const problem = page.getByRole('status', { name: 'Entry services problem' });
    const shown = await until(
      () => text(problem),
      (t) => t !== null,
      20_000,
    );
    expect(shown).toMatch(
      /^Latest VirtualService read not used \(since \S.* \(\d+[smhd] ago\)\): no VirtualService bound to gateways default\/bookinfo-gateway routes anywhere — keeping productpage$/,
    );
    expect(await problem.locator('time').getAttribute('datetime')).toBe(status.entry?.problem?.since);
    // The set itself is still shown as in use.
    expect(await text(page.locator('#entry .entry-set'))).toMatch(
      /^Entry services: productpage — derived from VirtualService default\/bookinfo/,
    );
    await page.screenshot({ path: path.join(fixture.shots, 'dashboard-entry-problem.png'), fullPage: true });
  }, 60_000);

  test('no set ever derived (a state without one, as before the first usable read): the page says none is known and elective shifts are refused', async () => {
    const store = new SqliteStateStore(path.join(fixture.dir, 'state.db'));
    try {
      const { state, version } = await store.load('bookinfo');
      if (!state) throw new Error('the lab has no state');
      const { entry: _kept, ...without } = state;
      await store.commit('bookinfo', version, without, null, []);
    } finally {
      await store.close();
    }
    expect((await until(serverStatus, (s) => s.entry?.services.length === 0)).entry).toMatchObject({
      services: [],
      since: null,
      problem: null,
    });
    const shown = await until(
      () => text(page.locator('#entry .entry-set')),
      (t) => t !== null && t.includes('none known'),
      20_000,
    );
    expect(shown).toBe(
      'Entry services: none known — scopes.entryFrom, gateway default/bookinfo-gateway: elective shifts are refused until one is derived',
    );
    expect(await page.getByRole('status', { name: 'Entry services problem' }).count()).toBe(0);
    expect(fixture.pageErrors).toEqual([]);
  }, 60_000);
});
