import { existsSync } from 'node:fs';
import { resolveCloudCredentials } from '../adapters/cloud-credentials';
import type { Policy } from '../core/policy';
import type { Clock } from '../ports/clock';
import type { StateStore } from '../ports/state-store';
import type { ReadinessProbes } from '../ports/readiness-probes';
import { fcEndpointFor } from '../adapters/fc-executor';
import { cloudReadinessProbes } from '../adapters/readiness-probes';
import { placementOf } from '../readiness/checks';
import { clusterAdaptersFor } from './adapters';
import { parseToolEnv } from './config';

/**
 * The probes a command-line run uses: the adapters built from the environment exactly as the
 * functions build them (credentials from ALIBABA_CLOUD_*, endpoints from REGIONSHIFT_*_ENDPOINT,
 * the state store from REGIONSHIFT_STATE), so the lab and the cloud are checked the same way.
 */
export async function readinessProbesFromEnv(
  policy: Policy,
  env: Record<string, string | undefined>,
  clock: Clock,
): Promise<{ probes: ReadinessProbes; close(): Promise<void> }> {
  const e = parseToolEnv(env);
  const credentials = () => resolveCloudCredentials({ env });
  let store: StateStore | string;
  let storeBackend: string;
  if (e.REGIONSHIFT_STATE === 'tablestore') {
    const { tablestoreStoreFromEnv } = await import('./tablestore');
    store = tablestoreStoreFromEnv(env, credentials()).store;
    storeBackend = `tablestore ${e.TABLESTORE_INSTANCE}`;
  } else if (!existsSync(e.REGIONSHIFT_SQLITE_FILE)) {
    // Opening it would create it (and its directory): an empty store that reads as a PASS, and a
    // stray file. A check only reads; the functions create their state on their first run.
    store = `no state file at ${e.REGIONSHIFT_SQLITE_FILE} (REGIONSHIFT_SQLITE_FILE${env.REGIONSHIFT_SQLITE_FILE ? '' : ', unset: the default'}); doctor reads the functions' state and never creates one`;
    storeBackend = `sqlite ${e.REGIONSHIFT_SQLITE_FILE}`;
  } else {
    const { SqliteStateStore } = await import('../adapters/state-sqlite');
    store = new SqliteStateStore(e.REGIONSHIFT_SQLITE_FILE);
    storeBackend = `sqlite ${e.REGIONSHIFT_SQLITE_FILE}`;
  }
  const { mesh, scaler, kubeconfigSources } = await clusterAdaptersFor(policy, e, env, credentials, clock, env.FC_REGION);
  // Without REGIONSHIFT_FC_ENDPOINT the endpoint is FC's of FC_ACCOUNT_ID and FC_REGION (set inside FC); missing both fails the executor row, naming them.
  const executor = e.REGIONSHIFT_EXECUTOR_FUNCTION
    ? {
        functionName: e.REGIONSHIFT_EXECUTOR_FUNCTION,
        endpoint:
          e.REGIONSHIFT_FC_ENDPOINT ??
          (() =>
            fcEndpointFor({
              ...(env.FC_ACCOUNT_ID ? { accountId: env.FC_ACCOUNT_ID } : {}),
              ...(env.FC_REGION ? { region: env.FC_REGION } : {}),
            })),
      }
    : undefined;
  const probes = cloudReadinessProbes({
    policy,
    mesh,
    scaler,
    store,
    storeBackend,
    kubeconfigSources,
    credentials,
    clock,
    ...(e.REGIONSHIFT_ASM_ENDPOINT || policy.mesh.backend === 'asm'
      ? {
          asmEndpoint:
            e.REGIONSHIFT_ASM_ENDPOINT ??
            (policy.mesh.backend === 'asm' ? policy.mesh.endpoint : undefined) ??
            'https://servicemesh.aliyuncs.com',
        }
      : {}),
    ...(env.FC_REGION ? { functionRegion: env.FC_REGION } : {}),
    ...(executor ? { executor } : {}),
  });
  const placement = placementOf({ ...env, REGIONSHIFT_STATE: e.REGIONSHIFT_STATE });
  return { probes: { ...probes, placement: () => placement }, close: async () => (typeof store === 'string' ? undefined : store.close()) };
}

/**
 * The variables a command-line run reads that are not set, each with what it is for. Doctor says
 * them before its report: run plainly, its rows would otherwise blame the cloud for what is only
 * a missing variable. Endpoints and the executor are optional (unset: the cloud's own, none).
 */
export function unsetToolVariables(env: Record<string, string | undefined>): string[] {
  const unset = (k: string) => env[k] === undefined || env[k] === '';
  const out: string[] = [];
  const creds = ['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'].filter(unset);
  if (creds.length) out.push(`${creds.join(', ')} (the credentials every cloud read uses)`);
  if ((env.REGIONSHIFT_STATE ?? 'sqlite') === 'sqlite' && unset('REGIONSHIFT_SQLITE_FILE'))
    out.push("REGIONSHIFT_SQLITE_FILE (the functions' state file; unset: .regionshift/state.db here)");
  if (env.REGIONSHIFT_STATE === 'tablestore') {
    const ots = ['TABLESTORE_ENDPOINT', 'TABLESTORE_INSTANCE'].filter(unset);
    if (ots.length) out.push(`${ots.join(', ')} (the state tables)`);
  }
  return out;
}
