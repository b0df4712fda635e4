import type { Pod } from '../../../lab/dataplane/endpoints';
import type { EndpointLayout } from '../../../lab/dataplane/locality-lb';
import { OutlierDetector, mayEject, outlierSettings } from '../../../lab/dataplane/outlier';
import { chooseHost, priorityLoad } from '../../../lab/dataplane/priority-load';
import { SeededRandom } from '../../../lab/dataplane/prng';

const T = 1_767_225_600_000;

function pod(i: number): Pod {
  return {
    id: `c/default/reviews-v1-${i}`,
    cluster: 'c',
    namespace: 'default',
    deployment: 'reviews-v1',
    service: 'reviews',
    version: 'v1',
    region: 'cn-hangzhou',
    zone: 'cn-hangzhou-h',
    labels: {},
    servedKey: 'cn-hangzhou/reviews/v1',
  };
}

function flat(pods: Pod[]): EndpointLayout {
  return { mode: 'flat', levels: [{ groups: [{ locality: 'cn-hangzhou/cn-hangzhou-h', hosts: pods, weight: null }], hosts: pods }] };
}

describe('panic threshold as Istio sets it (applyOutlierDetection: minHealthPercent → healthy_panic_threshold)', () => {
  const pods = [pod(0), pod(1), pod(2)];
  const ejected = new Set([pods[0]!.id, pods[1]!.id]);
  const healthy = (p: Pod) => !ejected.has(p.id);

  function picks(threshold: number) {
    const rand = new SeededRandom(11);
    let toEjected = 0;
    for (let i = 0; i < 3000; i++) if (ejected.has(chooseHost(flat(pods), healthy, rand, threshold)!.id)) toEjected++;
    return toEjected;
  }

  test('outlierDetection without minHealthPercent: panic off, 2 of 3 hosts ejected → all 3,000 requests go to the healthy one', () => {
    const settings = outlierSettings({ consecutive5xxErrors: 1 });
    expect(settings.panicThresholdPercent).toBe(0);
    expect(picks(settings.panicThresholdPercent)).toBe(0);
  });

  test("minHealthPercent 50 restores Envoy's panic: ~2,000 of 3,000 go to ejected hosts", () => {
    const settings = outlierSettings({ consecutive5xxErrors: 1, minHealthPercent: 50 });
    expect(settings.panicThresholdPercent).toBe(50);
    const n = picks(settings.panicThresholdPercent);
    expect(n).toBeGreaterThan(1850);
    expect(n).toBeLessThan(2150);
  });

  test("panic off and every host ejected: no host (Envoy's 503 no healthy upstream), not a panic pick", () => {
    const rand = new SeededRandom(3);
    expect(chooseHost(flat(pods), () => false, rand, 0)).toBeNull();
    expect(
      priorityLoad(
        [
          { hosts: 2, healthy: 0 },
          { hosts: 2, healthy: 0 },
        ],
        0,
      ),
    ).toEqual({ load: [100, 0], panic: [false, false] });
    // Two levels, P0 at 1 of 3 healthy: without panic P0 keeps its availability share and spills the rest.
    expect(
      priorityLoad(
        [
          { hosts: 3, healthy: 1 },
          { hosts: 2, healthy: 2 },
        ],
        0,
      ),
    ).toEqual({ load: [46, 54], panic: [false, false] });
  });
});

describe('max ejection: Envoy ejectHost, (ejected + 1) / hosts ≤ max%, always_eject_one_host unset', () => {
  test.each([
    // hosts, max%, how many of them one detector ejects when every host fails
    [1, 10, 0],
    [2, 10, 0],
    [3, 10, 0],
    [10, 10, 1],
    [1, 50, 0],
    [2, 50, 1],
    [3, 50, 1],
    [10, 50, 5],
    [1, 100, 1],
    [2, 100, 2],
    [3, 100, 3],
    [10, 100, 10],
  ])('%i hosts at maxEjectionPercent %i: %i ejected', (hosts, maxPercent, expected) => {
    const d = new OutlierDetector(outlierSettings({ consecutive5xxErrors: 1, maxEjectionPercent: maxPercent }), T);
    for (let i = 0; i < hosts; i++) d.record(`h${i}`, 503, hosts, T);
    expect(d.ejections(T)).toHaveLength(expected);
  });

  test('the arithmetic itself', () => {
    expect(mayEject(0, 1, 10)).toBe(false);
    expect(mayEject(0, 10, 10)).toBe(true);
    expect(mayEject(1, 10, 10)).toBe(false);
    expect(mayEject(1, 3, 67)).toBe(true);
    expect(mayEject(1, 3, 66)).toBe(false);
  });

  test("the documents' rule as written (no maxEjectionPercent) ejects nothing from a 4-endpoint reviews cluster", () => {
    const d = new OutlierDetector(outlierSettings({ consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '1m' }), T);
    for (let i = 0; i < 10; i++) d.record('reviews-v1-0', 503, 4, T);
    expect(d.ejections(T)).toEqual([]);
  });
});

describe('deprecated consecutiveErrors: gateway errors only, 5xx ejection off (Istio applyOutlierDetection)', () => {
  test('settings', () => {
    expect(outlierSettings({ consecutiveErrors: 3 })).toMatchObject({ consecutive5xx: 0, consecutiveGateway: 3 });
    // The newer fields, set as well, win as pilot applies them after it.
    expect(outlierSettings({ consecutiveErrors: 3, consecutive5xxErrors: 7 })).toMatchObject({ consecutive5xx: 7, consecutiveGateway: 3 });
  });

  test('500s never eject; three 502/503/504 in a row do; a 500 between them restarts the count', () => {
    const d = new OutlierDetector(outlierSettings({ consecutiveErrors: 3, maxEjectionPercent: 100 }), T);
    for (let i = 0; i < 20; i++) d.record('a', 500, 4, T);
    expect(d.isEjected('a', T)).toBe(false);
    d.record('b', 502, 4, T);
    d.record('b', 503, 4, T);
    d.record('b', 500, 4, T);
    d.record('b', 504, 4, T);
    expect(d.isEjected('b', T)).toBe(false);
    d.record('b', 503, 4, T);
    d.record('b', 502, 4, T);
    expect(d.isEjected('b', T)).toBe(true);
  });
});
