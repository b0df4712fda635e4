import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { StatusView } from '../../shared/engine/api';
import type { Lab } from '../../lab/world';
import { startBrowserLab, type BrowserLab } from './browser-lab';
import { until } from './lab-fixture';
import { countPixels, decodePng } from './png';
import type { Timeline } from '../../shared/engine/timeline';
import { dashboardMomentUrl } from '../../shared/adapters/notify';

/**
 * The dashboard and the lab page in headless Chromium against the lab: the product's functions
 * on the local FC host, the twins behind them. Every command the dashboard sends is signed in
 * the browser; the server-side status must agree with what the page shows.
 * Screenshots go to REGIONSHIFT_SCREENSHOTS (a temp directory when unset).
 */

const REGION_A = 'cn-hangzhou';
const REGION_B = 'cn-shanghai';

let lab: Lab;
let page: Page;
let dir: string;
let shots: string;
let pageErrors: string[];
let fixture: BrowserLab;
const sentSecrets: string[] = [];

async function serverStatus(): Promise<StatusView> {
  const res = await fetch(`${lab.controlUrl}v1/status`, { headers: { authorization: `Bearer ${lab.secrets.readToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as StatusView;
}

/** The applied matrix cell `src → dst` as the page shows it, found by the table's headers. */
async function matrixCell(src: string, dst: string): Promise<string | null> {
  const table = page.getByRole('table', { name: 'Applied traffic matrix' });
  const headers = await table.getByRole('columnheader').allTextContents();
  const col = headers.indexOf(dst);
  if (col < 1) return null;
  const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: src, exact: true }) });
  if ((await row.count()) !== 1) return null;
  return row
    .getByRole('cell')
    .nth(col - 1)
    .textContent();
}

/** What the user reads in one element (rendered text, whitespace collapsed), or null when it is not there (or not unique). */
const text = async (l: Locator) => ((await l.count()) === 1 ? (await l.innerText()).replace(/\s+/g, ' ').trim() : null);
const present = async (l: Locator) => (await l.count()) > 0;

beforeAll(async () => {
  fixture = await startBrowserLab('dashboard', { pageTimeoutMs: 10_000 });
  ({ lab, page, dir, pageErrors, shots } = fixture);
  page.on('request', (req) => {
    const seen = [req.url(), JSON.stringify(req.headers()), req.postData() ?? ''].join('\n');
    if (seen.includes(lab.secrets.controlSecret)) sentSecrets.push(`${req.method()} ${req.url()}`);
  });
}, 60_000);

afterAll(async () => {
  await fixture?.stop();
});

describe('dashboard and lab page in a browser', () => {
  test('the lab page links to the dashboard, which logs in with the read token and shows both regions healthy in failover', async () => {
    await page.goto(`${lab.labUrl}/`);
    const href = await page.getByRole('link', { name: 'Open the dashboard' }).getAttribute('href');
    expect(href).toBe(`${lab.controlUrl}#token=${lab.secrets.readToken}`);
    await page.goto(href ?? '');

    for (const region of [REGION_A, REGION_B]) {
      const card = page.getByRole('article', { name: region });
      expect(
        await until(
          () => text(card.locator('.status')),
          (t) => t === 'HEALTHY',
        ),
      ).toBe('HEALTHY');
    }
    expect(await text(page.locator('#mode'))).toBe('mode failover');
    expect(await text(page.locator('#mesh-name'))).toBe('bookinfo');
    expect(await matrixCell(REGION_A, REGION_A)).toBe('100');
    expect(await matrixCell(REGION_A, REGION_B)).toBe('0');
    // History says what the first decision did (the matrix it applied), not what triggered it.
    expect(await text(page.getByRole('list', { name: 'History' }))).toContain(
      `all HEALTHY → apply: ${REGION_A} → ${REGION_A} 100%; ${REGION_B} → ${REGION_B} 100%`,
    );
    // The token was taken out of the address bar once stored.
    expect(page.url()).toBe(lab.controlUrl);
    expect(await present(page.getByRole('region', { name: 'Active override' }))).toBe(false);
  });

  test('a wrong control secret is refused by the server and shown inline', async () => {
    await page.getByLabel('Control secret').fill('not-the-secret-0000');
    await page.getByRole('button', { name: 'Save credentials' }).click();
    const form = page.locator('#override-form');
    await form.getByRole('checkbox', { name: REGION_A }).check();
    await page.getByLabel('Override reason (required)').fill('maintenance of the hangzhou cluster');
    await page.getByRole('button', { name: 'Pin override' }).click();
    const alert = form.getByRole('alert');
    expect(
      await until(
        () => text(alert),
        (t) => !!t,
      ),
    ).toBe('401 AUTH.UNAUTHORIZED: x-regionshift-signature: does not match');
    expect((await serverStatus()).override).toBeNull();
  });

  test('pinning a drain of cn-hangzhou: the matrix moves its traffic to cn-shanghai and an override banner appears', async () => {
    await page.getByLabel('Control secret').fill(lab.secrets.controlSecret);
    await page.getByRole('button', { name: 'Save credentials' }).click();
    expect(await text(page.locator('#creds-state'))).toContain('control secret set');
    await page.getByRole('button', { name: 'Pin override' }).click();

    // The applied matrix is what the mesh confirmed: it changes once the mesh step has run (in the
    // lab about 25 s: the drain is elective, so shanghai's pods are ready before the mesh moves).
    expect(
      await until(
        () => matrixCell(REGION_A, REGION_B),
        (t) => t === '100',
        60_000,
      ),
    ).toBe('100');
    expect(await matrixCell(REGION_A, REGION_A)).toBe('0');
    const banner = page.getByRole('region', { name: 'Active override' });
    expect(
      await until(
        () => text(banner),
        (t) => t !== null,
      ),
    ).toMatch(/^Override ovr-\S+: drain cn-hangzhou · until .* · by dashboard: “maintenance of the hangzhou cluster” Clear override$/);
    expect(await text(page.locator('#mode'))).toBe('mode distribute');
    expect(await page.locator('#override-form .err').textContent()).toBe('');

    const status = await serverStatus();
    expect(status.override).toMatchObject({
      drain: [REGION_A],
      actor: 'dashboard',
      reason: 'maintenance of the hangzhou cluster',
      force: false,
    });
    expect(status.matrix?.[REGION_A]).toEqual({ [REGION_B]: 100 });
    expect(await text(banner)).toContain(status.override?.id ?? '?');
    expect(await text(page.locator('#result'))).toMatch(/^Pin override Committed bookinfo-\d+: \d+ of \d+ steps? run now/);

    await page.screenshot({ path: path.join(shots, 'dashboard-override.png'), fullPage: true });
  }, 90_000);

  test('clearing the override removes the banner, on the page and on the server', async () => {
    await page.getByRole('button', { name: 'Clear override' }).click();
    const banner = page.getByRole('region', { name: 'Active override' });
    expect(
      await until(
        () => present(banner),
        (p) => !p,
      ),
    ).toBe(false);
    expect((await serverStatus()).override).toBeNull();
    expect(await text(page.locator('#banner-err'))).toBe('');
  });

  test('while the mesh has not confirmed a drain, the page says shifting and keeps the old matrix as the applied one', async () => {
    // Starts from failover with no override, whatever ran before.
    if ((await serverStatus()).override) await page.getByRole('button', { name: 'Clear override' }).click();
    expect(await until(serverStatus, (st) => !st.shifting && st.override === null, 30_000)).toMatchObject({
      shifting: false,
      override: null,
    });
    expect(
      await until(
        () => matrixCell(REGION_A, REGION_A),
        (t) => t === '100',
      ),
    ).toBe('100');
    // A slow rollout: ASM keeps the mesh `updating` for 8 s.
    lab.controlPlane.asm.setUpdateDelay(8_000);
    try {
      const form = page.locator('#override-form');
      await page.getByRole('radio', { name: 'Drain regions' }).check();
      await form.getByRole('checkbox', { name: REGION_A }).check();
      await page.getByLabel('Override reason (required)').fill('slow rollout');
      await page.getByRole('button', { name: 'Pin override' }).click();

      const shifting = page.getByRole('region', { name: 'Shifting' });
      expect(
        await until(
          () => text(shifting),
          (t) => t !== null,
        ),
      ).toMatch(
        /^Shifting to distribute \(decided .*\): the mesh has not confirmed it yet · intended cn-hangzhou → cn-shanghai 100%; cn-shanghai → cn-shanghai 100%$/,
      );
      // Committed, not live: the applied matrix is still the old one, the intended one shows apart.
      expect(await matrixCell(REGION_A, REGION_A)).toBe('100');
      expect(await text(page.locator('#mode'))).toBe('mode failover → distribute (shifting)');
      expect(await text(page.getByRole('table', { name: 'Intended traffic matrix' }))).toContain(REGION_A);
      const during = await serverStatus();
      expect(during).toMatchObject({
        shifting: true,
        matrix: { [REGION_A]: { [REGION_A]: 100 } },
        intended: { matrix: { [REGION_A]: { [REGION_B]: 100 } } },
      });
      await page.screenshot({ path: path.join(shots, 'dashboard-shifting.png'), fullPage: true });

      expect(
        await until(
          () => present(shifting),
          (p) => !p,
          30_000,
        ),
      ).toBe(false);
      expect(
        await until(
          () => matrixCell(REGION_A, REGION_B),
          (t) => t === '100',
        ),
      ).toBe('100');
      expect(await text(page.locator('#mode'))).toBe('mode distribute');
      expect(await page.getByRole('table', { name: 'Intended traffic matrix' }).isVisible()).toBe(false);
    } finally {
      lab.controlPlane.asm.setUpdateDelay(1_500);
    }
    await page.getByRole('button', { name: 'Clear override' }).click();
    expect(
      await until(
        () => present(page.getByRole('region', { name: 'Active override' })),
        (p) => !p,
      ),
    ).toBe(false);
    expect(await until(serverStatus, (st) => !st.shifting, 20_000)).toMatchObject({ shifting: false, override: null });
  }, 90_000);

  test('pause shows the paused banner; resume takes it away', async () => {
    await page.getByLabel('Pause reason (required)').fill('investigating alarms by hand');
    await page.getByRole('button', { name: 'Pause automation', exact: true }).click();
    const banner = page.getByRole('region', { name: 'Automation paused' });
    expect(
      await until(
        () => text(banner),
        (t) => t !== null,
      ),
    ).toMatch(/^Automation paused by dashboard at .*: “investigating alarms by hand” Resume automation$/);
    expect((await serverStatus()).paused).toMatchObject({ actor: 'dashboard', reason: 'investigating alarms by hand' });

    await banner.getByRole('button', { name: 'Resume automation' }).click();
    expect(
      await until(
        () => present(banner),
        (p) => !p,
      ),
    ).toBe(false);
    expect((await serverStatus()).paused).toBeNull();
  });

  test('an override without a reason shows the API error inline and changes nothing', async () => {
    const before = await serverStatus();
    await page.getByLabel('Override reason (required)').fill('');
    await page.getByRole('button', { name: 'Pin override' }).click();
    const alert = page.locator('#override-form').getByRole('alert');
    expect(
      await until(
        () => text(alert),
        (t) => !!t,
      ),
    ).toBe('400 INPUT.INVALID: body.reason: required (say why, for the audit log)');
    const after = await serverStatus();
    expect(after.version).toBe(before.version);
    expect(after.override).toBeNull();
  });

  test('a dry run shows the explain lines and commits nothing', async () => {
    const before = await serverStatus();
    await page.getByLabel('Drill region').selectOption(REGION_B);
    await page.getByLabel('Drill reason').fill('game day rehearsal');
    await page.getByRole('button', { name: 'Dry run drill' }).click();
    const result = page.locator('#result');
    expect(
      await until(
        () => text(result.getByRole('heading')),
        (t) => t === 'Dry run: start drill',
      ),
    ).toBe('Dry run: start drill');
    expect(await text(result)).toContain('Dry run: nothing was committed.');
    // Whether the drill window is open right now or not, the explanation names the drill.
    expect(await text(result.getByLabel('Explain'))).toContain('drill');

    // A pinned matrix: the 90/10 preset fills the editor; the server accepts the matrix it builds.
    expect(await page.getByRole('button', { name: `90/10 from ${REGION_A}` }).isVisible()).toBe(false);
    await page.getByRole('radio', { name: 'Pin a matrix' }).check();
    await page.getByRole('button', { name: `90/10 from ${REGION_A}` }).click();
    expect(await page.getByLabel(`${REGION_A} → ${REGION_B} %`).inputValue()).toBe('10');
    await page.getByLabel('Override reason (required)').fill('evening shift rehearsal');
    await page.getByRole('button', { name: 'Dry run override' }).click();
    expect(
      await until(
        () => text(result.getByRole('heading')),
        (t) => t === 'Dry run: pin override',
      ),
    ).toBe('Dry run: pin override');
    expect(await text(result.getByLabel('Explain'))).toContain(
      'mesh → distribute: cn-hangzhou→{cn-hangzhou:90, cn-shanghai:10} cn-shanghai→{cn-shanghai:100}',
    );
    expect(await page.locator('#override-form .err').textContent()).toBe('');

    const after = await serverStatus();
    expect(after.version).toBe(before.version);
    expect(after.drill).toBeNull();
    expect(after.override).toBeNull();
  });

  test('the incident timeline draws the shares, the health bands and a marker per decision; a marker opens its decision; custom range; report download', async () => {
    await page.getByLabel('Range').selectOption('60');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const markers = page.getByRole('button', { name: /^Decision D\d+: / });
    expect(
      await until(
        () => markers.count(),
        (n) => n > 0,
      ),
    ).toBeGreaterThan(0);
    // The server's answer for the same hour (no decision is taken meanwhile: nothing is scheduled).
    const to = Date.now();
    const res = await fetch(`${lab.controlUrl}v1/timeline?from=${to - 3_600_000}&to=${to}`, {
      headers: { authorization: `Bearer ${lab.secrets.readToken}` },
    });
    expect(res.status).toBe(200);
    const t = (await res.json()) as Timeline;
    expect(await markers.count()).toBe(t.decisions.length);
    // The drains pinned earlier moved hangzhou's traffic to shanghai and back: both shares were drawn.
    expect(t.shares.bySource[REGION_A]?.[REGION_B]).toContain(100);
    expect(await page.locator('.tl-chart').count()).toBe(Object.keys(t.shares.bySource).length);
    expect(await page.locator(`#tl-bands .tl-strip[data-region="${REGION_A}"] .tl-band.b-HEALTHY`).count()).toBeGreaterThan(0);

    // Zoomed in on what the lab did (a custom range from a little before its first decision to now).
    const local = (ms: number) => {
      const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
      return d.toISOString().slice(0, 19);
    };
    await page.getByLabel('Range').selectOption('custom');
    const zoomFrom = Math.floor(((t.decisions[0]?.at ?? to) - 5_000) / 1000) * 1000;
    await page.getByLabel('From', { exact: true }).fill(local(zoomFrom));
    await page.getByLabel('To', { exact: true }).fill(local(Date.now() + 5_000));
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    expect(
      await until(
        () => page.locator('#tl-charts').getAttribute('data-from'),
        (v) => v === String(zoomFrom),
      ),
    ).toBe(String(zoomFrom));
    expect(await page.locator('#tl-charts canvas').count()).toBeGreaterThan(0);
    expect(
      await until(
        () => page.locator('#tl-charts').getAttribute('data-placed'),
        (v) => v === String(zoomFrom),
      ),
    ).toBe(String(zoomFrom));
    // The markers stand in time order along the chart, inside its width.
    const xs = await markers.evaluateAll((ms) => ms.map((m) => m.getBoundingClientRect().left));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect((xs.at(-1) ?? 0) - (xs[0] ?? 0)).toBeGreaterThan(300);
    expect(
      await until(
        () => markers.count(),
        (n) => n === t.decisions.length,
      ),
    ).toBe(t.decisions.length);

    // What was drawn, read back from a screenshot of the panel: blue (served in hangzhou) and green
    // (served in shanghai) areas, and the dark decision markers.
    const png = decodePng(
      await page.getByRole('region', { name: 'Incident timeline' }).screenshot({ path: path.join(shots, 'dashboard-timeline.png') }),
    );
    const blue = countPixels(png, (r, g, b) => b > 150 && b > r + 80 && b > g + 40);
    const green = countPixels(png, (r, g, b) => g > 120 && g > r + 40 && g > b + 30);
    const dark = countPixels(png, (r, g, b) => r < 50 && g < 50 && b < 60);
    expect(blue).toBeGreaterThan(2000);
    expect(green).toBeGreaterThan(500);
    expect(dark).toBeGreaterThan(t.decisions.length * 40);

    // A marker opens its decision: explanation, steps with their outcome, who.
    const withMesh = t.decisions.findIndex((d) => d.steps.some((s) => s.kind === 'mesh' && s.status === 'done'));
    expect(withMesh).toBeGreaterThanOrEqual(0);
    const d = t.decisions[withMesh];
    await page
      .getByRole('button', { name: `Decision D${withMesh + 1}: `, exact: false })
      .first()
      .click();
    const detail = page.locator('#tl-detail');
    expect(
      await until(
        () => text(detail),
        (x) => !!x,
      ),
    ).toContain(`D${withMesh + 1} · `);
    expect(await text(detail)).toContain(`by ${d?.actor ?? '?'}`);
    expect(await text(detail)).toContain((d?.explain[0] ?? '?').replace(/\s+/g, ' '));
    const meshStep = d?.steps.find((st) => st.kind === 'mesh');
    expect(await text(detail)).toContain(`${meshStep?.text ?? '?'} — done after `);

    // Custom range: an hour long before the lab ran has no decision and no matrix.
    await page.getByLabel('Range').selectOption('custom');
    await page.getByLabel('From', { exact: true }).fill('2020-01-01T00:00:00');
    await page.getByLabel('To', { exact: true }).fill('2020-01-01T01:00:00');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    expect(
      await until(
        () => markers.count(),
        (n) => n === 0,
      ),
    ).toBe(0);
    expect(await text(page.locator('#tl-note'))).toBe('no matrix in this range');

    // The report of the last hour, as the button downloads it.
    await page.getByLabel('Range').selectOption('60');
    expect(
      await until(
        () => markers.count(),
        (n) => n === t.decisions.length,
      ),
    ).toBe(t.decisions.length);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download report' }).click()]);
    const file = path.join(dir, 'report.md');
    await download.saveAs(file);
    const md = (await import('node:fs')).readFileSync(file, 'utf8');
    expect(md).toMatch(/^# Incident report: bookinfo/);
    expect(md.match(/^### D\d+ /gm)).toHaveLength(t.decisions.length);
    const svg = decodeURIComponent(/\(data:image\/svg\+xml;charset=utf-8,([^)]+)\)/.exec(md)?.[1] ?? '');
    expect(svg.match(/<g class="marker">/g)).toHaveLength(t.decisions.length);
    expect(svg).toContain(`data-source="${REGION_A}" data-region="${REGION_B}"`);
  }, 60_000);

  test("a notification's link (#at=<decision time>&plan=…) opens the timeline 30 min either side of that decision, marked with its details open", async () => {
    const to = Date.now();
    const res = await fetch(`${lab.controlUrl}v1/timeline?from=${to - 3_600_000}&to=${to}`, {
      headers: { authorization: `Bearer ${lab.secrets.readToken}` },
    });
    const t = (await res.json()) as Timeline;
    // A decision this suite made: the first drain pinned from the dashboard (its mesh step ran).
    const d = t.decisions.find((x) => x.actor === 'dashboard' && x.steps.some((s) => s.kind === 'mesh' && s.status === 'done'));
    expect(d?.planId).toBeTruthy();
    if (!d?.planId) return;
    const local = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    const charts = page.locator('#tl-charts');
    const pressed = page.locator('.tl-marker[aria-pressed="true"]');
    const detail = page.locator('#tl-detail');

    // The link a notification carries, opened with the read token in the same fragment (as the lab's link logs in).
    const link = dashboardMomentUrl(lab.controlUrl, d.at, d.planId);
    expect(link).toBe(`${lab.controlUrl}#at=${new Date(d.at).toISOString()}&plan=${d.planId}`);
    await page.goto('about:blank');
    await page.goto(link.replace('#', `#token=${lab.secrets.readToken}&`));
    const from = Math.floor((d.at - 1_800_000) / 1000) * 1000;
    expect(
      await until(
        () => charts.getAttribute('data-from'),
        (v) => v === String(from),
      ),
    ).toBe(String(from));
    const drawnTo = Number(await charts.getAttribute('data-to'));
    // 30 min after the decision, or now if that is sooner (the suite ran minutes ago).
    expect(drawnTo).toBeGreaterThan(d.at);
    expect(drawnTo).toBeLessThanOrEqual(Math.ceil(Math.min(d.at + 1_800_000, Date.now()) / 1000) * 1000);
    expect(await page.getByLabel('Range').inputValue()).toBe('custom');
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(local(from));
    expect(await page.getByLabel('To', { exact: true }).inputValue()).toBe(local(drawnTo));
    expect(
      await until(
        () => pressed.count(),
        (n) => n === 1,
      ),
    ).toBe(1);
    expect(await pressed.getAttribute('data-plan')).toBe(d.planId);
    expect(
      await until(
        () => text(detail),
        (x) => !!x,
      ),
    ).toContain(`by ${d.actor}`);
    expect(await text(detail)).toContain((d.explain[0] ?? '?').replace(/\s+/g, ' '));
    expect(await text(detail)).toContain(`${d.steps.find((s) => s.kind === 'mesh')?.text ?? '?'} — done after `);
    // The token left the address bar; the moment stayed (the link can be passed on as it is).
    expect(page.url()).toBe(link);
    await page.getByRole('region', { name: 'Incident timeline' }).screenshot({ path: path.join(shots, 'dashboard-moment.png') });

    // Without a plan id, as epoch ms: the decision nearest that moment (the last one here), read token kept from before.
    const last = t.decisions.at(-1);
    if (!last) return;
    await page.goto('about:blank');
    await page.goto(`${lab.controlUrl}#at=${last.at}`);
    const lastFrom = String(Math.floor((last.at - 1_800_000) / 1000) * 1000);
    expect(
      await until(
        () => charts.getAttribute('data-from'),
        (v) => v === lastFrom,
      ),
    ).toBe(lastFrom);
    expect(
      await until(
        () => pressed.count(),
        (n) => n === 1,
      ),
    ).toBe(1);
    expect(await pressed.getAttribute('title')).toBe(last.summary);
    expect(
      await until(
        () => text(detail),
        (x) => !!x,
      ),
    ).toContain((last.explain[0] ?? last.summary).replace(/\s+/g, ' '));

    // A moment that is not a time is named, and the default range shows instead.
    await page.goto('about:blank');
    await page.goto(`${lab.controlUrl}#at=yesterday`);
    expect(
      await until(
        () => text(page.locator('#tl-err')),
        (x) => !!x,
      ),
    ).toBe('#at: not a time (an ISO time such as 2026-01-01T02:30:00Z, or epoch ms): yesterday');
    expect(await page.getByLabel('Range').inputValue()).toBe('incident');
    expect(
      await until(
        () => page.getByRole('button', { name: /^Decision D\d+: / }).count(),
        (n) => n > 0,
      ),
    ).toBeGreaterThan(0);
    expect(await pressed.count()).toBe(0);
  }, 60_000);

  test('the lab page injects a region-down fault on reviews in cn-hangzhou, lists it and deletes it', async () => {
    await page.goto(`${lab.labUrl}/`);
    await page.getByLabel('Kind').selectOption('region-down');
    await page.getByLabel('Region', { exact: true }).fill(REGION_A);
    await page.getByLabel('Service', { exact: true }).fill('reviews');
    await page.getByRole('button', { name: 'Inject fault' }).click();

    const faults = page.getByRole('table', { name: 'Active faults' });
    const row = faults.getByRole('row').filter({ hasText: 'region-down' });
    expect(
      await until(
        () => text(row),
        (t) => t !== null,
      ),
    ).toMatch(/^flt-\d+ region-down cn-hangzhou reviews — pods down until deleted Delete$/);
    const [fault] = lab.faults.list();
    expect(fault).toMatchObject({ kind: 'region-down', region: REGION_A, service: 'reviews', version: null });

    await page.getByLabel('Gateway').fill('gw-shanghai');
    await page.getByRole('button', { name: 'Send 2000 requests' }).click();
    const breakdown = page.getByRole('table', { name: 'Served breakdown' });
    expect(
      await until(
        () => present(breakdown),
        (p) => p,
      ),
    ).toBe(true);
    expect(await text(page.locator('#send-result p').first())).toMatch(/^2000 requests via gw-shanghai: 2000 ok, 0 failed/);
    expect(await text(breakdown.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'reviews' }) }))).toBe(
      'reviews 0 (0%) 2000 (100%)',
    );
    const card = page.getByRole('article', { name: /gw-shanghai/ });
    expect(
      await until(
        () => text(card),
        (t) => t !== null,
      ),
    ).toContain('2000 requests');
    await page.screenshot({ path: path.join(shots, 'lab-page.png'), fullPage: true });

    await page.getByRole('button', { name: `Delete fault ${fault?.id ?? '?'}` }).click();
    expect(
      await until(
        () => present(row),
        (p) => !p,
      ),
    ).toBe(false);
    expect(lab.faults.list()).toEqual([]);
  });

  test('no script errors, and the control secret never left the browser', () => {
    expect(pageErrors).toEqual([]);
    expect(sentSecrets).toEqual([]);
  });
});
