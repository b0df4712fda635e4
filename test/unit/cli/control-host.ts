import { readFileSync } from 'node:fs';
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
      const run = await runCli(argv, { REGIONSHIFT_ENDPOINT: endpoint, REGIONSHIFT_CONTROL_SECRET: CONTROL_SECRET, ...extra });
      await host.idle(); // the steps handed to the executor (an async invocation) have run
      return run;
    },
    alarmDown: async () =>
      (await fetch(`${host.url}/alarm/cms?region=cn-hangzhou&token=${ALARM_TOKEN}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: alertBody })).status,
    tick: async () =>
      (await fetch(`${host.url}/_invoke/scheduler`, { method: 'POST', body: JSON.stringify({ triggerTime: new Date(clock.now()).toISOString(), triggerName: 'tick', payload: '{"task":"tick"}' }) })).status,
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
