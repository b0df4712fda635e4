import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { notifierFor } from '../adapters/notify';
import { RegionshiftError } from '../core/errors';
import { lazy } from '../core/lazy';
import { Engine } from '../engine/engine';
import { resolveCloudCredentials, type CloudCredentials, type FcCredentialsContext } from '../adapters/cloud-credentials';
import type { Policy } from '../core/policy';
import type { FcContext, Runtime, RuntimeFactory } from './types';
import type { ClusterScaler } from '../ports/cluster-scaler';
import { systemClock, type Clock } from '../ports/clock';
import type { MeshControl } from '../ports/mesh-control';
import type { StateStore } from '../ports/state-store';
import { clusterAdaptersFor, type EntryRoutesReader } from './adapters';
import { loadRuntimePolicy, parseRuntimeEnv, type RuntimeEnv } from './config';
import { executorHandoff, fcEndpointFor } from '../adapters/fc-executor';
import type { ExecutorHandoff } from '../ports/executor-handoff';
import type { ReadinessProbes } from '../ports/readiness-probes';
import { placementOf } from '../readiness/checks';
import { runReadiness } from '../readiness/run';

/** One JSON line per record: on stdout (FC ships it to SLS), or appended to a file (the lab). */
function structuredLog(file: string | undefined): (line: Record<string, unknown>) => void {
  return (line) => {
    const text = `${JSON.stringify({ t: new Date().toISOString(), ...line })}\n`;
    if (file) appendFileSync(file, text);
    else process.stdout.write(text);
  };
}

export interface RuntimeOverrides {
  mesh?: MeshControl;
  scaler?: ClusterScaler;
  store?: StateStore;
  clock?: Clock;
  log?: (line: Record<string, unknown>) => void;
  entryRoutes?: EntryRoutesReader;
  /** False: an alarm's plan runs inside the alarm request, not in the executor (the benchmark's baseline). */
  answerFirst?: boolean;
}

/** What one FC instance builds once (cold start) and keeps: policy, state store, adapters. */
interface Container {
  env: RuntimeEnv;
  policy: Policy;
  store: StateStore;
  mesh: MeshControl;
  scaler: ClusterScaler;
  log: (line: Record<string, unknown>) => void;
  clock: Clock;
  handoff?: ExecutorHandoff;
  /** Policy `scopes.entryFrom`: reads the gateways' VirtualServices (on ticks). */
  entryRoutes?: EntryRoutesReader;
  /**
   * Read-only probes for the readiness checks, built from the same adapters on first use: they
   * read through the Kubernetes client, which a function that never runs the checks must not load.
   */
  probes: () => Promise<ReadinessProbes>;
  /** Runs at the start of every invocation, with its credentials (the Tablestore client's keys). */
  onInvocation: () => void;
  /** Closes what the container opened itself (a store passed in by the caller stays the caller's). */
  close: () => Promise<void>;
}

/** Without a function timeout on the context (a local run), nor REGIONSHIFT_BUDGET_MS: this long. */
export const DEFAULT_BUDGET_MS = 20_000;
/** Kept back from the function's timeout for journalling, releasing the lease and answering. */
const MAX_MARGIN_MS = 10_000;

/**
 * When this invocation's waits must be over (epoch ms). FC 3.0's context has no remaining-time
 * call, but it carries `function.timeout` (s): FC stops the handler that long after the
 * invocation began, so waits end a margin before (20% of the timeout, at most 10 s).
 */
export function invocationDeadline(start: number, context: FcContext, budgetMs?: number): number {
  const limits: number[] = [];
  const timeout = context.function?.timeout;
  if (typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0) {
    const ms = timeout * 1000;
    limits.push(start + ms - Math.min(MAX_MARGIN_MS, Math.ceil(ms * 0.2)));
  }
  if (budgetMs !== undefined) limits.push(start + budgetMs);
  return limits.length > 0 ? Math.min(...limits) : start + DEFAULT_BUDGET_MS;
}

/**
 * The credentials of the invocation being served. FC passes the role's STS credentials on every
 * invocation's context and they expire (36 h): clients ask this on every call rather than keep
 * the ones the container started with. Outside FC: the ALIBABA_CLOUD_* variables.
 */
class InvocationCredentials {
  private context: FcCredentialsContext | null = null;
  constructor(private readonly env: Record<string, string | undefined>) {}
  observe(context: FcCredentialsContext): void {
    this.context = context;
  }
  readonly current = (): CloudCredentials => resolveCloudCredentials({ context: this.context, env: this.env });
}

async function buildContainer(
  env: Record<string, string | undefined>,
  context: FcContext,
  credentials: InvocationCredentials,
  overrides: RuntimeOverrides,
): Promise<Container> {
  const e = parseRuntimeEnv(env);
  const policy = loadRuntimePolicy(e, env);
  const log = overrides.log ?? structuredLog(e.REGIONSHIFT_LOG_FILE);
  const clock = overrides.clock ?? systemClock;
  let store = overrides.store;
  const ownStore = !store;
  let onInvocation = () => undefined as void;
  if (!store) {
    if (e.REGIONSHIFT_STATE === 'sqlite') {
      // Loaded only when used: the FC bundles carry no native SQLite module.
      const { SqliteStateStore } = await import('../adapters/state-sqlite');
      store = new SqliteStateStore(e.REGIONSHIFT_SQLITE_FILE, { clock });
    } else {
      const { tablestoreStoreFromEnv } = await import('./tablestore');
      const built = tablestoreStoreFromEnv(env, credentials.current());
      store = built.store;
      onInvocation = () => built.rekey(credentials.current());
    }
  }
  const adapters =
    overrides.mesh && overrides.scaler
      ? { mesh: overrides.mesh, scaler: overrides.scaler, kubeconfigSources: {} }
      : await clusterAdaptersFor(policy, e, env, credentials.current, clock, context.region);
  const executor = e.REGIONSHIFT_EXECUTOR_FUNCTION;
  const handoff = executor
    ? executorHandoff({
        functionName: executor,
        endpoint: e.REGIONSHIFT_FC_ENDPOINT ?? (() => fcEndpointFor(context)),
        credentials: credentials.current,
      })
    : undefined;
  const entryRoutes = overrides.entryRoutes ?? adapters.entryRoutes;
  const mesh = overrides.mesh ?? adapters.mesh;
  const scaler = overrides.scaler ?? adapters.scaler;
  const probes = lazy(() =>
    import('../adapters/readiness-probes')
      .then(({ cloudReadinessProbes }) =>
        cloudReadinessProbes({
          policy,
          mesh,
          scaler,
          store,
          storeBackend: e.REGIONSHIFT_STATE === 'sqlite' ? 'sqlite' : `tablestore ${e.TABLESTORE_INSTANCE ?? ''}`,
          kubeconfigSources: adapters.kubeconfigSources,
          credentials: credentials.current,
          clock,
          ...(policy.mesh.backend === 'asm'
            ? { asmEndpoint: e.REGIONSHIFT_ASM_ENDPOINT ?? policy.mesh.endpoint ?? 'https://servicemesh.aliyuncs.com' }
            : {}),
          ...(context.region ? { functionRegion: context.region } : {}),
          ...(executor
            ? { executor: { functionName: executor, endpoint: e.REGIONSHIFT_FC_ENDPOINT ?? (() => fcEndpointFor(context)) } }
            : {}),
        }),
      )
      .then((built) => {
        // The control-plane-placement row: the functions' own region (FC_REGION, else the context's)
        // and the state's, so GET /v1/readiness gives the row a verdict rather than "FC_REGION unset".
        const placement = placementOf({ ...env, REGIONSHIFT_STATE: e.REGIONSHIFT_STATE }, context.region);
        return { ...built, placement: () => placement };
      }),
  );
  const opened = store;
  // The adapters hold no connections of their own (each SDK call is one HTTP request); the SQLite
  // store holds a file handle and its WAL checkpoint worker.
  const close = async () => {
    if (ownStore) await opened.close();
  };
  return {
    env: e,
    policy,
    store,
    mesh,
    scaler,
    log,
    clock,
    ...(handoff ? { handoff } : {}),
    ...(entryRoutes ? { entryRoutes } : {}),
    probes,
    onInvocation,
    close,
  };
}

/** An invocation reached a runtime after its `close()`: its store is closed, nothing can be served. */
export class RuntimeClosedError extends RegionshiftError {
  constructor() {
    super('RUNTIME.CLOSED', 'this runtime was closed; no invocation can be served by it', { retryable: false });
  }
}

/** A RuntimeFactory that can release what its container opened (the lab, when it stops). */
export type ClosableRuntimeFactory = RuntimeFactory & {
  /**
   * Closes the container's store (the SQLite file and its checkpoint worker), once any cold start
   * under way has finished. Call it when no invocation is running any more; later ones fail with
   * `RuntimeClosedError`. An FC instance never calls it: the platform ends the process.
   */
  close(): Promise<void>;
};

/**
 * A RuntimeFactory for one FC instance: the container is built on the first invocation and kept;
 * every invocation then gets its own engine, bound to that invocation's credentials, request id
 * and deadline.
 */
export function runtimeFactory(env: Record<string, string | undefined>, overrides: RuntimeOverrides = {}): ClosableRuntimeFactory {
  const credentials = new InvocationCredentials(env);
  let container: Promise<Container> | null = null;
  let closing: Promise<void> | null = null;
  const factory = async (context: FcContext): Promise<Runtime> => {
    if (closing) throw new RuntimeClosedError();
    const clock = overrides.clock ?? systemClock;
    // Taken before a cold start: building the container spends the invocation's time too.
    const start = clock.now();
    credentials.observe(context);
    container ??= buildContainer(env, context, credentials, overrides).catch((err: unknown) => {
      container = null; // a failed cold start is retried on the next invocation
      throw err;
    });
    const c = await container;
    // Closed while this cold start was under way: its store is closed (or about to be).
    if (closing) throw new RuntimeClosedError();
    c.onInvocation();
    const e = c.env;
    const deadline = invocationDeadline(start, context, e.REGIONSHIFT_BUDGET_MS);
    const notifier = notifierFor(c.policy.notifications, c.log);
    const engine = new Engine({
      policy: c.policy,
      store: c.store,
      meshControl: c.mesh,
      scaler: c.scaler,
      notifier,
      clock: c.clock,
      owner: `${context.function?.name ?? 'local'}:${context.requestId ?? randomUUID()}`,
      budgetMs: Math.max(0, deadline - start),
      deadline,
      ...(c.handoff ? { handoff: c.handoff } : {}),
      ...(overrides.answerFirst !== undefined
        ? { answerFirst: overrides.answerFirst }
        : e.REGIONSHIFT_ALARM_ANSWER
          ? { answerFirst: e.REGIONSHIFT_ALARM_ANSWER === 'first' }
          : {}),
      ...(c.entryRoutes ? { entryRoutes: c.entryRoutes } : {}),
      log: c.log,
    });
    return {
      engine,
      policy: c.policy,
      store: c.store,
      notifier,
      clock: c.clock,
      secrets: {
        alarmToken: e.REGIONSHIFT_ALARM_TOKEN,
        controlSecret: e.REGIONSHIFT_CONTROL_SECRET,
        ...(e.REGIONSHIFT_READ_TOKEN ? { readToken: e.REGIONSHIFT_READ_TOKEN } : {}),
      },
      log: c.log,
      readiness: async () => runReadiness(c.policy, await c.probes(), clock.now()),
    };
  };
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const built = container;
      if (!built) return;
      let c: Container;
      try {
        c = await built;
      } catch {
        return; // a cold start that failed opened nothing it kept
      }
      await c.close();
    })());
  return Object.assign(factory, { close });
}

/** One container, one invocation (tests and tools that build a runtime by hand). */
export async function buildRuntime(
  env: Record<string, string | undefined>,
  context: FcContext,
  overrides: RuntimeOverrides = {},
): Promise<Runtime> {
  return runtimeFactory(env, overrides)(context);
}
