import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { labBanner } from '../../lab/banner';
import { startLab, type Lab } from '../../lab/world';
import { loadPolicyYaml } from '../../shared/core/policy';
import { fastLabFiles } from '../e2e/lab-fixture';

/**
 * The banner's `doctor` line, pasted into a shell as printed (no variable of the lab's own process
 * inherited), checks that very lab: exit 0 or 1 with a report, and no state file appears.
 */
let lab: Lab;
let policyFile: string;
beforeAll(async () => {
  const files = fastLabFiles();
  policyFile = files.policyFile;
  lab = await startLab({ ...files, background: false });
}, 60_000);
afterAll(async () => {
  await lab.stop();
});

function bannerDoctorLine(policyFile: string): string {
  const banner = labBanner({
    hostUrl: lab.hostUrl,
    labUrl: lab.labUrl,
    controlUrl: lab.controlUrl,
    meshUrl: lab.controlPlane.baseUrl,
    logFile: lab.logFile,
    secrets: lab.secrets,
    functions: lab.host.functions,
    tickMs: lab.tickMs,
    policy: loadPolicyYaml(lab.policyYaml),
    now: Date.parse('2026-11-03T03:00:00Z'),
    doctor: { env: lab.doctorEnv, policyFile },
  });
  const lines = banner.split('\n');
  const i = lines.findIndex((l) => l.startsWith('readiness checks against this lab'));
  expect(i).toBeGreaterThan(0);
  return (lines[i + 1] ?? '').trim();
}

test('the printed doctor command reads the lab: every check but the by-hand one passes, exit 0, no stray state file', async () => {
  const line = bannerDoctorLine(policyFile);
  expect(line).toMatch(/^REGIONSHIFT_STATE=sqlite REGIONSHIFT_SQLITE_FILE=\S+ .* npx regionshift doctor --policy \S+$/);
  const stray = '.regionshift/state.db';
  const strayBefore = existsSync(stray) ? statSync(stray).mtimeMs : null;
  // Only what a fresh shell has: none of the lab's REGIONSHIFT_* or ALIBABA_CLOUD_* variables.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('REGIONSHIFT_') && !k.startsWith('ALIBABA_CLOUD_') && k !== 'NODE_OPTIONS'),
  );
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile('sh', ['-c', line], { env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
  expect(stderr).toBe('');
  expect(stdout.split('\n')[0]).toBe('readiness of bookinfo: WARN');
  expect(stdout).toMatch(/^PASS {2}stateTables: sqlite /m);
  expect(stdout).not.toMatch(/^FAIL/m);
  expect(code).toBe(0);
  expect(existsSync(stray) ? statSync(stray).mtimeMs : null).toBe(strayBefore);
}, 120_000);
