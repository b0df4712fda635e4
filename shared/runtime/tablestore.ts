import type { CloudCredentials } from '../adapters/cloud-credentials';
import { TablestoreStateStore } from '../adapters/state-tablestore';

/**
 * The Tablestore state store from the environment, signing with the function role's STS
 * credentials. They expire while a warm container lives on, so the runtime hands the store each
 * invocation's credentials through the returned `rekey`.
 */
export function tablestoreStoreFromEnv(
  env: Record<string, string | undefined>,
  credentials: CloudCredentials,
): { store: TablestoreStateStore; rekey: (c: CloudCredentials) => void } {
  const store = new TablestoreStateStore({
    endpoint: env.TABLESTORE_ENDPOINT as string,
    instance: env.TABLESTORE_INSTANCE as string,
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
    ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
  });
  return { store, rekey: (c) => store.useCredentials(c) };
}
