import { spawn } from 'node:child_process';
import { CONTROL_SECRET, cliChild, eachTestWithControlHost, type ControlHost } from './control-host';

/**
 * `regionshift status --watch | head -3`: the real command in a child process writing into a
 * pipe whose reader goes away. The watch ends by itself (EPIPE ends it, exit 0, no stack trace),
 * and many redraws leave no MaxListenersExceededWarning behind.
 */

describe('regionshift status --watch into a pipe', () => {
  let h: ControlHost;
  eachTestWithControlHost((host) => {
    h = host;
  });

  test('twelve redraws warn nothing; when the reader closes the pipe the watch exits 0 at its next redraw', async () => {
    const run = cliChild(h, ['status', '--watch', '1'], { REGIONSHIFT_ENDPOINT: h.endpoint, REGIONSHIFT_CONTROL_SECRET: CONTROL_SECRET });
    const child = spawn(process.execPath, run.args, {
      env: run.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    const redraws = () => out.split('\n').filter((l) => l.startsWith('regionshift status at ')).length;
    try {
      const end = Date.now() + 40_000;
      while (redraws() < 12 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(redraws()).toBeGreaterThanOrEqual(12);
      expect(err).not.toMatch(/MaxListenersExceededWarning|EventTarget memory leak/);
      // Like `head` exiting: the read end of the pipe closes.
      const closedAt = Date.now();
      child.stdout.destroy();
      const ended = await Promise.race([exit, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
      expect(ended).not.toBeNull();
      const { code, signal, at } = ended as { code: number | null; signal: NodeJS.Signals | null; at: number };
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      // The next redraw (1 s) hits EPIPE; a little slack for a loaded machine.
      expect(at - closedAt).toBeLessThan(2_500);
      expect(err).toBe('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
