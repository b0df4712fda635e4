import { parsePolicy } from '../../../shared/core/policy';
import type { Input, Signal, Step } from '../../../shared/core/types';
import type { AccessLogEntry } from '../../../shared/telemetry/access-log';
import { detect } from '../../../shared/telemetry/detector';
import { addEntries, emptyRow } from '../../../shared/telemetry/windows';
import { CLUSTER, HZ, S, SH, T0, policy2, signal, started } from '../core/fixtures';

/**
 * What the engine's decision does with the detector's signals: a failing version is answered
 * with its service's traffic in its region (scopes), never the whole region; a telemetry signal
 * is one voter of `detection.quorum` next to CMS.
 */

const LOGSTORES = [{ project: 'k8s-log-c-hangzhou', logstore: 'istio-access-log', cluster: CLUSTER[HZ] }];

function grayFailureSignals(telemetry: Record<string, unknown>, now: number): Signal[] {
  const t = parsePolicy({
    name: 'bookinfo',
    mesh: { backend: 'asm', meshId: 'm', apiRegion: HZ },
    regions: { [HZ]: { clusters: [{ id: CLUSTER[HZ] }] }, [SH]: { clusters: [{ id: CLUSTER[SH] }] } },
    telemetry: { logstores: LOGSTORES, ...telemetry },
  }).telemetry!;
  const row = emptyRow(t.bucket);
  const reqs = (n: number, failing: number, workload: string, service = 'reviews'): AccessLogEntry[] =>
    Array.from({ length: n }, (_, i) => ({
      direction: 'inbound',
      service,
      subset: null,
      workload,
      responseCode: i < failing ? 503 : 200,
      durationMs: 5,
      startMs: now,
      responseFlags: null,
    }));
  addEntries(
    row,
    HZ,
    [...reqs(300, 90, 'reviews-v2'), ...reqs(300, 3, 'reviews-v1'), ...reqs(600, 6, 'productpage-v1', 'productpage')],
    now,
    t.window,
  );
  addEntries(row, SH, [...reqs(600, 6, 'reviews-v1'), ...reqs(600, 6, 'productpage-v1', 'productpage')], now, t.window);
  return detect(row, t, now).signals;
}

const input = (s: Signal): Input => ({ kind: 'signal', signal: s });
const meshSteps = (steps: Step[]) => steps.filter((s): s is Extract<Step, { kind: 'mesh' }> => s.kind === 'mesh');

test('gray failure with service scopes: reviews in cn-hangzhou is degraded and moved, cn-hangzhou itself and its other services stay', () => {
  const policy = policy2({
    scopes: { entry: ['productpage'], services: { productpage: {}, reviews: {} } },
    telemetry: { logstores: LOGSTORES },
  });
  const d = started(policy);
  const now = T0 + 10 * S;
  const signals = grayFailureSignals({ threshold: 20 }, now);
  expect(signals.map((s) => [s.key, s.service])).toEqual([['telemetry|cn-hangzhou|reviews|reviews-v2', 'reviews']]);
  const decision = d.feed(now, input(signals[0]!));
  expect(d.state?.health[HZ]?.status).toBe('HEALTHY');
  expect(d.state?.serviceHealth?.[HZ]?.reviews?.status).toBe('DEGRADED');
  expect(d.state?.serviceHealth?.[HZ]?.productpage?.status).toBe('HEALTHY');
  const mesh = meshSteps(decision.plan.steps);
  expect(mesh).toHaveLength(1);
  // Only reviews' host moves: the default matrix (every other host) is still the identity.
  expect(JSON.stringify(mesh[0])).toContain('reviews');
  expect(d.state?.applied?.matrix).toEqual({ [HZ]: { [HZ]: 100 }, [SH]: { [SH]: 100 } });
});

test('quorum across sources: a telemetry `down` alone does not make a region DOWN under quorum 2; with a CMS alarm it does', () => {
  const policy = policy2({ detection: { quorum: 2 }, telemetry: { logstores: LOGSTORES, severity: 'down' } });
  const now = T0 + 10 * S;
  const [tele] = grayFailureSignals({ severity: 'down' }, now).filter((s) => s.key.endsWith('|*'));
  expect(tele).toMatchObject({ region: HZ, severity: 'down', source: 'telemetry' });
  const d = started(policy);
  d.feed(now, input({ ...tele!, service: undefined } as Signal));
  expect(d.state?.health[HZ]?.status).not.toBe('DOWN');
  d.feed(now + S, input(signal('cms-reviews-5xx', HZ, 'down', 'firing')));
  expect(d.state?.health[HZ]?.status).toBe('DOWN');
});
