import { z } from 'zod';
import { ownValue } from '../core/own';
import { canonicalPairs, type RawAlarm } from './raw-alarm';
import { parseDimensions, epochMs } from './cms-fields';

/**
 * CloudMonitor's alerting state read back (DescribeAlertingMetricRuleResources, cms 2019-01-01):
 * one entry per resource an alert rule is alerting on now. Each becomes the raw alarm its ALERT
 * callback would have been, so a callback lost during an outage (CMS tries 4 times, then waits
 * SilenceTime, at least 3,600 s, before it notifies again) is heard on the next read.
 *
 * Only fields the API reference and the SDK's `DescribeAlertingMetricRuleResourcesResponseBody`
 * document are read: RuleId, RuleName, MetricName, Namespace, Dimensions (JSON text), Level
 * (a number), LastAlertTime (epoch ms, text), MetricValues (JSON text: the value, as `curValue`). The same alarm's callback and this read share
 * their signal key: the rule id and the dimensions (userId among them) make the alarm instance,
 * the region comes from the policy's mapping of the rule, as a callback's from its URL.
 */

/**
 * `Level` is a number where the callback's `triggerLevel` is a word. The API documents the
 * numbers by notification method (2: phone, text, email, DingTalk; 3: text, email, DingTalk;
 * 4: email, DingTalk), which are CloudMonitor's Critical, Warn and Info channels: this mapping
 * is inferred from that, not stated; docs/cloud-contracts.md says so. A level outside it
 * yields no signal (the alarm is reported, never guessed at).
 */
export const CMS_LEVEL_NAMES: Readonly<Record<string, 'CRITICAL' | 'WARN' | 'INFO'>> = { '2': 'CRITICAL', '3': 'WARN', '4': 'INFO' };

const text = z.union([z.string(), z.number()]).transform((v) => String(v).trim());

/** One alerting resource, as documented (other fields pass through unread). */
export const alertingResourceSchema = z
  .object({
    RuleId: text.pipe(z.string().min(1, 'required')),
    RuleName: text.optional(),
    MetricName: text.optional(),
    Namespace: text.optional(),
    Dimensions: z.unknown().optional(),
    Level: text.optional(),
    LastAlertTime: text.optional(),
    MetricValues: z.unknown().optional(),
  })
  .loose();
export type AlertingResource = z.output<typeof alertingResourceSchema>;

/** The reply's documented envelope: `Resources.Resource[]`, `Total`, `Success`, `Code`, `Message`. */
export const alertingReplySchema = z
  .object({
    Success: z.union([z.boolean(), z.string()]).optional(),
    Code: text.optional(),
    Message: z.string().optional(),
    Total: z.union([z.number(), z.string()]).optional(),
    Resources: z
      .object({ Resource: z.array(z.unknown()).optional() })
      .loose()
      .optional(),
  })
  .loose();

export interface AlertingRead {
  raws: RawAlarm[];
  /** Entries that could not become an alarm, each saying why (audited, never guessed at). */
  problems: string[];
}

/**
 * The alarms one rule's alerting resources stand for. `region` is the policy's region for the
 * rule (as the callback URL's `?region=`). The alarm's time is its `LastAlertTime`, so a resolve
 * remembered for its key (a tombstone) still orders against it; a time older than
 * `maxAge` (or none) becomes the oldest time `maxAge` accepts: CloudMonitor says the alert is
 * active now, and an old time says only when it began, not that the read is stale.
 */
export function alertingRawAlarms(entries: unknown[], opts: { ruleId: string; region: string; now: number; maxAge: number }): AlertingRead {
  const raws: RawAlarm[] = [];
  const problems: string[] = [];
  const floor = opts.now - opts.maxAge + 1000;
  entries.forEach((entry, i) => {
    const parsed = alertingResourceSchema.safeParse(entry);
    if (!parsed.success) {
      problems.push(
        `${opts.ruleId} resource ${i}: ${parsed.error.issues.map((x) => `${x.path.join('.') || '(entry)'}: ${x.message}`).join('; ')}`,
      );
      return;
    }
    const r = parsed.data;
    // A reply for another rule (the filter ignored) is not this rule's alarm.
    if (r.RuleId !== opts.ruleId) {
      problems.push(`${opts.ruleId} resource ${i}: reply names rule ${r.RuleId}; skipped`);
      return;
    }
    const dimensions = parseDimensions(r.Dimensions ?? {});
    if (dimensions === null) {
      problems.push(`${opts.ruleId} resource ${i}: Dimensions is not a JSON object`);
      return;
    }
    const level = r.Level === undefined ? undefined : ownValue(CMS_LEVEL_NAMES, r.Level);
    if (level === undefined) {
      problems.push(`${opts.ruleId} resource ${i}: Level ${JSON.stringify(r.Level ?? null)} is not 2, 3 or 4 (Critical, Warn, Info)`);
      return;
    }
    const curValue = metricValueOf(r.MetricValues);
    const last = r.LastAlertTime === undefined || r.LastAlertTime === '' ? null : epochMs(r.LastAlertTime);
    const labels: Record<string, string> = { ruleId: r.RuleId };
    if (r.Namespace) labels.metricProject = r.Namespace;
    raws.push({
      source: 'cms',
      name: r.RuleName || r.RuleId,
      state: 'firing',
      level,
      ...(r.MetricName ? { metric: r.MetricName } : {}),
      dimensions,
      labels,
      urlRegion: opts.region,
      // As cmsRawAlarm builds it for the callback: the rule plus the monitored object.
      instance: `${r.RuleId}|${canonicalPairs(dimensions)}`,
      at: Math.max(last ?? floor, floor),
      message: `CloudMonitor reports rule ${r.RuleId} alerting at level ${level} (read back)`,
      ...(curValue !== undefined ? { curValue } : {}),
    });
  });
  return { raws, problems };
}

/**
 * The value that triggered the alert, as the callback's `curValue`: `MetricValues` is JSON text
 * ("The metric value that triggered the alert ... The value is a JSON string", its example
 * `{"timestamp":…,"Sum":926,"value":463,"Maximum":463,"Minimum":463,"Average":463,…}`); its
 * `value`, else `Average`. Anything else gives no value (the signal still fires, without a measure).
 */
export function metricValueOf(input: unknown): string | undefined {
  let v: unknown = input;
  if (typeof v === 'string') {
    if (v.length > 10_000) return undefined;
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const obj = v as Record<string, unknown>;
  const n = ownValue(obj, 'value') ?? ownValue(obj, 'Average');
  return typeof n === 'number' && Number.isFinite(n)
    ? String(n)
    : typeof n === 'string' && n.trim() !== '' && Number.isFinite(Number(n))
      ? n.trim()
      : undefined;
}
