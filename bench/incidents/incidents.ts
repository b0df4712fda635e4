import type { Lab, LabOptions } from '../../lab/world';
import { DEPLOYMENTS } from '../../lab/k8s/resources';
import { STARTUP_DELAY_ANNOTATION } from '../../lab/k8s/deployment-pods';
import type { FaultSpec } from '../../lab/dataplane/faults';
import type { TopologyDoc } from './cms';

/**
 * The incidents: each a script of faults over simulated time, run the same way against every
 * strategy. Offsets are ms from the start of the run; every run begins with a warm-up so the
 * baseline (share served locally) is measured before anything goes wrong.
 */

export const REGION = 'cn-hangzhou';
/** The default lab's other region (lab/topology/bookinfo.yaml). */
export const OTHER_REGION = 'cn-shanghai';
const SERVICES = ['productpage', 'details', 'reviews', 'ratings'];
const MIN = 60_000;
export const WARMUP_MS = 2 * MIN;
/**
 * Faults start 35 s into a minute: 35 s into a 60-s CMS period (the documented period; rules
 * evaluate on period boundaries), 5 s past its middle, and 5 s into a 10-s period (the `@10s`
 * variant): about the average phase for both, neither the best nor the worst case for
 * alarm-driven strategies.
 */
export const FAULT_AT_MS = WARMUP_MS + 35_000;
/** A weekday at 11:00 in Shanghai: outside the example policy's evening shift (22:00 Shanghai). */
export const DEFAULT_START = Date.parse('2026-11-03T03:00:00Z');

export interface IncidentContext {
  lab: Lab;
  /** Ids of the faults this script injected, by its own label. */
  faults: Map<string, string[]>;
  /** A CMS callback that no real fault stands behind (the false alarm): to the alarm function and the on-call's pager. */
  falseAlarm(state: 'ALERT' | 'OK'): Promise<void>;
  /**
   * A CMS callback by the same path as the false alarm, for one of the lab's own 5xx rules (its
   * rule id, name, metric and level), with `curValue`. `at` is the timestamp of an earlier
   * notification it repeats (omitted: a fresh one, stamped now). A fresh callback sets the
   * on-call's pager for the rule's region; a repeat does not.
   */
  replayAlarm(ruleId: string, state: 'ALERT' | 'OK', curValue: number, at?: number): Promise<void>;
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
  /** Lab options the incident needs whatever the strategy (merged over the strategy's). */
  labOptions?: Partial<LabOptions>;
  /** A change to the lab's topology the incident needs (e.g. a second reviews version in a region). */
  topology?: (doc: TopologyDoc) => TopologyDoc;
}

function inject(label: string, specs: FaultSpec[]): IncidentEvent['run'] {
  return ({ lab, faults }) => {
    faults.set(
      label,
      specs.map((s) => lab.faults.inject(s).id),
    );
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
  for (const d of lab.topology.deployments.filter((x) =>
    lab.topology.regions.some((r) => r.name === REGION && r.clusters.some((c) => c.name === x.cluster)),
  )) {
    lab.controlPlane.store.update(d.cluster, DEPLOYMENTS, d.namespace, d.name, (cur) => ({
      ...cur,
      spec: { ...(cur.spec as object), replicas: Math.max(0, Math.round(d.replicas * factor)) },
    }));
  }
}

export interface IncidentTiming {
  /** How long a single fault lasts. */
  faultMs: number;
  /** How long the run goes on after the fault clears (on-call gives back 30 min after the alarm clears). */
  tailMs: number;
  /** How long the noise incident's background 5xx lasts (an hour in the full run). */
  noiseMs?: number;
}

/** Error-rate fault on one service of a region (the lab's `error-rate` kind: rate in (0, 1]). */
const errorRate = (region: string, service: string, rate: number, version?: string): FaultSpec => ({
  kind: 'error-rate',
  region,
  service,
  rate,
  ...(version === undefined ? {} : { version }),
});

/** Both regions' entry service (productpage) answering 5xx at once: [cn-hangzhou %, cn-shanghai %]. */
export const BOTH_DEGRADED: ReadonlyArray<readonly [number, number]> = [
  [30, 40],
  [40, 30],
  [20, 40],
  [30, 60],
  [60, 30],
];
export const bothDegradedId = (hangzhou: number, shanghai: number) => `both-degraded-${hangzhou}-${shanghai}`;

/** How often the brown-out ramp replaces its fault (the lab's faults have a fixed rate). */
export const RAMP_STEP_MS = 30_000;
/** The brown-out ramp's peak error rate. */
export const RAMP_PEAK = 0.6;

/**
 * The ramp's rate for each 30-s step: a triangle 0 → peak → 0 over `ms`, sampled at the middle of
 * each step (so no step is at 0 and the two halves mirror each other).
 */
export function rampRates(ms: number, peak = RAMP_PEAK): number[] {
  const steps = Math.round(ms / RAMP_STEP_MS);
  return Array.from({ length: steps }, (_, k) => {
    const mid = (k + 0.5) / steps;
    return Math.round(1000 * peak * (1 - Math.abs(2 * mid - 1))) / 1000;
  });
}

/** What the storm repeats: the lab's own 5xx alarms of the region as they were during the fault. */
interface Remembered {
  ruleId: string;
  at: number;
  value: number;
}
const stormMemory = new WeakMap<Lab, { alerts: Remembered[]; oks: Remembered[] }>();
const regionFiveXxRules = (lab: Lab) =>
  lab.topology.alarms.filter((r) => r.kind === 'error-ratio' && r.region === REGION && r.version === undefined);

export const FULL_TIMING: IncidentTiming = { faultMs: 10 * MIN, tailMs: 36 * MIN, noiseMs: 60 * MIN };
export const QUICK_TIMING: IncidentTiming = { faultMs: 3 * MIN, tailMs: 6 * MIN, noiseMs: 10 * MIN };

export function incidents(timing: IncidentTiming): Incident[] {
  const W = FAULT_AT_MS;
  const F = timing.faultMs;
  const simple = (id: string, title: string, script: string, specs: FaultSpec[]): Incident => ({
    id,
    title,
    script,
    start: DEFAULT_START,
    faultStart: W,
    faultEnd: W + F,
    runMs: W + F + timing.tailMs,
    events: [
      { at: W, run: inject(id, specs) },
      { at: W + F, run: clear(id) },
    ],
  });
  const flapDown = 2 * MIN;
  const flapUp = MIN;
  const flaps = 5;
  const flapEnd = W + flaps * (flapDown + flapUp) - flapUp;
  const slowStart: Incident = {
    ...simple(
      'slow-start',
      'Recovery with slow pod start (90 s)',
      `reviews scaled to zero in ${REGION} for ${F / MIN} min; the pods it scales back take 90 s to be ready`,
      [{ kind: 'scale-to-zero', region: REGION, service: 'reviews' }],
    ),
  };
  slowStart.events.unshift({
    at: W,
    run: ({ lab }) => {
      // Annotated before the scale-down: the pods started on recovery take 90 s (the lab's startup model).
      for (const d of lab.topology.deployments.filter((x) => x.service === 'reviews' && x.cluster === 'c-hangzhou')) {
        lab.controlPlane.store.update(d.cluster, DEPLOYMENTS, d.namespace, d.name, (cur) => ({
          ...cur,
          metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [STARTUP_DELAY_ANNOTATION]: '90000' } },
        }));
      }
    },
  });
  const shiftStart = Date.parse('2026-11-03T14:00:00Z'); // 22:00 in Shanghai: the example's evening-shift
  return [
    simple(
      'hard-down',
      'Hard region down (every service)',
      `every service of ${REGION} answers 503 for ${F / MIN} min (its ingress still up)`,
      regionDown,
    ),
    simple('service-down', 'One service down (reviews)', `reviews in ${REGION} answers 503 for ${F / MIN} min`, [
      { kind: 'region-down', region: REGION, service: 'reviews' },
    ]),
    simple('partial-5xx', 'Partial 5xx (30% on reviews-v1)', `reviews-v1 in ${REGION} answers 500 to 30% of requests for ${F / MIN} min`, [
      { kind: 'error-rate', region: REGION, service: 'reviews', version: 'v1', rate: 0.3 },
    ]),
    simple('latency', 'Latency (+800 ms on reviews)', `reviews in ${REGION} answers 800 ms slower for ${F / MIN} min`, [
      { kind: 'latency', region: REGION, service: 'reviews', latencyMs: 800 },
    ]),
    {
      id: 'flapping',
      title: 'Flapping (down 2 min / up 1 min, five times)',
      script: `every service of ${REGION} down 2 min, up 1 min, five times`,
      start: DEFAULT_START,
      faultStart: W,
      faultEnd: flapEnd,
      runMs: flapEnd + timing.tailMs,
      events: Array.from({ length: flaps }, (_, i) => [
        { at: W + i * (flapDown + flapUp), run: inject('flap', regionDown) },
        { at: W + i * (flapDown + flapUp) + flapDown, run: clear('flap') },
      ]).flat(),
    },
    {
      id: 'capacity-half',
      title: "Half of a region's pods lost (capacity)",
      script: `every Deployment of ${REGION} drops to half its replicas for ${F / MIN} min, then back`,
      start: DEFAULT_START,
      faultStart: W,
      faultEnd: W + F,
      runMs: W + F + timing.tailMs,
      events: [
        { at: W, run: ({ lab }) => setReplicasInRegion(lab, 0.5) },
        { at: W + F, run: ({ lab }) => setReplicasInRegion(lab, 1) },
      ],
    },
    simple('scale-to-zero', 'Scale-to-zero (reviews)', `reviews in ${REGION} scaled to 0 for ${F / MIN} min, then back`, [
      { kind: 'scale-to-zero', region: REGION, service: 'reviews' },
    ]),
    slowStart,
    {
      id: 'false-alarm',
      title: 'False alarm (no real fault)',
      script: `a CRITICAL productpage-5xx alarm for ${REGION} fires with nothing wrong, and clears 5 min later`,
      start: DEFAULT_START,
      faultStart: W,
      faultEnd: W + 5 * MIN,
      runMs: W + 5 * MIN + timing.tailMs,
      events: [
        { at: W, run: (ctx) => ctx.falseAlarm('ALERT') },
        { at: W + 5 * MIN, run: (ctx) => ctx.falseAlarm('OK') },
      ],
    },
    {
      id: 'scheduled-shift',
      title: 'Scheduled 90/10 shift',
      script: `no fault: the example policy's evening-shift (90/10 from ${REGION}) falls due 2 min into the run`,
      start: shiftStart - W,
      faultStart: W,
      faultEnd: null,
      runMs: W + Math.min(F, 10 * MIN) + timing.tailMs / 2,
      events: [],
    },
    ...BOTH_DEGRADED.map(([hz, sh]) =>
      simple(
        bothDegradedId(hz, sh),
        `Both regions degraded (productpage 5xx ${hz}% in ${REGION}, ${sh}% in ${OTHER_REGION})`,
        `productpage answers 500 to ${hz}% of requests in ${REGION} and ${sh}% in ${OTHER_REGION} at once for ${F / MIN} min (the ${hz > sh ? 'first' : 'second'}-listed region is the sicker one): no region is healthy; draining either moves its clients onto the other's errors`,
        [errorRate(REGION, 'productpage', hz / 100), errorRate(OTHER_REGION, 'productpage', sh / 100)],
      ),
    ),
    brownout(W, F, timing),
    grayVersion(W, F, timing),
    noise(W, timing),
    storm(W, F, timing),
    controlPlaneDown(W),
    controlPlaneDown(W, { readBack: false }),
  ];
}

/** The SilenceTime every CMS rule of `infra/cms/alarm-templates.json` carries (CMS's minimum), in ms. */
export const TEMPLATE_SILENCE_MS = 3_600_000;
/** How long regionshift's control plane is away in the control-plane-down incident (from a minute before the fault). */
export const CONTROL_PLANE_DOWN_MS = 10 * MIN;
/** How long cn-hangzhou is down in the control-plane-down incident. */
export const CONTROL_PLANE_DOWN_REGION_MS = 70 * MIN;

/**
 * The control-plane-down incident's run in phases, from its per-second samples: failed share
 * before the fault, while the control plane is down, after it returns until the strategy's
 * detection (regionshift: the ALERT repeated after SilenceTime), from then until the fault
 * clears, and after.
 */
export function controlPlaneDownPhases(
  samples: ReadonlyArray<{ t: number; requests: number; failed: number }>,
  detectS: number | null,
): Array<{ phase: string; fromS: number; toS: number; requests: number; failed: number; failedPct: number }> {
  const W = FAULT_AT_MS;
  const back = W - MIN + CONTROL_PLANE_DOWN_MS;
  const end = W + CONTROL_PLANE_DOWN_REGION_MS;
  const detected = detectS === null ? end : Math.min(end, Math.max(back, W + detectS * 1000));
  const last = samples.length === 0 ? end : (samples[samples.length - 1] as { t: number }).t + 1000;
  const phases: Array<[string, number, number]> = [
    ['before the fault (control plane down from 1 min before)', 0, W],
    ['region down, control plane down', W, back],
    ['region down, control plane back, before detection', back, detected],
    ['region down, after detection', detected, end],
    ['after the fault', end, last],
  ];
  return phases.map(([phase, from, to]) => {
    const xs = samples.filter((s) => s.t >= from && s.t < to);
    const requests = xs.reduce((n, s) => n + s.requests, 0);
    const failed = xs.reduce((n, s) => n + s.failed, 0);
    return {
      phase,
      fromS: (from - W) / 1000,
      toS: (to - W) / 1000,
      requests,
      failed,
      failedPct: requests === 0 ? 0 : Math.round((1e4 * failed) / requests) / 100,
    };
  });
}

/**
 * A region fails while regionshift is down: its control plane (the functions' host, with the
 * state they keep, and ASM's control plane) goes a minute before every service of cn-hangzhou,
 * and comes back 10 min later; the region stays down 70 min. The CMS ALERTs of the first minute
 * are tried 4 times and lost; the rules keep firing, and CMS notifies again after their
 * SilenceTime (3,600 s, the templates' and CMS's minimum). Same timing in the quick and full runs:
 * the point is the hour.
 */
function controlPlaneDown(W: number, opts: { readBack: boolean } = { readBack: true }): Incident {
  const regionMs = CONTROL_PLANE_DOWN_REGION_MS;
  return {
    // The baseline (`-callbacks-only`): the policy reads no alerting state back, so only CMS's repeat after SilenceTime is heard.
    id: opts.readBack ? 'control-plane-down' : 'control-plane-down-callbacks-only',
    title: opts.readBack ? 'Region down while regionshift is down' : 'Region down while regionshift is down (callbacks only, no read-back)',
    script: `regionshift's control plane (functions, state, ASM's control plane) unreachable from 1 min before the fault for ${CONTROL_PLANE_DOWN_MS / MIN} min; every service of ${REGION} answers 503 for ${regionMs / MIN} min (its ingress up); CMS rules repeat after SilenceTime ${TEMPLATE_SILENCE_MS / 1000} s; ${opts.readBack ? "the policy reads CMS's alerting state back every 60 s (detection.cmsReconcile)" : "no read-back of CMS's alerting state"}`,
    start: DEFAULT_START,
    faultStart: W,
    faultEnd: W + regionMs,
    runMs: W + regionMs + 20 * MIN,
    labOptions: { cmsSilenceMs: TEMPLATE_SILENCE_MS, cmsReconcile: opts.readBack },
    events: [
      { at: W - MIN, run: inject('control-plane', [{ kind: 'control-plane-down', region: 'cn-beijing' }]) },
      { at: W, run: inject('control-plane-down', regionDown) },
      { at: W - MIN + CONTROL_PLANE_DOWN_MS, run: clear('control-plane') },
      { at: W + regionMs, run: clear('control-plane-down') },
    ],
  };
}

function brownout(W: number, F: number, timing: IncidentTiming): Incident {
  const rates = rampRates(F);
  const events: IncidentEvent[] = rates.map((rate, k) => ({
    at: W + k * RAMP_STEP_MS,
    run: (ctx) => {
      clear('ramp')(ctx);
      inject('ramp', [errorRate(REGION, 'productpage', rate)])(ctx);
    },
  }));
  events.push({ at: W + rates.length * RAMP_STEP_MS, run: clear('ramp') });
  const end = W + rates.length * RAMP_STEP_MS;
  return {
    id: 'brownout-ramp',
    title: `Brown-out ramp (productpage 5xx 0 → ${RAMP_PEAK * 100}% → 0)`,
    script: `productpage in ${REGION} answers 500 to a share of requests that ramps from 0 to ${RAMP_PEAK * 100}% over ${F / 2 / MIN} min and back over as long, the fault replaced every ${RAMP_STEP_MS / 1000} s (${rates.map((r) => `${Math.round(r * 100)}`).join(', ')} %)`,
    start: DEFAULT_START,
    faultStart: W,
    faultEnd: end,
    runMs: end + timing.tailMs,
    events,
  };
}

/**
 * A hard region down, cleared; then, while regionshift steps traffic back (hold 5 min after the
 * alarms clear, then 25/50/100 % two minutes apart), a storm of CMS callbacks by the false alarm's
 * path: the region's 5xx alarms' old ALERTs repeated twice with their own timestamps, their old
 * OKs repeated, and a fresh ALERT that clears 10 s later (a flapping rule), every minute for 6 min.
 */
function storm(W: number, F: number, timing: IncidentTiming): Incident {
  const end = W + F;
  const stormAt = end + 5 * MIN;
  const cycles = 6;
  const events: IncidentEvent[] = [
    { at: W, run: inject('storm-down', regionDown) },
    {
      // The region's alarms fire within 3 min of the fault at the documented periods (35 s at
      // 10-s periods): remember each ALERT's time and value.
      at: W + 5 * MIN,
      run: ({ lab }) => {
        const firing = lab.alarms.statuses().filter((st) => st.state === 'ALERT' && regionFiveXxRules(lab).some((r) => r.id === st.ruleId));
        stormMemory.set(lab, { alerts: firing.map((st) => ({ ruleId: st.ruleId, at: st.since, value: st.lastValue ?? 100 })), oks: [] });
      },
    },
    { at: end, run: clear('storm-down') },
    {
      // ...and each of those alarms' OK once the region is healthy again.
      at: stormAt - 10_000,
      run: ({ lab }) => {
        const memory = stormMemory.get(lab) ?? { alerts: [], oks: [] };
        memory.oks = lab.alarms
          .statuses()
          .filter((st) => st.state === 'OK' && memory.alerts.some((a) => a.ruleId === st.ruleId))
          .map((st) => ({ ruleId: st.ruleId, at: st.since, value: st.lastValue ?? 0 }));
        stormMemory.set(lab, memory);
      },
    },
  ];
  const flapRule = `rs-productpage-5xx-${REGION.replace(/^cn-/, '')}`;
  const repeat =
    (which: 'alerts' | 'oks', times: number): IncidentEvent['run'] =>
    async (ctx) => {
      const memory = stormMemory.get(ctx.lab);
      if (!memory || memory[which].length === 0)
        throw new Error(`storm: no ${which === 'alerts' ? 'ALERT' : 'OK'} of ${REGION}'s 5xx alarms to repeat`);
      for (let i = 0; i < times; i++)
        for (const r of memory[which]) await ctx.replayAlarm(r.ruleId, which === 'alerts' ? 'ALERT' : 'OK', r.value, r.at);
    };
  for (let c = 0; c < cycles; c++) {
    const t = stormAt + c * MIN;
    events.push(
      { at: t, run: repeat('alerts', 2) },
      { at: t + 10_000, run: repeat('oks', 1) },
      { at: t + 20_000, run: (ctx) => ctx.replayAlarm(flapRule, 'ALERT', 25) },
      { at: t + 30_000, run: (ctx) => ctx.replayAlarm(flapRule, 'OK', 0) },
      { at: t + 40_000, run: repeat('alerts', 1) },
      { at: t + 50_000, run: repeat('oks', 2) },
    );
  }
  return {
    id: 'storm-during-recovery',
    title: 'Alarm storm during recovery',
    script: `every service of ${REGION} down for ${F / MIN} min, then, from 5 min after it clears and for ${cycles} min, each minute: the region's 5xx alarms' old ALERTs sent again twice (their own timestamps), their OKs again, and a fresh productpage ALERT that clears 10 s later (flapping), by the false alarm's callback path`,
    start: DEFAULT_START,
    faultStart: W,
    faultEnd: end,
    runMs: end + Math.max(timing.tailMs, 14 * MIN),
    events,
  };
}

export const QUICK_INCIDENTS = ['hard-down', 'partial-5xx', 'false-alarm'];

/** The canary version the gray-failure incident adds beside reviews-v1 in cn-hangzhou. */
export const GRAY_VERSION = 'v3';
/** The gray failure's error rate on the canary's pods. */
export const GRAY_RATE = 0.3;

/**
 * Gray failure: cn-hangzhou runs two reviews versions side by side, reviews-v1 and a canary
 * reviews-v3 with as many pods (the topology gets the Deployment for this incident), and the
 * canary's pods answer 500 to 30% of requests: about 15% over the region's reviews, under the
 * lab's 20% 5xx rule. The smallest response that helps is reviews' traffic in that region, never
 * the whole region.
 */
function grayVersion(W: number, F: number, timing: IncidentTiming): Incident {
  return {
    id: 'gray-version',
    title: `Gray failure (${GRAY_RATE * 100}% 5xx on reviews-${GRAY_VERSION}, half of ${REGION}'s reviews)`,
    script: `${REGION} runs reviews-v1 and reviews-${GRAY_VERSION} side by side (2 pods each); reviews-${GRAY_VERSION}'s pods answer 500 to ${GRAY_RATE * 100}% of requests for ${F / MIN} min (about ${GRAY_RATE * 50}% over the region's reviews, under the 20% alarm); every other pod stays healthy`,
    start: DEFAULT_START,
    faultStart: W,
    faultEnd: W + F,
    runMs: W + F + timing.tailMs,
    topology: (doc) => ({
      ...doc,
      deployments: [
        ...(doc.deployments ?? []),
        {
          cluster: 'c-hangzhou',
          name: `reviews-${GRAY_VERSION}`,
          service: 'reviews',
          version: GRAY_VERSION,
          replicas: 2,
          startupDelay: '20s',
        },
      ],
    }),
    events: [
      { at: W, run: inject('gray', [errorRate(REGION, 'reviews', GRAY_RATE, GRAY_VERSION)]) },
      { at: W + F, run: clear('gray') },
    ],
  };
}

/** The noise incident's per-service error rates, per region: each in 1–2%. */
export const NOISE_RATES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  [REGION]: { productpage: 0.01, details: 0.015, reviews: 0.02, ratings: 0.01 },
  [OTHER_REGION]: { productpage: 0.02, details: 0.01, reviews: 0.015, ratings: 0.02 },
};
/**
 * Background noise: every service in every region answers 500 to 1–2% of its requests for an
 * hour (each service's own share; a request crossing several services fails a little more
 * often). Nothing is wrong with any region: the right number of mesh changes is 0.
 */
function noise(W: number, timing: IncidentTiming): Incident {
  const specs = Object.entries(NOISE_RATES).flatMap(([region, rates]) =>
    Object.entries(rates).map(([service, rate]) => errorRate(region, service, rate)),
  );
  const ms = timing.noiseMs ?? 60 * MIN;
  return {
    id: 'noise',
    title: `Noise (1–2% 5xx on every service, both regions, for ${ms / MIN} min)`,
    script: `every service in both regions answers 500 to 1–2% of its requests (${Object.entries(NOISE_RATES)
      .map(
        ([r, rates]) =>
          `${r}: ${Object.entries(rates)
            .map(([svc, x]) => `${svc} ${x * 100}%`)
            .join(', ')}`,
      )
      .join('; ')}) for ${ms / MIN} min; nothing else: 0 mesh changes is the right answer`,
    start: DEFAULT_START,
    faultStart: W,
    faultEnd: W + ms,
    runMs: W + ms + Math.min(timing.tailMs, 10 * MIN),
    events: [
      { at: W, run: inject('noise', specs) },
      { at: W + ms, run: clear('noise') },
    ],
  };
}
