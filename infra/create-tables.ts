/**
 * Creates the Tablestore tables of the state store (`npm run infra:tables`), from the same
 * definitions the adapter uses. Idempotent: existing tables are checked, not recreated.
 *
 *   TABLESTORE_ENDPOINT            https://<instance>.<region>.ots.aliyuncs.com (or the VPC endpoint)
 *   TABLESTORE_INSTANCE            the instance name
 *   TABLESTORE_ACCESS_KEY_ID       credentials allowed ots:ListTable, ots:DescribeTable, ots:CreateTable
 *   TABLESTORE_ACCESS_KEY_SECRET     (infra/ram-policy-table-setup.json)
 *   TABLESTORE_SECURITY_TOKEN      optional, with STS credentials
 *   TABLESTORE_TABLE_PREFIX        optional, default "regionshift"
 */
import { pathToFileURL } from 'node:url';
import TableStore from 'tablestore';
import {
  ensureStateTables,
  stateTableDefinitions,
  stateTableNames,
  type EnsureTablesResult,
} from '../shared/adapters/state-tablestore-schema';

export const REQUIRED_ENV = [
  'TABLESTORE_ENDPOINT',
  'TABLESTORE_INSTANCE',
  'TABLESTORE_ACCESS_KEY_ID',
  'TABLESTORE_ACCESS_KEY_SECRET',
] as const;

export class MissingEnvError extends Error {
  constructor(readonly missing: string[]) {
    super(`missing environment variables: ${missing.join(', ')}`);
  }
}

export async function createStateTables(
  env: Record<string, string | undefined>,
  opts: { log?: (line: string) => void; waitReadyMs?: number } = {},
): Promise<EnsureTablesResult> {
  const missing = REQUIRED_ENV.filter((name) => !env[name]);
  if (missing.length > 0) throw new MissingEnvError(missing);
  const client = new TableStore.Client({
    endpoint: env.TABLESTORE_ENDPOINT!,
    instancename: env.TABLESTORE_INSTANCE!,
    accessKeyId: env.TABLESTORE_ACCESS_KEY_ID!,
    secretAccessKey: env.TABLESTORE_ACCESS_KEY_SECRET!,
    ...(env.TABLESTORE_SECURITY_TOKEN ? { stsToken: env.TABLESTORE_SECURITY_TOKEN } : {}),
  });
  const names = stateTableNames(env.TABLESTORE_TABLE_PREFIX || undefined);
  const log = opts.log ?? (() => undefined);
  for (const t of stateTableDefinitions(names)) {
    log(
      `${t.name}: PK (${t.primaryKey.map((c) => `${c.name} ${c.type}`).join(', ')}), ttl ${t.timeToLive === -1 ? 'none' : `${t.timeToLive}s`} — ${t.purpose}`,
    );
  }
  return ensureStateTables(client, names, { log, waitReadyMs: opts.waitReadyMs ?? 120_000 });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  createStateTables(process.env, { log: (line) => console.log(line) }).then(
    (result) => {
      console.log(`created: ${result.created.join(', ') || 'none'}; already there: ${result.existing.join(', ') || 'none'}`);
    },
    (err: unknown) => {
      console.error(err instanceof MissingEnvError ? err.message : `failed: ${(err as Error).message}`);
      process.exitCode = 1;
    },
  );
}
