import { ValidationError } from '../../shared/core/errors';
import type { Clock } from '../../shared/ports/clock';
import type { AlarmRule, ErrorRatioRule, LatencyRule, ReadyReplicasRule, Topology } from '../topology/schema';
import { ackPodEvent, alertmanagerWebhook, cmsCallbackForm, cmsCallbackUrlFor, type CmsCallbackInput } from './alarm-payloads';
import type { AlarmDelivery, DeliveryRecord, DeliveryRequest } from './alarm-delivery';
import type { RoutingConfigSource } from './config-source';
import type { TrafficMetrics } from './metrics';
import { PeriodicTask } from './periodic-task';

/**
 * The lab's CloudMonitor: rules evaluated once per period by the Clock, each with CMS's
 * semantics — it trips after `periods` consecutive breaching periods and sends one ALERT, and
 * sends one OK the first period it no longer breaches. A period without data (fewer than
 * `minRequests`, or a deployment that does not exist) neither breaches nor clears, as CMS
 * leaves an alarm alone on missing data. Notifications of one rule are delivered in order.
 * A rule that stays in ALERT notifies again once per mute period (CMS `SilenceTime`: "only one
 * alert is reported during each mute period even if the metric value consecutively exceeds the
 * threshold"; default 86,400 s, minimum 3,600 s): a lost ALERT is not sent again before then.
 */

export interface AlarmTargets {
  /**
   * Where CMS-format callbacks go (the `alarm` function's HTTP trigger, with its token); null to
   * not send. Each alarm is sent to this URL plus `region=<its region>`, one URL per region, as
   * an operator wires CMS: the callback itself names no region.
   */
  cmsCallbackUrl: string | null;
  /**
   * Where a cluster's ACK CloudEvents are published: the default event bus of the cluster's own
   * region (kube-eventer's EventBridge sink), given that region; null to not send. Whether the
   * `cluster-events` function hears them is up to that bus's rules.
   */
  ackEventsUrl: ((region: string) => string) | null;
  /**
   * Where Alertmanager webhooks go (the `alarm` function's HTTP trigger, with its token), for the
   * rules delivered as `alertmanager`; none sent when absent. The region is the alert's label.
   */
  alertmanagerUrl?: string | null;
}

export interface AlarmRuleStatus {
  ruleId: string;
  name: string;
  kind: AlarmRule['kind'];
  state: 'OK' | 'ALERT';
  /** Consecutive breaching periods so far. */
  breaches: number;
  /** Value of the last period with data: 5xx percent, latency percentile (ms), or ready replicas. */
  lastValue: number | null;
  lastEvaluatedAt: number | null;
  nextEvaluationAt: number;
  /** When the state last changed. */
  since: number;
}

export interface AlarmEvaluatorOptions {
  topology: Topology;
  /** The topology's rules when omitted. */
  rules?: AlarmRule[];
  metrics: TrafficMetrics;
  config: RoutingConfigSource;
  clock: Clock;
  delivery: AlarmDelivery;
  targets: AlarmTargets;
  /** How often the loop looks for due rules. */
  tickMs?: number;
  /** The rules' mute period (CMS SilenceTime) in ms: default 86,400,000 (CMS's default, 86,400 s). */
  silenceMs?: number;
}

/** CMS's default SilenceTime (DescribeMetricRuleList, PutResourceMetricRule): 86,400 s. */
export const CMS_DEFAULT_SILENCE_MS = 86_400_000;

interface RuleState {
  rule: AlarmRule;
  status: AlarmRuleStatus;
  /** Tail of this rule's delivery chain. */
  chain: Promise<unknown>;
  /** When the rule last sent an ALERT (its mute period runs from there). */
  alertedAt: number | null;
  /** When the rule last went to ALERT (an Alertmanager resolve repeats its `startsAt`). */
  firingSince?: number;
}

type Reading = { value: number; breaching: boolean } | null;

/** Kubernetes' probe defaults (periodSeconds 10, failureThreshold 3). */
const PROBE_PERIOD_MS = 10_000;
const PROBE_FAILURE_THRESHOLD = 3;

export class AlarmEvaluator {
  private readonly states: RuleState[];
  private readonly task: PeriodicTask;
  private targets: AlarmTargets;

  constructor(private readonly opts: AlarmEvaluatorOptions) {
    this.targets = opts.targets;
    const rules = opts.rules ?? opts.topology.alarms;
    const problems = rules.flatMap((r) => alarmRuleProblems(opts.topology, r));
    if (problems.length > 0) throw new ValidationError(problems);
    const now = opts.clock.now();
    this.states = rules.map((rule) => ({
      rule,
      status: {
        ruleId: rule.id,
        name: rule.name,
        kind: rule.kind,
        state: 'OK',
        breaches: 0,
        lastValue: null,
        lastEvaluatedAt: null,
        nextEvaluationAt: firstBoundary(now, rule.period),
        since: now,
      },
      chain: Promise.resolve(),
      alertedAt: null,
    }));
    this.task = new PeriodicTask(opts.clock, opts.tickMs ?? 1000, () => this.evaluate());
  }

  setTargets(targets: AlarmTargets): void {
    this.targets = targets;
  }

  start(): void {
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  statuses(): AlarmRuleStatus[] {
    return this.states.map((s) => ({ ...s.status }));
  }

  /** What the delivery sent and when (the incident benchmark's time to detect reads it). */
  deliveries(): DeliveryRecord[] {
    return this.opts.delivery.records();
  }

  /** Evaluate every rule whose period has ended; deliveries go out in the background. */
  evaluate(): void {
    const now = this.opts.clock.now();
    for (const s of this.states) {
      if (now < s.status.nextEvaluationAt) continue;
      const periodEnd = s.status.nextEvaluationAt;
      // A loop that fell behind evaluates the latest whole period, not every missed one.
      const end = periodEnd + Math.floor((now - periodEnd) / s.rule.period) * s.rule.period;
      s.status.nextEvaluationAt = end + s.rule.period;
      s.status.lastEvaluatedAt = now;
      const reading = this.read(s.rule, end - s.rule.period, end);
      if (reading === null) continue;
      s.status.lastValue = reading.value;
      if (reading.breaching) {
        s.status.breaches++;
        if (s.status.state === 'OK' && s.status.breaches >= s.rule.periods) this.transition(s, 'ALERT', reading.value, now);
        else if (s.status.state === 'ALERT' && s.alertedAt !== null && now - s.alertedAt >= (this.opts.silenceMs ?? CMS_DEFAULT_SILENCE_MS))
          this.notify(s, 'ALERT', reading.value, now);
      } else {
        s.status.breaches = 0;
        if (s.status.state === 'ALERT') this.transition(s, 'OK', reading.value, now);
      }
    }
  }

  /** Wait for every notification sent so far. */
  async idle(): Promise<void> {
    await Promise.all(this.states.map((s) => s.chain));
    await this.opts.delivery.idle();
  }

  private read(rule: AlarmRule, from: number, to: number): Reading {
    if (rule.kind === 'error-ratio') {
      const stats = this.opts.metrics.stats(
        { kind: 'destination', region: rule.region, service: rule.service, version: rule.version },
        from,
        to,
      );
      if (stats.requests < rule.minRequests) return null;
      return { value: stats.errorPercent, breaching: stats.errorPercent > rule.thresholdPercent };
    }
    if (rule.kind === 'latency') {
      // Every version of the service in the region, as one region's latency metric aggregates
      // its pods; a 503 answered at once counts with its (short) latency, as the mesh records it.
      const stats = this.opts.metrics.stats({ kind: 'destination', region: rule.region, service: rule.service }, from, to);
      if (stats.requests < rule.minRequests || !stats.latencyMs) return null;
      const value = stats.latencyMs[`p${rule.percentile}`];
      return { value, breaching: value > rule.thresholdMs };
    }
    const replicas = this.opts.config.replicas(rule.cluster, rule.namespace, rule.deployment);
    if (!replicas) return null;
    return { value: replicas.ready, breaching: replicas.ready === 0 };
  }

  private transition(s: RuleState, state: 'ALERT' | 'OK', value: number, now: number): void {
    s.status.state = state;
    s.status.since = now;
    this.notify(s, state, value, now);
  }

  /** Send the rule's notification (a transition's, or an ALERT repeated after its mute period). */
  private notify(s: RuleState, state: 'ALERT' | 'OK', value: number, now: number): void {
    if (state === 'ALERT') s.alertedAt = now;
    const send = this.notification(s, state, value, now);
    if (!send) return;
    // Chained per rule: an OK must never overtake the ALERT it clears.
    s.chain = s.chain.then(() => this.opts.delivery.deliver(send));
  }

  private notification(s: RuleState, state: 'ALERT' | 'OK', value: number, now: number): DeliveryRequest | null {
    const rule = s.rule;
    if (rule.kind === 'ready-replicas-zero' && rule.delivery === 'ack-event') {
      // What a cluster really reports when a deployment's pods exist but none is ready: the
      // kubelet's readiness probe failures (Warning Unhealthy, on a pod). A pod turns unready
      // after failureThreshold (3) failed probes, one per periodSeconds (10 s), and the count
      // keeps growing while it stays so. Nothing is reported when readiness returns, and a
      // deployment scaled to zero has no pods to report on.
      if (!this.targets.ackEventsUrl || state === 'OK') return null;
      const replicas = this.opts.config.replicas(rule.cluster, rule.namespace, rule.deployment);
      if (!replicas || replicas.desired === 0) return null;
      const breaching = s.status.breaches * rule.period;
      const count = PROBE_FAILURE_THRESHOLD + Math.floor(breaching / PROBE_PERIOD_MS);
      const region = this.regionOfCluster(rule.cluster);
      const event = ackPodEvent({
        account: this.opts.topology.account,
        region: region.name,
        clusterId: rule.cluster,
        namespace: rule.namespace,
        deployment: rule.deployment,
        reason: 'Unhealthy',
        message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
        type: 'Warning',
        at: now,
        count,
        firstAt: now - (count - 1) * PROBE_PERIOD_MS,
      });
      return {
        ruleId: rule.id,
        kind: 'ack-event',
        state,
        url: this.targets.ackEventsUrl(region.name),
        body: JSON.stringify(event),
        contentType: 'application/json',
      };
    }
    if (rule.kind === 'error-ratio' && rule.delivery === 'alertmanager') {
      if (!this.targets.alertmanagerUrl) return null;
      const body = alertmanagerWebhook({
        alertName: rule.name,
        state,
        labels: {
          region: rule.region,
          service: rule.service,
          ...(rule.version ? { version: rule.version } : {}),
          severity: rule.level.toLowerCase(),
        },
        value: String(value),
        summary: `${rule.service} 5xx ratio is ${value}% in ${rule.region}`,
        // A resolve keeps the alert's start: the time it went to ALERT.
        startsAt: state === 'ALERT' ? now : (s.firingSince ?? now),
        at: now,
      });
      if (state === 'ALERT') s.firingSince = now;
      return {
        ruleId: rule.id,
        kind: 'alertmanager',
        state,
        url: this.targets.alertmanagerUrl,
        body: JSON.stringify(body),
        contentType: 'application/json',
      };
    }
    if (!this.targets.cmsCallbackUrl) return null;
    const form = cmsCallbackForm(this.cmsInput(rule, state, value, now));
    const region = rule.kind === 'ready-replicas-zero' ? this.regionOfCluster(rule.cluster).name : rule.region;
    const url = cmsCallbackUrlFor(this.targets.cmsCallbackUrl, region);
    return { ruleId: rule.id, kind: 'cms-callback', state, url, body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
  }

  private cmsInput(
    rule: ErrorRatioRule | LatencyRule | ReadyReplicasRule,
    state: 'ALERT' | 'OK',
    value: number,
    now: number,
  ): CmsCallbackInput {
    const common = {
      ruleId: rule.id,
      alertName: rule.name,
      state,
      level: rule.level,
      metricName: rule.metricName,
      userId: this.opts.topology.account,
      at: now,
    };
    // Custom-metric dimensions (user-defined, as PutCustomMetric reports them): no region among
    // them, as no documented CMS dimension set has one; the URL carries the region.
    if (rule.kind === 'error-ratio') {
      return {
        ...common,
        curValue: String(value),
        expression: `$Average>${rule.thresholdPercent}`,
        instanceName: `${rule.service}${rule.version ? `-${rule.version}` : ''} (${rule.region})`,
        dimensions: { service: rule.service, ...(rule.version ? { version: rule.version } : {}) },
      };
    }
    if (rule.kind === 'latency') {
      // The same documented fields as the 5xx callback; only the operator's metric, name and
      // expression differ (a custom metric carries the percentile, as its name says).
      return {
        ...common,
        curValue: String(value),
        expression: `$Average>${rule.thresholdMs}`,
        instanceName: `${rule.service} (${rule.region})`,
        dimensions: { service: rule.service },
      };
    }
    return {
      ...common,
      curValue: String(value),
      expression: '$Minimum==0',
      instanceName: `${rule.cluster}/${rule.namespace}/${rule.deployment}`,
      dimensions: { clusterId: rule.cluster, namespace: rule.namespace, deployment: rule.deployment },
    };
  }

  private regionOfCluster(cluster: string): Topology['regions'][number] {
    // Checked at construction by alarmRuleProblems.
    return this.opts.topology.regions.find((r) => r.clusters.some((c) => c.name === cluster)) as Topology['regions'][number];
  }
}

/** What a rule names that the topology does not have, each naming the rule and field. */
export function alarmRuleProblems(topology: Topology, rule: AlarmRule): string[] {
  const at = `alarm ${rule.id}`;
  if (rule.kind === 'error-ratio' || rule.kind === 'latency') {
    const problems: string[] = [];
    if (!topology.regions.some((r) => r.name === rule.region)) problems.push(`${at}.region: unknown region ${rule.region}`);
    if (!topology.services.some((s) => s.name === rule.service)) problems.push(`${at}.service: unknown service ${rule.service}`);
    return problems;
  }
  return topology.regions.some((r) => r.clusters.some((c) => c.name === rule.cluster))
    ? []
    : [`${at}.cluster: unknown cluster ${rule.cluster}`];
}

function firstBoundary(now: number, period: number): number {
  return (Math.floor(now / period) + 1) * period;
}
