import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { labStateDir, resetLabStateDir } from '../../lab/state-dir';

describe('per-lab state directory', () => {
  let cwd: string;
  const before = process.cwd();
  beforeEach(() => {
    cwd = mkdtempSync(path.join(tmpdir(), 'regionshift-labs-'));
    process.chdir(cwd);
  });
  afterEach(() => {
    process.chdir(before);
    rmSync(cwd, { recursive: true, force: true });
  });

  test('one directory per port, or the one --state-dir names', () => {
    expect(labStateDir(8080, [])).toBe(path.join('.regionshift', 'lab-8080'));
    expect(labStateDir(9090, [])).toBe(path.join('.regionshift', 'lab-9090'));
    expect(labStateDir(8080, ['--state-dir', 'mine'])).toBe('mine');
    expect(labStateDir(8080, ['--state-dir=other'])).toBe('other');
    expect(() => labStateDir(8080, ['--state-dir'])).toThrow(/--state-dir/);
  });

  test("two labs started in one directory keep separate state: starting the second leaves the first's alone", () => {
    const first = resetLabStateDir(labStateDir(8080, []));
    writeFileSync(first, 'first lab state');
    writeFileSync(path.join(path.dirname(first), 'functions.log'), 'first lab log');
    const second = resetLabStateDir(labStateDir(9090, []));
    expect(second).not.toBe(first);
    expect(existsSync(first)).toBe(true);
    expect(existsSync(path.join(path.dirname(first), 'functions.log'))).toBe(true);
    // Restarting the first clears only its own.
    writeFileSync(second, 'second lab state');
    resetLabStateDir(labStateDir(8080, []));
    expect([existsSync(first), existsSync(second)]).toEqual([false, true]);
  });
});
