import type { EntryRoute } from '../../shared/core/types';
import { bookinfoPolicy, downSignal, World } from './engine/harness';

/**
 * scopes.entryFrom in the engine: the tick reads the gateways' VirtualServices and passes them to
 * the decision; a failing read is recorded and never fails the tick; an alarm never reads them.
 */
const GATEWAY = 'default/bookinfo-gateway';
const PRODUCTPAGE = 'productpage.default.svc.cluster.local';
const policy = () => bookinfoPolicy({ scopes: { entryFrom: { gateways: [GATEWAY] }, services: { productpage: {}, reviews: {} } } });

let w: World;
afterEach(() => w.cleanup());

function reader(answer: () => EntryRoute[]) {
  const calls: Array<readonly string[]> = [];
  const read = async (gateways: readonly string[]) => {
    calls.push(gateways);
    return answer();
  };
  return { calls, read };
}

test('a tick derives the set; an alarm decides with it without reading; a failed read keeps it and the tick goes on', async () => {
  w = new World(policy());
  let fail = false;
  const r = reader(() => {
    if (fail) throw new Error('list VirtualServices failed: Network: connect ECONNREFUSED');
    return [{ host: PRODUCTPAGE, virtualService: 'default/bookinfo' }];
  });
  const engine = w.engine({ entryRoutes: r.read });
  await engine.tick();
  expect(r.calls).toEqual([[GATEWAY]]);
  expect((await w.store.load('bookinfo')).state?.entry).toMatchObject({
    services: ['productpage'],
    from: ['default/bookinfo'],
    problem: null,
  });

  w.clock.advance(10_000);
  await engine.ingest([downSignal(w.clock, { severity: 'degraded' })], 'alarm');
  expect(r.calls).toHaveLength(1);
  expect((await w.store.load('bookinfo')).state?.applied?.scopes?.[PRODUCTPAGE]?.matrix).toEqual({
    'cn-hangzhou': { 'cn-hangzhou': 50, 'cn-shanghai': 50 },
    'cn-shanghai': { 'cn-shanghai': 100 },
  });

  fail = true;
  w.clock.advance(60_000);
  const t = await engine.tick();
  expect(t.decision.committed).toBe(true);
  const { state } = await w.store.load('bookinfo');
  expect(state?.entry?.services).toEqual(['productpage']);
  expect(state?.entry?.problem?.message).toBe(
    `could not read the VirtualServices of gateways ${GATEWAY}: list VirtualServices failed: Network: connect ECONNREFUSED`,
  );
  expect(state?.applied?.scopes?.[PRODUCTPAGE]).toBeDefined();
  expect(w.log.some((l) => String(l.msg).startsWith('entry services: could not read'))).toBe(true);
  expect((await engine.status()).entry).toMatchObject({
    source: 'virtualservices',
    services: ['productpage'],
    problem: { message: expect.stringContaining('ECONNREFUSED') },
  });
});

test("a runtime without access to the mesh's Kubernetes API records why; no entry service is guessed", async () => {
  w = new World(policy());
  const engine = w.engine();
  await engine.tick();
  const { state } = await w.store.load('bookinfo');
  expect(state?.entry).toMatchObject({
    services: [],
    problem: {
      message: `could not read the VirtualServices of gateways ${GATEWAY}: this runtime has no access to the mesh's Kubernetes API`,
    },
  });
});
