import { resolveCloudCredentials } from '../adapters/cloud-credentials';
import { TablestoreStateStore } from '../adapters/state-tablestore';
import type { FcContext } from '../http/runtime-types';

/** The Tablestore state store from the environment, with the function role's STS credentials. */
export function tablestoreStoreFromEnv(env: Record<string, string | undefined>, context: FcContext): TablestoreStateStore {
  const credentials = resolveCloudCredentials({ context, env });
  return new TablestoreStateStore({
    endpoint: env.TABLESTORE_ENDPOINT as string,
    instance: env.TABLESTORE_INSTANCE as string,
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
  });
}
