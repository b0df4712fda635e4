import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startLabControlPlane, type LabControlPlane } from '../k8s/control-plane';
import { startTablestoreTwin, type TablestoreTwin } from '../tablestore/server';
import { topologySchema } from '../topology/schema';
import { labPolicyYaml, seed } from '../world';
import TableStore from 'tablestore';
import { ensureStateTables, stateTableNames } from '../../shared/adapters/state-tablestore-schema';

/**
 * The cloud the suite's processes talk to: the Kubernetes/ASM/ACK twins (one HTTP port) seeded
 * with the Bookinfo topology, and optionally the Tablestore twin with the state tables. Child
 * processes get everything through `env`, exactly as a function gets its configuration.
 */

export const SECRETS = { alarmToken: 'rel-alarm-token-5c0e9a7d21f4', controlSecret: 'rel-control-secret-8b3f1d6e0a92' };
const AK = {
  accessKeyId: 'STS.RelAccessKey0001',
  accessKeySecret: 'rel-access-key-secret-not-real',
  securityToken: 'rel-sts-token-4d9a1c',
};
const TS_INSTANCE = 'regionshift-rel';

export interface Twins {
  dir: string;
  controlPlane: LabControlPlane;
  tablestore: TablestoreTwin | null;
  /** The environment of a function process using these twins (state in SQLite unless `tablestore`). */
  env(opts?: {
    state?: 'sqlite' | 'tablestore';
    sqliteFile?: string;
    policy?: Record<string, Record<string, unknown>>;
    budgetMs?: number;
  }): Record<string, string>;
  /** UpdateMeshFeature calls the ASM twin answered with success. */
  meshApplies(): number;
  stop(): Promise<void>;
}

export async function startTwins(opts: { tablestore?: boolean; asmUpdateDelayMs?: number; startupDelay?: string } = {}): Promise<Twins> {
  const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-rel-'));
  const raw = parseYaml(readFileSync('lab/topology/bookinfo.yaml', 'utf8')) as { deployments: Array<Record<string, unknown>> };
  // Pods ready soon after a scale-up, so readiness waits are short but real.
  for (const d of raw.deployments) d.startupDelay = opts.startupDelay ?? '1s';
  const topology = topologySchema.parse(raw);
  const controlPlane = await startLabControlPlane({
    clusters: topology.regions.flatMap((r) => r.clusters.map((c) => c.name)),
    token: 'rel-k8s-token',
    ...AK,
    meshId: 'bookinfo-mesh',
    regionId: 'cn-hangzhou',
    asmUpdateDelayMs: opts.asmUpdateDelayMs ?? 200,
  });
  seed(controlPlane, topology, { consecutive5xxErrors: 5, interval: '5s', baseEjectionTime: '30s', maxEjectionPercent: 100 });
  let tablestore: TablestoreTwin | null = null;
  if (opts.tablestore) {
    tablestore = await startTablestoreTwin({
      accessKeyId: AK.accessKeyId,
      accessKeySecret: AK.accessKeySecret,
      securityToken: AK.securityToken,
      instance: TS_INSTANCE,
    });
    const client = new TableStore.Client({
      accessKeyId: AK.accessKeyId,
      secretAccessKey: AK.accessKeySecret,
      stsToken: AK.securityToken,
      endpoint: tablestore.endpoint,
      instancename: TS_INSTANCE,
      maxRetries: 0,
    });
    await ensureStateTables(client, stateTableNames(undefined), { waitReadyMs: 10_000 });
  }
  return {
    dir,
    controlPlane,
    tablestore,
    env(o = {}) {
      const state = o.state ?? 'sqlite';
      return {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        REGIONSHIFT_STATE: state,
        REGIONSHIFT_SQLITE_FILE: o.sqliteFile ?? path.join(dir, 'state.db'),
        REGIONSHIFT_POLICY: withoutSchedules(labPolicyYaml('examples/bookinfo.yaml', o.policy ?? {})),
        REGIONSHIFT_ALARM_TOKEN: SECRETS.alarmToken,
        REGIONSHIFT_CONTROL_SECRET: SECRETS.controlSecret,
        REGIONSHIFT_ASM_ENDPOINT: controlPlane.asmEndpoint,
        REGIONSHIFT_CS_ENDPOINT: controlPlane.csEndpoint,
        REGIONSHIFT_LOG_FILE: path.join(dir, 'functions.log'),
        REGIONSHIFT_BUDGET_MS: String(o.budgetMs ?? 20_000),
        ALIBABA_CLOUD_ACCESS_KEY_ID: AK.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: AK.accessKeySecret,
        ALIBABA_CLOUD_SECURITY_TOKEN: AK.securityToken,
        ...(state === 'tablestore' && tablestore ? { TABLESTORE_ENDPOINT: tablestore.endpoint, TABLESTORE_INSTANCE: TS_INSTANCE } : {}),
      };
    },
    meshApplies: () => controlPlane.asm.calls.filter((c) => c.action === 'UpdateMeshFeature' && c.code === 'OK').length,
    async stop() {
      await tablestore?.stop();
      await controlPlane.stop();
    },
  };
}

/** The example policy less its schedules: the suite runs on the wall clock, and an evening shift must not change its figures by the hour. */
function withoutSchedules(policyYaml: string): string {
  const policy = parseYaml(policyYaml) as Record<string, unknown>;
  delete policy.schedules;
  return stringifyYaml(policy);
}
