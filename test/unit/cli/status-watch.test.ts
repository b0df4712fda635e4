import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { takeWatch, WATCH_DEFAULT_SECONDS } from '../../../cli/control/status';
import { CONTROL_SECRET, cliChild, runCli, eachTestWithControlHost, type ControlHost } from './control-host';

/**
 * `regionshift status --watch`: the real command in a child process against the control function
 * on the local FC host, redrawing until it gets SIGINT (Ctrl-C), which ends it with exit code 0.
 */

function startWatch(
  h: ControlHost,
  args: string[],
  secret = CONTROL_SECRET,
): {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
} {
  const run = cliChild(h, ['status', ...args], { REGIONSHIFT_ENDPOINT: h.endpoint, REGIONSHIFT_CONTROL_SECRET: secret });
  const child = spawn(process.execPath, run.args, { env: run.env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, out: () => out, err: () => err, exit };
}

async function until(ok: () => boolean, timeoutMs = 20_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return ok();
}

const redraws = (s: string) => s.split('\n').filter((l) => /^regionshift status at \S+Z, every 1s \(Ctrl-C to stop\)$/.test(l)).length;

describe('regionshift status --watch', () => {
  let h: ControlHost;
  eachTestWithControlHost((host) => {
    h = host;
  });

  test('redraws every interval, shows a change between redraws, and exits 0 on SIGINT', async () => {
    const w = startWatch(h, ['--watch', '1']);
    try {
      expect(await until(() => redraws(w.out()) >= 1 && /cn-hangzhou +HEALTHY/.test(w.out()))).toBe(true);
      expect(await h.alarmDown()).toBe(200);
      const before = redraws(w.out());
      // A later redraw shows the region the alarm took down.
      expect(
        await until(
          () =>
            redraws(w.out()) > before &&
            /cn-hangzhou +DOWN/.test(
              w
                .out()
                .split(/^regionshift status at /m)
                .at(-1) ?? '',
            ),
        ),
      ).toBe(true);
      expect(w.out()).not.toContain('\x1b['); // piped: no screen clearing
      w.child.kill('SIGINT');
      expect(await w.exit).toEqual({ code: 0, signal: null });
      expect(w.err()).toBe('');
    } finally {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
    }
  }, 60_000);

  test('a refused request ends the watch with exit 1 at once; an interval out of range is a usage error', async () => {
    const w = startWatch(h, ['--watch', '1'], 'wrong-secret');
    try {
      expect(await w.exit).toEqual({ code: 1, signal: null });
      expect(redraws(w.out())).toBe(1);
      expect(w.err()).toMatch(/401|signature/i);
    } finally {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
    }
    const zero = await runCli(['status', '--watch=0'], { REGIONSHIFT_ENDPOINT: h.endpoint, REGIONSHIFT_CONTROL_SECRET: CONTROL_SECRET });
    expect(zero).toMatchObject({ code: 2, stdout: '' });
    expect(zero.stderr).toContain('regionshift status: --watch: the interval is a number of seconds from 1 to 3600 (got "0")');
  }, 60_000);
});

describe('takeWatch', () => {
  test.each([
    [['--watch'], WATCH_DEFAULT_SECONDS, []],
    [['--watch', '10', '--json'], 10, ['--json']],
    [['--json', '--watch=2.5'], 2.5, ['--json']],
    [['--watch', '--json'], WATCH_DEFAULT_SECONDS, ['--json']],
    [['--json'], null, ['--json']],
  ])('%j → every %s s, rest %j', (args, seconds, rest) => {
    expect(takeWatch(args)).toEqual({ seconds, rest });
  });
  test.each([
    [['--watch=abc'], '--watch: the interval is a number of seconds from 1 to 3600 (got "abc")'],
    [['--watch', '7200'], '--watch: the interval is a number of seconds from 1 to 3600 (got "7200")'],
    [['--watch', '--watch'], '--watch: given more than once'],
  ])('%j → usage error', (args, message) => {
    expect(() => takeWatch(args)).toThrow(message);
  });
});
