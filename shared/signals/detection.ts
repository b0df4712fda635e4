import { globMatch } from '../core/glob';
import { boundedKey, boundedText } from '../core/limits';
import type { Policy } from '../core/policy';
import type { DetectionRule } from '../core/policy-schema';
import type { Severity, Signal } from '../core/types';
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
  return Object.entries(want ?? {}).every(([k, v]) => have[k] === v);
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

function regionOf(rule: DetectionRule, raw: RawAlarm, policy: Policy): Outcome<string> {
  const spec = rule.region;
  let region: string | undefined;
  let from: string;
  if ('fixed' in spec) {
    region = spec.fixed;
    from = 'the rule';
  } else if ('fromPayload' in spec) {
    region = raw.regionId;
    from = 'the payload regionId';
  } else if ('fromDimension' in spec) {
    region = raw.dimensions[spec.fromDimension];
    from = `dimension ${spec.fromDimension}`;
  } else if ('fromLabel' in spec) {
    region = raw.labels[spec.fromLabel];
    from = `label ${spec.fromLabel}`;
  } else {
    if (raw.clusterId === undefined) return { why: 'the alarm names no cluster' };
    const owner = policy.regionIds.find((r) => policy.regions[r]?.clusters.some((c) => c.id === raw.clusterId));
    if (owner === undefined) return { why: `cluster ${raw.clusterId} belongs to no region of the policy` };
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
  const mapped = rule.severity[raw.level];
  if (mapped === undefined) return { why: `level ${raw.level} is not mapped to a severity (mapped: ${Object.keys(rule.severity).join(', ')})` };
  return { ok: mapped };
}

/** The rule's fixed service, else the alarm's own `service` label or dimension. */
function serviceOf(rule: DetectionRule, raw: RawAlarm): string | undefined {
  return rule.service ?? (raw.labels.service || raw.dimensions.service || undefined);
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
    const service = serviceOf(rule, raw);
    signals.push({
      // Keys and names are bounded: every active signal lives in the one state row.
      key: boundedKey(`${rule.name}|${raw.source}|${raw.instance}`),
      source: raw.source,
      rule: rule.name,
      region: region.ok,
      ...(service !== undefined && { service: boundedText(service) }),
      severity: graded,
      status: raw.state,
      at: raw.at,
      ttl: rule.ttl ?? policy.detection.defaultTtl,
      name: boundedText(raw.name),
    });
  }
  return notes.length ? { signals, matched, note: `${describe}: ${notes.join('; ')}` } : { signals, matched };
}
