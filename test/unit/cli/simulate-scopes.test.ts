import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { scopedHosts, simulate } from '../../../cli/simulate';
import { checkExpect, summarizeExpectations, type SimulationRecord } from '../../../cli/simulate-expect';
import { loadScenario } from '../../../cli/simulate-scenario';
import { decide } from '../../../shared/core/decide';
import { loadPolicyYaml, type Policy } from '../../../shared/core/policy';
import type { Decision, MeshState, ScopedRouting } from '../../../shared/core/types';

/**
 * `simulate` scenarios asserting per-scope matrices (`expect.scopes`). The decision that produces
 * scopes is the core's; here the core's decisions are given per-host routing by a wrapper from a
 * set time on, so what is tested is how simulate records and checks scopes.
 */

const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';
const REVIEWS = 'reviews.default.svc.cluster.local';
const DETAILS = 'details.default.svc.cluster.local';
const bookinfo = loadPolicyYaml(readFileSync('examples/bookinfo.yaml', 'utf8'));
/** The example policy with the contract's `scopes` (as the policy schema of service scopes reads it). */
const scopedPolicy = {
  ...bookinfo,
  scopes: {
    namespace: 'default',
    shiftAt: 'entry',
    entry: ['productpage'],
    services: { productpage: {}, reviews: { host: REVIEWS }, details: {} },
  },
} as unknown as Policy;

const START = Date.parse('2026-11-03T02:15:00Z');
const drained = { [HZ]: { [SH]: 100 }, [SH]: { [SH]: 100 } };

/** The core's decision, with reviews drained of cn-hangzhou from one minute in. */
function scopedDecide(p: Policy, state: MeshState | null, input: Parameters<typeof decide>[2], now: number): Decision {
  const d = decide(p, state, input, now);
  if (now < START + 60_000 || !d.state.applied) return d;
  const scopes: ScopedRouting = {
    [REVIEWS]: {
      matrix: drained,
      config: { mode: 'distribute', localityLbSetting: { distribute: [{ from: `${HZ}/*`, to: { [`${SH}/*`]: 100 } }] } },
    },
  };
  return { ...d, state: { ...d.state, applied: { ...d.state.applied, scopes } } };
}

const scenario = (expect2m: string) =>
  loadScenario(`start: 2026-11-03T02:15:00Z
steps:
  - at: 0s
    tick: true
    expect: { scopes: { ${REVIEWS}: default, ${DETAILS}: default }, matrix: { ${HZ}: { ${HZ}: 100 } } }
  - at: 2m
    tick: true
    expect: ${expect2m}
`);

const run = (expect2m: string, policy = scopedPolicy) => simulate(policy, scenario(expect2m), resolve('.'), { decide: scopedDecide });

describe('simulate: per-scope expectations', () => {
  test('per-scope matrices and `default` hold; the record carries the scopes (mode and matrix) only once there are any', () => {
    const records = run(
      `{ matrix: { ${HZ}: { ${HZ}: 100 }, ${SH}: { ${SH}: 100 } }, scopes: { ${REVIEWS}: { ${HZ}: { ${SH}: 100 } }, ${DETAILS}: default } }`,
    );
    expect(summarizeExpectations(records)).toEqual({ met: 2, failed: 0, failures: [] });
    expect(records[0]).not.toHaveProperty('scopes');
    expect(records.at(-1)?.scopes).toEqual({ [REVIEWS]: { mode: 'distribute', matrix: drained } });
    expect(records.at(-1)?.matrix).toEqual({ [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } });
  });

  test('a host without its own routing is checked against the default matrix it follows', () => {
    const records = run(`{ scopes: { ${DETAILS}: { ${HZ}: { ${HZ}: 100 } } } }`);
    expect(summarizeExpectations(records).failed).toBe(0);
  });

  test('a mismatch names the scope, the row and what differed', () => {
    const records = run(`{ scopes: { ${REVIEWS}: { ${HZ}: { ${HZ}: 100 } }, ${DETAILS}: { ${HZ}: { ${SH}: 100 } } } }`);
    expect(summarizeExpectations(records).failures).toEqual([
      `2026-11-03T02:17:00.000Z: scopes.${REVIEWS}.${HZ}: expected {"${HZ}":100}, got {"${SH}":100}`,
      `2026-11-03T02:17:00.000Z: scopes.${DETAILS}.${HZ}: expected {"${SH}":100}, got {"${HZ}":100} (the host follows the default: it has no routing of its own)`,
    ]);
    const own = run(`{ scopes: { ${REVIEWS}: default } }`);
    expect(summarizeExpectations(own).failures).toEqual([
      `2026-11-03T02:17:00.000Z: scopes.${REVIEWS}: expected to follow the default, got its own routing (distribute) ${HZ}: {"${SH}":100}, ${SH}: {"${SH}":100}`,
    ]);
  });

  test('checkExpect on a record built directly: several rows, zero shares ignored, the default matrix checked apart', () => {
    const rec: SimulationRecord = {
      at: '2026-11-03T02:17:00.000Z',
      input: { tick: true },
      health: {},
      mode: 'failover',
      matrix: { [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } },
      scopes: { [REVIEWS]: { mode: 'distribute', matrix: { [HZ]: { [HZ]: 50, [SH]: 50 }, [SH]: { [SH]: 100 } } } },
      localityLBConf: null,
      steps: [],
      refused: [],
      changed: true,
      explain: [],
      checked: false,
      failures: [],
    };
    expect(
      checkExpect(
        { scopes: { [REVIEWS]: { [HZ]: { [SH]: 50, [HZ]: 50 }, [SH]: { [SH]: 100, [HZ]: 0 } } }, matrix: { [HZ]: { [HZ]: 100 } } },
        rec,
      ),
    ).toEqual([]);
    expect(checkExpect({ scopes: { [REVIEWS]: { [SH]: { [HZ]: 100 } } }, matrix: { [HZ]: { [SH]: 100 } } }, rec)).toEqual([
      `matrix.${HZ}: expected {"${SH}":100}, got {"${HZ}":100}`,
      `scopes.${REVIEWS}.${SH}: expected {"${HZ}":100}, got {"${SH}":100}`,
    ]);
  });

  test('scenario errors name the key: an unknown expect key, a bad scope value, a host the policy does not scope, a policy without scopes', () => {
    expect(() => scenario(`{ scope: { ${REVIEWS}: default } }`)).toThrow(/expect.*scope/);
    expect(() => scenario(`{ scopes: { ${REVIEWS}: defaults } }`)).toThrow(
      `steps[1].expect.scopes.${REVIEWS}: must be default or a matrix { <source region>: { <region>: percent } }`,
    );
    expect(() => run(`{ scopes: { ratings.default.svc.cluster.local: default } }`)).toThrow(
      `step at 2026-11-03T02:17:00.000Z: expect.scopes.ratings.default.svc.cluster.local: not a host the policy scopes (scoped: productpage.default.svc.cluster.local, ${REVIEWS}, ${DETAILS})`,
    );
    expect(() => run(`{ changed: false }`, bookinfo)).toThrow(
      `step at 2026-11-03T02:15:00.000Z: expect.scopes.${REVIEWS}: the policy scopes no services (add scopes.services to it)`,
    );
  });

  test('scopedHosts reads the services as a map or a list, with host or namespace; an unknown shape is not checked', () => {
    expect(scopedHosts(bookinfo)).toEqual([]);
    expect(scopedHosts(scopedPolicy)).toEqual(['productpage.default.svc.cluster.local', REVIEWS, DETAILS]);
    expect(
      scopedHosts({
        ...bookinfo,
        scopes: { namespace: 'shop', services: [{ name: 'cart' }, { name: 'pay', host: 'pay.example.internal' }] },
      } as unknown as Policy),
    ).toEqual(['cart.shop.svc.cluster.local', 'pay.example.internal']);
    expect(scopedHosts({ ...bookinfo, scopes: { services: 7 } } as unknown as Policy)).toBeNull();
  });
});
