import type { Lab } from '../../lab/world';
import { DEPLOYMENTS } from '../../lab/k8s/resources';
import { STARTUP_DELAY_ANNOTATION } from '../../lab/k8s/deployment-pods';
import type { FaultSpec } from '../../lab/dataplane/faults';

/**
 * The incidents: each a script of faults over simulated time, run the same way against every
 * strategy. Offsets are ms from the start of the run; every run begins with a warm-up so the
 * baseline (share served locally) is measured before anything goes wrong.
 */

export const REGION = 'cn-hangzhou';
const SERVICES = ['productpage', 'details', 'reviews', 'ratings'];
const MIN = 60_000;
export const WARMUP_MS = 2 * MIN;
/**
 * Faults start 5 s into a 10-s alarm period (the lab's CMS rules evaluate on 10-s boundaries):
 * the average phase, neither the best nor the worst case for alarm-driven strategies.
 */
export const FAULT_AT_MS = WARMUP_MS + 5_000;
/** A weekday at 11:00 in Shanghai: outside the example policy's evening shift (22:00 Shanghai). */
export const DEFAULT_START = Date.parse('2026-11-03T03:00:00Z');

export interface IncidentContext {
  lab: Lab;
  /** Ids of the faults this script injected, by its own label. */
  faults: Map<string, string[]>;
  /** A CMS callback that no real fault stands behind (the false alarm): to the alarm function and the on-call's pager. */
  falseAlarm(state: 'ALERT' | 'OK'): Promise<void>;
}

export interface IncidentEvent {
  at: number;
  run(ctx: IncidentContext): void | Promise<void>;
}

export interface Incident {
  id: string;
  title: string;
  /** What the script does, for the report. */
  script: string;
  start: number;
  faultStart: number;
  /** When the last fault clears (null: it outlasts the run). */
  faultEnd: number | null;
  runMs: number;
  events: IncidentEvent[];
}

function inject(label: string, specs: FaultSpec[]): IncidentEvent['run'] {
  return ({ lab, faults }) => {
    faults.set(label, specs.map((s) => lab.faults.inject(s).id));
  };
}

function clear(label: string): IncidentEvent['run'] {
  return ({ lab, faults }) => {
    for (const id of faults.get(label) ?? []) lab.faults.delete(id);
    faults.delete(label);
  };
}

/** Every service of the region down, the ingress (SLB + ingress gateway) still answering. */
const regionDown: FaultSpec[] = SERVICES.map((service) => ({ kind: 'region-down', region: REGION, service }));

function setReplicasInRegion(lab: Lab, factor: number): void {
  for (const d of lab.topology.deployments.filter((x) => lab.topology.regions.some((r) => r.name === REGION && r.clusters.some((c) => c.name === x.cluster)))) {
    lab.controlPlane.store.update(d.cluster, DEPLOYMENTS, d.namespace, d.name, (cur) => ({ ...cur, spec: { ...(cur.spec as object), replicas: Math.max(0, Math.round(d.replicas * factor)) } }));
  }
}

export interface IncidentTiming {
  /** How long a single fault lasts. */
  faultMs: number;
  /** How long the run goes on after the fault clears (on-call gives back 30 min after the alarm clears). */
  tailMs: number;
}

export const FULL_TIMING: IncidentTiming = { faultMs: 10 * MIN, tailMs: 36 * MIN };
export const QUICK_TIMING: IncidentTiming = { faultMs: 3 * MIN, tailMs: 6 * MIN };

export function incidents(timing: IncidentTiming): Incident[] {
  const W = FAULT_AT_MS;
  const F = timing.faultMs;
  const simple = (id: string, title: string, script: string, specs: FaultSpec[]): Incident => ({
    id, title, script, start: DEFAULT_START, faultStart: W, faultEnd: W + F, runMs: W + F + timing.tailMs,
    events: [{ at: W, run: inject(id, specs) }, { at: W + F, run: clear(id) }],
  });
  const flapDown = 2 * MIN;
  const flapUp = MIN;
  const flaps = 5;
  const flapEnd = W + flaps * (flapDown + flapUp) - flapUp;
  const slowStart: Incident = {
    ...simple('slow-start', 'Recovery with slow pod start (90 s)', `reviews scaled to zero in ${REGION} for ${F / MIN} min; the pods it scales back take 90 s to be ready`, [{ kind: 'scale-to-zero', region: REGION, service: 'reviews' }]),
  };
  slowStart.events.unshift({
    at: W,
    run: ({ lab }) => {
      // Annotated before the scale-down: the pods started on recovery take 90 s (the lab's startup model).
      for (const d of lab.topology.deployments.filter((x) => x.service === 'reviews' && x.cluster === 'c-hangzhou')) {
        lab.controlPlane.store.update(d.cluster, DEPLOYMENTS, d.namespace, d.name, (cur) => ({ ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [STARTUP_DELAY_ANNOTATION]: '90000' } } }));
      }
    },
  });
  const shiftStart = Date.parse('2026-11-03T14:00:00Z'); // 22:00 in Shanghai: the example's evening-shift
  return [
    simple('hard-down', 'Hard region down (every service)', `every service of ${REGION} answers 503 for ${F / MIN} min (its ingress still up)`, regionDown),
    simple('service-down', 'One service down (reviews)', `reviews in ${REGION} answers 503 for ${F / MIN} min`, [{ kind: 'region-down', region: REGION, service: 'reviews' }]),
    simple('partial-5xx', 'Partial 5xx (30% on reviews-v1)', `reviews-v1 in ${REGION} answers 500 to 30% of requests for ${F / MIN} min`, [{ kind: 'error-rate', region: REGION, service: 'reviews', version: 'v1', rate: 0.3 }]),
    simple('latency', 'Latency (+800 ms on reviews)', `reviews in ${REGION} answers 800 ms slower for ${F / MIN} min`, [{ kind: 'latency', region: REGION, service: 'reviews', latencyMs: 800 }]),
    {
      id: 'flapping', title: 'Flapping (down 2 min / up 1 min, five times)', script: `every service of ${REGION} down 2 min, up 1 min, five times`,
      start: DEFAULT_START, faultStart: W, faultEnd: flapEnd, runMs: flapEnd + timing.tailMs,
      events: Array.from({ length: flaps }, (_, i) => [
        { at: W + i * (flapDown + flapUp), run: inject('flap', regionDown) },
        { at: W + i * (flapDown + flapUp) + flapDown, run: clear('flap') },
      ]).flat(),
    },
    {
      id: 'capacity-half', title: "Half of a region's pods lost (capacity)", script: `every Deployment of ${REGION} drops to half its replicas for ${F / MIN} min, then back`,
      start: DEFAULT_START, faultStart: W, faultEnd: W + F, runMs: W + F + timing.tailMs,
      events: [{ at: W, run: ({ lab }) => setReplicasInRegion(lab, 0.5) }, { at: W + F, run: ({ lab }) => setReplicasInRegion(lab, 1) }],
    },
    simple('scale-to-zero', 'Scale-to-zero (reviews)', `reviews in ${REGION} scaled to 0 for ${F / MIN} min, then back`, [{ kind: 'scale-to-zero', region: REGION, service: 'reviews' }]),
    slowStart,
    {
      id: 'false-alarm', title: 'False alarm (no real fault)', script: `a CRITICAL productpage-5xx alarm for ${REGION} fires with nothing wrong, and clears 5 min later`,
      start: DEFAULT_START, faultStart: W, faultEnd: W + 5 * MIN, runMs: W + 5 * MIN + timing.tailMs,
      events: [{ at: W, run: (ctx) => ctx.falseAlarm('ALERT') }, { at: W + 5 * MIN, run: (ctx) => ctx.falseAlarm('OK') }],
    },
    {
      id: 'scheduled-shift', title: 'Scheduled 90/10 shift', script: `no fault: the example policy's evening-shift (90/10 from ${REGION}) falls due 2 min into the run`,
      start: shiftStart - W, faultStart: W, faultEnd: null, runMs: W + Math.min(F, 10 * MIN) + timing.tailMs / 2,
      events: [],
    },
  ];
}

export const QUICK_INCIDENTS = ['hard-down', 'partial-5xx', 'false-alarm'];
