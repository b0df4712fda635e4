import { readFileSync } from 'node:fs';
import {
  ENVOY_FIELDS,
  isServerError,
  pairsToRecord,
  parseAccessLogEntry,
  parseUpstreamCluster,
  shortServiceName,
  workloadOfPod,
} from '../../../shared/telemetry/access-log';

interface Fixture {
  groups: Array<{ tags: Array<{ key: string; value: string }>; logs: Array<Record<string, string>> }>;
}
const fixture = JSON.parse(readFileSync(new URL('../../../events/sls/access-log-entries.json', import.meta.url), 'utf8')) as Fixture;
const pairs = (o: Record<string, string>) => Object.entries(o).map(([key, value]) => ({ key, value }));

describe('access-log entries as SLS hands them back', () => {
  test("ASM's documented sample (outbound, as the caller's sidecar logs it) parses: service from the upstream cluster, no subset", () => {
    const g = fixture.groups[0]!;
    expect(parseAccessLogEntry(pairs(g.logs[0]!), g.tags)).toEqual({
      ok: true,
      entry: {
        direction: 'outbound',
        service: 'httpbin',
        subset: null,
        workload: 'productpage-v1',
        responseCode: 429,
        durationMs: 0,
        startMs: Date.parse('2025-06-17T01:36:06.687Z'),
        responseFlags: 'UAEX',
      },
    });
  });

  test('an outbound entry carries the subset the route chose; an inbound one the serving workload from the collector tag', () => {
    const [caller, server] = fixture.groups;
    expect(parseAccessLogEntry(pairs(caller!.logs[1]!), caller!.tags)).toMatchObject({
      ok: true,
      entry: { direction: 'outbound', service: 'reviews', subset: 'v2', responseCode: 503, durationMs: 31 },
    });
    expect(parseAccessLogEntry(pairs(server!.logs[0]!), server!.tags)).toMatchObject({
      ok: true,
      entry: { direction: 'inbound', service: 'reviews', subset: null, workload: 'reviews-v2', responseCode: 503 },
    });
  });

  test('the pod tag is read from the contents too (older collectors), and contents win over tags', () => {
    const entry = { ...fixture.groups[2 - 1]!.logs[0]!, _pod_name_: 'reviews-v3-7dbcdcbc56-abcde' };
    expect(parseAccessLogEntry(pairs(entry), [{ key: '__tag__:_pod_name_', value: 'reviews-v1-545db77b95-zzzzz' }])).toMatchObject({
      ok: true,
      entry: { workload: 'reviews-v3' },
    });
  });

  test.each([
    [
      { [ENVOY_FIELDS.upstreamCluster]: 'outbound|9080||reviews.default.svc.cluster.local', duration: '1', start_time: 'x' },
      'response_code is missing',
    ],
    [
      { response_code: 'abc', upstream_cluster: 'outbound|9080||reviews', duration: '1', start_time: 'x' },
      'response_code must be a status code',
    ],
    [
      { response_code: '200', upstream_cluster: 'outbound|9080||reviews', duration: '-', start_time: 'x' },
      'duration must be whole milliseconds',
    ],
    [
      { response_code: '200', upstream_cluster: 'PassthroughCluster', duration: '1', start_time: 'x' },
      'upstream_cluster is not a mesh service cluster',
    ],
    [{ response_code: '200', upstream_cluster: 'inbound|9080||', duration: '1', start_time: 'x' }, 'no service'],
  ])('%j is skipped with a reason naming the field', (contents, reason) => {
    const parsed = parseAccessLogEntry(pairs(contents as Record<string, string>));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toContain(reason);
  });

  test("Istio's cluster names, old and new inbound forms, and what is not one", () => {
    expect(parseUpstreamCluster('outbound|9080|v1|reviews.default.svc.cluster.local')).toEqual({
      direction: 'outbound',
      port: 9080,
      subset: 'v1',
      host: 'reviews.default.svc.cluster.local',
    });
    expect(parseUpstreamCluster('inbound|9080||')).toEqual({ direction: 'inbound', port: 9080, subset: null, host: null });
    expect(parseUpstreamCluster('inbound|9080|http|reviews.default.svc.cluster.local')).toMatchObject({
      direction: 'inbound',
      host: 'reviews.default.svc.cluster.local',
    });
    expect(parseUpstreamCluster('BlackHoleCluster')).toBeNull();
    expect(parseUpstreamCluster('sideways|1|a|b')).toBeNull();
  });

  test('service names, workloads, server errors', () => {
    expect(shortServiceName('reviews.default.svc.cluster.local:9080')).toBe('reviews');
    expect(shortServiceName('-')).toBeNull();
    expect(workloadOfPod('reviews-v2-5d8b7c7f4-x2x9k')).toBe('reviews-v2');
    expect(workloadOfPod('web-0')).toBe('web-0');
    expect([0, 200, 404, 499, 500, 503, 599, 600].map(isServerError)).toEqual([true, false, false, false, true, true, true, false]);
    expect(
      pairsToRecord(
        [
          { key: 'a', value: '1' },
          { key: 'a', value: '2' },
        ],
        [
          { key: '__tag__:a', value: '3' },
          { key: '__tag__:b', value: '4' },
        ],
      ),
    ).toEqual({ a: '1', b: '4' });
  });
});
