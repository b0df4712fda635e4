import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { STARTUP_DELAY_ANNOTATION } from '../../../lab/k8s/deployment-pods';
import { startLabControlPlane, type LabControlPlane } from '../../../lab/k8s/control-plane';
import { DEPLOYMENTS } from '../../../lab/k8s/resources';
import { topologySchema } from '../../../lab/topology/schema';
import { AsmMeshControl } from '../../../shared/adapters/mesh-asm';
import { SqliteStateStore } from '../../../shared/adapters/state-sqlite';
import { loadPolicyYaml } from '../../../shared/core/policy';
import { renderMeshConfig } from '../../../shared/core/render';
import type { Plan, TrafficMatrix } from '../../../shared/core/types';
import { Engine } from '../../../shared/engine/engine';
import type { FcContext } from '../../../shared/runtime/types';
import { invocationDeadline, runtimeFactory } from '../../../shared/runtime/index';
import { FakeClock, FakeClusterScaler, RecordingNotifier } from '../../../lab/fakes';
import { meshState } from '../../contract/state-store.contract';

/**
 * Every wait ends by the invocation's deadline (FC's function.timeout less a margin), and by its
 * own limit (scaling.readyTimeout, mesh.updateTimeout): never by a shorter default budget. The
 * lab's twins run on a virtual clock, so a 90 s pod start takes no real time.
 */
const KEYS = { accessKeyId: 'STS.DeadlineKey001', accessKeySecret: 'deadline-secret-001', securityToken: 'deadline-token-001' };
const policyYaml = readFileSync('examples/bookinfo.yaml', 'utf8');
const policy = loadPolicyYaml(policyYaml, {});
const SHIFT: TrafficMatrix = { 'cn-hangzhou': { 'cn-shanghai': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } };
const REVIEWS_V2 = { cluster: 'c-shanghai', namespace: 'default', name: 'reviews-v2' };

let cp: LabControlPlane;
let clock: FakeClock;
let dir: string;
let store: SqliteStateStore | null = null;

async function startTwins(opts: { asmUpdateDelayMs?: number; reviewsV2StartupMs?: number } = {}): Promise<SqliteStateStore> {
  clock = new FakeClock(Date.parse('2026-03-03T03:00:00Z'));
  cp = await startLabControlPlane({
    clusters: ['c-hangzhou', 'c-shanghai'],
    token: 'deadline-k8s-token',
    ...KEYS,
    meshId: 'bookinfo-mesh',
    regionId: 'cn-hangzhou',
    clock,
    asmUpdateDelayMs: opts.asmUpdateDelayMs ?? 1000,
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
    // Existing pods are ready at once; new ones take their startup delay.
    const startup =
      d.cluster === REVIEWS_V2.cluster && d.name === REVIEWS_V2.name ? (opts.reviewsV2StartupMs ?? d.startupDelay) : d.startupDelay;
    cp.store.update(d.cluster, DEPLOYMENTS, d.namespace, d.name, (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [STARTUP_DELAY_ANNOTATION]: String(startup) } },
    }));
  }
  dir = mkdtempSync(path.join(tmpdir(), 'regionshift-deadline-'));
  store = new SqliteStateStore(path.join(dir, 'state.db'));
  return store;
}

afterEach(async () => {
  if (!store) return;
  await store.close();
  store = null;
  await cp.stop();
  rmSync(dir, { recursive: true, force: true });
});

function context(
  fn: 'regionshift-executor' | 'regionshift-scheduler' | 'regionshift-alarm',
  timeout: number,
  requestId: string,
): FcContext {
  return {
    requestId,
    credentials: KEYS,
    function: { name: fn, handler: 'index.handler', memory: 512, timeout },
    region: 'cn-hangzhou',
    accountId: '1234567890',
  };
}

function runtimes() {
  return runtimeFactory(
    {
      REGIONSHIFT_SQLITE_FILE: path.join(dir, 'state.db'),
      REGIONSHIFT_POLICY: policyYaml,
      REGIONSHIFT_ALARM_TOKEN: 'alarm-token-0123456789abcdef',
      REGIONSHIFT_CONTROL_SECRET: 'control-secret-0123456789abcdef',
      REGIONSHIFT_ASM_ENDPOINT: cp.asmEndpoint,
      REGIONSHIFT_CS_ENDPOINT: cp.csEndpoint,
    },
    { clock, store: store!, log: () => undefined },
  );
}

function readyReplicas(): number {
  const d = cp.store.get(REVIEWS_V2.cluster, DEPLOYMENTS, REVIEWS_V2.namespace, REVIEWS_V2.name) as { status?: { readyReplicas?: number } };
  return d.status?.readyReplicas ?? 0;
}

/** A committed plan: scale reviews-v2 in Shanghai 2 → 5 and wait for it, then shift Hangzhou's traffic there. */
async function commitShiftPlan(id: string): Promise<void> {
  const plan: Plan = {
    id,
    at: clock.now(),
    trigger: 'command override by test',
    reasons: ['test'],
    before: null,
    after: null,
    refused: [],
    steps: [
      {
        kind: 'scale',
        cluster: REVIEWS_V2.cluster,
        namespace: REVIEWS_V2.namespace,
        deployment: REVIEWS_V2.name,
        region: 'cn-shanghai',
        from: 2,
        to: 5,
        waitReady: true,
      },
      { kind: 'mesh', config: renderMeshConfig(SHIFT, policy), matrix: SHIFT },
    ],
  };
  await store!.commit(policy.name, 0, meshState(1), plan, []);
}

const meshUpdates = () => cp.asm.calls.filter((c) => c.action === 'UpdateMeshFeature' && c.code === 'OK');

describe('invocationDeadline', () => {
  test('function timeout less 20% (at most 10 s); REGIONSHIFT_BUDGET_MS only shortens it; 20 s with neither', () => {
    const ctx = (timeout: number) => ({ requestId: 'r', function: { name: 'f', handler: 'index.handler', memory: 512, timeout } });
    expect(invocationDeadline(1_000, ctx(600))).toBe(1_000 + 590_000);
    expect(invocationDeadline(1_000, ctx(30))).toBe(1_000 + 24_000);
    expect(invocationDeadline(1_000, ctx(600), 120_000)).toBe(1_000 + 120_000);
    expect(invocationDeadline(1_000, ctx(30), 120_000)).toBe(1_000 + 24_000);
    expect(invocationDeadline(1_000, { requestId: 'r' })).toBe(1_000 + 20_000);
  });
});

describe('readiness waits: scaling.readyTimeout and the invocation, not a 20 s default', () => {
  test('pods that take 90 s to start: the executor (600 s) shifts traffic only once all 5 replicas are ready', async () => {
    await startTwins({ reviewsV2StartupMs: 90_000 });
    await commitShiftPlan('p-90s');
    const t0 = clock.now();
    const executor = await runtimes()(context('regionshift-executor', 600, 'exec-1'));
    const record = await executor.engine.execute('p-90s');
    expect(record?.status).toBe('done');
    const [update] = meshUpdates();
    expect(update).toBeDefined();
    expect(update!.at - t0).toBeGreaterThanOrEqual(90_000);
    expect(update!.at - t0).toBeLessThan(policy.scaling.readyTimeout);
    expect(readyReplicas()).toBe(5);
  });

  test('a 60 s scheduler invocation leaves the wait pending (no shift with 2 of 5 ready); the executor finishes it', async () => {
    await startTwins({ reviewsV2StartupMs: 90_000 });
    await commitShiftPlan('p-tick');
    const t0 = clock.now();
    const getRuntime = runtimes();
    const tick = await getRuntime(context('regionshift-scheduler', 60, 'tick-1'));
    const afterTick = await tick.engine.execute('p-tick');
    expect(clock.now() - t0).toBeLessThanOrEqual(50_000 + 2_000);
    expect(meshUpdates()).toEqual([]);
    expect(readyReplicas()).toBeLessThan(5);
    expect(afterTick?.status).toBe('pending');
    expect(afterTick?.outcomes[0]).toMatchObject({ status: 'pending', error: expect.stringContaining('out of time') });
    expect(afterTick?.outcomes[1]?.status).toBe('pending');

    const executor = await getRuntime(context('regionshift-executor', 600, 'exec-2'));
    expect((await executor.engine.execute('p-tick'))?.status).toBe('done');
    expect(meshUpdates()).toHaveLength(1);
    expect(meshUpdates()[0]!.at - t0).toBeGreaterThanOrEqual(90_000);
    expect(readyReplicas()).toBe(5);
  });
});

describe('ASM apply polling ends at the invocation deadline, and the rest goes to the executor', () => {
  test('an alarm invocation (30 s) whose mesh update takes 45 s returns in time, hands the plan off, and the executor completes it', async () => {
    const store = await startTwins({ asmUpdateDelayMs: 45_000 });
    const handedOff: string[] = [];
    const start = clock.now();
    const deadline = invocationDeadline(start, context('regionshift-alarm', 30, 'alarm-1'));
    const mesh = new AsmMeshControl({
      meshId: 'bookinfo-mesh',
      endpoint: cp.asmEndpoint,
      credentials: KEYS,
      applyTimeoutMs: policy.mesh.backend === 'asm' ? policy.mesh.updateTimeout : 60_000,
      clock,
    });
    const scaler = new FakeClusterScaler(clock);
    const notifier = new RecordingNotifier();
    const engine = (owner: string, until: number, handoff?: (id: string) => Promise<void>) =>
      new Engine({
        policy,
        store,
        meshControl: mesh,
        scaler,
        notifier,
        clock,
        owner,
        budgetMs: until - clock.now(),
        deadline: until,
        ...(handoff ? { handoff } : {}),
      });

    const alarm = engine('alarm:1', deadline, async (id) => void handedOff.push(id));
    const outcome = await alarm.command({ kind: 'drill', region: 'cn-hangzhou', duration: 15 * 60_000, actor: 'test' }, { dryRun: false });
    expect(clock.now()).toBeLessThanOrEqual(deadline + 1_000);
    expect(outcome.handedOff).toBe(true);
    expect(handedOff).toEqual([outcome.plan.id]);
    const meshIndex = outcome.plan.steps.findIndex((s) => s.kind === 'mesh');
    const mid = await store.getPlan(policy.name, outcome.plan.id);
    expect(mid?.outcomes[meshIndex]?.status).toBe('pending');
    expect(notifier.sent.filter((n) => n.level === 'critical')).toEqual([]);

    const executor = engine('executor:1', clock.now() + 590_000);
    const done = await executor.execute(outcome.plan.id);
    expect(done?.outcomes[meshIndex]?.status).toBe('done');
    expect(cp.asm.servedLocalityLb()).not.toBeNull();
  });
});
