import { readFileSync } from 'node:fs';
import { jest } from '@jest/globals';
import type { FcHost } from '../../../lab/host/fc-host';
import type { SqliteStateStore } from '../../../shared/adapters/state-sqlite';
import { main } from '../../../cli/main';
import type { FakeClock, FakeMeshControl } from '../../../lab/fakes';
import { ALARM_TOKEN, CONTROL_SECRET, startFunctionsHost } from '../../../lab/support/functions-host';

/**
 * The real functions on the local FC host over real HTTP, with the real engine on a temp SQLite
 * file; only the mesh and the clusters are fakes. The CLI runs in-process against it.
 */

export { ALARM_TOKEN, CONTROL_SECRET };

export interface ControlHost {
  host: FcHost;
  endpoint: string;
  mesh: FakeMeshControl;
  clock: FakeClock;
  store: SqliteStateStore;
  /** Runs `regionshift <argv>` with the endpoint and secret in the environment (unless `env` overrides them). */
  cli(argv: string[], env?: Record<string, string | undefined>): Promise<CliRun>;
  /** Posts the sample CMS callback that marks cn-hangzhou DOWN. */
  alarmDown(): Promise<number>;
  tick(): Promise<number>;
  version(): Promise<number>;
  stop(): Promise<void>;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  const log: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (s) => log.push(s), error: (s) => err.push(s) }, env);
  return { code, stdout: log.join('\n'), stderr: err.join('\n') };
}

/**
 * `node` arguments and environment for `regionshift <argv>` in a child process against `h`: its
 * Date reads the host's clock (test/support/shift-date.mjs), so its signatures hold there.
 */
export function cliChild(
  h: ControlHost,
  argv: string[],
  env: Record<string, string | undefined>,
): { args: string[]; env: Record<string, string | undefined> } {
  return {
    args: ['--import', './test/support/shift-date.mjs', 'bin/regionshift.js', ...argv],
    env: { ...process.env, NODE_OPTIONS: '', TEST_DATE_AT: String(h.clock.now()), ...env },
  };
}

/** Everything but Date: the CLI's timeouts, waits and the host keep running on real timers. */
const REAL_TIMERS = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

export async function startControlHost(): Promise<ControlHost> {
  const f = await startFunctionsHost();
  const { host, mesh, store } = f;
  const clock = f.clock as FakeClock;
  const endpoint = `${host.url}/control`;
  const alertBody = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8');
  return {
    host,
    endpoint,
    mesh,
    clock,
    store,
    cli: async (argv, extra = {}) => {
      // The operator's clock agrees with the functions' (their runtime's FakeClock checks the
      // signatures): the CLI signs with Date.now(), so Date alone reads the host's clock meanwhile.
      jest.useFakeTimers({ doNotFake: [...REAL_TIMERS], now: clock.now() });
      let run: CliRun;
      try {
        run = await runCli(argv, { REGIONSHIFT_ENDPOINT: endpoint, REGIONSHIFT_CONTROL_SECRET: CONTROL_SECRET, ...extra });
      } finally {
        jest.useRealTimers();
      }
      await host.idle(); // the steps handed to the executor (an async invocation) have run
      return run;
    },
    alarmDown: async () =>
      (
        await fetch(`${host.url}/alarm/cms?region=cn-hangzhou&token=${ALARM_TOKEN}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: alertBody,
        })
      ).status,
    tick: async () =>
      (
        await fetch(`${host.url}/_invoke/scheduler`, {
          method: 'POST',
          body: JSON.stringify({ triggerTime: new Date(clock.now()).toISOString(), triggerName: 'tick', payload: '{"task":"tick"}' }),
        })
      ).status,
    version: async () => (await store.load('bookinfo')).version,
    stop: () => f.stop(),
  };
}

/**
 * A fresh control host for every test of the enclosing block, ticked once so the mesh has a
 * decision to show, stopped after the test; `set` receives each one.
 */
export function eachTestWithControlHost(set: (h: ControlHost) => void): void {
  let current: ControlHost | undefined;
  beforeEach(async () => {
    current = await startControlHost();
    set(current);
    expect(await current.tick()).toBe(200);
  });
  afterEach(async () => {
    await current?.stop();
  });
}
