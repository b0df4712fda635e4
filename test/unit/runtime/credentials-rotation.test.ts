import { readFileSync } from 'node:fs';
import TableStore from 'tablestore';
import { parse as parseYaml } from 'yaml';
import { STARTUP_DELAY_ANNOTATION } from '../../../lab/k8s/deployment-pods';
import { DEPLOYMENTS } from '../../../lab/k8s/resources';
import { topologySchema } from '../../../lab/topology/schema';
import { startLabControlPlane, type LabControlPlane } from '../../../lab/k8s/control-plane';
import { startTablestoreTwin, type TablestoreTwin } from '../../../lab/tablestore/server';
import { ensureStateTables, stateTableNames } from '../../../shared/adapters/state-tablestore-schema';
import type { FcContext } from '../../../shared/runtime/types';
import { runtimeFactory } from '../../../shared/runtime/index';
import { FakeClock } from '../../../lab/fakes';

/**
 * FC hands the function role's STS credentials to every invocation and they expire (36 h), while
 * the per-minute tick keeps an instance warm far longer. A container built at cold start must
 * sign with each invocation's credentials: checked against the ASM twin's POP signature check and
 * the Tablestore twin's, both of which stop accepting the first key once it is rotated.
 */
const FIRST = { accessKeyId: 'STS.ColdStartKey01', accessKeySecret: 'cold-start-secret-01', securityToken: 'cold-start-token-01' };
const ROTATED = { accessKeyId: 'STS.RotatedKey0002', accessKeySecret: 'rotated-secret-0002', securityToken: 'rotated-token-0002' };
const INSTANCE = 'regionshift-rotation';
const HOUR = 3_600_000;

let cp: LabControlPlane;
let tablestore: TablestoreTwin;
const clock = new FakeClock(Date.parse('2026-03-03T03:00:00Z'));

beforeAll(async () => {
  cp = await startLabControlPlane({
    clusters: ['c-hangzhou', 'c-shanghai'],
    token: 'rotation-k8s-token',
    ...FIRST,
    meshId: 'bookinfo-mesh',
    regionId: 'cn-hangzhou',
    clock,
    asmUpdateDelayMs: 1000,
  });
  const topology = topologySchema.parse(parseYaml(readFileSync('lab/topology/bookinfo.yaml', 'utf8')));
  for (const d of topology.deployments) {
    cp.store.create(d.cluster, DEPLOYMENTS, d.namespace, {
      metadata: { name: d.name, labels: { app: d.service, version: d.version }, annotations: { [STARTUP_DELAY_ANNOTATION]: '0' } },
      spec: {
        replicas: d.replicas,
        selector: { matchLabels: { app: d.service, version: d.version } },
        template: { metadata: { labels: { app: d.service, version: d.version } } },
      },
    });
  }
  tablestore = await startTablestoreTwin({ ...FIRST, instance: INSTANCE });
  const raw = new TableStore.Client({
    accessKeyId: FIRST.accessKeyId,
    secretAccessKey: FIRST.accessKeySecret,
    stsToken: FIRST.securityToken,
    endpoint: tablestore.endpoint,
    instancename: INSTANCE,
  });
  await ensureStateTables(raw, stateTableNames());
});
afterAll(async () => {
  await tablestore.stop();
  await cp.stop();
});

function context(requestId: string, credentials: typeof FIRST): FcContext {
  return {
    requestId,
    credentials,
    function: { name: 'regionshift-scheduler', handler: 'index.handler', memory: 512, timeout: 60 },
    region: 'cn-hangzhou',
    accountId: '1234567890',
  };
}

test('a container warm for 37 h signs its ASM and Tablestore calls with the rotated credentials', async () => {
  // No ALIBABA_CLOUD_* variables: the only credentials are those on the FC context.
  const env = {
    REGIONSHIFT_STATE: 'tablestore',
    TABLESTORE_ENDPOINT: tablestore.endpoint,
    TABLESTORE_INSTANCE: INSTANCE,
    REGIONSHIFT_POLICY_FILE: 'examples/bookinfo.yaml',
    REGIONSHIFT_ALARM_TOKEN: 'alarm-token-0123456789abcdef',
    REGIONSHIFT_CONTROL_SECRET: 'control-secret-0123456789abcdef',
    REGIONSHIFT_ASM_ENDPOINT: cp.asmEndpoint,
    REGIONSHIFT_CS_ENDPOINT: cp.csEndpoint,
  };
  const getRuntime = runtimeFactory(env, { clock, log: () => undefined });

  const cold = await getRuntime(context('cold-start', FIRST));
  const drill = await cold.engine.command(
    { kind: 'drill', region: 'cn-hangzhou', duration: 15 * 60_000, actor: 'test' },
    { dryRun: false },
  );
  expect(drill.plan.steps.some((s) => s.kind === 'mesh')).toBe(true);
  const before = cp.asm.calls.length;
  expect(before).toBeGreaterThan(0);
  expect(cp.asm.calls.every((c) => c.code === 'OK')).toBe(true);

  // 37 h later: the first session has expired, FC passes a new one; the twins accept only that.
  clock.advance(37 * HOUR);
  cp.authenticator.addCredential(ROTATED);
  cp.authenticator.removeCredential(FIRST.accessKeyId);
  tablestore.setCredentials(ROTATED);

  const warm = await getRuntime(context('warm-37h', ROTATED));
  const { drift } = await warm.engine.tick();
  const after = cp.asm.calls.slice(before);
  expect(after.length).toBeGreaterThan(0);
  // The twin no longer knows the first key (InvalidAccessKeyId.NotFound): OK means the rotated one signed.
  expect(after.map((c) => `${c.action} ${c.code}`)).toEqual(after.map((c) => `${c.action} OK`));
  expect(drift).toBeNull();
  expect((await warm.engine.status()).config).not.toBeNull();
});
