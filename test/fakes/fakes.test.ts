import { MeshRejectedError, UpstreamError } from '../../shared/core/errors';
import type { MeshConfig } from '../../shared/core/types';
import { FakeClock, FakeClusterScaler, FakeMeshControl, RecordingNotifier } from '../../lab/fakes';

const ref = { cluster: 'c-shanghai', namespace: 'default', name: 'productpage-v1' };
const config: MeshConfig = {
  mode: 'failover',
  localityLbSetting: {
    failover: [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'a' },
    ],
  },
};

describe('FakeClock', () => {
  it('concurrent sleeps overlap and wake in time order, without real waiting', async () => {
    const clock = new FakeClock(1_000);
    const woke: Array<[string, number]> = [];
    const started = Date.now();
    await Promise.all([
      clock.sleep(100).then(() => woke.push(['a', clock.now()])),
      clock.sleep(40).then(() => woke.push(['b', clock.now()])),
      clock.sleep(100).then(() => woke.push(['c', clock.now()])),
    ]);
    expect(woke).toEqual([
      ['b', 1_040],
      ['a', 1_100],
      ['c', 1_100],
    ]);
    expect(clock.sleeps).toEqual([100, 40, 100]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('advance wakes the sleepers it passes and refuses to go back', async () => {
    const clock = new FakeClock(0);
    let woke = false;
    const sleeping = clock.sleep(50).then(() => (woke = true));
    clock.advance(60);
    await sleeping;
    expect([woke, clock.now(), clock.pending]).toEqual([true, 60, 0]);
    expect(() => clock.set(10)).toThrow('backwards');
  });
});

describe('FakeMeshControl', () => {
  it('records applies in order, serves the live config, and fails the next N calls as told', async () => {
    const mesh = new FakeMeshControl();
    expect(await mesh.read()).toEqual({ enabled: false, config: null });
    mesh.failNext(1, 'throttle');
    mesh.failNext(1, 'reject');
    const throttled = await mesh.apply(config).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(UpstreamError);
    expect(throttled).toMatchObject({ code: 'Throttling.User', retryable: true });
    await expect(mesh.apply(config)).rejects.toBeInstanceOf(MeshRejectedError);
    await mesh.apply(config);
    expect(mesh.applied.map((a) => a.config)).toEqual([config]);
    expect(mesh.attempts.apply).toBe(3);
    expect(await mesh.read()).toEqual({ enabled: true, config });
    mesh.changeByHand(null, false);
    expect(await mesh.read()).toEqual({ enabled: false, config: null });
    expect(mesh.applied).toHaveLength(1);
  });

  it('an apply takes applyDelayMs on the clock', async () => {
    const clock = new FakeClock(0);
    const mesh = new FakeMeshControl({ clock, applyDelayMs: 3_000 });
    await mesh.apply(config);
    expect(mesh.applied).toEqual([{ config, at: 3_000 }]);
  });
});

describe('FakeClusterScaler', () => {
  it('new pods are ready readyDelayMs after a scale-up; waitReady polls until then or the deadline', async () => {
    const clock = new FakeClock(0);
    const scaler = new FakeClusterScaler(clock, { readyDelayMs: 30_000, deployments: { 'c-shanghai/default/productpage-v1': 2 } });
    await scaler.scale(ref, 5);
    expect(await scaler.get(ref)).toEqual({ replicas: 5, readyReplicas: 2, availableReplicas: 2 });
    expect(await scaler.waitReady(ref, 5, 10_000)).toBe(false);
    expect(clock.now()).toBe(10_000);
    expect(await scaler.waitReady(ref, 5, 60_000)).toBe(true);
    expect(clock.now()).toBe(30_000);
    await scaler.scale(ref, 1);
    expect(scaler.status(ref)).toEqual({ replicas: 1, readyReplicas: 1, availableReplicas: 1 });
    expect(scaler.scaledTo(ref)).toEqual([5, 1]);
  });

  it('fails the next N calls as told; strict mode answers 404 for unknown deployments', async () => {
    const scaler = new FakeClusterScaler(new FakeClock(0), { strict: true });
    await expect(scaler.get(ref)).rejects.toMatchObject({ code: 'K8S.NotFound', retryable: false });
    const lenient = new FakeClusterScaler(new FakeClock(0));
    lenient.failNext(1, 'throttle');
    await expect(lenient.scale(ref, 3)).rejects.toMatchObject({ code: 'Throttling.User' });
    await lenient.scale(ref, 3);
    expect(lenient.scaleCalls).toEqual([{ ref, replicas: 3, at: 0 }]);
  });
});

describe('RecordingNotifier', () => {
  it('keeps what was sent and can be down', async () => {
    const n = new RecordingNotifier();
    n.failNext(1);
    const msg = { level: 'critical' as const, title: 't', text: 'x', mesh: 'm', at: 1 };
    await expect(n.notify(msg)).rejects.toThrow('unreachable');
    await n.notify(msg);
    expect(n.sent).toEqual([msg]);
    expect(n.at('warning')).toEqual([]);
  });
});
