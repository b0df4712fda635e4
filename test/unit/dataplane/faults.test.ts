import {
  deploymentsForFault,
  FaultBook,
  faultSpecSchema,
  faultTargetProblems,
  NO_FAULT,
  type FaultEvent,
} from '../../../lab/dataplane/faults';
import { issuePaths, loadDefaultTopology, type Topology } from '../../../lab/topology/schema';
import { failoverPolicy, labFixture, T0 } from './support/lab-fixture';
import { ManualClock } from './support/manual-clock';

const T = 1_767_225_600_000;

describe('FaultBook', () => {
  test('effects combine per pod: region-down, independent error rates, summed latency; version and service narrow them', () => {
    const book = new FaultBook(new ManualClock(T));
    book.inject({ kind: 'error-rate', region: 'cn-hangzhou', rate: 0.5 });
    book.inject({ kind: 'error-rate', region: 'cn-hangzhou', service: 'reviews', rate: 0.2 });
    book.inject({ kind: 'latency', region: 'cn-hangzhou', service: 'reviews', version: 'v1', latencyMs: 100 });
    book.inject({ kind: 'latency', region: 'cn-hangzhou', latencyMs: 20 });
    book.inject({ kind: 'region-down', region: 'cn-shanghai', service: 'ratings' });

    expect(book.effectOn('cn-hangzhou', 'reviews', 'v1')).toEqual({ down: false, errorRate: 1 - 0.5 * 0.8, addedLatencyMs: 120 });
    expect(book.effectOn('cn-hangzhou', 'reviews', 'v3')).toEqual({ down: false, errorRate: 1 - 0.5 * 0.8, addedLatencyMs: 20 });
    expect(book.effectOn('cn-hangzhou', 'details', 'v1')).toEqual({ down: false, errorRate: 0.5, addedLatencyMs: 20 });
    expect(book.effectOn('cn-shanghai', 'ratings', 'v1')).toEqual({ down: true, errorRate: 0, addedLatencyMs: 0 });
    expect(book.effectOn('cn-shanghai', 'reviews', 'v2')).toEqual({ down: false, errorRate: 0, addedLatencyMs: 0 });
    expect(book.gatewayDown('cn-shanghai')).toBe(false);
  });

  test('only a region-down without a service takes the gateway down', () => {
    const book = new FaultBook(new ManualClock(T));
    const f = book.inject({ kind: 'region-down', region: 'cn-shanghai' });
    expect(book.gatewayDown('cn-shanghai')).toBe(true);
    expect(book.gatewayDown('cn-hangzhou')).toBe(false);
    book.delete(f.id);
    expect(book.gatewayDown('cn-shanghai')).toBe(false);
    expect(book.effectOn('cn-shanghai', 'reviews', 'v2').down).toBe(false);
  });

  test('ids, expiry by the clock and listener events; a throwing listener is reported and does not stop the others', async () => {
    const clock = new ManualClock(T);
    const failures: Array<[string, string]> = [];
    const book = new FaultBook(clock, (err, event) => failures.push([(err as Error).message, event.type]));
    const heard: Array<[FaultEvent['type'], string]> = [];
    book.subscribe(() => {
      throw new Error('host is busy');
    });
    const unsubscribe = book.subscribe((e) => heard.push([e.type, e.fault.id]));

    const a = book.inject({ kind: 'latency', region: 'cn-hangzhou', latencyMs: 50, duration: '1m' });
    const b = book.inject({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' });
    expect([a.id, b.id]).toEqual(['flt-0001', 'flt-0002']);
    expect(a).toEqual({
      id: 'flt-0001',
      kind: 'latency',
      region: 'cn-hangzhou',
      service: null,
      version: null,
      rate: null,
      latencyMs: 50,
      createdAt: T,
      expiresAt: T + 60_000,
    });

    await clock.advance(59_999);
    expect(book.list().map((f) => f.id)).toEqual(['flt-0001', 'flt-0002']);
    await clock.advance(1);
    expect(book.list().map((f) => f.id)).toEqual(['flt-0002']);
    expect(book.effectOn('cn-hangzhou', 'details', 'v1').addedLatencyMs).toBe(0);
    expect(book.delete('flt-0001')).toBeNull();
    unsubscribe();
    book.delete(b.id);

    expect(heard).toEqual([
      ['injected', 'flt-0001'],
      ['injected', 'flt-0002'],
      ['expired', 'flt-0001'],
    ]);
    expect(failures).toEqual([
      ['host is busy', 'injected'],
      ['host is busy', 'injected'],
      ['host is busy', 'expired'],
      ['host is busy', 'deleted'],
    ]);
  });

  test('targets are checked against the topology, each problem naming its field', () => {
    const topology = loadDefaultTopology();
    expect(faultTargetProblems(topology, { kind: 'region-down', region: 'cn-hangzhou', service: 'reviews', version: 'v2' })).toEqual([]);
    expect(faultTargetProblems(topology, { kind: 'region-down', region: 'us-east-1', service: 'cart' })).toEqual([
      'region: unknown region us-east-1',
      'service: unknown service cart',
    ]);
    expect(faultTargetProblems(topology, { kind: 'region-down', region: 'cn-hangzhou', service: 'reviews', version: 'v4' })).toEqual([
      'version: reviews has no version v4',
    ]);
  });
});

describe('control-plane-down faults', () => {
  const specProblems = (input: unknown) => {
    const r = faultSpecSchema.safeParse(input);
    return r.success ? [] : issuePaths(r.error);
  };

  test('the whole control plane of a region that need not be steered; no service, version, cluster or workload', () => {
    const topology = loadDefaultTopology();
    expect(specProblems({ kind: 'control-plane-down', region: 'cn-beijing', duration: '5m' })).toEqual([]);
    expect(faultTargetProblems(topology, { kind: 'control-plane-down', region: 'cn-beijing' })).toEqual([]);
    expect(specProblems({ kind: 'control-plane-down', region: 'cn-beijing', service: 'reviews', cluster: 'c-hangzhou' })).toEqual([
      'service: a control-plane-down fault takes the whole control plane: it names no service',
      'cluster: a control-plane-down fault takes the whole control plane: it names no cluster',
    ]);
  });

  test('the data plane keeps serving: no hop or gateway is touched, even in a steered region', () => {
    const book = new FaultBook(new ManualClock(0));
    book.inject({ kind: 'control-plane-down', region: 'cn-hangzhou' });
    expect(book.effectOn('cn-hangzhou', 'reviews', 'v1')).toEqual(NO_FAULT);
    expect(book.gatewayDown('cn-hangzhou')).toBe(false);
  });
});

describe('scale-to-zero faults', () => {
  const specProblems = (input: unknown) => {
    const r = faultSpecSchema.safeParse(input);
    return r.success ? [] : issuePaths(r.error);
  };

  test('the spec needs a service and takes neither rate nor latencyMs', () => {
    expect(specProblems({ kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'reviews', version: 'v1', duration: '2m' })).toEqual([]);
    expect(specProblems({ kind: 'scale-to-zero', region: 'cn-hangzhou' })).toEqual(['service: required for a scale-to-zero fault']);
    expect(specProblems({ kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'reviews', rate: 0.5 })).toEqual([
      'rate: only applies to error-rate faults, not scale-to-zero',
    ]);
    expect(specProblems({ kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'reviews', latencyMs: 50 })).toEqual([
      'latencyMs: only applies to latency faults, not scale-to-zero',
    ]);
  });

  test('targets must name a deployment of the region to scale', () => {
    const topology = loadDefaultTopology();
    expect(faultTargetProblems(topology, { kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'reviews' })).toEqual([]);
    expect(faultTargetProblems(topology, { kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'reviews', version: 'v2' })).toEqual([
      'version: no deployment of reviews v2 in cn-hangzhou to scale to zero',
    ]);
    expect(faultTargetProblems(topology, { kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'cart' })).toEqual([
      'service: unknown service cart',
    ]);
    // Other kinds may target a version that has no pods there (they simply match nothing).
    expect(faultTargetProblems(topology, { kind: 'region-down', region: 'cn-hangzhou', service: 'reviews', version: 'v2' })).toEqual([]);
  });

  test("deploymentsForFault names the region's deployments of the service (and version) with their topology replicas", () => {
    const base = loadDefaultTopology();
    const topology: Topology = {
      ...base,
      deployments: [
        ...base.deployments,
        {
          cluster: 'c-hangzhou',
          namespace: 'canary',
          name: 'reviews-v3',
          service: 'reviews',
          version: 'v3',
          labels: {},
          replicas: 3,
          startupDelay: 20_000,
        },
      ],
    };
    const fault = (f: { service?: string; version?: string; region?: string; kind?: 'scale-to-zero' | 'region-down' }) =>
      deploymentsForFault(topology, {
        kind: f.kind ?? 'scale-to-zero',
        region: f.region ?? 'cn-hangzhou',
        service: f.service ?? null,
        version: f.version ?? null,
      });

    expect(fault({ service: 'reviews' })).toEqual([
      { cluster: 'c-hangzhou', namespace: 'default', name: 'reviews-v1', replicas: 2 },
      { cluster: 'c-hangzhou', namespace: 'canary', name: 'reviews-v3', replicas: 3 },
    ]);
    expect(fault({ service: 'reviews', version: 'v3' })).toEqual([
      { cluster: 'c-hangzhou', namespace: 'canary', name: 'reviews-v3', replicas: 3 },
    ]);
    expect(fault({ service: 'reviews', region: 'cn-shanghai' })).toEqual([
      { cluster: 'c-shanghai', namespace: 'default', name: 'reviews-v2', replicas: 2 },
    ]);
    expect(fault({ service: 'reviews', version: 'v2' })).toEqual([]);
    expect(fault({ service: 'reviews', kind: 'region-down' })).toEqual([]);
    // The injected Fault (nulls) and the spec (absent fields) both work.
    const book = new FaultBook(new ManualClock(T0));
    expect(deploymentsForFault(topology, book.inject({ kind: 'scale-to-zero', region: 'cn-shanghai', service: 'ratings' }))).toEqual([
      { cluster: 'c-shanghai', namespace: 'default', name: 'ratings-v1', replicas: 2 },
    ]);
    expect(deploymentsForFault(topology, { kind: 'scale-to-zero', region: 'cn-shanghai', service: 'ratings' })).toHaveLength(1);
  });

  test('the data plane ignores it; a listener scaling the deployments to 0 and back moves the traffic', async () => {
    const { topology, config, clock, faults, dataPlane } = labFixture();
    config.setPolicyEverywhere(topology, failoverPolicy);
    // What the lab host does with the control plane, here on the in-memory one.
    faults.subscribe(({ type, fault }) => {
      for (const d of deploymentsForFault(topology, fault)) {
        const replicas = type === 'injected' ? 0 : d.replicas;
        config.setReplicas(d.cluster, d.name, replicas, replicas, d.namespace);
      }
    });

    faults.inject({ kind: 'scale-to-zero', region: 'cn-hangzhou', service: 'reviews', duration: '30s' });
    expect(faults.effectOn('cn-hangzhou', 'reviews', 'v1')).toEqual(NO_FAULT);
    expect(faults.gatewayDown('cn-hangzhou')).toBe(false);
    expect(config.replicas('c-hangzhou', 'default', 'reviews-v1')).toEqual({ desired: 0, ready: 0 });
    const during = dataPlane.send('gw-hangzhou', 100);
    expect(during).toMatchObject({ ok: 100, byService: { reviews: { 'cn-shanghai': 100 } } });

    await clock.advance(30_000);
    const after = dataPlane.send('gw-hangzhou', 100);
    expect(config.replicas('c-hangzhou', 'default', 'reviews-v1')).toEqual({ desired: 2, ready: 2 });
    expect(after).toMatchObject({ ok: 100, byService: { reviews: { 'cn-hangzhou': 100 } } });
  });
});
