import { bookinfoPolicy, downSignal, World } from './harness';

/**
 * Status of service scopes from the real engine: a reviews fault drains reviews' host only, the
 * mesh step confirms it, and status shows the scope confirmed and the default untouched. It needs
 * the scopes policy schema, decide and executor (built on their own branch): it passes once those
 * are merged in.
 */

const REVIEWS = 'reviews.default.svc.cluster.local';
const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';

let w: World;
afterEach(() => w.cleanup());

test("a reviews fault: status lists reviews' host intended and confirmed, not shifting; the default stays local", async () => {
  w = new World(bookinfoPolicy({ scopes: { entry: ['productpage'], services: { productpage: {}, reviews: {} } } }));
  const engine = w.engine();
  await w.baseline(engine);
  expect(await engine.status()).not.toHaveProperty('scopes');
  w.clock.advance(10_000);
  await engine.ingest([downSignal(w.clock, { key: 'cms|reviews-5xx', service: 'reviews' })], 'alarm');
  const status = await engine.status();
  const drained = { [HZ]: { [SH]: 100 }, [SH]: { [SH]: 100 } };
  expect(status.scopes).toEqual({
    [REVIEWS]: { intended: { matrix: drained, mode: 'distribute' }, confirmed: { matrix: drained, mode: 'distribute' }, shifting: false },
  });
  expect(status.matrix).toEqual({ [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } });
  expect(status.health[HZ]?.status).toBe('HEALTHY');
  expect(status.serviceHealth?.[HZ]?.reviews?.status).toBe('DOWN');
  expect(status.shifting).toBe(false);
});
