import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { SqliteStateStore } from '../../shared/adapters/state-sqlite';
import type { MeshConfig, MeshState, TrafficMatrix } from '../../shared/core/types';
import type { StatusView } from '../../shared/engine/api';
import type { Lab } from '../../lab/world';
import { startBrowserLab, type BrowserLab } from './browser-lab';
import { until } from './lab-fixture';

/**
 * The dashboard's service scopes in headless Chromium against the lab: a state row holding per-host
 * routing and per-service health (written to the lab's SQLite file as the engine would) shows as a
 * card per scope under the default matrix, services in the region cards, and a banner while a
 * scope's routing is not confirmed by the mesh. What the page shows must agree with GET /v1/status.
 */

const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';
const REVIEWS = 'reviews.default.svc.cluster.local';
const drained: TrafficMatrix = { [HZ]: { [SH]: 100 }, [SH]: { [SH]: 100 } };
const distribute = (m: TrafficMatrix): MeshConfig => ({
  mode: 'distribute',
  localityLbSetting: {
    distribute: Object.entries(m).map(([src, to]) => ({
      from: `${src}/*`,
      to: Object.fromEntries(Object.entries(to).map(([d, p]) => [`${d}/*`, p])),
    })),
  },
});

let fixture: BrowserLab;
let lab: Lab;
let page: Page;
let store: SqliteStateStore;
let baseline: MeshState;

const text = async (l: Locator) => ((await l.count()) === 1 ? (await l.innerText()).replace(/\s+/g, ' ').trim() : null);

async function serverStatus(): Promise<StatusView> {
  const res = await fetch(`${lab.controlUrl}v1/status`, { headers: { authorization: `Bearer ${lab.secrets.readToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as StatusView;
}

/** A cell of a scope's matrix table, found by the table's headers. */
async function cell(tableName: string, src: string, dst: string): Promise<string | null> {
  const table = page.getByRole('table', { name: tableName, exact: true });
  if ((await table.count()) !== 1) return null;
  const col = (await table.getByRole('columnheader').allTextContents()).indexOf(dst);
  const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: src, exact: true }) });
  if (col < 1 || (await row.count()) !== 1) return null;
  return row
    .getByRole('cell')
    .nth(col - 1)
    .textContent();
}

async function writeState(over: (s: MeshState) => MeshState): Promise<void> {
  const { version } = await store.load('bookinfo');
  await store.commit('bookinfo', version, over(baseline), null, []);
}

beforeAll(async () => {
  fixture = await startBrowserLab('dash-scopes', { pageTimeoutMs: 10_000 });
  ({ lab, page } = fixture);
  await lab.tick();
  store = new SqliteStateStore(path.join(fixture.dir, 'state.db'));
  const loaded = await until(
    () => store.load('bookinfo'),
    (v) => Boolean(v.state?.meshConfirmed),
    30_000,
  );
  if (!loaded.state?.meshConfirmed || !loaded.state.applied) throw new Error('the lab did not apply and confirm its baseline');
  baseline = loaded.state;
}, 90_000);

afterAll(async () => {
  await store?.close();
  await fixture?.stop();
});

describe('dashboard: service scopes', () => {
  test('without scopes the page has no scope panel and no service lists', async () => {
    await page.goto(`${lab.controlUrl}#token=${lab.secrets.readToken}`);
    expect(
      await until(
        () => text(page.getByRole('article', { name: HZ }).locator('.status')),
        (t) => t === 'HEALTHY',
      ),
    ).toBe('HEALTHY');
    expect(await page.locator('#scopes-panel').isHidden()).toBe(true);
    expect(await page.locator('ul.services').count()).toBe(0);
  });

  test('a confirmed scope: a card with its matrix under the default, which stays as it is; service health in the region card', async () => {
    const scopes = { [REVIEWS]: { matrix: drained, config: distribute(drained) } };
    const since = baseline.applied!.at;
    await writeState((s) => ({
      ...s,
      applied: { ...s.applied!, scopes },
      meshConfirmed: { ...s.meshConfirmed!, scopes },
      serviceHealth: {
        [HZ]: {
          reviews: { status: 'DEGRADED', since, clearSince: null, hold: 60_000, causes: ['cms|hz-reviews-5xx'] },
          details: { status: 'HEALTHY', since: 0, clearSince: null, hold: 0, causes: [] },
        },
      },
    }));
    const card = page.getByRole('article', { name: `Scope ${REVIEWS}` });
    expect(
      await until(
        () => card.count(),
        (n) => n === 1,
      ),
    ).toBe(1);
    expect(await page.locator('#scopes-panel').isVisible()).toBe(true);
    expect(await text(card.locator('h3'))).toBe(REVIEWS);
    expect(await text(card.locator('div.small'))).toBe('mode distribute');
    const table = `Scope matrix ${REVIEWS}`;
    expect(await cell(table, HZ, SH)).toBe('100');
    expect(await cell(table, HZ, HZ)).toBe('0');
    // The default matrix is untouched, and the page does not call it shifting.
    const applied = 'Applied traffic matrix';
    expect(await cell(applied, HZ, HZ)).toBe('100');
    expect(await text(page.locator('#mode'))).toBe('mode failover');
    expect(await page.getByRole('region', { name: 'Scopes shifting' }).count()).toBe(0);

    const services = page.getByRole('list', { name: `Services in ${HZ}` });
    expect(
      await until(
        () => text(services.getByRole('listitem').filter({ hasText: 'reviews' })),
        (t) => t !== null,
      ),
    ).toBe('reviews DEGRADED');
    expect(await text(services.getByRole('listitem').filter({ hasText: 'details' }))).toBe('details HEALTHY');
    expect(await page.getByRole('list', { name: `Services in ${SH}` }).count()).toBe(0);

    const status = await serverStatus();
    expect(status.scopes?.[REVIEWS]).toMatchObject({ confirmed: { matrix: drained, mode: 'distribute' }, shifting: false });
    expect(status.serviceHealth?.[HZ]?.reviews?.status).toBe('DEGRADED');
    await page.screenshot({ path: path.join(fixture.shots, 'dashboard-scopes.png'), fullPage: true });
  }, 60_000);

  test('a scope the mesh has not confirmed: its card shows the intended matrix and a banner names it; the default is not shifting', async () => {
    const scopes = { [REVIEWS]: { matrix: drained, config: distribute(drained) } };
    await writeState((s) => ({ ...s, applied: { ...s.applied!, scopes }, meshConfirmed: { ...s.meshConfirmed!, scopes: {} } }));
    const banner = page.getByRole('region', { name: 'Scopes shifting' });
    expect(
      await until(
        () => text(banner),
        (t) => t !== null,
      ),
    ).toBe(`Shifting 1 scope: the mesh has not confirmed their routing yet · ${REVIEWS}`);
    const card = page.getByRole('article', { name: `Scope ${REVIEWS}` });
    expect(await text(card.locator('div.small'))).toBe('mode follows the default (the mesh has no rule for it yet)');
    expect(await card.locator('h4').textContent()).toBe('Shifting to distribute');
    expect(await cell(`Scope intended matrix ${REVIEWS}`, HZ, SH)).toBe('100');
    expect(await page.getByRole('table', { name: `Scope matrix ${REVIEWS}`, exact: true }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Shifting', exact: true }).count()).toBe(0);
    expect(await page.locator('#intended-panel').isHidden()).toBe(true);
    expect(await text(page.locator('#mode'))).toBe('mode failover');
    expect((await serverStatus()).shifting).toBe(true);
  }, 60_000);

  test('the timeline detail of a decision lists the scopes it changed', async () => {
    // A decision as the engine records it (its mesh step carries the per-host routing), now.
    const at = Date.now();
    const mesh = {
      kind: 'mesh',
      matrix: baseline.applied!.matrix,
      config: baseline.meshConfirmed!.config,
      scopes: { [REVIEWS]: { matrix: drained, config: distribute(drained) } },
    };
    await store.appendEvents([
      {
        mesh: 'bookinfo',
        at,
        kind: 'decision',
        actor: 'alarm',
        planId: 'bookinfo-scoped-1',
        summary: 'reviews DOWN in cn-hangzhou',
        detail: {
          reasons: [],
          refused: [],
          steps: [mesh],
          explain: ['reviews DOWN in cn-hangzhou'],
          before: baseline.applied!.matrix,
          after: baseline.applied!.matrix,
          health: { [HZ]: 'HEALTHY', [SH]: 'HEALTHY' },
        },
      },
    ]);
    await page.goto('about:blank');
    await page.goto(`${lab.controlUrl}#token=${lab.secrets.readToken}&at=${new Date(at).toISOString()}&plan=bookinfo-scoped-1`);
    const list = page.getByRole('list', { name: 'Scopes changed' });
    expect(
      await until(
        () => text(list),
        (t) => t !== null,
        20_000,
      ),
    ).toBe(`${REVIEWS}: ${HZ} → ${SH} 100%; ${SH} → ${SH} 100%`);
    expect(await text(page.locator('#tl-detail'))).toContain(`(routed apart: ${REVIEWS})`);
  }, 60_000);

  test('scopes gone again: the panel hides; the page raised no errors', async () => {
    await writeState((s) => s);
    expect(
      await until(
        () => page.locator('#scopes-panel').isHidden(),
        (h) => h,
      ),
    ).toBe(true);
    expect(fixture.pageErrors).toEqual([]);
  }, 30_000);
});
