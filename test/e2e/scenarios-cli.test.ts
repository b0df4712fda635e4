import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** The scenario library runs through the real `regionshift` command, as an operator would run it. */
const run = promisify(execFile);
const cli = (args: string[]) => run(process.execPath, ['bin/regionshift.js', ...args], { env: { ...process.env, NODE_OPTIONS: '' } });
const scenarios = readdirSync('examples/scenarios').filter((f) => f.endsWith('.yaml'));

interface Line {
  at: string;
  input: Record<string, unknown>;
  health: Record<string, string>;
  mode: string;
  matrix: Record<string, Record<string, number>>;
  localityLBConf: unknown;
  steps: Array<{ kind: string }>;
  refused: Array<{ rule: string }>;
  changed: boolean;
}

async function simulateJson(scenario: string): Promise<Line[]> {
  const { stdout } = await cli([
    'simulate',
    '--policy',
    'examples/bookinfo.yaml',
    '--scenario',
    `examples/scenarios/${scenario}`,
    '--json',
  ]);
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

describe('regionshift simulate (scenario library)', () => {
  test("the library has the ASM documents' flows", () => {
    expect(scenarios).toEqual(expect.arrayContaining(['all-healthy.yaml', 'hangzhou-reviews-down.yaml', 'scheduled-90-10.yaml']));
  });

  test.each(scenarios)('%s meets every expectation it states (exit 0)', async (scenario) => {
    await expect(
      cli(['simulate', '--policy', 'examples/bookinfo.yaml', '--scenario', `examples/scenarios/${scenario}`]),
    ).resolves.toBeDefined();
  });

  test("all healthy → failover mode with the policy's failover pairs", async () => {
    const [first] = await simulateJson('all-healthy.yaml');
    expect(first?.mode).toBe('failover');
    expect(first?.localityLBConf).toEqual({
      failover: [
        { from: 'cn-hangzhou', to: 'cn-shanghai' },
        { from: 'cn-shanghai', to: 'cn-hangzhou' },
      ],
    });
  });

  test('reviews down in hangzhou: the CMS callback drains hangzhou into shanghai, scale-up before the mesh change', async () => {
    const lines = await simulateJson('hangzhou-reviews-down.yaml');
    const drain = lines.find((l) => l.health['cn-hangzhou'] === 'DOWN' && l.changed);
    expect(drain?.localityLBConf).toEqual({
      distribute: [
        { from: 'cn-hangzhou/*', to: { 'cn-shanghai/*': 100 } },
        { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
      ],
    });
    const kinds = drain?.steps.map((s) => s.kind) ?? [];
    expect(kinds.indexOf('scale')).toBeLessThan(kinds.indexOf('mesh'));
    const shares = lines.filter((l) => l.changed).map((l) => l.matrix['cn-hangzhou']?.['cn-hangzhou'] ?? 0);
    expect(shares).toEqual([100, 0, 25, 50, 100]);
  });

  test('the evening schedule sends 10% of hangzhou to shanghai in distribute mode', async () => {
    const lines = await simulateJson('scheduled-90-10.yaml');
    const shift = lines.find((l) => l.mode === 'distribute');
    expect(shift?.localityLBConf).toEqual({
      distribute: [
        { from: 'cn-hangzhou/*', to: { 'cn-hangzhou/*': 90, 'cn-shanghai/*': 10 } },
        { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
      ],
    });
    expect(lines.at(-1)?.mode).toBe('failover');
  });

  test('a failed expectation fails the command', async () => {
    await expect(
      cli(['simulate', '--policy', 'examples/three-region.yaml', '--scenario', 'examples/scenarios/hangzhou-reviews-down.yaml']),
    ).rejects.toMatchObject({ code: 1 });
  });

  test('the run ends with a summary of the expectations: how many were met', async () => {
    const { stdout, stderr } = await cli([
      'simulate',
      '--policy',
      'examples/bookinfo.yaml',
      '--scenario',
      'examples/scenarios/hangzhou-reviews-down.yaml',
    ]);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('expectations: 9 met, 0 failed');
    expect(stderr).toBe('');
    // With --json the summary goes to stderr: stdout stays one JSON object a line.
    const json = await cli([
      'simulate',
      '--policy',
      'examples/bookinfo.yaml',
      '--scenario',
      'examples/scenarios/all-healthy.yaml',
      '--json',
    ]);
    expect(json.stderr).toBe('expectations: 2 met, 0 failed\n');
    for (const line of json.stdout.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  test('a failing run says how many expectations failed and lists each failure', async () => {
    // all-healthy.yaml with its second expectation made wrong twice over.
    const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-scenario-'));
    const scenario = path.join(dir, 'wrong.yaml');
    writeFileSync(
      scenario,
      readFileSync('examples/scenarios/all-healthy.yaml', 'utf8').replace(
        'expect: { mode: failover, changed: false, refused: [] }',
        'expect: { mode: distribute, changed: true }',
      ),
    );
    try {
      const err = (await cli(['simulate', '--policy', 'examples/bookinfo.yaml', '--scenario', scenario]).catch((e: unknown) => e)) as {
        code: number;
        stdout: string;
        stderr: string;
      };
      expect(err.code).toBe(1);
      expect(err.stderr).toBe(
        [
          'expectations: 1 met, 1 failed',
          '  failed at 2026-03-02T02:05:00.000Z: mode: expected distribute, got failover',
          '  failed at 2026-03-02T02:05:00.000Z: changed: expected true, got false',
          '',
        ].join('\n'),
      );
      expect(err.stdout).not.toContain('expectations:');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('regionshift output into a closed pipe (`regionshift … | head`)', () => {
  test('exits 0 quietly: no EPIPE, no stack', async () => {
    const child = spawn(
      process.execPath,
      [
        'bin/regionshift.js',
        'simulate',
        '--policy',
        'examples/bookinfo.yaml',
        '--scenario',
        'examples/scenarios/hangzhou-reviews-down.yaml',
      ],
      {
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // The reader is gone before the command writes its first line.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
