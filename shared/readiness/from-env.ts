import { resolveCloudCredentials } from '../adapters/cloud-credentials';
import type { Policy } from '../core/policy';
import type { Clock } from '../ports/clock';
import type { StateStore } from '../ports/state-store';
import { clusterAdaptersFor } from '../runtime/adapters';
import { parseToolEnv } from '../runtime/config';
import { fcEndpointFor } from '../runtime/executor-handoff';
import { cloudReadinessProbes } from './probes';
import type { ReadinessProbes } from './run';

/**
 * The probes a command-line run uses: the adapters built from the environment exactly as the
 * functions build them (credentials from ALIBABA_CLOUD_*, endpoints from REGIONSHIFT_*_ENDPOINT,
 * the state store from REGIONSHIFT_STATE), so the lab and the cloud are checked the same way.
 */
export async function readinessProbesFromEnv(policy: Policy, env: Record<string, string | undefined>, clock: Clock): Promise<{ probes: ReadinessProbes; close(): Promise<void> }> {
  const e = parseToolEnv(env);
  const credentials = () => resolveCloudCredentials({ env });
  let store: StateStore;
  let storeBackend: string;
  if (e.REGIONSHIFT_STATE === 'tablestore') {
    const { tablestoreStoreFromEnv } = await import('../runtime/tablestore');
    store = tablestoreStoreFromEnv(env, credentials()).store;
    storeBackend = `tablestore ${e.TABLESTORE_INSTANCE}`;
  } else {
    const { SqliteStateStore } = await import('../adapters/state-sqlite');
    store = new SqliteStateStore(e.REGIONSHIFT_SQLITE_FILE);
    storeBackend = `sqlite ${e.REGIONSHIFT_SQLITE_FILE}`;
  }
  const { mesh, scaler, kubeconfigSources } = await clusterAdaptersFor(policy, e, env, credentials, clock, env.FC_REGION);
  // Without REGIONSHIFT_FC_ENDPOINT the endpoint is FC's of FC_ACCOUNT_ID and FC_REGION (set inside FC); missing both fails the executor row, naming them.
  const executor = e.REGIONSHIFT_EXECUTOR_FUNCTION
    ? { functionName: e.REGIONSHIFT_EXECUTOR_FUNCTION, endpoint: e.REGIONSHIFT_FC_ENDPOINT ?? (() => fcEndpointFor({ ...(env.FC_ACCOUNT_ID ? { accountId: env.FC_ACCOUNT_ID } : {}), ...(env.FC_REGION ? { region: env.FC_REGION } : {}) })) }
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
    ...(e.REGIONSHIFT_ASM_ENDPOINT || policy.mesh.backend === 'asm' ? { asmEndpoint: e.REGIONSHIFT_ASM_ENDPOINT ?? (policy.mesh.backend === 'asm' ? policy.mesh.endpoint : undefined) ?? 'https://servicemesh.aliyuncs.com' } : {}),
    ...(env.FC_REGION ? { functionRegion: env.FC_REGION } : {}),
    ...(executor ? { executor } : {}),
  });
  return { probes, close: () => store.close() };
}
