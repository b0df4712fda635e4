import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../shared/core/errors';

/**
 * Where one lab keeps the product's state and logs. The twins start fresh every time, so the
 * lab clears its state at start — but only its own: two labs in one checkout (two ports, or
 * two `--state-dir`s) each get a directory, and starting one never deletes the other's.
 */
export function labStateDir(port: number, argv: readonly string[]): string {
  const i = argv.findIndex((a) => a === '--state-dir' || a.startsWith('--state-dir='));
  if (i === -1) return path.join('.regionshift', `lab-${port}`);
  const arg = argv[i] as string;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[i + 1];
  if (!value || value.startsWith('--')) throw new ValidationError(['--state-dir: a directory is required']);
  return value;
}

/** Empty this lab's directory (and nothing else) and return the state file in it. */
export function resetLabStateDir(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return path.join(dir, 'state.db');
}
