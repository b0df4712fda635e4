import { InvariantError, MeshRejectedError, ValidationError } from './errors';
import { compactMatrix, identityMatrix, isIdentity, matrixProblems } from './matrix';
import { localityLbProblems } from './mesh-validation';
import type { LocalityLbSetting, MeshConfig, TrafficMatrix } from './types';

/**
 * Traffic matrix ⇄ locality LB config (design §2). The identity renders as failover mode with
 * the policy's failover order; anything else as distribute mode with one rule per source.
 * Whatever is rendered passes Istio's own validation first: the mesh must never reject it.
 */

type FailoverEntry = { from: string; to: string };
type DistributeEntry = { from: string; to: Record<string, number> };

/** `cn-hangzhou/*` and `cn-hangzhou` match the same proxies (Istio matches locality segments). */
function regionOf(locality: string): string {
  return locality.endsWith('/*') ? locality.slice(0, -2) : locality;
}

function assertAccepted(config: MeshConfig): void {
  const problems = localityLbProblems(config.localityLbSetting);
  const shape = 'failover' in config.localityLbSetting ? 'failover' : 'distribute';
  if (shape !== config.mode) problems.push(`mode is ${config.mode} but the setting holds ${shape}`);
  if (problems.length > 0) throw new MeshRejectedError(`locality LB config would be rejected by the mesh: ${problems.join('; ')}`);
}

export function renderMeshConfig(matrix: TrafficMatrix, policy: { regionIds: string[]; failover: Record<string, string[]> }): MeshConfig {
  const { regionIds } = policy;
  // The matrix is the core's own (decided, or read back from its state): a bad one is an invariant failure, not bad input.
  const problems = matrixProblems('matrix', matrix, regionIds);
  if (problems.length > 0) throw new InvariantError(problems);
  let config: MeshConfig;
  if (isIdentity(matrix, regionIds)) {
    const failover = regionIds.map((from) => {
      const to = policy.failover[from]?.[0];
      if (to === undefined) throw new InvariantError([`failover.${from}: names no region to fail over to`]);
      return { from, to };
    });
    config = { mode: 'failover', localityLbSetting: { failover } };
  } else {
    const compact = compactMatrix(matrix, regionIds);
    const distribute = regionIds.map((src) => {
      const to: Record<string, number> = {};
      for (const [dst, w] of Object.entries(compact[src] ?? {})) to[`${dst}/*`] = w;
      return { from: `${src}/*`, to };
    });
    config = { mode: 'distribute', localityLbSetting: { distribute } };
  }
  assertAccepted(config);
  return config;
}

/**
 * The `LocalityLBConf` string `UpdateMeshFeature` takes: `{"failover":[…]}` or `{"distribute":[…]}`.
 * Localities go out as bare regions (`cn-hangzhou`, not `cn-hangzhou/*`), as in ASM's own
 * UpdateMeshFeature examples; Istio matches a bare region against every zone of it, so the
 * routing is the same as the `region/*` form the Istio rendering keeps.
 */
export function toAsmLocalityLbConf(config: MeshConfig): string {
  assertAccepted(config);
  const setting = config.localityLbSetting;
  // Rebuilt field by field so nothing but from/to reaches the API, in a fixed key order.
  if ('failover' in setting) return JSON.stringify({ failover: setting.failover.map((f) => ({ from: f.from, to: f.to })) });
  const distribute = setting.distribute.map((d) => {
    const to: Record<string, number> = {};
    for (const [loc, w] of Object.entries(d.to)) to[regionOf(loc)] = (to[regionOf(loc)] ?? 0) + w;
    return { from: regionOf(d.from), to };
  });
  // What is sent must pass the same validation as what was rendered.
  assertAccepted({ mode: 'distribute', localityLbSetting: { distribute } });
  return JSON.stringify({ distribute });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field whatever its capitalisation (`Failover`, `failover`, `FAILOVER`). */
function field(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : obj[key];
}

function parseJsonText(path: string, text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ValidationError([`${path}: not valid JSON (${(err as Error).message})`]);
  }
}

/**
 * The entries of a Failover or Distribute field: an array, a `{failover:[…]}` wrapper, or a
 * JSON string of either. SDK types and doc examples disagree on the shape, so all are read.
 */
function entriesOf(path: string, value: unknown, name: 'failover' | 'distribute'): unknown[] {
  let v = typeof value === 'string' ? parseJsonText(path, value) : value;
  if (isRecord(v)) v = field(v, name);
  if (typeof v === 'string') v = parseJsonText(path, v);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ValidationError([`${path}: must be a list of {from, to} (got ${JSON.stringify(v)})`]);
  return v;
}

function weightOf(path: string, w: unknown): number {
  if (typeof w === 'number') return w;
  if (typeof w === 'string' && /^\d+$/.test(w)) return Number(w);
  throw new ValidationError([`${path}: weight must be a number (got ${JSON.stringify(w)})`]);
}

function parseFailover(path: string, entries: unknown[]): FailoverEntry[] {
  return entries.map((e, i) => {
    const from = isRecord(e) ? field(e, 'from') : undefined;
    const to = isRecord(e) ? field(e, 'to') : undefined;
    if (typeof from !== 'string' || typeof to !== 'string') {
      throw new ValidationError([`${path}[${i}]: must be {from: region, to: region} (got ${JSON.stringify(e)})`]);
    }
    return { from, to };
  });
}

function parseDistribute(path: string, entries: unknown[]): DistributeEntry[] {
  return entries.map((e, i) => {
    const from = isRecord(e) ? field(e, 'from') : undefined;
    let to = isRecord(e) ? field(e, 'to') : undefined;
    if (typeof to === 'string') to = parseJsonText(`${path}[${i}].to`, to);
    if (typeof from !== 'string' || !isRecord(to)) {
      throw new ValidationError([`${path}[${i}]: must be {from: locality, to: {locality: weight}} (got ${JSON.stringify(e)})`]);
    }
    const weights: Record<string, number> = {};
    // Locality keys are data, not field names: their case is kept.
    for (const [loc, w] of Object.entries(to)) weights[loc] = weightOf(`${path}[${i}].to.${loc}`, w);
    return { from, to: weights };
  });
}

/** `Enabled` as a boolean or its string; left out (or null), whether any rule is set. */
function switchOf(enabled: unknown, hasRules: boolean): boolean {
  if (enabled === undefined || enabled === null) return hasRules;
  if (enabled === true || enabled === false) return enabled;
  if (typeof enabled === 'string' && /^(true|false)$/i.test(enabled)) return enabled.toLowerCase() === 'true';
  throw new ValidationError([`LocalityLB.Enabled: must be true or false (got ${JSON.stringify(enabled)})`]);
}

/** What the mesh reports: whether locality LB is on, and the rules it holds as a MeshConfig. */
interface LiveLocalityLb {
  enabled: boolean;
  /** Null when it is off or sets neither failover nor distribute. */
  config: MeshConfig | null;
}

/**
 * The one reader of a live locality LB setting: an Istio `localityLbSetting`, ASM's
 * `ServiceMesh.Spec.MeshConfig.LocalityLB {Enabled, Failover, Distribute}`, or a JSON string of
 * either; field names in any capitalisation, entries as a list, a `{failover: […]}` wrapper or a
 * JSON string of either (the SDK types and the doc examples disagree). `Enabled` is the switch;
 * only when it is left out is it taken from whether any rule is set. A `failoverPriority`-only
 * setting is not something this product drives, so its config reads as unset. A shape it cannot
 * read is a ValidationError naming the field, never a guess.
 */
export function parseLiveLocalityLb(raw: unknown): LiveLocalityLb {
  const value = typeof raw === 'string' ? parseJsonText('LocalityLB', raw) : raw;
  if (value === undefined || value === null) return { enabled: false, config: null };
  if (!isRecord(value)) throw new ValidationError([`LocalityLB: must be an object (got ${JSON.stringify(value)})`]);
  // Switched off: whatever rules it keeps are not read (they do not route).
  const switched = field(value, 'enabled');
  if (switched !== undefined && switched !== null && !switchOf(switched, false)) return { enabled: false, config: null };
  const failover = parseFailover('LocalityLB.Failover', entriesOf('LocalityLB.Failover', field(value, 'failover'), 'failover'));
  const distribute = parseDistribute('LocalityLB.Distribute', entriesOf('LocalityLB.Distribute', field(value, 'distribute'), 'distribute'));
  if (failover.length > 0 && distribute.length > 0) {
    throw new ValidationError(['LocalityLB: sets both Failover and Distribute, which Istio does not accept']);
  }
  const enabled = switchOf(switched, failover.length + distribute.length > 0);
  if (!enabled) return { enabled, config: null };
  if (failover.length > 0) return { enabled, config: { mode: 'failover', localityLbSetting: { failover } } };
  if (distribute.length > 0) return { enabled, config: { mode: 'distribute', localityLbSetting: { distribute } } };
  return { enabled, config: null };
}

function regionLocality(path: string, locality: string, known: ReadonlySet<string>, regionIds: readonly string[]): string {
  const region = regionOf(locality);
  if (region.includes('/') || region.includes('*')) {
    throw new ValidationError([`${path}: ${locality} is finer than a region; only region-wide rules (region or region/*) can be adopted`]);
  }
  if (!known.has(region)) throw new ValidationError([`${path}: unknown region ${region} (declared: ${regionIds.join(', ')})`]);
  return region;
}

/**
 * The traffic matrix a config enacts, for adopting a live config changed by hand: failover mode
 * is the identity; a distribute rule gives its source's row; a source without a rule stays local.
 */
export function matrixFromConfig(config: MeshConfig, regionIds: string[]): TrafficMatrix {
  const setting = config.localityLbSetting;
  if (!('distribute' in setting)) return identityMatrix(regionIds);
  const known = new Set(regionIds);
  const rows: TrafficMatrix = identityMatrix(regionIds);
  const seen = new Set<string>();
  setting.distribute.forEach((d, i) => {
    const path = `distribute[${i}]`;
    const src = regionLocality(`${path}.from`, d.from, known, regionIds);
    if (seen.has(src)) throw new ValidationError([`${path}.from: ${src} has more than one rule`]);
    seen.add(src);
    const row: Record<string, number> = {};
    for (const [loc, w] of Object.entries(d.to)) {
      const dst = regionLocality(`${path}.to.${loc}`, loc, known, regionIds);
      row[dst] = (row[dst] ?? 0) + w;
    }
    rows[src] = row;
  });
  const problems = matrixProblems('distribute', rows, regionIds);
  if (problems.length > 0) throw new ValidationError(problems);
  return compactMatrix(rows, regionIds);
}

/**
 * Istio applies the first rule whose `from` matches, so later rules for the same source are
 * dead and an entry's position among different sources does not matter: compare by source,
 * first rule wins, with `region` and `region/*` the same locality.
 */
function failoverBySource(entries: readonly FailoverEntry[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of entries) if (!out.has(regionOf(f.from))) out.set(regionOf(f.from), regionOf(f.to));
  return out;
}

function distributeBySource(entries: readonly DistributeEntry[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const d of entries) {
    if (out.has(regionOf(d.from))) continue;
    const to = new Map<string, number>();
    for (const [loc, w] of Object.entries(d.to)) to.set(regionOf(loc), (to.get(regionOf(loc)) ?? 0) + w);
    out.set(regionOf(d.from), to);
  }
  return out;
}

function sameMap<V>(a: Map<string, V>, b: Map<string, V>, same: (x: V, y: V) => boolean): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || !same(v, w)) return false;
  }
  return true;
}

/** Semantic equality: the same routing, whatever the order of rules and weight keys. */
export function configEquals(a: MeshConfig | null, b: MeshConfig | null): boolean {
  if (a === null || b === null) return a === b;
  const sa: LocalityLbSetting = a.localityLbSetting;
  const sb: LocalityLbSetting = b.localityLbSetting;
  if (a.mode !== b.mode) return false;
  if ('failover' in sa && 'failover' in sb) return sameMap(failoverBySource(sa.failover), failoverBySource(sb.failover), (x, y) => x === y);
  if ('distribute' in sa && 'distribute' in sb) {
    return sameMap(distributeBySource(sa.distribute), distributeBySource(sb.distribute), (x, y) => sameMap(x, y, (p, q) => p === q));
  }
  return false;
}
