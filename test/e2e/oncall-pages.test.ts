import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { StatusView } from '../../shared/engine/api';
import type { Lab } from '../../lab/world';
import { startBrowserLab, type BrowserLab } from './browser-lab';
import { until } from './lab-fixture';
import { countColour, decodePng } from './png';

/**
 * The on-call pages in headless Chromium against the lab: each lab gateway's live chart (read
 * back from a screenshot: the lines and bars were drawn, not just put in the DOM), and the
 * dashboard's health cards holding a long signal key inside the card.
 * Screenshots go to REGIONSHIFT_SCREENSHOTS (a temp directory when unset).
 */

const RPS = '#0969da';
const ERRORS = '#cf222e';
/** The area under the 5xx/s line. */
const ERRORS_AREA = '#f5c2c6';
/** The chart's colours for the lab's two regions, in name order. */
const HANGZHOU = '#2da44e';
const SHANGHAI = '#bf8700';

let lab: Lab;
let page: Page;
let shots: string;
let pageErrors: string[];
let fixture: BrowserLab;

async function labCall(method: string, p: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${lab.labUrl}/lab/v1/${p}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  expect(res.status).toBeLessThan(300);
  return res.json();
}

async function serverStatus(): Promise<StatusView> {
  const res = await fetch(`${lab.controlUrl}v1/status`, { headers: { authorization: `Bearer ${lab.secrets.readToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as StatusView;
}

beforeAll(async () => {
  fixture = await startBrowserLab('oncall', { pageTimeoutMs: 10_000 });
  ({ lab, page, pageErrors, shots } = fixture);
}, 60_000);

afterAll(async () => {
  await fixture?.stop();
});

describe('on-call pages in a browser', () => {
  test('the lab page draws a chart per gateway: requests/s, 5xx/s and the share served per region', async () => {
    await page.goto(`${lab.labUrl}/`);
    // No traffic yet: no chart to draw.
    expect(
      await until(
        () => page.locator('#conn').innerText(),
        (t) => t.startsWith('updated'),
      ),
    ).toMatch(/^updated/);
    expect(await page.locator('figure.chart').count()).toBe(0);

    await labCall('POST', 'requests', { gateway: 'gw-shanghai', count: 500 });
    // productpage failing in both regions: outlier ejection has nowhere to send Hangzhou's requests.
    await labCall('POST', 'faults', { kind: 'error-rate', region: 'cn-hangzhou', service: 'productpage', rate: 1 });
    await labCall('POST', 'faults', { kind: 'error-rate', region: 'cn-shanghai', service: 'productpage', rate: 1 });
    await labCall('POST', 'requests', { gateway: 'gw-hangzhou', count: 500 });

    const charts = page.locator('figure.chart');
    expect(
      await until(
        () => charts.count(),
        (n) => n === 2,
      ),
    ).toBe(2);
    const hz = page.getByRole('img', { name: /^gw-hangzhou: requests\/s, 5xx\/s and share served per region, last 5 min$/ });
    const sh = page.getByRole('img', { name: /^gw-shanghai: / });
    expect(await page.locator('figure.chart[data-gateway="gw-hangzhou"]').getAttribute('data-points')).toBe('60');
    expect(await page.locator('figure.chart[data-gateway="gw-shanghai"] figcaption').innerText()).toMatch(
      /^requests\/s\s+5xx\/s\s+served in cn-shanghai$/,
    );

    await page.screenshot({ path: path.join(shots, 'lab-page-charts.png'), fullPage: true });
    // The page redraws the cards every 2 s, so shoot the chart's place on the page, not the element.
    const shoot = async (chart: typeof hz, name: string) => {
      const box = await until(
        () => chart.boundingBox(),
        (b) => b !== null,
      );
      expect(box).not.toBeNull();
      return decodePng(await page.screenshot({ path: path.join(shots, name), clip: box ?? { x: 0, y: 0, width: 1, height: 1 } }));
    };
    const hzImg = await shoot(hz, 'lab-chart-gw-hangzhou.png');
    const shImg = await shoot(sh, 'lab-chart-gw-shanghai.png');
    // A line at zero lies on the axis (59% down the chart); a point above zero shows in the top half.
    // Hangzhou's last step is all 5xx, so its requests/s line lies on the 5xx/s line: the area shows the 5xx.
    const upper = (img: typeof hzImg) => ({ from: 0, to: Math.floor(img.height / 2) });
    expect(countColour(hzImg, RPS, 30, upper(hzImg))).toBeGreaterThan(30);
    expect(countColour(shImg, RPS, 30, upper(shImg))).toBeGreaterThan(30);
    // Hangzhou answered 5xx (the fault), Shanghai none: its 5xx line stays on the axis.
    expect(countColour(hzImg, ERRORS_AREA, 12, upper(hzImg))).toBeGreaterThan(30);
    expect(countColour(shImg, ERRORS_AREA, 12, upper(shImg))).toBe(0);
    expect(countColour(shImg, ERRORS, 30, upper(shImg))).toBe(0);
    // Share bars: Shanghai's requests (sent before the faults) all served in Shanghai; Hangzhou's somewhere.
    expect(countColour(hzImg, HANGZHOU, 20) + countColour(hzImg, SHANGHAI, 20)).toBeGreaterThan(20);
    expect(countColour(shImg, SHANGHAI, 20)).toBeGreaterThan(20);
    expect(countColour(shImg, HANGZHOU, 20)).toBe(0);

    for (const f of lab.faults.list()) lab.faults.delete(f.id);
  });

  test('a long signal key wraps inside its health card on the dashboard (no horizontal overflow)', async () => {
    const long = 'lb-' + 'a1b2c3d4e5f6'.repeat(10);
    const body = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8')
      .replace('instanceId%3Dlb-bp1o94dp5i6earr9g6d1i', `instanceId%3D${long}`)
      .replace(/timestamp=\d+/, `timestamp=${Date.now()}`);
    const res = await fetch(`${lab.hostUrl}/alarm/cms?region=cn-hangzhou&token=${encodeURIComponent(lab.secrets.alarmToken)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(res.status).toBe(200);
    const status = await until(serverStatus, (s) => (s.activeSignals ?? []).some((x) => x.key.includes('instanceId=lb-a1b2')));
    // The key as the state keeps it: cut to 160 characters with a digest, still one unbroken word.
    const key = (status.activeSignals ?? []).find((x) => x.key.startsWith('cms-5xx|cms|'))?.key ?? JSON.stringify(status.activeSignals);
    expect(key).toContain('instanceId=lb-a1b2c3d4e5f6');
    expect(key).not.toMatch(/\s/);

    await page.setViewportSize({ width: 1000, height: 900 });
    await page.goto(`${lab.controlUrl}#token=${lab.secrets.readToken}`);
    const card = page.getByRole('article', { name: 'cn-hangzhou' });
    expect(
      await until(
        () => card.innerText(),
        (t) => t.replace(/\s/g, '').includes(key),
      ),
    ).toContain('cms-5xx|cms|');
    await card.screenshot({ path: path.join(shots, 'dashboard-long-key-card.png') });
    const widths = await card.evaluate((node) => {
      const code = node.querySelector('code') as typeof node;
      const grid = node.parentElement as typeof node;
      return {
        card: [node.scrollWidth, node.clientWidth],
        code: [code.scrollWidth, code.clientWidth],
        grid: [grid.scrollWidth, grid.clientWidth],
      };
    });
    expect(widths.card[0]).toBeLessThanOrEqual(widths.card[1] as number);
    expect(widths.code[0]).toBeLessThanOrEqual(widths.code[1] as number);
    expect(widths.grid[0]).toBeLessThanOrEqual(widths.grid[1] as number);
    // The card kept the grid's width: no wider than the viewport leaves for it.
    expect(await card.evaluate((node) => node.getBoundingClientRect().width)).toBeLessThan(1000);
  });

  test('no script errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
