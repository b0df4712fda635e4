import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

/**
 * The dashboard's script: the browser app under `dashboard/` (entry `dashboard/main.ts`) bundled
 * by esbuild into one IIFE. Run from source (the lab, the tests), it is bundled on first use; the
 * build (scripts/build.mjs, `inlineDashboard`) replaces this module with the bundled text, with
 * the same options, so the deployed function carries no esbuild and bundles nothing at run time.
 */

/** How a page's browser bundle is built (scripts/build.mjs BROWSER_BUNDLE holds the same). */
export const BROWSER_BUNDLE = {
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
} as const;

export const DASHBOARD_ENTRY = fileURLToPath(new URL('./dashboard/main.ts', import.meta.url));

let script: string | undefined;

export function dashboardScript(): string {
  if (script === undefined) {
    const out = buildSync({ ...BROWSER_BUNDLE, entryPoints: [DASHBOARD_ENTRY], write: false, logLevel: 'silent' });
    script = out.outputFiles[0]?.text ?? '';
  }
  return script;
}
