import { FaultBook, faultTargetProblems, type FaultEvent } from '../../../lab/dataplane/faults';
import { loadDefaultTopology } from '../../../lab/topology/schema';
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
    book.subscribe(() => { throw new Error('host is busy'); });
    const unsubscribe = book.subscribe((e) => heard.push([e.type, e.fault.id]));

    const a = book.inject({ kind: 'latency', region: 'cn-hangzhou', latencyMs: 50, duration: '1m' });
    const b = book.inject({ kind: 'region-down', region: 'cn-hangzhou', service: 'reviews' });
    expect([a.id, b.id]).toEqual(['flt-0001', 'flt-0002']);
    expect(a).toEqual({ id: 'flt-0001', kind: 'latency', region: 'cn-hangzhou', service: null, version: null, rate: null, latencyMs: 50, createdAt: T, expiresAt: T + 60_000 });

    await clock.advance(59_999);
    expect(book.list().map((f) => f.id)).toEqual(['flt-0001', 'flt-0002']);
    await clock.advance(1);
    expect(book.list().map((f) => f.id)).toEqual(['flt-0002']);
    expect(book.effectOn('cn-hangzhou', 'details', 'v1').addedLatencyMs).toBe(0);
    expect(book.delete('flt-0001')).toBeNull();
    unsubscribe();
    book.delete(b.id);

    expect(heard).toEqual([['injected', 'flt-0001'], ['injected', 'flt-0002'], ['expired', 'flt-0001']]);
    expect(failures).toEqual([['host is busy', 'injected'], ['host is busy', 'injected'], ['host is busy', 'expired'], ['host is busy', 'deleted']]);
  });

  test('targets are checked against the topology, each problem naming its field', () => {
    const topology = loadDefaultTopology();
    expect(faultTargetProblems(topology, { kind: 'region-down', region: 'cn-hangzhou', service: 'reviews', version: 'v2' })).toEqual([]);
    expect(faultTargetProblems(topology, { kind: 'region-down', region: 'us-east-1', service: 'cart' })).toEqual([
      'region: unknown region us-east-1',
      'service: unknown service cart',
    ]);
    expect(faultTargetProblems(topology, { kind: 'region-down', region: 'cn-hangzhou', service: 'reviews', version: 'v4' })).toEqual(['version: reviews has no version v4']);
  });
});
