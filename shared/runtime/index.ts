import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { notifierFor } from '../adapters/notify';
import { Engine } from '../engine/engine';
import { signRequest } from '../http/auth';
import type { FcContext, Runtime } from '../http/runtime-types';
import type { ClusterScaler } from '../ports/cluster-scaler';
import { systemClock, type Clock } from '../ports/clock';
import type { MeshControl } from '../ports/mesh-control';
import type { StateStore } from '../ports/state-store';
import { clusterAdaptersFor } from './adapters';
import { loadRuntimePolicy, parseRuntimeEnv } from './config';

/** One JSON line per record: on stdout (FC ships it to SLS), or appended to a file (the lab). */
function structuredLog(file: string | undefined): (line: Record<string, unknown>) => void {
  return (line) => {
    const text = `${JSON.stringify({ t: new Date().toISOString(), ...line })}\n`;
    if (file) appendFileSync(file, text);
    else process.stdout.write(text);
  };
}

/**
 * Builds the runtime a handler needs from the environment: policy, state store, mesh and
 * cluster adapters, notifier, engine. Built once per container (cold start) and reused.
 */

export interface RuntimeOverrides {
  mesh?: MeshControl;
  scaler?: ClusterScaler;
  store?: StateStore;
  clock?: Clock;
  log?: (line: Record<string, unknown>) => void;
}


export async function buildRuntime(env: Record<string, string | undefined>, context: FcContext, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const e = parseRuntimeEnv(env);
  const policy = loadRuntimePolicy(e, env);
  const log = overrides.log ?? structuredLog(e.REGIONSHIFT_LOG_FILE);
  const clock = overrides.clock ?? systemClock;
  let store = overrides.store;
  if (!store) {
    if (e.REGIONSHIFT_STATE === 'sqlite') {
      // Loaded only when used: the FC bundles carry no native SQLite module.
      const { SqliteStateStore } = await import('../adapters/state-sqlite');
      store = new SqliteStateStore(e.REGIONSHIFT_SQLITE_FILE);
    } else {
      const { tablestoreStoreFromEnv } = await import('./tablestore');
      store = tablestoreStoreFromEnv(env, context);
    }
  }
  const adapters = overrides.mesh && overrides.scaler ? { mesh: overrides.mesh, scaler: overrides.scaler } : await clusterAdaptersFor(policy, e, env, context, clock);
  const executorUrl = e.REGIONSHIFT_EXECUTOR_URL;
  const handoff = executorUrl
    ? async (planId: string) => {
        // FC runs an HTTP-triggered call with this header asynchronously and answers 202 at once;
        // the executor's HTTP trigger checks the same signature as the control API.
        const body = JSON.stringify({ planId });
        const signed = signRequest({ secret: e.REGIONSHIFT_CONTROL_SECRET, method: 'POST', path: new URL(executorUrl).pathname, body });
        const res = await fetch(executorUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-fc-invocation-type': 'Async', ...signed.headers }, body });
        if (res.status !== 202) throw new Error(`async invocation of the executor answered ${res.status}`);
      }
    : undefined;
  const engine = new Engine({
    policy,
    store,
    mesh: overrides.mesh ?? adapters.mesh,
    scaler: overrides.scaler ?? adapters.scaler,
    notifier: notifierFor(policy.notifications, log),
    clock,
    owner: `${context.function?.name ?? 'local'}:${context.requestId ?? randomUUID()}`,
    budgetMs: e.REGIONSHIFT_BUDGET_MS,
    ...(handoff ? { handoff } : {}),
    log,
  });
  return {
    engine,
    policy,
    store,
    secrets: { alarmToken: e.REGIONSHIFT_ALARM_TOKEN, controlSecret: e.REGIONSHIFT_CONTROL_SECRET, ...(e.REGIONSHIFT_READ_TOKEN ? { readToken: e.REGIONSHIFT_READ_TOKEN } : {}) },
    log,
  };
}

let cached: Promise<Runtime> | null = null;

export function defaultRuntime(context: FcContext): Promise<Runtime> {
  cached ??= buildRuntime(process.env, context).catch((err: unknown) => {
    cached = null; // a failed cold start is retried on the next invocation
    throw err;
  });
  return cached;
}
