import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/**
 * The lab's CloudMonitor rules as the benchmark runs them. The default is CMS at its documented
 * periods: one period is one minute (the templates' `Period: 60`, the lab schema's default), with
 * the number of consecutive breaching periods the project's own templates set
 * (`infra/cms/alarm-templates.json`: `Escalations.*.Times`, 2 for the 5xx rules, 3 for latency).
 * Read from the templates, not typed here, so the benchmark follows them.
 *
 * `10s` is the variant the benchmark used to run for every alarm-driven row (10-s periods × 3):
 * kept as a labelled variant (`regionshift@10s`), never the default.
 *
 * The ready-replicas rules are not CMS rules (they model Kubernetes' readiness probes, delivered as
 * ACK events) and keep the topology's own period.
 */

export type CmsVariant = 'documented' | '10s';

export interface CmsRuleTiming {
  periodMs: number;
  /** Consecutive breaching periods before the rule fires. */
  periods: number;
}

export interface CmsTiming {
  errorRatio: CmsRuleTiming;
  latency: CmsRuleTiming;
}

const TEMPLATES = 'infra/cms/alarm-templates.json';

interface TemplateRule {
  MetricName: string;
  Period: string;
  [key: string]: string;
}

/** The templates' period and Times for a metric (the fewest Times among its escalation levels: the first level to fire). */
function templateTiming(rules: TemplateRule[], metric: string): CmsRuleTiming {
  const rule = rules.find((r) => r.MetricName === metric);
  if (!rule) throw new Error(`${TEMPLATES}: no rule on ${metric}`);
  const times = Object.entries(rule)
    .filter(([k]) => /^Escalations\.\w+\.Times$/.test(k))
    .map(([, v]) => Number(v));
  if (times.length === 0 || times.some((t) => !Number.isInteger(t) || t < 1))
    throw new Error(`${TEMPLATES}: ${metric} has no valid Escalations.*.Times`);
  const periodS = Number(rule.Period);
  if (!Number.isFinite(periodS) || periodS <= 0) throw new Error(`${TEMPLATES}: ${metric} Period ${rule.Period}`);
  return { periodMs: periodS * 1000, periods: Math.min(...times) };
}

/** The timing of a variant: the templates' for `documented`, 10 s × 3 for `10s`. */
export function cmsTiming(variant: CmsVariant, templatesFile = TEMPLATES): CmsTiming {
  if (variant === '10s') return { errorRatio: { periodMs: 10_000, periods: 3 }, latency: { periodMs: 10_000, periods: 3 } };
  const rules = (JSON.parse(readFileSync(templatesFile, 'utf8')) as { rules: TemplateRule[] }).rules;
  // UpstreamCode5xx / UpstreamRt: the templates' 5xx and latency rules (the lab's error-ratio and latency kinds).
  return { errorRatio: templateTiming(rules, 'UpstreamCode5xx'), latency: templateTiming(rules, 'UpstreamRt') };
}

/** A topology document as YAML parses it (only the parts rewritten here are typed). */
export interface TopologyDoc {
  alarms?: Array<Record<string, unknown>>;
  deployments?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

export function readTopology(file = 'lab/topology/bookinfo.yaml'): TopologyDoc {
  return parseYaml(readFileSync(file, 'utf8')) as TopologyDoc;
}

/** The topology with its CMS rules (error-ratio, latency) at the variant's timing. */
export function withCmsTiming(doc: TopologyDoc, timing: CmsTiming): TopologyDoc {
  const alarms = (doc.alarms ?? []).map((a) => {
    if (a.kind === 'error-ratio') return { ...a, period: `${timing.errorRatio.periodMs / 1000}s`, periods: timing.errorRatio.periods };
    if (a.kind === 'latency') return { ...a, period: `${timing.latency.periodMs / 1000}s`, periods: timing.latency.periods };
    return a;
  });
  return { ...doc, alarms };
}

export function writeTopology(doc: TopologyDoc, file: string): string {
  writeFileSync(file, stringifyYaml(doc));
  return file;
}

/**
 * When a CMS rule of this timing fires after a fault that starts `phaseMs` into a period, when the
 * diluted first period does not breach: the rest of that period, then `periods` whole periods.
 */
export function alarmAfterMs(t: CmsRuleTiming, phaseMs: number): number {
  return t.periodMs - phaseMs + t.periods * t.periodMs;
}
