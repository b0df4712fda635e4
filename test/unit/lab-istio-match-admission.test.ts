import { serviceEntryProblems, virtualServiceProblems } from '../../lab/k8s/istio-admission';

/** The twin's validating webhook for VirtualService match entries and ServiceEntries: what Istio refuses, the twin refuses, naming the field. */
const vs = (match: unknown) => ({ hosts: ['reviews'], http: [{ match, route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] });

describe('VirtualService http[].match admission', () => {
  test('uri, headers, withoutHeaders, ignoreUriCase and the conditions Istio knows are accepted', () => {
    expect(
      virtualServiceProblems(
        vs([
          { uri: { prefix: '/api' }, ignoreUriCase: true, headers: { 'end-user': { exact: 'jason' } } },
          { withoutHeaders: { x: { regex: 'a.*' } }, authority: { exact: 'h' } },
        ]),
      ),
    ).toEqual([]);
  });

  test.each([
    [[{ url: { prefix: '/api' } }], 'spec.http[0].match[0].url: unknown field'],
    [[{ uri: { prefix: '/a', exact: '/a' } }], 'spec.http[0].match[0].uri: only one of exact, prefix, regex (got exact, prefix)'],
    [[{ uri: { contains: '/a' } }], 'spec.http[0].match[0].uri.contains: unknown field'],
    [[{ headers: { 'end-user': 'jason' } }], 'spec.http[0].match[0].headers.end-user: must be an object with exact, prefix or regex'],
    [[{ uri: { regex: '(' } }], 'spec.http[0].match[0].uri.regex: "(" is not a valid regex'],
    [{ uri: { exact: '/' } }, 'spec.http[0].match: must be a list'],
  ])('%j is refused: %s', (match, problem) => {
    expect(virtualServiceProblems(vs(match))).toContain(problem);
  });
});

describe('ServiceEntry admission', () => {
  test("the version-routing document's entry is accepted", () => {
    expect(
      serviceEntryProblems({
        hosts: ['reviews.default.global'],
        location: 'MESH_INTERNAL',
        resolution: 'DNS',
        endpoints: [{ address: 'c-shanghai', labels: { cluster: 'cluster2' }, ports: { http1: 15443 } }],
      }),
    ).toEqual([]);
  });

  test.each([
    [{ endpoints: [] }, 'spec.hosts: service entry must have at least one host'],
    [{ hosts: ['*'] }, 'spec.hosts[0]: invalid host *'],
    [{ hosts: ['a.global'], endpoints: [{ labels: {} }] }, 'spec.endpoints[0].address: address is required'],
    [{ hosts: ['a.global'], endpoints: [{ address: 'x', labels: { cluster: 2 } }] }, 'spec.endpoints[0].labels[cluster]: must be a string'],
  ])('%j is refused: %s', (spec, problem) => {
    expect(serviceEntryProblems(spec)).toContain(problem);
  });
});
