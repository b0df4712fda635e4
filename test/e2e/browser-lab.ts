import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startLab, type Lab } from '../../lab/world';
import { launchBrowser, type TestBrowser } from './browser';
import { scheduleFreePolicyFile } from './lab-fixture';

/**
 * The default lab (the example policy without its evening schedule, so pages show the same matrix at
 * any hour) and one Chromium page on it, for the browser suites. Page errors are collected in
 * `pageErrors`; screenshots go to REGIONSHIFT_SCREENSHOTS (a temp directory when unset, removed by stop).
 */
export interface BrowserLab {
  dir: string;
  shots: string;
  lab: Lab;
  browser: TestBrowser;
  page: Page;
  pageErrors: string[];
  stop(): Promise<void>;
}

/** `policyFile`: writes the lab's policy into the given directory and returns its path (default: the schedule-free example). */
export async function startBrowserLab(
  name: string,
  opts: { pageTimeoutMs: number; policyFile?: (dir: string) => string },
): Promise<BrowserLab> {
  const dir = mkdtempSync(path.join(tmpdir(), `regionshift-${name}-`));
  const shots = process.env.REGIONSHIFT_SCREENSHOTS ?? path.join(dir, 'screenshots');
  mkdirSync(shots, { recursive: true });
  const lab = await startLab({
    background: false,
    stateFile: path.join(dir, 'state.db'),
    policyFile: (opts.policyFile ?? scheduleFreePolicyFile)(dir),
    log: () => undefined,
  });
  const browser = await launchBrowser();
  const page = await browser.context.newPage();
  page.setDefaultTimeout(opts.pageTimeoutMs);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return {
    dir,
    shots,
    lab,
    browser,
    page,
    pageErrors,
    async stop() {
      await browser.close();
      await lab.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
