import { LabDataPlane } from '../../../lab/dataplane/engine';
import { FaultBook } from '../../../lab/dataplane/faults';
import { AccessLogWriter } from '../../../lab/dataplane/access-log';
import { loadDefaultTopology } from '../../../lab/topology/schema';
import { SlsTwin } from '../../../lab/sls/sls-twin';
import { isServerError, parseAccessLogEntry, type AccessLogEntry } from '../../../shared/telemetry/access-log';
import { InMemoryRoutingConfig } from './support/in-memory-config';
import { ManualClock } from './support/manual-clock';
import { keepLocalPolicy, T0 } from './support/lab-fixture';

const CLUSTERS = {
  'c-hangzhou': { project: 'k8s-log-c-hangzhou', logstore: 'access-log' },
  'c-shanghai': { project: 'k8s-log-c-shanghai', logstore: 'access-log' },
} as const;

function world(withLog: boolean, seed = 7) {
  const topology = loadDefaultTopology();
  const config = InMemoryRoutingConfig.forTopology(topology);
  config.setPolicyEverywhere(topology, keepLocalPolicy);
  const clock = new ManualClock(T0);
  const faults = new FaultBook(clock);
  const twin = new SlsTwin({
    clock,
    credentials: { accessKeyId: 'k', accessKeySecret: 's' },
    projects: Object.fromEntries(
      Object.entries(CLUSTERS).map(([c, v]) => [v.project, { region: c.replace('c-', 'cn-'), logstores: { [v.logstore]: { shards: 2 } } }]),
    ),
  });
  const accessLog = withLog
    ? new AccessLogWriter({ sink: twin, logstoreOf: (cluster) => CLUSTERS[cluster as keyof typeof CLUSTERS] })
    : undefined;
  const dataPlane = new LabDataPlane({ topology, config, clock, faults, seed, ...(accessLog ? { accessLog } : {}) });
  return { topology, config, clock, faults, twin, accessLog, dataPlane };
}

/** Everything a Logstore holds, parsed with the reader's own parser (every entry must parse). */
function entries(twin: SlsTwin, cluster: keyof typeof CLUSTERS): Array<AccessLogEntry & { pod: string }> {
  const { project, logstore } = CLUSTERS[cluster];
  const out: Array<AccessLogEntry & { pod: string }> = [];
  for (let s = 0; s < twin.shardCount(project, logstore); s++) {
    for (const g of twin.pull(project, logstore, s, twin.cursor(project, logstore, s, 'begin'), 1000).groups) {
      const tags = g.tags.map(([key, value]) => ({ key, value }));
      for (const log of g.logs) {
        const parsed = parseAccessLogEntry(
          log.contents.map(([key, value]) => ({ key, value })),
          tags,
        );
        if (!parsed.ok) throw new Error(`an entry the reader refuses: ${parsed.reason}`);
        out.push({ ...parsed.entry, pod: tags.find((t) => t.key === '__tag__:_pod_name_')?.value ?? '' });
      }
    }
  }
  return out;
}

test('every hop is logged twice, by the caller (outbound, its cluster) and the serving pod (inbound, its cluster), in groups per pod', () => {
  const w = world(true);
  const r = w.dataPlane.send('gw-hangzhou', 200);
  const hz = entries(w.twin, 'c-hangzhou');
  const sh = entries(w.twin, 'c-shanghai');
  // keep-local: everything hangzhou's gateway sends stays in c-hangzhou.
  expect(sh).toHaveLength(0);
  const hops = Object.values(r.served).reduce((a, b) => a + b, 0);
  expect(hz.filter((e) => e.direction === 'inbound')).toHaveLength(hops);
  expect(hz.filter((e) => e.direction === 'outbound')).toHaveLength(hops);
  // The gateway's own entries: outbound to productpage from the ingress gateway's pod.
  expect(hz.filter((e) => e.workload === 'istio-ingressgateway' && e.direction === 'outbound' && e.service === 'productpage')).toHaveLength(
    200,
  );
  // Inbound entries name the serving workload (pod name → Deployment), so the version shows.
  expect(new Set(hz.filter((e) => e.direction === 'inbound' && e.service === 'reviews').map((e) => e.workload))).toEqual(
    new Set(['reviews-v1']),
  );
  expect(w.accessLog!.groups).toBeLessThan(w.accessLog!.entries / 10);
  // Start times are the batch's, on the lab clock.
  expect(new Set(hz.map((e) => e.startMs))).toEqual(new Set([T0]));
});

test("a 30% error-rate fault on one version shows as that workload's 5xx share in its cluster's Logstore", () => {
  const w = world(true);
  w.faults.inject({ kind: 'error-rate', region: 'cn-hangzhou', service: 'reviews', version: 'v1', rate: 0.3 });
  w.dataPlane.send('gw-hangzhou', 1500);
  w.dataPlane.send('gw-shanghai', 500);
  const hz = entries(w.twin, 'c-hangzhou');
  const sh = entries(w.twin, 'c-shanghai');
  const inboundReviews = (list: AccessLogEntry[]) => list.filter((e) => e.direction === 'inbound' && e.service === 'reviews');
  const share = (list: AccessLogEntry[]) => list.filter((e) => isServerError(e.responseCode)).length / list.length;
  expect(share(inboundReviews(hz))).toBeGreaterThan(0.26);
  expect(share(inboundReviews(hz))).toBeLessThan(0.34);
  expect(share(inboundReviews(sh))).toBe(0);
  // The caller's side sees the same failures on its outbound entries to reviews.
  const outbound = hz.filter((e) => e.direction === 'outbound' && e.service === 'reviews');
  expect(share(outbound)).toBeCloseTo(share(inboundReviews(hz)), 5);
});

test('no healthy upstream is logged by the caller only, 503 with UH', () => {
  const w = world(true);
  w.config.setReplicas('c-hangzhou', 'reviews-v1', 0, 0);
  w.dataPlane.send('gw-hangzhou', 10);
  const out = entries(w.twin, 'c-hangzhou').filter((e) => e.service === 'reviews');
  expect(out.length).toBe(10);
  expect(out.every((e) => e.direction === 'outbound' && e.responseCode === 503 && e.responseFlags === 'UH')).toBe(true);
});

test('writing access logs changes nothing the data plane decides (same seed, same outcome)', () => {
  const a = world(false, 11);
  const b = world(true, 11);
  for (const w of [a, b]) w.faults.inject({ kind: 'error-rate', region: 'cn-hangzhou', service: 'reviews', rate: 0.2 });
  const ra = a.dataPlane.send('gw-hangzhou', 500);
  const rb = b.dataPlane.send('gw-hangzhou', 500);
  expect(rb).toEqual(ra);
});
