#!/usr/bin/env node
/**
 * Run after `npm install` changes package-lock.json. Some optional platform binaries (the
 * darwin/win32/… builds of @swc/core and jest's resolver) are not served by the package mirror
 * this project installs from, so npm leaves them out of the lock, and `npm ci` then refuses the
 * lock as out of sync. This adds their entries, marked optional with their os/cpu, which npm
 * skips on other platforms without fetching them.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const pk = lock.packages;
const OS = [
  ['darwin', 'darwin'],
  ['win32', 'win32'],
  ['freebsd', 'freebsd'],
  ['android', 'android'],
  ['openharmony', 'openharmony'],
];
const CPU = [
  [/arm64|aarch64/, 'arm64'],
  [/x64/, 'x64'],
  [/ia32/, 'ia32'],
  [/-arm-|-arm$/, 'arm'],
  [/ppc64/, 'ppc64'],
  [/s390x/, 's390x'],
  [/riscv64/, 'riscv64'],
  [/loong64/, 'loong64'],
  [/wasm32/, 'wasm32'],
];
const platformOf = (name) => ({
  os: OS.find(([k]) => name.includes(k))?.[1] ?? 'linux',
  cpu: CPU.find(([re]) => re.test(name))?.[1] ?? 'x64',
});
let added = 0;
for (const meta of Object.values(pk)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (pk[key]) continue;
    const { os, cpu } = platformOf(dep);
    pk[key] = { version, ...(meta.dev ? { dev: true } : {}), optional: true, cpu: [cpu], os: [os] };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pk).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} optional platform entries`);
