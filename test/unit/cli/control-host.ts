import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFcHost, type FcHost, type HandlerModule } from '../../../lab/host/fc-host';
import { SqliteStateStore } from '../../../shared/adapters/state-sqlite';
import type { FcContext, Runtime } from '../../../shared/http/runtime-types';
import { buildRuntime } from '../../../shared/runtime/index';
import { main } from '../../../cli/main';
import { FakeClock, FakeClusterScaler, FakeMeshControl } from '../../fakes';

/**
 * The real functions on the local FC host over real HTTP, with the real engine on a temp SQLite
 * file; only the mesh and the clusters are fakes. The CLI runs in-process against it.
 */

export const ALARM_TOKEN = 'alarm-token-0123456789abcdef';
export const CONTROL_SECRET = 'control-secret-0123456789abcdef';

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
  const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-cli-'));
  const env = {
    ...process.env,
    REGIONSHIFT_POLICY_FILE: 'examples/bookinfo.yaml',
    REGIONSHIFT_SQLITE_FILE: path.join(dir, 'state.db'),
    REGIONSHIFT_ALARM_TOKEN: ALARM_TOKEN,
    REGIONSHIFT_CONTROL_SECRET: CONTROL_SECRET,
  };
  // A Tuesday, 11:00 in Shanghai: inside the policy's drill window.
  const clock = new FakeClock(Date.parse('2026-03-03T03:00:00Z'));
  const mesh = new FakeMeshControl({ clock });
  const scaler = new FakeClusterScaler(clock);
  const store = new SqliteStateStore(env.REGIONSHIFT_SQLITE_FILE);
  let runtime: Promise<Runtime> | null = null;
  const getRuntime = (ctx: FcContext) => (runtime ??= buildRuntime(env, ctx, { mesh, scaler, clock, store, log: () => undefined }));
  const host = await startFcHost({
    sYamlPath: 's.yaml',
    port: 0,
    env,
    log: () => undefined,
    loadHandler: async (key) => {
      const mod = (await import(pathToFileURL(path.resolve('functions', key, 'handler.ts')).href)) as { makeHandler: (g: typeof getRuntime) => unknown };
      return { handler: mod.makeHandler(getRuntime) } as HandlerModule;
    },
  });
  const endpoint = `${host.url}/control`;
  const alertBody = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8');
  return {
    host,
    endpoint,
    mesh,
    clock,
    store,
    cli: (argv, extra = {}) => runCli(argv, { REGIONSHIFT_ENDPOINT: endpoint, REGIONSHIFT_CONTROL_SECRET: CONTROL_SECRET, ...extra }),
    alarmDown: async () =>
      (await fetch(`${host.url}/alarm/cms?token=${ALARM_TOKEN}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: alertBody })).status,
    tick: async () =>
      (await fetch(`${host.url}/_invoke/scheduler`, { method: 'POST', body: JSON.stringify({ triggerTime: new Date(clock.now()).toISOString(), triggerName: 'tick', payload: '{"task":"tick"}' }) })).status,
    version: async () => (await store.load('bookinfo')).version,
    stop: async () => {
      await host.stop();
      await store.close();
    },
  };
}
