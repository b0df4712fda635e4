import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFcHost, type FcHost, type HandlerModule } from '../host/fc-host';
import { SqliteStateStore } from '../../shared/adapters/state-sqlite';
import { scaledCells } from '../../shared/core/capacity';
import { loadPolicyYaml } from '../../shared/core/policy';
import type { FcContext, Runtime } from '../../shared/runtime/types';
import type { ClusterScaler } from '../../shared/ports/cluster-scaler';
import type { Clock } from '../../shared/ports/clock';
import { runtimeFactory } from '../../shared/runtime/index';
import { FakeClock, FakeClusterScaler, FakeMeshControl } from '../fakes';

/**
 * The real functions from s.yaml on the local FC host over real HTTP, with the real runtime and
 * engine on a temp SQLite file and the Bookinfo example policy; only the mesh and the clusters
 * are fakes. Shared by the host e2e tests, the CLI tests and the alarm benchmark.
 */

export const ALARM_TOKEN = 'alarm-token-0123456789abcdef';
export const CONTROL_SECRET = 'control-secret-0123456789abcdef';

export interface FunctionsHost {
  host: FcHost;
  mesh: FakeMeshControl;
  scaler: ClusterScaler;
  clock: Clock;
  store: SqliteStateStore;
  stateFile: string;
  stop(): Promise<void>;
}

/** `log` receives every log line, the functions' and the host's (default: dropped). */
/** `checkpoint`: where the SQLite store runs its WAL checkpoints (see SqliteStateStore; default background). */
export async function startFunctionsHost(
  opts: { clock?: Clock; log?: (line: Record<string, unknown>) => void; checkpoint?: 'background' | 'inline' } = {},
): Promise<FunctionsHost> {
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-host-'));
  const stateFile = path.join(dir, 'state.db');
  // Nothing another harness in this process left behind (a lab's executor URL, policy, log file).
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGIONSHIFT_')));
  const env = {
    ...inherited,
    REGIONSHIFT_POLICY_FILE: 'examples/bookinfo.yaml',
    REGIONSHIFT_SQLITE_FILE: stateFile,
    REGIONSHIFT_ALARM_TOKEN: ALARM_TOKEN,
    REGIONSHIFT_CONTROL_SECRET: CONTROL_SECRET,
    // Waiting steps go to the executor as on FC: InvokeFunction (async) on this host, signed with
    // the role credentials the host puts on every context.
    REGIONSHIFT_EXECUTOR_FUNCTION: 'regionshift-executor',
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'STS.FunctionsHostKey',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'functions-host-secret',
    ALIBABA_CLOUD_SECURITY_TOKEN: 'functions-host-token',
  } as Record<string, string | undefined>;
  // Default: a Tuesday, 11:00 in Shanghai (inside the example policy's drill window), the day the
  // sample alarms in events/ are stamped: they are fresh (within detection.maxAge) at this clock.
  const clock = opts.clock ?? new FakeClock(Date.parse('2026-11-03T03:00:00Z'));
  const mesh = new FakeMeshControl({ clock });
  // The policy's Deployments exist and are ready, as in a running mesh (the target guard reads them before a move).
  const policy = loadPolicyYaml(readFileSync(env.REGIONSHIFT_POLICY_FILE as string, 'utf8'), env);
  const scaler = new FakeClusterScaler(clock, {
    deployments: Object.fromEntries(scaledCells(policy).map((c) => [c.key, c.normalReplicas])),
  });
  const store = new SqliteStateStore(stateFile, opts.checkpoint ? { checkpoint: opts.checkpoint } : {});
  // One container for the host, as FC keeps one per instance; an engine per invocation.
  const getRuntime: (ctx: FcContext) => Promise<Runtime> = runtimeFactory(env, { mesh, scaler, clock, store, log });
  const host = await startFcHost({
    sYamlPath: 's.yaml',
    port: 0,
    env,
    log,
    // s.yaml's `@every 1m` scheduler timer stays off: the tests tick the scheduler themselves at
    // the fake clock, and a real-time tick landing inside a slow test would add a decision, an
    // audit row or a mesh apply that test did not cause.
    every: () => () => undefined,
    loadHandler: async (key) => {
      const mod = (await import(pathToFileURL(path.resolve('functions', key, 'handler.ts')).href)) as {
        makeHandler: (g: typeof getRuntime) => unknown;
      };
      return { handler: mod.makeHandler(getRuntime) } as HandlerModule;
    },
  });
  env.REGIONSHIFT_FC_ENDPOINT = host.url;
  return {
    host,
    mesh,
    scaler,
    clock,
    store,
    stateFile,
    async stop() {
      await host.stop();
      await store.close();
    },
  };
}
