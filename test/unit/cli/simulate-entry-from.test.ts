import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { needsEntryDerivation, runSimulate, simulate as simulateWith } from '../../../cli/simulate';
import { summarizeExpectations } from '../../../cli/simulate-expect';
import { loadScenario, type Scenario } from '../../../cli/simulate-scenario';
import { entryRoutes } from '../../../shared/adapters/mesh-virtualservices';
import { loadPolicyYaml, type Policy } from '../../../shared/core/policy';

/**
 * `simulate` with policy scopes.entryFrom: the scenario gives the VirtualServices the tick's read
 * returns (or a failed read), derived by the runtime's own derivation, so the decisions are the
 * ones the deployed scheduler would take; `expect.entry` checks the derived set. The clock is the
 * scenario's (pinned start times), so these hold at any hour.
 */

const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';
const PRODUCTPAGE = 'productpage.default.svc.cluster.local';

/** examples/bookinfo-scoped.yaml with the entry derived from the Bookinfo gateway instead of named. */
const policyText = (() => {
  const p = parseYaml(readFileSync('examples/bookinfo-scoped.yaml', 'utf8')) as { scopes: Record<string, unknown> };
  delete p.scopes.entry;
  p.scopes.entryFrom = { gateways: ['default/bookinfo-gateway'] };
  return stringifyYaml(p);
})();
const policy = loadPolicyYaml(policyText);
const named = loadPolicyYaml(readFileSync('examples/bookinfo-scoped.yaml', 'utf8'));
/** simulate with the runtime's derivation handed in, as the command does. */
const simulate = (p: Policy, scenario: Scenario, dir: string) => simulateWith(p, scenario, dir, { entryRoutes });

/** ASM's Bookinfo gateway VirtualService as Istio writes it (kubectl get -o yaml, trimmed of server fields). */
const BOOKINFO_VS = `
  - apiVersion: networking.istio.io/v1
    kind: VirtualService
    metadata: { name: bookinfo, namespace: default, generation: 1, resourceVersion: "1042", uid: 5d3c2b1a-0000-4000-8000-000000000001 }
    spec:
      hosts: ["*"]
      gateways: [bookinfo-gateway]
      http:
        - match:
            - uri: { exact: /productpage }
            - uri: { prefix: /static }
          route:
            - destination: { host: productpage, port: { number: 9080 } }`;

/** The evening 90/10 schedule (22:00 Asia/Shanghai) seen from 21:58, as examples/scenarios/scoped/evening-shift-entry.yaml. */
const evening = (head: string, at2m = '') => `start: 2026-03-02T13:58:00Z
${head}
steps:
  - at: 0s
    tick: true
  - at: 2m
    tick: true${at2m}
`;

const NINETY_TEN = { [HZ]: { [HZ]: 90, [SH]: 10 }, [SH]: { [SH]: 100 } };

describe('simulate: scopes.entryFrom with the VirtualServices the read returns', () => {
  test("given the gateway's VirtualService, the evening shift applies at productpage's host; expect.entry holds", () => {
    const scenario = loadScenario(
      evening(
        `virtualServices:${BOOKINFO_VS}`,
        `
    expect:
      entry: { services: [productpage], from: [default/bookinfo], problem: null }
      scopes: { ${PRODUCTPAGE}: { ${HZ}: { ${HZ}: 90, ${SH}: 10 } } }
      matrix: { ${HZ}: { ${HZ}: 100 }, ${SH}: { ${SH}: 100 } }
      refused: []`,
      ),
    );
    const records = simulate(policy, scenario, '.');
    expect(summarizeExpectations(records)).toEqual({ met: 1, failed: 0, failures: [] });
    expect(records[0]?.entry).toEqual({ source: 'virtualservices', services: ['productpage'], from: ['default/bookinfo'], problem: null });
    expect(records.at(-1)?.scopes).toEqual({ [PRODUCTPAGE]: { mode: 'distribute', matrix: NINETY_TEN } });
    expect(records[0]?.explain.join('\n')).toContain(
      'entry services derived from default/bookinfo (gateways default/bookinfo-gateway): productpage',
    );
  });

  test('without them (as simulate was): no entry known, the shift refused, and expect.entry says so', () => {
    const records = simulate(
      policy,
      loadScenario(
        evening(
          '',
          `
    expect: { entry: { services: [productpage] } }`,
        ),
      ),
      '.',
    );
    expect(records.at(-1)?.refused.map((r) => r.rule)).toEqual(['scopes.entryFrom']);
    expect(records.at(-1)?.scopes).toBeUndefined();
    expect(summarizeExpectations(records).failures).toEqual(['2026-03-02T14:00:00.000Z: entry.services: expected productpage, got (none)']);
  });

  test("the same derivation as the runtime: a short host resolves in the VirtualService's namespace; another gateway's rule and a sidecar rule are not entry routes", () => {
    const scenario = loadScenario(
      evening(`virtualServices:
  - metadata: { name: edge, namespace: shop }
    spec: { gateways: [default/bookinfo-gateway], http: [ { route: [ { destination: { host: productpage } } ] } ] }
  - metadata: { name: other, namespace: default }
    spec: { gateways: [other-gateway], http: [ { route: [ { destination: { host: productpage } } ] } ] }
  - metadata: { name: reviews, namespace: default }
    spec: { hosts: [reviews], http: [ { route: [ { destination: { host: reviews } } ] } ] }`),
    );
    const records = simulate(policy, scenario, '.');
    // shop/edge names productpage.shop.svc.cluster.local: not a scoped host, so no entry and the shift is refused.
    expect(records.at(-1)?.entry).toEqual({
      source: 'virtualservices',
      services: [],
      from: [],
      problem:
        'the VirtualServices bound to gateways default/bookinfo-gateway route to no scoped service (hosts: productpage.shop.svc.cluster.local)',
    });
    expect(records.at(-1)?.refused.map((r) => r.rule)).toEqual(['scopes.entryFrom']);
  });

  test('entryRead: a failed read, then an empty one, keep the derived set and the shift; expect.entry.problem matches the recorded problem', () => {
    const scenario = loadScenario(`start: 2026-03-02T13:58:00Z
virtualServices:${BOOKINFO_VS}
steps:
  - at: 2m
    tick: true
    expect: { entry: { services: [productpage], problem: null } }
  - at: 3m
    tick: true
    entryRead: { error: "GET virtualservices: 403 Forbidden" }
    expect: { entry: { services: [productpage], problem: "could not read the VirtualServices of gateways default/bookinfo-gateway: GET virtualservices: 403 Forbidden" }, scopes: { ${PRODUCTPAGE}: { ${HZ}: { ${HZ}: 90, ${SH}: 10 } } } }
  - at: 4m
    tick: true
    entryRead: { virtualServices: [] }
    expect: { entry: { services: [productpage], from: [default/bookinfo], problem: "routes anywhere" }, scopes: { ${PRODUCTPAGE}: { ${HZ}: { ${HZ}: 90, ${SH}: 10 } } } }
  - at: 5m
    tick: true
    entryRead: { virtualServices: ${JSON.stringify(parseYaml(BOOKINFO_VS) as unknown[])} }
    expect: { entry: { services: [productpage], problem: null } }
`);
    const records = simulate(policy, scenario, '.');
    expect(summarizeExpectations(records)).toEqual({ met: 4, failed: 0, failures: [] });
    // A failing expectation names what was recorded.
    const wrong = loadScenario(`start: 2026-03-02T13:58:00Z
virtualServices:${BOOKINFO_VS}
steps:
  - at: 2m
    tick: true
    entryRead: { virtualServices: [] }
    expect: { entry: { services: [reviews], problem: null } }
`);
    expect(summarizeExpectations(simulate(policy, wrong, '.')).failures).toEqual([
      '2026-03-02T14:00:00.000Z: entry.services: expected reviews, got (none) (latest read not used: no VirtualService bound to gateways default/bookinfo-gateway routes anywhere)',
      '2026-03-02T14:00:00.000Z: entry.problem: expected none, got "no VirtualService bound to gateways default/bookinfo-gateway routes anywhere"',
    ]);
  });

  test('a policy naming its entry: the record shows it; expect.entry checks it; virtualServices are refused as checking nothing', () => {
    const records = simulate(
      named,
      loadScenario(
        evening(
          '',
          `
    expect: { entry: { services: [productpage] } }`,
        ),
      ),
      '.',
    );
    expect(records[0]?.entry).toEqual({ source: 'policy', services: ['productpage'] });
    expect(summarizeExpectations(records).failed).toBe(0);
    expect(() => simulate(named, loadScenario(evening(`virtualServices:${BOOKINFO_VS}`)), '.')).toThrow(
      /^virtualServices: the policy names its entry services \(scopes\.entry\), so nothing reads VirtualServices; set scopes\.entryFrom instead$/,
    );
    const unscoped = loadPolicyYaml(readFileSync('examples/bookinfo.yaml', 'utf8'));
    expect(() =>
      simulate(
        unscoped,
        loadScenario(
          evening(
            '',
            `
    expect: { entry: { services: [productpage] } }`,
          ),
        ),
        '.',
      ),
    ).toThrow(/^step at 2026-03-02T14:00:00.000Z: expect.entry: the policy scopes no services/);
  });
});

describe('simulate: the derivation is handed in', () => {
  test('needed only with an entryFrom policy and VirtualServices; without it such a scenario is refused, never run on no read', () => {
    const withVs = loadScenario(evening(`virtualServices:${BOOKINFO_VS}`));
    expect(needsEntryDerivation(policy, withVs)).toBe(true);
    expect(needsEntryDerivation(policy, loadScenario(evening('')))).toBe(false);
    expect(needsEntryDerivation(named, loadScenario(evening('')))).toBe(false);
    expect(() => simulateWith(policy, withVs, '.')).toThrow(/pass the runtime's derivation/);
  });
});

describe("simulate: the scenario's VirtualServices are validated, each problem naming its path", () => {
  const problems = (text: string): string => {
    try {
      loadScenario(text);
    } catch (e) {
      return (e as Error).message;
    }
    return '(loaded)';
  };

  test('unknown keys, a missing name, a destination without host, a misspelt top-level key, and entryRead with both shapes', () => {
    const msg = problems(`start: 2026-03-02T13:58:00Z
virtualServices:
  - metadata: { namespace: default }
    spec: { gateway: [bookinfo-gateway], http: [ { route: [ { destination: { hots: productpage } } ] } ] }
steps:
  - at: 0s
    tick: true
    entryRead: { virtualServices: [], error: boom }
    expect: { entry: { service: [productpage] } }
`);
    expect(
      msg
        .split('\n')
        .slice(1)
        .map((l) => l.trim())
        .sort(),
    ).toEqual([
      'steps[0].entryRead: give either virtualServices (what the read returns) or error (the read fails), not both',
      'steps[0].expect.entry.service: unknown field',
      'virtualServices[0].metadata.name: required',
      'virtualServices[0].spec.gateway: unknown field',
      'virtualServices[0].spec.http[0].route[0].destination.host: required',
      'virtualServices[0].spec.http[0].route[0].destination.hots: unknown field',
    ]);
    expect(problems('start: 2026-03-02T13:58:00Z\nvirtualService: []\nsteps: [ { at: 0s, tick: true } ]\n')).toBe(
      'invalid scenario:\n  virtualService: unknown field',
    );
  });

  test("an http rule's other Istio fields (match, rewrite, timeout, …) and metadata's server fields are accepted as Istio writes them", () => {
    expect(
      problems(`start: 2026-03-02T13:58:00Z
virtualServices:${BOOKINFO_VS.replace('route:', 'timeout: 5s\n          rewrite: { uri: / }\n          route:')}
steps: [ { at: 0s, tick: true } ]
`),
    ).toBe('(loaded)');
  });
});

describe('regionshift simulate (the command) with an entryFrom scenario', () => {
  test('exit 0 and the entry in each --json record when the expectations hold; exit 1 naming the failure when not', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-sim-entry-'));
    const pFile = path.join(dir, 'policy.yaml');
    writeFileSync(pFile, policyText);
    const ok = path.join(dir, 'ok.yaml');
    writeFileSync(
      ok,
      evening(
        `virtualServices:${BOOKINFO_VS}`,
        `
    expect: { entry: { services: [productpage] }, scopes: { ${PRODUCTPAGE}: { ${HZ}: { ${HZ}: 90, ${SH}: 10 } } } }`,
      ),
    );
    const out: string[] = [];
    const err: string[] = [];
    const io = { log: (s: string) => out.push(s), error: (s: string) => err.push(s) };
    expect(await runSimulate(['--policy', pFile, '--scenario', ok, '--json'], io, {})).toBe(0);
    expect(out.map((l) => (JSON.parse(l) as { entry?: unknown }).entry)).toEqual([
      { source: 'virtualservices', services: ['productpage'], from: ['default/bookinfo'], problem: null },
      { source: 'virtualservices', services: ['productpage'], from: ['default/bookinfo'], problem: null },
    ]);
    expect(err).toEqual(['expectations: 1 met, 0 failed']);

    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      evening(
        '',
        `
    expect: { entry: { services: [productpage] } }`,
      ),
    );
    out.length = 0;
    err.length = 0;
    expect(await runSimulate(['--policy', pFile, '--scenario', bad], io, {})).toBe(1);
    expect(err).toEqual([
      'expectations: 0 met, 1 failed',
      '  failed at 2026-03-02T14:00:00.000Z: entry.services: expected productpage, got (none)',
    ]);
  });
});
