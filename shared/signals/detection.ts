import { globMatch } from '../core/glob';
import { boundedKey, boundedText } from '../core/limits';
import { ownValue } from '../core/own';
import type { Policy } from '../core/policy';
import type { DetectionRule } from '../core/policy-schema';
import type { Severity, Signal, SignalMeasure } from '../core/types';
import type { RawAlarm } from './raw-alarm';

/**
 * Policy detection rules turn a raw alarm into signals. Every matching rule yields its own
 * signal (its own key), so quorum can count distinct rules and sources for one alarm. A rule
 * that matches but cannot place or grade the alarm yields nothing and says why in `note`:
 * an unusable alarm is an operator's configuration question, not a failed request.
 */
export interface DetectionResult {
  signals: Signal[];
  /** Names of the rules whose match criteria the alarm met, signal or not. */
  matched: string[];
  note?: string;
}

export { globMatch };

function entriesMatch(want: Record<string, string> | undefined, have: Record<string, string>): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => ownValue(have, k) === v);
}

export function ruleMatches(rule: DetectionRule, raw: RawAlarm): boolean {
  const m = rule.match;
  return (
    (m.source === undefined || m.source === raw.source) &&
    (m.alertName === undefined || globMatch(m.alertName, raw.name)) &&
    (m.metric === undefined || m.metric === raw.metric) &&
    entriesMatch(m.dimensions, raw.dimensions) &&
    entriesMatch(m.labels, raw.labels)
  );
}

type Outcome<T> = { ok: T } | { why: string };

/**
 * A rule's window: the alarm must report `count` occurrences within `within`. An Event whose
 * occurrences span longer counts at its average rate over that span (kube-eventer forwards
 * each update, so a steady failure keeps arriving with a growing count). A resolve passes.
 */
function windowMet(rule: DetectionRule, raw: RawAlarm): Outcome<true> {
  const w = rule.window;
  if (!w || raw.state !== 'firing') return { ok: true };
  const o = raw.occurrences;
  if (!o) return { why: `the alarm reports no occurrence count for window ${w.count} within ${w.within / 1000}s` };
  const span = Math.max(0, o.last - o.first);
  const inWindow = span <= w.within ? o.count : Math.floor((o.count * w.within) / span);
  if (inWindow >= w.count) return { ok: true };
  return {
    why: `${inWindow} occurrence(s) within ${w.within / 1000}s (count ${o.count} over ${Math.round(span / 1000)}s), window needs ${w.count}`,
  };
}

type RegionSpec = NonNullable<DetectionRule['region']>;

/**
 * A rule's region spec, or the default for the alarm's source: CMS callbacks name no region, so
 * theirs comes from the callback URL; ACK events and Alertmanager alerts name their own region
 * (the event subject, the `region` label).
 */
export function regionSpecOf(rule: DetectionRule, source: RawAlarm['source']): RegionSpec {
  if (rule.region !== undefined) return rule.region;
  return source === 'ack' || source === 'alertmanager' ? { fromPayload: 'regionId' } : { fromUrl: true };
}

function regionOf(rule: DetectionRule, raw: RawAlarm, policy: Policy): Outcome<string> {
  const spec = regionSpecOf(rule, raw.source);
  let region: string | undefined;
  let from: string;
  if ('fromUrl' in spec) {
    // Only the HTTP callback has a URL; EventBridge events and ACK events do not.
    if (raw.urlRegion === undefined)
      return {
        why: `the alarm came without a callback URL naming a region (set ?region=<region> on the ${raw.source} callback URL, or place the rule's alarms with fixed or fromInstance)`,
      };
    region = raw.urlRegion;
    from = 'the callback URL';
  } else if ('fixed' in spec) {
    region = spec.fixed;
    from = 'the rule';
  } else if ('fromInstance' in spec) {
    const instanceId = ownValue(raw.dimensions, 'instanceId');
    if (instanceId === undefined || instanceId === '') return { why: 'the alarm has no instanceId dimension to look up in fromInstance' };
    region = ownValue(spec.fromInstance, instanceId);
    if (region === undefined) return { why: `instance ${instanceId} is not in the rule's fromInstance map` };
    from = `fromInstance ${instanceId}`;
  } else if ('fromDimension' in spec) {
    const value = ownValue(raw.dimensions, spec.fromDimension);
    if (spec.map === undefined || value === undefined || value === '') {
      region = value;
      from = `dimension ${spec.fromDimension}`;
    } else {
      region = ownValue(spec.map, value);
      if (region === undefined) return { why: `dimension ${spec.fromDimension}=${value} is not in the rule's map` };
      from = `dimension ${spec.fromDimension}=${value}`;
    }
  } else if ('fromPayload' in spec) {
    // CMS payloads carry no regionId (the parser never sets one): this places ACK and Alertmanager alarms only.
    region = raw.regionId;
    from = raw.source === 'cms' ? 'the payload (CMS callbacks carry no regionId; use fromUrl)' : 'the payload regionId';
  } else if ('fromLabel' in spec) {
    region = ownValue(raw.labels, spec.fromLabel);
    from = `label ${spec.fromLabel}`;
  } else {
    if (raw.clusterId === undefined) return { why: 'the alarm names no cluster' };
    const owner = policy.regionIds.find((r) => policy.regions[r]?.clusters.some((c) => c.id === raw.clusterId));
    if (owner === undefined) return { why: `cluster ${raw.clusterId} belongs to no region of the policy` };
    // An ACK event whose subject/aliyunregionid places the cluster elsewhere is misconfigured or
    // forged: audit it, act on nothing.
    if (raw.source === 'ack' && raw.regionId && raw.regionId !== owner) {
      return { why: `the event names region ${raw.regionId}, but cluster ${raw.clusterId} is in ${owner} by the policy; not acted on` };
    }
    return { ok: owner };
  }
  if (region === undefined || region === '') return { why: `no region in ${from}` };
  if (!policy.regionIds.includes(region)) {
    return { why: `region ${region} (from ${from}) is not declared in the policy (declared: ${policy.regionIds.join(', ')})` };
  }
  return { ok: region };
}

function severityOf(rule: DetectionRule, raw: RawAlarm): Outcome<Severity> {
  if (typeof rule.severity === 'string') return { ok: rule.severity };
  if (raw.level === undefined) return { why: 'the alarm has no level to map to a severity' };
  // Own keys only: a level spelled toString, constructor or __proto__ must not find Object.prototype's.
  const mapped = ownValue(rule.severity, raw.level);
  if (mapped === undefined)
    return { why: `level ${raw.level} is not mapped to a severity (mapped: ${Object.keys(rule.severity).join(', ')})` };
  return { ok: mapped };
}

/**
 * The rule's fixed service, else the alarm's own `service` label or dimension, else (an ACK
 * event) the service of the Deployment its involved object belongs to, when the policy's
 * `scaling.deployments[]` entry for that name and namespace names one.
 */
function serviceOf(rule: DetectionRule, raw: RawAlarm, policy: Policy): string | undefined {
  const own = rule.service ?? (ownValue(raw.labels, 'service') || ownValue(raw.dimensions, 'service') || undefined);
  if (own !== undefined || raw.source !== 'ack') return own;
  const name = ownValue(raw.labels, 'deployment');
  const ns = ownValue(raw.labels, 'namespace');
  if (!name) return undefined;
  return policy.scaling.deployments.find((d) => d.name === name && (ns === undefined || d.namespace === ns) && d.service !== undefined)
    ?.service;
}

/** A number as a source writes it ("34.5", "34.5%"); anything else is no measure. */
function numberOf(text: string | undefined): number | null {
  if (text === undefined) return null;
  const m = /^\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*%?\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : null;
}

/**
 * The alarm's magnitude, as the rule says to read it: CMS `curValue`, or an Alertmanager
 * annotation or label. A value that is absent or not a number gives no measure (the signal still
 * fires: a missing magnitude never stops a drain, it only leaves the region less comparable).
 */
export function measureOf(rule: DetectionRule, raw: RawAlarm): SignalMeasure | undefined {
  const spec = rule.measure;
  if (!spec || raw.state !== 'firing') return undefined;
  const from = spec.from;
  const text =
    from === 'curValue'
      ? raw.curValue
      : 'annotation' in from
        ? ownValue(raw.annotations, from.annotation)
        : ownValue(raw.labels, from.label);
  const n = numberOf(text);
  if (n === null) return undefined;
  const metric = boundedText(raw.metric ?? rule.name);
  if (spec.kind === 'errorPercent' || spec.kind === 'errorRatio') {
    const share = spec.kind === 'errorPercent' ? n / 100 : n;
    if (share < 0 || share > 1) return undefined;
    return { kind: 'errorShare', value: share, metric };
  }
  return { kind: spec.kind, value: n, metric };
}

export function toSignals(raw: RawAlarm, policy: Policy): DetectionResult {
  const rules = policy.detection.rules.filter((r) => ruleMatches(r, raw));
  const matched = rules.map((r) => r.name);
  const describe = `${raw.source} alarm ${raw.name}`;
  if (rules.length === 0) return { signals: [], matched, note: `${describe} matches no detection rule` };
  if (raw.state === 'insufficient') {
    return { signals: [], matched, note: `${describe} reports insufficient data, which says nothing about health` };
  }

  const signals: Signal[] = [];
  const notes: string[] = [];
  for (const rule of rules) {
    const window = windowMet(rule, raw);
    if ('why' in window) {
      notes.push(`rule ${rule.name}: ${window.why}`);
      continue;
    }
    const region = regionOf(rule, raw, policy);
    if ('why' in region) {
      notes.push(`rule ${rule.name}: ${region.why}`);
      continue;
    }
    const severity = severityOf(rule, raw);
    let graded: Severity;
    if ('ok' in severity) graded = severity.ok;
    else if (raw.state === 'resolved') {
      // A resolve clears the active signal by its key and its severity is never counted; an
      // OK notification often carries no usable level, and dropping it would leave the alarm
      // active until its TTL.
      graded = 'degraded';
    } else {
      notes.push(`rule ${rule.name}: ${severity.why}`);
      continue;
    }
    // A CMS alarm through EventBridge (payload shape unverified) never drains a region on its own
    // unless the operator, having checked a real event, allows it (detection.cmsEventBridge).
    const cap = raw.via === 'eventbridge' ? policy.detection.cmsEventBridge.maxSeverity : 'down';
    if (graded === 'down' && cap === 'degraded' && raw.state === 'firing') {
      graded = 'degraded';
      notes.push(
        `rule ${rule.name}: a CMS alarm through EventBridge is at most degraded (detection.cmsEventBridge.maxSeverity; check one real event first, see infra/README.md)`,
      );
    }
    const service = serviceOf(rule, raw, policy);
    const measure = measureOf(rule, raw);
    signals.push({
      // Keys and names are bounded: every active signal lives in the one state row. The region the
      // callback URL named is part of the identity: an OK posted to another region's URL is
      // another alarm's, and must not clear one placed here.
      key: boundedKey(`${rule.name}|${raw.source}|${raw.urlRegion !== undefined ? `@${raw.urlRegion}|` : ''}${raw.instance}`),
      source: raw.source,
      rule: rule.name,
      region: region.ok,
      ...(service !== undefined && { service: boundedText(service) }),
      severity: graded,
      status: raw.state,
      at: raw.at,
      ttl: rule.ttl ?? policy.detection.defaultTtl,
      name: boundedText(raw.name),
      ...(measure && { measure }),
    });
  }
  return notes.length ? { signals, matched, note: `${describe}: ${notes.join('; ')}` } : { signals, matched };
}

/**
 * What `validate` warns about in the detection rules: rules that parse but whose region can
 * never be found for some of the alarms they match. Not errors: an old policy keeps loading, and
 * a rule may match other sources for which the spec works.
 */
export function detectionWarnings(policy: Pick<Policy, 'detection'>): string[] {
  const warnings: string[] = [];
  policy.detection.rules.forEach((rule, i) => {
    const at = `detection.rules[${i}] (${rule.name}).region`;
    const source = rule.match.source;
    const spec = rule.region;
    if (spec === undefined) return;
    if ('fromPayload' in spec && (source === undefined || source === 'cms')) {
      warnings.push(
        `${at}: region can only come from an undocumented field: CloudMonitor alarm callbacks carry no regionId, so no CMS alarm would become a signal (use {fromUrl: true} with ?region=<region> on each region's callback URL, {fixed: <region>} or {fromInstance: {<instance id>: <region>}})`,
      );
    }
    if ('fromUrl' in spec && source === 'ack') {
      warnings.push(`${at}: ACK events arrive through EventBridge, which has no callback URL to name a region (use {fromCluster: true})`);
    }
  });
  return warnings;
}
