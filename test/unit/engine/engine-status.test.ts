import { identityMatrix } from '../../../shared/core/matrix';
import type { MeshConfig } from '../../../shared/core/types';
import type { LiveMeshConfig, MeshControl } from '../../../shared/ports/mesh-control';
import { downSignal, World } from './harness';

let w: World;
beforeEach(() => {
  w = new World();
});
afterEach(() => w.cleanup());

const REGIONS = ['cn-hangzhou', 'cn-shanghai'];
const identity = identityMatrix(REGIONS);
const hzDrained = { 'cn-hangzhou': { 'cn-shanghai': 100 }, 'cn-shanghai': { 'cn-shanghai': 100 } };

/** The fake mesh behind a gate: an apply is held (as ASM holds it in `updating`) until the test opens it. */
class GatedMesh implements MeshControl {
  private open: (() => void) | null = null;
  private enteredResolve: (() => void) | null = null;
  entered: Promise<void> = Promise.resolve();
  constructor(private readonly inner: MeshControl) {}

  hold(): void {
    this.entered = new Promise((resolve) => (this.enteredResolve = resolve));
  }

  release(): void {
    this.open?.();
    this.open = null;
  }

  read(): Promise<LiveMeshConfig> {
    return this.inner.read();
  }

  async apply(config: MeshConfig): Promise<void> {
    if (this.enteredResolve) {
      const gate = new Promise<void>((resolve) => (this.open = resolve));
      this.enteredResolve();
      this.enteredResolve = null;
      await gate;
    }
    await this.inner.apply(config);
  }
}

describe('status: what the mesh has, apart from what was decided', () => {
  it('between the commit and the mesh step it says shifting and keeps the old matrix as live; once the mesh step returns, the drain is live', async () => {
    const gated = new GatedMesh(w.mesh);
    const engine = w.engine({ meshControl: gated });
    await w.baseline(engine);
    const baselinePlan = (await engine.status()).confirmed?.planId;
    expect(await engine.status()).toMatchObject({
      matrix: identity,
      shifting: false,
      intended: { matrix: identity },
      confirmed: { matrix: identity },
    });

    w.clock.advance(60_000);
    gated.hold();
    const ingest = engine.ingest([downSignal(w.clock)], 'alarm');
    await gated.entered;
    // Committed (the drain is decided) but the mesh has not confirmed it.
    const during = await engine.status();
    expect(during.intended?.matrix).toEqual(hzDrained);
    expect(during.intended?.config.mode).toBe('distribute');
    expect(during).toMatchObject({
      shifting: true,
      matrix: identity,
      config: { mode: 'failover' },
      confirmed: { matrix: identity, planId: baselinePlan },
    });

    gated.release();
    const [out] = await ingest;
    const after = await engine.status();
    expect(after).toMatchObject({
      shifting: false,
      matrix: hzDrained,
      config: { mode: 'distribute' },
      confirmed: { matrix: hzDrained, planId: out?.plan.id, at: new Date(w.clock.now()).toISOString() },
    });
  });

  it('a mesh step still failing at the end of the budget leaves it shifting; the tick that gets it through confirms it', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    w.clock.advance(60_000);
    w.mesh.failNext(1_000, 'throttle');
    const [out] = await engine.ingest([downSignal(w.clock)], 'alarm');
    expect(await engine.status()).toMatchObject({ shifting: true, matrix: identity, intended: { matrix: hzDrained } });

    w.mesh.recover();
    w.clock.advance(60_000);
    await engine.tick();
    expect(await engine.status()).toMatchObject({ shifting: false, matrix: hzDrained, confirmed: { planId: out?.plan.id } });
  });

  it('a state row from before confirmations were kept reads as shifting until the drift check reads the mesh back', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    const { state, version } = await w.store.load('bookinfo');
    const { meshConfirmed: _dropped, lastRefusals: _alsoDropped, ...older } = state!;
    await w.store.commit('bookinfo', version, older, null, []);
    expect(await engine.status()).toMatchObject({
      shifting: true,
      matrix: null,
      config: null,
      confirmed: null,
      intended: { matrix: identity },
    });

    w.clock.advance(60_000);
    await engine.tick();
    expect(await engine.status()).toMatchObject({ shifting: false, matrix: identity, confirmed: { matrix: identity, planId: null } });
    // Nothing was re-sent: the mesh already had it.
    expect(w.mesh.applied).toHaveLength(1);
  });
});

describe('status: the latest refusals stay until a decision changes them', () => {
  it('a refusal is still shown after 25 unmatched alarms', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    await engine.command({ kind: 'pause', reason: 'change freeze', actor: 'alice' }, { dryRun: false });
    w.clock.advance(60_000);
    const refusedAt = w.clock.now();
    await engine.ingest([downSignal(w.clock)], 'alarm');
    for (let i = 0; i < 25; i++) {
      w.clock.advance(1_000);
      await engine.recordUnmatched('cms', `alarm disk-full-${i} (firing) produced no signal`, { i });
    }
    expect((await engine.history({ limit: 20 })).every((e) => e.kind === 'raw')).toBe(true);

    const status = await engine.status();
    expect(status.refused.map((r) => r.rule)).toEqual(['paused']);
    expect(status.refusedSince).toEqual({ at: new Date(refusedAt).toISOString(), trigger: 'signal cms|hz-5xx firing' });
    // The mesh was not touched, and status says so.
    expect(status).toMatchObject({ matrix: identity, shifting: false });
  });

  it('the same refusal on later ticks keeps its time and writes nothing; the decision that refuses nothing clears it', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    await engine.command({ kind: 'pause', actor: 'alice' }, { dryRun: false });
    w.clock.advance(60_000);
    await engine.ingest([downSignal(w.clock)], 'alarm');
    const first = await engine.status();
    const { version } = await w.store.load('bookinfo');

    w.clock.advance(60_000);
    await engine.tick();
    expect((await engine.status()).refusedSince).toEqual(first.refusedSince);
    expect((await w.store.load('bookinfo')).version).toBe(version);

    w.clock.advance(60_000);
    await engine.command({ kind: 'resume', actor: 'alice' }, { dryRun: false });
    const resumed = await engine.status();
    expect(resumed.refused).toEqual([]);
    expect(resumed.refusedSince).toBeNull();
    expect(resumed).toMatchObject({ matrix: hzDrained, shifting: false });
  });

  it('a command refused outright changes nothing, refusals kept included', async () => {
    const engine = w.engine();
    await w.baseline(engine);
    const before = await w.store.load('bookinfo');
    const out = await engine.command({ kind: 'clearOverride', id: 'ovr-nope', actor: 'alice' }, { dryRun: false });
    expect(out.plan.refused).not.toEqual([]);
    expect(out.committed).toBe(false);
    expect(await w.store.load('bookinfo')).toEqual(before);
    expect((await engine.status()).refused).toEqual([]);
  });
});
