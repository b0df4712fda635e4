import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLab, type Lab } from '../../lab/world';
import { MESH_SCOPE } from '../../lab/k8s/control-plane';
import { DESTINATION_RULES } from '../../lab/k8s/resources';
import { cmsCallbackForm, cmsCallbackUrlFor, type CmsCallbackInput } from '../../lab/dataplane/alarm-payloads';
import { VirtualClock } from './virtual-clock';
import { REGION, type Incident, type IncidentContext } from './incidents';
import { firingFromRules, type Strategy, type StrategyContext } from './strategies';
import { cmsTiming, readTopology, withCmsTiming, writeTopology } from './cms';

/**
 * The discrete-time driver: one simulated second per step. Each step wakes the sleepers due
 * (the engine's and the adapters' waits, the twins' update windows are read off the same clock),
 * runs the incident's events and the strategy's controller, sends the second's requests through
 * the data plane one by one (so each request's latency and hops are known), sends the probes,
 * evaluates the alarm rules (delivered over HTTP to the real alarm function when the strategy
 * uses it), fires the scheduler once a simulated minute, and lets all that work finish — or
 * block on a virtual sleep — before time moves on.
 */

export const SLO_MS = 500;
const STEP_MS = 1000;
const TICK_MS = 60_000;
/** Real-time quiet (no clock read or sleep) after which pending work counts as blocked on a virtual sleep. */
const QUIET_MS = 40;

export interface SecondSample {
  t: number;
  requests: number;
  failed: number;
  overSlo: number;
  hops: number;
  localHops: number;
  crossHops: number;
}

/** The data plane's seeds a run goes over by default (the lab's own, 7, first). */
export const DEFAULT_SEEDS = [7, 1, 2];

export interface RunResult {
  incident: string;
  strategy: string;
  /** The data plane's PRNG seed of this run. */
  seed: number;
  samples: SecondSample[];
  failed: number;
  requests: number;
  overSlo: number;
  crossHopsPerRequest: number;
  /**
   * s from the fault's start to the first detection the strategy could act on: for regionshift
   * the first alarm sent to its alarm function, for the on-call the first alarm paging them, for
   * DNS the first failing health check, for the zero-endpoint rule the first region seen with no
   * ready pod (null: nothing detected, or a strategy with no detector).
   */
  detectS: number | null;
  /** s from the fault's start to the first 60-s window under 1% errors (null: never). */
  mitigateS: number | null;
  /** s from the fault's end until routing is back to normal for good (null: not within the run). */
  restoreS: number | null;
  meshChanges: number;
  peakExtraReplicas: number;
  baselineLocalShare: number;
  errors: string[];
  /** s from the fault's start to the first mesh change ASM accepted (UpdateMeshFeature OK); null: none. */
  firstMeshChangeS?: number | null;
}

const realDelay = (ms: number) => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms));

class Driver {
  private readonly tracked = new Set<Promise<unknown>>();
  readonly errors: string[] = [];

  constructor(
    private readonly clock: VirtualClock,
    private readonly lab: Lab,
    private readonly start: number,
  ) {}

  track(p: Promise<unknown>): void {
    const q = p.catch((err: unknown) => {
      const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
      this.errors.push(`t=${(this.clock.now() - this.start) / 1000}s ${err instanceof Error ? err.message : String(err)}${cause}`);
    });
    this.tracked.add(q);
    void q.finally(() => this.tracked.delete(q));
  }

  private async allDone(waitMs: number): Promise<boolean> {
    const done = Promise.all([...this.tracked, this.lab.alarms.idle(), this.lab.host.idle()]).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    const r = await Promise.race([done, timeout]);
    clearTimeout(timer);
    return r;
  }

  /**
   * Let the work in flight finish, moving time to each sleeper due by `until` in turn. Work that
   * stays quiet (no clock read, no sleep) for QUIET_MS of real time with a sleeper pending is
   * waiting on that sleeper; work beyond `until` waits for a later step.
   */
  async settle(until: number): Promise<void> {
    let last = this.clock.activity;
    let quietSince = Date.now();
    for (;;) {
      if (await this.allDone(5)) {
        const next = this.clock.nextWake();
        if (next === null || next > until) return;
        this.clock.advanceTo(next);
        continue;
      }
      if (this.clock.activity !== last) {
        last = this.clock.activity;
        quietSince = Date.now();
        continue;
      }
      if (Date.now() - quietSince < QUIET_MS) continue;
      const next = this.clock.nextWake();
      if (next === null) {
        // Real I/O with no sleeper: keep waiting for it.
        quietSince = Date.now();
        await realDelay(5);
        continue;
      }
      if (next > until) return;
      this.clock.advanceTo(next);
      last = this.clock.activity;
      quietSince = Date.now();
    }
  }
}

/**
 * When the first alarm notification (CMS callback or ACK event) reached the functions, at or after
 * `from` (ms, virtual clock), from the evaluator's delivery records. An alarm whose rule sends nothing (a
 * ready-replicas rule on a Deployment scaled to zero has no pod to report on) is not counted.
 */
export function firstDeliveredAlert(lab: Lab, from: number): number | null {
  const ats = lab.alarms
    .deliveries()
    .filter((r) => r.state === 'ALERT' && r.delivered && r.at >= from)
    .map((r) => r.at);
  return ats.length === 0 ? null : Math.min(...ats);
}

function drSignature(lab: Lab): Map<string, string> {
  return new Map(
    lab.controlPlane.store
      .list(MESH_SCOPE, DESTINATION_RULES)
      .map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o.metadata.resourceVersion]),
  );
}

function extraReplicas(lab: Lab): number {
  let extra = 0;
  for (const d of lab.topology.deployments) {
    const r = lab.controlPlane.routing.replicas(d.cluster, d.namespace, d.name);
    if (r) extra += Math.max(0, r.desired - d.replicas);
  }
  return extra;
}

export interface RunOptions {
  /** The data plane's PRNG seed (default DEFAULT_SEEDS[0], the lab's own). */
  seed?: number;
  log?: (line: Record<string, unknown>) => void;
}

export async function runIncident(incident: Incident, strategy: Strategy, opts: RunOptions = {}): Promise<RunResult> {
  const clock = new VirtualClock(incident.start);
  if (strategy.unavailable) throw new Error(`${strategy.id} is not available: ${strategy.unavailable}`);
  const seed = opts.seed ?? (DEFAULT_SEEDS[0] as number);
  const dir = mkdtempSync(path.join(tmpdir(), `rs-incident-${incident.id}-${strategy.id.replace(/[^\w-]/g, '_')}-`));
  // The lab's topology with the incident's change and the CMS rules at the strategy's timing
  // (documented 60-s periods unless the strategy is the labelled 10-s variant).
  let doc = readTopology();
  if (incident.topology) doc = incident.topology(doc);
  const topologyFile = writeTopology(withCmsTiming(doc, cmsTiming(strategy.cms ?? 'documented')), path.join(dir, 'topology.yaml'));
  const lab = await startLab({
    topologyFile,
    seed,
    clock,
    background: false,
    functionsOnClock: true,
    every: () => () => undefined,
    labPeriods: false,
    stateFile: path.join(dir, 'state.db'),
    ...(opts.log ? { log: opts.log } : {}),
    ...strategy.labOptions,
    ...incident.labOptions,
  });
  const driver = new Driver(clock, lab, incident.start);
  let offset = 0;
  /** Injected callbacks' alarms now firing (the false alarm, a storm's fresh ALERTs), by rule id: their regions page the on-call. */
  const injectedFiring = new Map<string, string>();
  let detectedAt: number | null = null;
  let falseAlarmDeliveredAt: number | null = null;
  const detected = () => {
    if (detectedAt === null && offset >= incident.faultStart) detectedAt = offset;
  };
  const ctx: StrategyContext = {
    lab,
    clock,
    track: (p) => driver.track(p),
    offset: () => offset,
    firingRegions: () => [...new Set([...firingFromRules(lab), ...injectedFiring.values()])],
    detected,
  };
  const sd = strategy.attach(ctx);
  if (!sd.deliversAlarms) lab.alarms.setTargets({ cmsCallbackUrl: null, ackEventsUrl: null });
  const sendCms = async (input: CmsCallbackInput, region: string): Promise<void> => {
    const res = await fetch(cmsCallbackUrlFor(`${lab.hostUrl}/alarm/cms?token=${lab.secrets.alarmToken}`, region), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: cmsCallbackForm(input).toString(),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${input.alertName} ${input.state}: HTTP ${res.status}`);
  };
  const incidentCtx: IncidentContext = {
    lab,
    faults: new Map(),
    falseAlarm: async (state) => {
      if (state === 'ALERT') injectedFiring.set('false-alarm', REGION);
      else injectedFiring.delete('false-alarm');
      if (!sd.deliversAlarms) return;
      const sentAt = offset;
      await sendCms(
        {
          ruleId: 'false-alarm',
          alertName: `productpage-5xx-${REGION}`,
          state,
          level: 'CRITICAL',
          curValue: state === 'ALERT' ? '35' : '0',
          metricName: 'productpage_5xx_ratio',
          expression: '$Average>20',
          instanceName: `productpage (${REGION})`,
          dimensions: { service: 'productpage' },
          userId: lab.topology.account,
          at: clock.now(),
        },
        REGION,
      );
      if (state === 'ALERT' && sd.detects === 'delivered') falseAlarmDeliveredAt ??= sentAt;
    },
    replayAlarm: async (ruleId, state, curValue, at) => {
      const rule = lab.topology.alarms.find((r) => r.id === ruleId);
      if (!rule || rule.kind !== 'error-ratio') throw new Error(`replayAlarm: no 5xx rule ${ruleId} in the lab's topology`);
      if (at === undefined) {
        if (state === 'ALERT') injectedFiring.set(ruleId, rule.region);
        else injectedFiring.delete(ruleId);
      }
      if (!sd.deliversAlarms) return;
      // The fields the lab's evaluator sends for this rule (lab/dataplane/alarms.ts, cmsInput).
      await sendCms(
        {
          ruleId: rule.id,
          alertName: rule.name,
          state,
          level: rule.level,
          metricName: rule.metricName,
          curValue: String(curValue),
          expression: `$Average>${rule.thresholdPercent}`,
          instanceName: `${rule.service}${rule.version ? `-${rule.version}` : ''} (${rule.region})`,
          dimensions: { service: rule.service, ...(rule.version ? { version: rule.version } : {}) },
          userId: lab.topology.account,
          at: at ?? clock.now(),
        },
        rule.region,
      );
    },
  };
  const samples: SecondSample[] = [];
  const asmChangesAtStart = lab.controlPlane.asm.calls.filter((c) => c.action === 'UpdateMeshFeature' && c.code === 'OK').length;
  let drs = drSignature(lab);
  let drChanges = 0;
  let peakExtra = 0;
  const homeOf = new Map(lab.topology.gateways.map((g) => [g.name, g.region]));
  const events = [...incident.events].sort((a, b) => a.at - b.at);
  let batch: { sample: SecondSample; home: string; via: string; redirected: boolean } | null = null;
  // Taps on the data plane's own per-request records (lab/dataplane/metrics.ts): every request
  // and hop of the batch being sent is counted as it is recorded. Health checks and probes sent
  // outside a batch are not client traffic and are not counted.
  const metrics = lab.dataPlane.metrics;
  const recordGateway = metrics.recordGateway.bind(metrics);
  const recordHop = metrics.recordHop.bind(metrics);
  metrics.recordGateway = (gateway, region, status, latencyMs, at) => {
    recordGateway(gateway, region, status, latencyMs, at);
    if (!batch) return;
    const s = batch.sample;
    s.requests++;
    if (status >= 400) s.failed++;
    // A client DNS sent to the other region crosses regions on the way in (and out).
    if (latencyMs + (batch.redirected ? lab.topology.network.crossRegionMs : 0) > SLO_MS) s.overSlo++;
    if (batch.redirected) s.crossHops++;
  };
  metrics.recordHop = (sourceRegion, target, status, latencyMs, at, origin = 'client') => {
    recordHop(sourceRegion, target, status, latencyMs, at, origin);
    if (!batch || origin !== 'client') return;
    const s = batch.sample;
    s.hops++;
    if (target.region === batch.home) s.localHops++;
    if (target.region !== batch.via) s.crossHops++;
  };
  try {
    for (offset = 0; offset < incident.runMs; offset += STEP_MS) {
      const t = incident.start + offset;
      await driver.settle(t);
      clock.advanceTo(t);
      while (events[0] && events[0].at <= offset)
        driver.track(Promise.resolve((events.shift() as (typeof events)[number]).run(incidentCtx)));
      sd.onSecond();
      const sample: SecondSample = { t: offset, requests: 0, failed: 0, overSlo: 0, hops: 0, localHops: 0, crossHops: 0 };
      for (const gw of lab.topology.gateways) {
        const home = homeOf.get(gw.name) as string;
        for (const entry of sd.entries ? sd.entries(gw.name, gw.load) : [{ gateway: gw.name, count: gw.load, redirected: false }]) {
          // One batch per gateway and second (the router caches the config per batch); the
          // metrics taps count each request and hop of it.
          batch = { sample, home, via: homeOf.get(entry.gateway) as string, redirected: entry.redirected };
          lab.dataPlane.send(entry.gateway, entry.count);
          batch = null;
        }
      }
      for (const p of lab.topology.probes) lab.dataPlane.probe(p.service, p.region, Math.max(1, Math.round(p.rps)));
      lab.alarms.evaluate();
      // An alarm that fired in this step is sent (to the alarm function, or the pager) in it.
      if (sd.detects === 'alarms' && ctx.firingRegions().length > 0) detected();
      // The scheduler's timer is FC's: with the control plane down (control-plane-down) it fires nothing.
      if (sd.ticks && offset > 0 && offset % TICK_MS === 0 && !lab.host.outage.down) driver.track(lab.tick());
      await driver.settle(t + STEP_MS - 1);
      const now = drSignature(lab);
      for (const [k, v] of now) if (drs.get(k) !== v) drChanges++;
      drs = now;
      peakExtra = Math.max(peakExtra, extraReplicas(lab));
      samples.push(sample);
    }
    await driver.settle(incident.start + incident.runMs);
    if (sd.detects === 'delivered') {
      const delivered = firstDeliveredAlert(lab, incident.start + incident.faultStart);
      const candidates = [delivered === null ? null : delivered - incident.start, falseAlarmDeliveredAt].filter(
        (x): x is number => x !== null,
      );
      detectedAt = candidates.length === 0 ? null : Math.min(...candidates);
    }
  } finally {
    await lab.stop().catch((err: unknown) => driver.errors.push(`stop: ${(err as Error).message}`));
    rmSync(dir, { recursive: true, force: true });
  }
  const asmChanges =
    lab.controlPlane.asm.calls.filter((c) => c.action === 'UpdateMeshFeature' && c.code === 'OK').length - asmChangesAtStart;
  const detectS = detectedAt === null ? null : (detectedAt - incident.faultStart) / 1000;
  const firstChange = lab.controlPlane.asm.calls.find(
    (c) => c.action === 'UpdateMeshFeature' && c.code === 'OK' && c.at >= incident.start + incident.faultStart,
  );
  const firstMeshChangeS = firstChange === undefined ? null : (firstChange.at - incident.start - incident.faultStart) / 1000;
  return {
    ...summarize(
      incident,
      strategy.id,
      samples,
      asmChanges + drChanges + (sd.routingChanges?.() ?? 0),
      peakExtra,
      driver.errors,
      detectS,
      seed,
    ),
    firstMeshChangeS,
  };
}

export function summarize(
  incident: Incident,
  strategy: string,
  samples: SecondSample[],
  meshChanges: number,
  peakExtraReplicas: number,
  errors: string[],
  detectS: number | null = null,
  seed: number = DEFAULT_SEEDS[0] as number,
): RunResult {
  const sum = (f: (s: SecondSample) => number, from = 0, to = samples.length) => samples.slice(from, to).reduce((n, s) => n + f(s), 0);
  const startIdx = incident.faultStart / STEP_MS;
  const base = samples.slice(0, startIdx);
  const baseHops = base.reduce((n, s) => n + s.hops, 0);
  const baselineLocalShare = baseHops === 0 ? 1 : base.reduce((n, s) => n + s.localHops, 0) / baseHops;
  let mitigateS: number | null = null;
  for (let i = startIdx; i + 60 <= samples.length; i++) {
    const req = sum((s) => s.requests, i, i + 60);
    if (req > 0 && sum((s) => s.failed, i, i + 60) / req < 0.01) {
      mitigateS = i - startIdx;
      break;
    }
  }
  let restoreS: number | null = null;
  if (incident.faultEnd !== null && incident.faultEnd / STEP_MS < samples.length) {
    const endIdx = incident.faultEnd / STEP_MS;
    const abnormal = (s: SecondSample) => s.failed > 0 || (s.hops > 0 && s.localHops / s.hops < baselineLocalShare - 0.005);
    let lastAbnormal = -1;
    for (let i = startIdx; i < samples.length; i++) if (abnormal(samples[i] as SecondSample)) lastAbnormal = i;
    if (lastAbnormal < samples.length - 1) restoreS = Math.max(0, lastAbnormal + 1 - endIdx);
  }
  const requests = sum((s) => s.requests);
  return {
    incident: incident.id,
    strategy,
    seed,
    samples,
    failed: sum((s) => s.failed),
    requests,
    overSlo: sum((s) => s.overSlo),
    crossHopsPerRequest: requests === 0 ? 0 : sum((s) => s.crossHops) / requests,
    detectS,
    mitigateS,
    restoreS,
    meshChanges,
    peakExtraReplicas,
    baselineLocalShare,
    errors,
  };
}
