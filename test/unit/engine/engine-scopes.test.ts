import type { MeshConfig } from '../../../shared/core/types';
import { scopesDifference } from '../../../shared/engine/drift';
import { bookinfoPolicy, downSignal, World } from './harness';

const REVIEWS = 'reviews.default.svc.cluster.local';
const failover: MeshConfig = {
  mode: 'failover',
  localityLbSetting: {
    failover: [
      { from: 'cn-hangzhou', to: 'cn-shanghai' },
      { from: 'cn-shanghai', to: 'cn-hangzhou' },
    ],
  },
};
const hzDrained: MeshConfig = {
  mode: 'distribute',
  localityLbSetting: {
    distribute: [
      { from: 'cn-hangzhou/*', to: { 'cn-shanghai/*': 100 } },
      { from: 'cn-shanghai/*', to: { 'cn-shanghai/*': 100 } },
    ],
  },
};
const scoped = () => bookinfoPolicy({ scopes: { entry: ['productpage'], services: { productpage: {}, reviews: {} } } });

type ApplyOpts = { deadline?: number; scopes?: Record<string, MeshConfig> };

let w: World;
afterEach(() => w.cleanup());

/** Records the options of every apply (the fake keeps only the config). */
function recordOpts(world: World): ApplyOpts[] {
  const seen: ApplyOpts[] = [];
  const apply = world.mesh.apply.bind(world.mesh);
  world.mesh.apply = ((config: MeshConfig, opts?: ApplyOpts) => (seen.push(opts ?? {}), apply(config))) as typeof world.mesh.apply;
  return seen;
}

describe('engine: per-host rules of service scopes', () => {
  it("a reviews fault: the mesh step sends the default and reviews' host rule; applied and confirmed carry it", async () => {
    w = new World(scoped());
    const seen = recordOpts(w);
    const engine = w.engine();
    await w.baseline(engine);
    // The first apply already states the whole owned set: no per-host rule.
    expect(seen[0]?.scopes).toEqual({});
    w.clock.advance(10_000);
    await engine.ingest([downSignal(w.clock, { key: 'cms|reviews-5xx', service: 'reviews' })], 'alarm');
    expect(w.mesh.applied.map((a) => a.config)).toEqual([failover, failover]);
    expect(seen[1]?.scopes).toEqual({ [REVIEWS]: hzDrained });
    const { state } = await w.store.load('bookinfo');
    expect(state?.applied?.scopes?.[REVIEWS]?.config).toEqual(hzDrained);
    expect(state?.meshConfirmed?.scopes?.[REVIEWS]?.config).toEqual(hzDrained);
  });

  it('without scopes in the policy the adapter is asked no per-host rules (unchanged behaviour)', async () => {
    w = new World();
    const seen = recordOpts(w);
    await w.baseline(w.engine());
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toHaveProperty('scopes');
  });

  it('drift: an owned per-host rule removed by hand is re-applied with the whole set', async () => {
    w = new World(scoped());
    const seen = recordOpts(w);
    const engine = w.engine();
    await w.baseline(engine);
    w.clock.advance(10_000);
    await engine.ingest([downSignal(w.clock, { key: 'cms|reviews-5xx', service: 'reviews' })], 'alarm');
    w.clock.advance(60_000);
    // The adapter reports the owned per-host rules: reviews' is gone.
    const read = w.mesh.read.bind(w.mesh);
    w.mesh.read = async () => ({ ...(await read()), scopes: {} });
    expect((await engine.tick()).drift).toBe('reapplied');
    expect(seen[seen.length - 1]?.scopes).toEqual({ [REVIEWS]: hzDrained });
    const drift = (await w.store.listEvents('bookinfo', { limit: 100 })).filter((e) => e.kind === 'drift');
    expect(drift[0]?.summary).toBe(`live per-host rules differ from applied: ${REVIEWS} missing`);
    // Reported as applied: no drift on the next tick.
    w.mesh.read = async () => ({ ...(await read()), scopes: { [REVIEWS]: hzDrained } });
    w.clock.advance(60_000);
    expect((await engine.tick()).drift).toBeNull();
  });

  it('scopesDifference names hosts changed, missing and not ours', () => {
    expect(scopesDifference({ a: failover, c: failover }, { a: hzDrained, b: hzDrained })).toBe(
      'a changed, b missing, c not applied by us',
    );
    expect(scopesDifference({ a: failover }, { a: failover })).toBeNull();
  });
});
