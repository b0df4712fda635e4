import { formatDuration } from './duration';
import { policySchema, regionName, regionSchema, type DetectionRule, type ParsedPolicy } from './policy-schema';
import { MAX_ACTIVE_SIGNALS } from './limits';
import { ownValue } from './own';
import { cronProblems } from './windows';

/**
 * The policy's semantic checks: what the schema cannot say (regions named where none is declared,
 * matrices that do not add up, failover that cannot reach, scopes that clash). Run on a parsed
 * policy, or on the sections of a broken one that did parse, so one run names every problem.
 */

type Sections = Partial<ParsedPolicy>;
type SectionName = keyof ParsedPolicy;

/** What the semantic checks may rely on: the sections that parsed, and the declared regions. */
export interface SemanticView {
  p: Sections;
  parsed: ReadonlySet<SectionName>;
  regionIds: string[];
  /** Cluster ids per region, for the regions whose entry parsed. */
  clusters: Map<string, string[]>;
}

export function fullView(p: ParsedPolicy): SemanticView {
  const regionIds = Object.keys(p.regions);
  const clusters = new Map(regionIds.map((r) => [r, (p.regions[r]?.clusters ?? []).map((c) => c.id)]));
  return { p, parsed: new Set(Object.keys(policySchema.shape) as SectionName[]), regionIds, clusters };
}

export function salvageSections(raw: unknown): SemanticView {
  const p: Record<string, unknown> = {};
  const parsed = new Set<SectionName>();
  if (!isPlainObject(raw)) return { p: {}, parsed, regionIds: [], clusters: new Map() };
  for (const [key, schema] of Object.entries(policySchema.shape)) {
    const r = schema.safeParse(raw[key]);
    if (r.success) {
      p[key] = r.data;
      parsed.add(key as SectionName);
    }
  }
  // A bad region entry (load 0) still declares its id; keys that are not region ids do not.
  const rawRegions = isPlainObject(raw.regions) ? raw.regions : {};
  const regionIds = Object.keys(rawRegions).filter((k) => regionName.safeParse(k).success);
  const clusters = new Map<string, string[]>();
  for (const r of regionIds) {
    const entry = regionSchema.safeParse(rawRegions[r]);
    if (entry.success)
      clusters.set(
        r,
        entry.data.clusters.map((c) => c.id),
      );
  }
  return { p: p as Sections, parsed, regionIds, clusters };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function failoverOrders(view: SemanticView): Record<string, string[]> {
  const failover: Record<string, string[]> = {};
  for (const src of view.regionIds) failover[src] = view.p.failover?.[src] ?? view.regionIds.filter((r) => r !== src);
  return failover;
}

export function semanticProblems(view: SemanticView): string[] {
  const { p, parsed, regionIds } = view;
  const problems: string[] = [];
  const known = new Set(regionIds);
  const checkRegion = (path: string, r: string) => {
    if (!known.has(r)) problems.push(`${path}: unknown region ${r} (declared: ${regionIds.join(', ')})`);
  };
  const checkMatrix = (path: string, m: Record<string, Record<string, number>>, everyRow: boolean) => {
    for (const [src, row] of Object.entries(m)) {
      checkRegion(`${path}.${src}`, src);
      for (const dst of Object.keys(row)) checkRegion(`${path}.${src}.${dst}`, dst);
      const sum = Object.values(row).reduce((a, b) => a + b, 0);
      if (sum !== 100) problems.push(`${path}.${src}: weights sum to ${sum}, must be exactly 100`);
    }
    const missing = everyRow ? regionIds.filter((r) => !m[r]) : [];
    if (missing.length) problems.push(`${path}: no row for ${missing.join(', ')} (every region's traffic must go somewhere)`);
  };
  const checkWindow = (path: string, w: { cron: string; timezone: string }) => {
    for (const c of cronProblems(w.cron, w.timezone)) problems.push(`${path}.${c.field}: ${c.message}`);
  };

  if (parsed.has('regions') && p.regions) problems.push(...clusterIdProblems(p.regions));
  if (parsed.has('mesh') && p.mesh?.backend === 'istio') {
    const seen = new Set<string>();
    p.mesh.destinationRules.forEach((dr, i) => {
      const id = `${dr.namespace}/${dr.name}`;
      if (seen.has(id)) problems.push(`mesh.destinationRules[${i}]: ${id} is listed twice`);
      seen.add(id);
    });
  }
  // The normal matrix is the whole picture capacity is sized from; a schedule lists only the
  // rows it changes (the others keep their normal row).
  if (parsed.has('normal') && p.normal) checkMatrix('normal', p.normal, true);
  if (parsed.has('failover')) problems.push(...failoverProblems(view, checkRegion));

  if (parsed.has('detection') && p.detection) {
    const anyCluster = [...view.clusters.values()].some((c) => c.length > 0);
    p.detection.rules.forEach((rule, i) => {
      const path = `detection.rules[${i}]`;
      const spec: NonNullable<DetectionRule['region']> | Record<string, never> = rule.region ?? {};
      if ('fixed' in spec) checkRegion(`${path}.region.fixed`, spec.fixed);
      const regionMap =
        'fromInstance' in spec
          ? { at: 'fromInstance', map: spec.fromInstance }
          : 'map' in spec && spec.map
            ? { at: 'map', map: spec.map }
            : null;
      if (regionMap) for (const [key, r] of Object.entries(regionMap.map)) checkRegion(`${path}.region.${regionMap.at}.${key}`, r);
      if ('fromCluster' in spec && parsed.has('regions') && !anyCluster) {
        problems.push(`${path}.region.fromCluster: no region declares a cluster, so no event could be placed in a region`);
      }
      if (p.detection?.rules.findIndex((r) => r.name === rule.name) !== i) problems.push(`${path}.name: ${rule.name} is used twice`);
      const reason = rule.match.alertName;
      if (rule.match.source === 'ack' && reason !== undefined && DEPLOYMENT_CONDITION_REASONS.includes(reason)) {
        problems.push(
          `${path}.match.alertName: ${reason} is a reason of a Deployment condition, never of a Kubernetes Event, so this rule can never fire; use detection.deploymentAvailability, or match Warning events (FailedCreate, Unhealthy, BackOff, ...) with a window`,
        );
      }
    });
    // The state row holds every active signal; Tablestore caps a string column at 2 MB.
    const regionCount = parsed.has('regions') && p.regions ? Object.keys(p.regions).length : 0;
    if (regionCount * p.detection.maxSignalsPerRegion > MAX_ACTIVE_SIGNALS) {
      problems.push(
        `detection.maxSignalsPerRegion: ${p.detection.maxSignalsPerRegion} × ${regionCount} regions exceeds ${MAX_ACTIVE_SIGNALS} active signals (the state row must stay well under 2 MB)`,
      );
    }
  }

  if (parsed.has('scaling') && p.scaling) {
    const placed = new Map<string, string>();
    p.scaling.deployments.forEach((d, i) => {
      for (const [region, r] of Object.entries(d.regions)) {
        const path = `scaling.deployments[${i}].regions.${region}`;
        checkRegion(path, region);
        if (r.min > r.max) problems.push(`${path}: min (${r.min}) > max (${r.max})`);
        else if (r.normalReplicas < r.min || r.normalReplicas > r.max)
          problems.push(`${path}.normalReplicas: ${r.normalReplicas} is outside [min ${r.min}, max ${r.max}]`);
        const clusters = view.clusters.get(region);
        if (!clusters) continue;
        if (r.cluster !== undefined && !clusters.includes(r.cluster))
          problems.push(`${path}.cluster: ${r.cluster} is not a cluster of ${region} (declared: ${clusters.join(', ') || 'none'})`);
        const cluster = r.cluster ?? clusters[0];
        if (cluster === undefined) {
          problems.push(`${path}: region ${region} declares no cluster to scale in`);
          continue;
        }
        // The product keys replica state by cluster/namespace/name: two entries there would fight.
        const key = `${cluster}/${d.namespace}/${d.name}`;
        const first = placed.get(key);
        if (first) problems.push(`${path}: ${key} is already scaled by ${first}`);
        else placed.set(key, path);
      }
    });
  }

  if (parsed.has('schedules') && p.schedules) {
    p.schedules.forEach((s, i) => {
      const path = `schedules[${i}]`;
      checkWindow(path, s);
      if (s.matrix) checkMatrix(`${path}.matrix`, s.matrix, false);
      s.drain?.forEach((r, j) => checkRegion(`${path}.drain[${j}]`, r));
      if (s.drain && new Set(s.drain).size >= regionIds.length) problems.push(`${path}.drain: cannot drain every region`);
      if (p.schedules?.findIndex((o) => o.name === s.name) !== i) problems.push(`${path}.name: ${s.name} is used twice`);
    });
  }
  if (parsed.has('safety') && p.safety) p.safety.freezeWindows.forEach((w, i) => checkWindow(`safety.freezeWindows[${i}]`, w));
  if (parsed.has('drills') && p.drills) p.drills.allowedWindows.forEach((w, i) => checkWindow(`drills.allowedWindows[${i}]`, w));

  if (parsed.has('safety') && parsed.has('regions') && p.safety) {
    const { minServingRegions, maxDrainedRegions } = p.safety;
    if (minServingRegions > regionIds.length)
      problems.push(`safety.minServingRegions: ${minServingRegions} is more than the ${regionIds.length} declared regions`);
    else if (maxDrainedRegions > regionIds.length - minServingRegions) {
      problems.push(
        `safety.maxDrainedRegions: ${maxDrainedRegions} would leave fewer than minServingRegions (${minServingRegions}) serving`,
      );
    }
  }
  if (parsed.has('recovery') && p.recovery) {
    const { steps, holdFor, maxHold } = p.recovery;
    if (steps[steps.length - 1] !== 100) problems.push('recovery.steps: the last step must be 100 (full share back)');
    if (steps.some((s, i) => i > 0 && s <= (steps[i - 1] as number))) problems.push('recovery.steps: must increase');
    if (maxHold < holdFor)
      problems.push(`recovery.maxHold: ${formatDuration(maxHold)} is shorter than recovery.holdFor (${formatDuration(holdFor)})`);
  }
  if (parsed.has('scopes')) problems.push(...scopeProblems(p));
  if (parsed.has('overrides') && p.overrides && p.overrides.defaultTtl > p.overrides.maxTtl) {
    problems.push(
      `overrides.defaultTtl: ${formatDuration(p.overrides.defaultTtl)} is longer than overrides.maxTtl (${formatDuration(p.overrides.maxTtl)})`,
    );
  }
  return problems;
}

/**
 * Every service named outside `scopes` (entry, a detection rule, a schedule, a deployment) must
 * be one of `scopes.services`: a misspelt name would otherwise shift nothing, or (a rule) move a
 * service fault up to the whole region. Only sections that parsed are checked.
 */
function scopeProblems(p: Sections): string[] {
  const problems: string[] = [];
  const scopes = p.scopes;
  const names = scopes ? Object.keys(scopes.services) : [];
  const known = new Set(names);
  const check = (path: string, service: string | undefined) => {
    if (service === undefined || known.has(service)) return;
    problems.push(
      scopes
        ? `${path}: ${service} is not a scoped service (scopes.services: ${names.join(', ')})`
        : `${path}: names service ${service}, but the policy declares no scopes`,
    );
  };
  if (scopes) {
    // The entry services are named (`entry`) or derived from the gateways' VirtualServices (`entryFrom`): one source, never a mix.
    if (scopes.entry && scopes.entryFrom)
      problems.push(
        "scopes.entryFrom: set either scopes.entry (the entry services by name) or scopes.entryFrom (derived from the gateways' VirtualServices), not both",
      );
    if (!scopes.entry && !scopes.entryFrom)
      problems.push(
        "scopes.entry: name at least one entry service, or set scopes.entryFrom to derive them from the gateways' VirtualServices",
      );
    const entry = scopes.entry ?? [];
    entry.forEach((e, i) => {
      check(`scopes.entry[${i}]`, e);
      if (entry.indexOf(e) !== i) problems.push(`scopes.entry[${i}]: ${e} is listed twice`);
    });
    scopes.entryFrom?.gateways.forEach((g, i) => {
      if (scopes.entryFrom!.gateways.indexOf(g) !== i) problems.push(`scopes.entryFrom.gateways[${i}]: ${g} is listed twice`);
    });
    const hosts = new Map<string, string>();
    for (const name of names) {
      const host = scopeHost(scopes, name);
      const first = hosts.get(host);
      if (first) problems.push(`scopes.services.${name}: host ${host} is already the host of ${first}`);
      else hosts.set(host, name);
    }
    p.detection?.rules.forEach((r, i) => check(`detection.rules[${i}].service`, r.service));
  }
  p.schedules?.forEach((s, i) => check(`schedules[${i}].service`, s.service));
  p.scaling?.deployments.forEach((d, i) => check(`scaling.deployments[${i}].service`, d.service));
  return problems;
}

/** The FQDN a scoped service's traffic is routed by. */
export function scopeHost(scopes: NonNullable<ParsedPolicy['scopes']>, service: string): string {
  return ownValue(scopes.services, service)?.host ?? `${service}.${scopes.namespace}.svc.cluster.local`;
}

/**
 * The reasons of a Deployment's Available condition, set by the deployment controller in its
 * status. kube-eventer forwards Events only, and no Event carries these reasons.
 */
const DEPLOYMENT_CONDITION_REASONS = ['MinimumReplicasUnavailable', 'MinimumReplicasAvailable'];

/** Cluster ids name a cluster everywhere (events carry only the id): each is declared once. */
function clusterIdProblems(regions: ParsedPolicy['regions']): string[] {
  const problems: string[] = [];
  const owner = new Map<string, string>();
  for (const [region, r] of Object.entries(regions)) {
    r.clusters.forEach((c, i) => {
      const first = owner.get(c.id);
      if (first) problems.push(`regions.${region}.clusters[${i}].id: ${c.id} is already declared in ${first}`);
      else owner.set(c.id, region);
    });
  }
  return problems;
}

function failoverProblems(view: SemanticView, checkRegion: (path: string, r: string) => void): string[] {
  const problems: string[] = [];
  const given = view.p.failover ?? {};
  const known = new Set(view.regionIds);
  let entriesOk = true;
  for (const [src, order] of Object.entries(given)) {
    if (!known.has(src)) {
      entriesOk = false;
      checkRegion(`failover.${src}`, src);
    }
    if (order.length === 0) problems.push(`failover.${src}: empty, so a drained ${src} would have nowhere to send its traffic`);
    order.forEach((dst, i) => {
      if (!known.has(dst)) {
        entriesOk = false;
        checkRegion(`failover.${src}[${i}]`, dst);
      }
      if (dst === src) problems.push(`failover.${src}[${i}]: a region cannot fail over to itself`);
      if (order.indexOf(dst) !== i) problems.push(`failover.${src}[${i}]: ${dst} is listed twice`);
    });
  }
  // Reachability is only meaningful once every entry names a real, other region.
  if (!entriesOk || problems.length) return problems;
  return checkFailoverReach(failoverOrders(view), view.regionIds);
}

export function dropZeros(row: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v > 0));
}

/**
 * Following the failover orders from any region must be able to reach every other region:
 * orders that loop among a subset (a→b, b→a, with c never named) strand traffic when the
 * loop's regions are all drained.
 */
function checkFailoverReach(failover: Record<string, string[]>, regionIds: string[]): string[] {
  const problems: string[] = [];
  for (const start of regionIds) {
    const seen = [start];
    for (let k = 0; k < seen.length; k++) {
      for (const next of failover[seen[k] as string] ?? []) if (!seen.includes(next)) seen.push(next);
    }
    const stranded = regionIds.filter((r) => !seen.includes(r));
    if (stranded.length) {
      problems.push(
        `failover.${start}: following the failover orders from ${start} never reaches ${stranded.join(', ')}, so its traffic is stranded when ${seen.join(' and ')} are drained`,
      );
    }
  }
  return problems;
}
