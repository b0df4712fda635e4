import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../../cli/main';

/**
 * `regionshift doctor` run plainly, on the real adapters built from the environment: it creates
 * no state file (a PASS on a store it just made up would be false) and names the variables it
 * reads that are not set. The endpoints point at a closed loopback port, so nothing leaves the machine.
 */

const CLOSED = 'http://127.0.0.1:9';

async function doctor(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['doctor', '--policy', 'examples/bookinfo.yaml'], { log: (s) => out.push(s), error: (s) => err.push(s) }, env);
  return { code, out, err };
}

describe('regionshift doctor without its environment', () => {
  it('creates no state file, fails the state row naming REGIONSHIFT_SQLITE_FILE, and lists the unset variables', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-doctor-env-'));
    const stateFile = path.join(dir, 'nested', 'state.db');
    const r = await doctor({ REGIONSHIFT_SQLITE_FILE: stateFile, REGIONSHIFT_ASM_ENDPOINT: CLOSED, REGIONSHIFT_CS_ENDPOINT: CLOSED });
    expect(existsSync(stateFile)).toBe(false);
    expect(existsSync(path.dirname(stateFile))).toBe(false);
    expect(r.code).toBe(1);
    const stateRow = r.out.find((l) => l.includes('stateTables')) ?? '';
    expect(stateRow).toMatch(/^FAIL {2}stateTables: .*no state file at .*state\.db/);
    expect(stateRow).toContain('REGIONSHIFT_SQLITE_FILE');
    expect(r.out.join('\n')).not.toMatch(/^PASS {2}stateTables/m);
    expect(r.err).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^regionshift doctor: not set: .*ALIBABA_CLOUD_ACCESS_KEY_ID.*ALIBABA_CLOUD_ACCESS_KEY_SECRET/),
      ]),
    );
  }, 30_000);

  it('the default state file (.regionshift/state.db under the working directory) is not created either', async () => {
    const cwd = process.cwd();
    const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-doctor-cwd-'));
    const policy = path.join(cwd, 'examples/bookinfo.yaml');
    process.chdir(dir);
    try {
      const out: string[] = [];
      const code = await main(
        ['doctor', '--policy', policy],
        { log: (s) => out.push(s), error: () => undefined },
        { REGIONSHIFT_ASM_ENDPOINT: CLOSED, REGIONSHIFT_CS_ENDPOINT: CLOSED },
      );
      expect(code).toBe(1);
      expect(existsSync(path.join(dir, '.regionshift'))).toBe(false);
    } finally {
      process.chdir(cwd);
    }
  }, 30_000);
});
