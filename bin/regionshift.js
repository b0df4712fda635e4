#!/usr/bin/env node
// Runs the TypeScript CLI in place (tsx), so `npx regionshift` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main, lineWriter } = await import('../cli/main.ts');
const out = { log: lineWriter(process.stdout), error: lineWriter(process.stderr) };
process.exitCode = await main(process.argv.slice(2), out, process.env);
