#!/usr/bin/env node
// Runs the TypeScript CLI in place (tsx), so `npx regionshift` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
const out = { log: (s) => process.stdout.write(`${s}\n`), error: (s) => process.stderr.write(`${s}\n`) };
process.exitCode = await main(process.argv.slice(2), out, process.env);
