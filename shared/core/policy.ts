import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { PolicyError } from './errors';
import { policySchema, type ParsedPolicy } from './policy-schema';
import { validCron } from './windows';
import type { TrafficMatrix } from './types';

/** A validated policy with its defaults filled in: the only policy shape the core sees. */
export interface Policy extends Omit<ParsedPolicy, 'normal' | 'failover'> {
  /** Region ids in declaration order: the tie-breaker wherever an order is needed. */
  regionIds: string[];
  normal: TrafficMatrix;
  failover: Record<string, string[]>;
}

/** `a.b.c: message` for every zod issue, with record keys and array indexes as written. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): string[] {
  return issues.map((i) => `${formatPath([...prefix, ...i.path]) || '(root)'}: ${i.message}`);
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/** Replace `${env:NAME}` with the variable's value; a missing variable is an error naming it. */
export function substituteEnv(text: string, env: Record<string, string | undefined>): { text: string; missing: string[] } {
  const missing: string[] = [];
  const out = text.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) {
      missing.push(name);
      return '';
    }
    return v;
  });
  return { text: out, missing };
}

export function loadPolicyYaml(text: string, env: Record<string, string | undefined> = {}): Policy {
  const sub = substituteEnv(text, env);
  if (sub.missing.length) throw new PolicyError(sub.missing.map((n) => `\${env:${n}}: environment variable is not set`));
  let raw: unknown;
  try {
    raw = parseYaml(sub.text);
  } catch (err) {
    throw new PolicyError([`(yaml): ${(err as Error).message.split('\n')[0]}`]);
  }
  return parsePolicy(raw);
}

/** Validate a policy object: every structural and semantic problem is reported, each with its path. */
export function parsePolicy(raw: unknown): Policy {
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) throw new PolicyError(formatIssues(parsed.error.issues));
  const p = parsed.data;
  const problems: string[] = [];
  const regionIds = Object.keys(p.regions);
  const known = new Set(regionIds);
  const checkRegion = (path: string, r: string) => {
    if (!known.has(r)) problems.push(`${path}: unknown region ${r} (declared: ${regionIds.join(', ')})`);
  };

  const normal: TrafficMatrix = {};
  for (const src of regionIds) normal[src] = { [src]: 100 };
  if (p.normal) {
    for (const [src, row] of Object.entries(p.normal)) {
      checkRegion(`normal.${src}`, src);
      for (const dst of Object.keys(row)) checkRegion(`normal.${src}.${dst}`, dst);
    }
    problems.push(...checkMatrix('normal', p.normal, regionIds));
    for (const src of regionIds) if (p.normal[src]) normal[src] = dropZeros(p.normal[src]);
  }

  const failover: Record<string, string[]> = {};
  for (const src of regionIds) {
    const given = p.failover?.[src];
    failover[src] = given ?? regionIds.filter((r) => r !== src);
  }
  for (const [src, order] of Object.entries(p.failover ?? {})) {
    checkRegion(`failover.${src}`, src);
    order.forEach((dst, i) => {
      checkRegion(`failover.${src}[${i}]`, dst);
      if (dst === src) problems.push(`failover.${src}[${i}]: a region cannot fail over to itself`);
      if (order.indexOf(dst) !== i) problems.push(`failover.${src}[${i}]: ${dst} is listed twice`);
    });
    if (order.filter((d) => d !== src && known.has(d)).length === 0) {
      problems.push(`failover.${src}: names no other region, so a drained ${src} could never reach a healthy region`);
    }
  }
  problems.push(...checkFailoverReach(failover, regionIds));

  p.detection.rules.forEach((rule, i) => {
    if ('fixed' in rule.region) checkRegion(`detection.rules[${i}].region.fixed`, rule.region.fixed);
    if (p.detection.rules.findIndex((r) => r.name === rule.name) !== i) problems.push(`detection.rules[${i}].name: ${rule.name} is used twice`);
  });

  p.scaling.deployments.forEach((d, i) => {
    for (const [region, r] of Object.entries(d.regions)) {
      const path = `scaling.deployments[${i}].regions.${region}`;
      checkRegion(path, region);
      if (r.min > r.max) problems.push(`${path}: min (${r.min}) > max (${r.max})`);
      if (r.normalReplicas < r.min || r.normalReplicas > r.max) problems.push(`${path}.normalReplicas: ${r.normalReplicas} is outside [min ${r.min}, max ${r.max}]`);
      const clusters = p.regions[region]?.clusters ?? [];
      if (r.cluster !== undefined && !clusters.some((c) => c.id === r.cluster)) problems.push(`${path}.cluster: ${r.cluster} is not a cluster of ${region}`);
      if (r.cluster === undefined && known.has(region) && clusters.length === 0) problems.push(`${path}: region ${region} declares no cluster to scale in`);
    }
  });

  p.schedules.forEach((s, i) => {
    const path = `schedules[${i}]`;
    const cronProblem = validCron(s.cron, s.timezone);
    if (cronProblem) problems.push(`${path}.${cronProblem.field}: ${cronProblem.message}`);
    if (s.matrix) {
      for (const [src, row] of Object.entries(s.matrix)) {
        checkRegion(`${path}.matrix.${src}`, src);
        for (const dst of Object.keys(row)) checkRegion(`${path}.matrix.${src}.${dst}`, dst);
      }
      problems.push(...checkMatrix(`${path}.matrix`, s.matrix, regionIds));
    }
    s.drain?.forEach((r, j) => checkRegion(`${path}.drain[${j}]`, r));
    if (s.drain && s.drain.length >= regionIds.length) problems.push(`${path}.drain: cannot drain every region`);
    if (p.schedules.findIndex((o) => o.name === s.name) !== i) problems.push(`${path}.name: ${s.name} is used twice`);
  });

  const windows = [
    ...p.safety.freezeWindows.map((w, i) => ({ w, path: `safety.freezeWindows[${i}]` })),
    ...p.drills.allowedWindows.map((w, i) => ({ w, path: `drills.allowedWindows[${i}]` })),
  ];
  for (const { w, path } of windows) {
    const cronProblem = validCron(w.cron, w.timezone);
    if (cronProblem) problems.push(`${path}.${cronProblem.field}: ${cronProblem.message}`);
  }

  if (p.safety.minServingRegions > regionIds.length) problems.push(`safety.minServingRegions: ${p.safety.minServingRegions} is more than the ${regionIds.length} declared regions`);
  if (p.safety.maxDrainedRegions > regionIds.length - p.safety.minServingRegions) {
    problems.push(`safety.maxDrainedRegions: ${p.safety.maxDrainedRegions} would leave fewer than minServingRegions (${p.safety.minServingRegions}) serving`);
  }
  if (p.recovery.steps[p.recovery.steps.length - 1] !== 100) problems.push('recovery.steps: the last step must be 100 (full share back)');
  if (p.recovery.steps.some((s, i) => i > 0 && s <= (p.recovery.steps[i - 1] as number))) problems.push('recovery.steps: must increase');
  if (p.recovery.maxHold < p.recovery.holdFor) problems.push('recovery.maxHold: must be >= recovery.holdFor');
  if (p.overrides.defaultTtl > p.overrides.maxTtl) problems.push('overrides.defaultTtl: must be <= overrides.maxTtl');
  if (p.mesh.backend === 'asm' && p.mesh.apiRegion && !known.has(p.mesh.apiRegion)) {
    // The API region need not host a data-plane cluster; nothing to check.
  }

  if (problems.length) throw new PolicyError(problems);
  return { ...p, regionIds, normal, failover };
}

function dropZeros(row: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v > 0));
}

function checkMatrix(path: string, m: Record<string, Record<string, number>>, regionIds: string[]): string[] {
  const problems: string[] = [];
  for (const [src, row] of Object.entries(m)) {
    const sum = Object.values(row).reduce((a, b) => a + b, 0);
    if (sum !== 100) problems.push(`${path}.${src}: weights sum to ${sum}, must be exactly 100`);
  }
  const missing = regionIds.filter((r) => !m[r]);
  if (missing.length) problems.push(`${path}: no row for ${missing.join(', ')} (every region's traffic must go somewhere)`);
  return problems;
}

/**
 * Following the failover orders from any region must be able to reach every other region:
 * an order that loops among a subset (a→b, b→a with c never named) strands traffic when the
 * loop's regions are all drained.
 */
function checkFailoverReach(failover: Record<string, string[]>, regionIds: string[]): string[] {
  const problems: string[] = [];
  for (const start of regionIds) {
    const seen = new Set([start]);
    const queue = [start];
    while (queue.length) {
      const r = queue.shift() as string;
      for (const next of failover[r] ?? []) if (!seen.has(next) && regionIds.includes(next)) { seen.add(next); queue.push(next); }
    }
    const stranded = regionIds.filter((r) => !seen.has(r));
    if (stranded.length) problems.push(`failover.${start}: the failover orders form a cycle that never reaches ${stranded.join(', ')}`);
  }
  return problems;
}
