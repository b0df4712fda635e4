import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * uPlot (the dashboard's timeline chart), read from its package so the page needs no CDN and
 * works offline. The build (scripts/build.mjs, `inlineUplot`) replaces this module with the two
 * strings themselves, so the deployed bundle carries them without node_modules.
 */
const require = createRequire(import.meta.url);
export const UPLOT_JS: string = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
export const UPLOT_CSS: string = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
