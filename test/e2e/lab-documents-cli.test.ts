import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * `npm start -- --topology <file> --policy <file>` as a user runs it: the real entry point in its
 * own process, on free ports. The banner says which world runs, and that world serves traffic;
 * a bad flag or file is one line on stderr naming it, exit 2, nothing started.
 */
const tsx = path.join('node_modules', '.bin', 'tsx');
const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-cli-'));

/** A port p with p+1 also free (the lab page takes the next one). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const nextFree = await new Promise<boolean>((resolve) => {
      const s = createServer()
        .once('error', () => resolve(false))
        .listen(p + 1, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (nextFree && p < 65535) return p;
  }
}

function refused(args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(tsx, ['lab/start.ts', ...args], { encoding: 'utf8', env: { ...process.env, PORT: '1', ...env }, timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('lab CLI: choose the world', () => {
  let child: ChildProcess | null = null;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child?.once('exit', r));
    }
  });

  test('--topology/--policy: the banner names both, and the chosen world answers (jason sees v2/v3 from cluster2)', async () => {
    const port = await freePortPair();
    child = spawn(
      tsx,
      [
        'lab/start.ts',
        '--topology',
        'examples/topologies/istio-multi-primary.yaml',
        '--policy',
        'examples/topologies/istio-multi-primary.policy.yaml',
        '--state-dir',
        path.join(dir, 'state'),
      ],
      {
        env: { ...process.env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const deadline = Date.now() + 90_000;
    while (!out.includes('try the loop:') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    if (!out.includes('try the loop:')) throw new Error(`no banner; stdout:\n${out}\nstderr:\n${err}`);
    expect(out).toMatch(
      /topology\s+examples\/topologies\/istio-multi-primary\.yaml \(--topology\): cn-hangzhou \(c-hangzhou\), cn-shanghai \(c-shanghai\); gateways gw-hangzhou; applies ServiceEntry reviews-default, DestinationRule reviews-global, VirtualService reviews/,
    );
    expect(out).toContain('policy           bookinfo from examples/topologies/istio-multi-primary.policy.yaml (--policy)');
    const labUrl = /lab page\s+(\S+)\//.exec(out)?.[1];
    const res = await fetch(`${labUrl}/lab/v1/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ gateway: 'gw-hangzhou', count: 200, headers: { 'end-user': 'jason' } }),
    });
    expect(res.status).toBe(200);
    const served = ((await res.json()) as { served: Record<string, number> }).served;
    const reviews = Object.keys(served)
      .filter((k) => k.includes('/reviews/'))
      .sort();
    expect(reviews).toEqual(['cn-shanghai/reviews/v2', 'cn-shanghai/reviews/v3']);
  }, 120_000);

  test.each([
    [['--topolgy', 'x.yaml'], {}, /^--topolgy: unknown argument \(use --topology <file>, --policy <file>, --state-dir <dir>\)$/],
    [['--topology'], {}, /^--topology: a file is required$/],
    [['--topology', 'examples/topologies/nope.yaml'], {}, /^--topology examples\/topologies\/nope\.yaml: cannot read it \(ENOENT\)$/],
    [[], { REGIONSHIFT_LAB_POLICY: 'missing-policy.yaml' }, /^REGIONSHIFT_LAB_POLICY missing-policy\.yaml: cannot read it \(ENOENT\)$/],
    [['--topology', 'BAD_TOPOLOGY'], {}, /^--topology \S+bad-topology\.yaml: topology regions\.0\.cluster: must be a lowercase DNS label/],
    [
      ['--topology', 'examples/topologies/three-region.yaml', '--policy', 'examples/topologies/cross-region-two-clusters.policy.yaml'],
      {},
      /does not fit examples\/topologies\/three-region\.yaml: regions: no entry for the topology's region cn-beijing$/,
    ],
  ] as const)(
    '%j %j is refused: exit 2, one line, no stack',
    (args, env, message) => {
      const bad = path.join(dir, 'bad-topology.yaml');
      writeFileSync(
        bad,
        'account: "1"\nregions: [{ name: r, displayName: R, cluster: Not_A_Label, zones: [z] }]\nservices: [{ name: s, versions: [v1] }]\ndeployments: []\ngateways: [{ name: g, region: r, zone: z, entry: s }]\n',
      );
      const r = refused(
        args.map((a) => (a === 'BAD_TOPOLOGY' ? bad : a)),
        env,
      );
      const lines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.includes('ExperimentalWarning') && !l.includes('--trace-warnings'));
      expect({ status: r.status, lines: lines.length, stdout: r.stdout }).toEqual({ status: 2, lines: 1, stdout: '' });
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    },
    60_000,
  );
});
