import { KubeconfigResolver } from '../../../shared/adapters/kubeconfig';
import { K8sClusterScaler } from '../../../shared/adapters/scaler-k8s';
import { startLabControlPlane, type LabControlPlane } from '../../../lab/k8s/control-plane';
import { Engine } from '../../../shared/engine/engine';
import { availabilitySignals, availabilityTargets } from '../../../shared/core/availability';
import { initialState } from '../../../shared/core/decide';
import { CLUSTERS, createDeployment, LAB, STARTUP_DELAY_MS } from '../../contract/cluster-scaler-lab';
import { FakeClock, FakeMeshControl, RecordingNotifier } from '../../../lab/fakes';
import { bookinfoPolicy, StateFile } from './harness';

/**
 * Deployment availability read on the tick through the real Kubernetes client, against the
 * lab's Kubernetes twin over HTTP: the product's own scaler reads status.availableReplicas.
 */

const policy = bookinfoPolicy({ detection: { deploymentAvailability: {} } });
const HZ = { cluster: 'c-hangzhou', namespace: 'default', name: 'productpage-v1' };
const SH = { ...HZ, cluster: 'c-shanghai' };
const KEY_HZ = 'deploymentAvailability|k8s|c-hangzhou/default/productpage-v1';

describe('deployment availability on the scheduler tick (Kubernetes twin over HTTP)', () => {
  let cp: LabControlPlane;
  let clock: FakeClock;
  let file: StateFile;
  let engine: Engine;
  let scaler: K8sClusterScaler;
  let mesh: FakeMeshControl;

  beforeEach(async () => {
    clock = new FakeClock();
    cp = await startLabControlPlane({ ...LAB, clusters: CLUSTERS, clock });
    createDeployment(cp, HZ, 2);
    createDeployment(cp, SH, 2);
    clock.advance(STARTUP_DELAY_MS);
    const resolver = new KubeconfigResolver({
      sources: Object.fromEntries(CLUSTERS.map((id) => [id, { from: 'ack' as const, clusterId: id, endpoint: cp.csEndpoint }])),
      credentials: { accessKeyId: LAB.accessKeyId, accessKeySecret: LAB.accessKeySecret },
      clock,
    });
    scaler = new K8sClusterScaler({ kubeconfigs: resolver.provider, clock, pollIntervalMs: 500 });
    file = new StateFile();
    mesh = new FakeMeshControl({ clock });
    engine = new Engine({ policy, store: file.open(), meshControl: mesh, scaler, notifier: new RecordingNotifier(), clock, owner: 'fc-a' });
  });

  afterEach(async () => {
    await cp.stop();
    await file.cleanup();
  });

  test('all available: a steady tick ingests nothing and commits nothing', async () => {
    await engine.tick(); // the first tick applies the normal matrix
    const before = await file.open().load('bookinfo');
    const tick = await engine.tick();
    expect(tick.availability).toEqual([]);
    expect(tick.decision.committed).toBe(false);
    expect((await file.open().load('bookinfo')).version).toBe(before.version);
  });

  test('a deployment scaled to zero outside the product drains its region; back to normal it resolves', async () => {
    await engine.tick();
    await scaler.scale(HZ, 0); // what a scale-to-zero fault does: no Warning Event would say so
    const down = await engine.tick();
    expect(down.availability).toHaveLength(1);
    let { state } = await file.open().load('bookinfo');
    expect(state?.signals[KEY_HZ]).toMatchObject({
      source: 'k8s',
      rule: 'deploymentAvailability',
      region: 'cn-hangzhou',
      service: 'productpage-v1',
      severity: 'down',
      status: 'firing',
      at: clock.now(),
    });
    expect(state?.health['cn-hangzhou']?.status).toBe('DOWN');
    expect(state?.applied?.matrix).toEqual({ 'cn-hangzhou': { 'cn-shanghai': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } });
    expect(mesh.lastApplied).toBeDefined();

    // Shanghai is being scaled up by the product for the drained traffic (pods still starting):
    // that is not lost capacity. And the same hangzhou reading within half the TTL changes nothing.
    expect(await scaler.get(SH)).toEqual({ replicas: 5, readyReplicas: 2, availableReplicas: 2 });
    const steady = await engine.tick();
    expect(steady.availability).toEqual([]);
    ({ state } = await file.open().load('bookinfo'));
    expect(Object.keys(state?.signals ?? {})).toEqual([KEY_HZ]);

    await scaler.scale(HZ, 2);
    clock.advance(STARTUP_DELAY_MS);
    const back = await engine.tick();
    expect(back.availability).toHaveLength(1);
    ({ state } = await file.open().load('bookinfo'));
    expect(state?.signals).toEqual({});
  });

  test('exactly at degradedBelow (1 of 2, 50%) is not degraded; none available is down', async () => {
    await engine.tick();
    await scaler.scale(HZ, 1);
    await engine.tick();
    const { state } = await file.open().load('bookinfo');
    // 1 of 2 is 50%: not below degradedBelow (50), so healthy; below it would be degraded.
    expect(state?.signals[KEY_HZ]).toBeUndefined();
    const graded = availabilitySignals(policy, state, [{ target: availabilityTargets(policy)[0]!, available: 0 }], clock.now());
    expect(graded.signals.map((s) => s.severity)).toEqual(['down']);
  });

  test('a read that fails is not a signal: logged, and the tick goes on', async () => {
    await engine.tick();
    cp.k8s.failNext(2, 503, { verb: 'get' });
    const tick = await engine.tick();
    expect(tick.availability).toEqual([]);
  });
});

describe('availabilitySignals (pure)', () => {
  const targets = availabilityTargets(policy);
  const hz = targets.find((t) => t.region === 'cn-hangzhou')!;

  test.each([
    [2, null],
    [1, null],
    [0, 'down'],
  ] as const)('normal 2, %d available → %s', (available, severity) => {
    const out = availabilitySignals(policy, initialState(policy), [{ target: hz, available }], 1_000);
    expect(out.signals.map((s) => s.severity)).toEqual(severity ? [severity] : []);
  });

  test('degraded between the thresholds; the expected count is what the product asked, capped at normal', () => {
    const p = bookinfoPolicy({ detection: { deploymentAvailability: { downAtOrBelow: 0, degradedBelow: 75 } } });
    const state = initialState(p);
    expect(availabilitySignals(p, state, [{ target: hz, available: 1 }], 1_000).signals.map((s) => s.severity)).toEqual(['degraded']);
    // The product scaled a drained hangzhou down to 1: one available is all of it.
    state.scale['c-hangzhou/default/productpage-v1'] = { replicas: 1 };
    expect(availabilitySignals(p, state, [{ target: hz, available: 1 }], 1_000).signals).toEqual([]);
  });

  test('without the policy section nothing is read or graded', () => {
    expect(availabilityTargets(bookinfoPolicy()).length).toBe(2);
    expect(availabilitySignals(bookinfoPolicy(), null, [{ target: hz, available: 0 }], 1_000)).toEqual({ signals: [], skipped: [] });
  });
});
