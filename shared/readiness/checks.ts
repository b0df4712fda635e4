import { scaleNeeds } from '../core/capacity';
import { initialState } from '../core/decide';
import type { Policy } from '../core/policy';
import { renderMeshConfig } from '../core/render';
import { drainRegions } from '../core/response';
import type { LiveMeshConfig } from '../ports/mesh-control';
import type { DestinationRuleInfo, NodeInfo, PlacementInfo, WorkloadEntryInfo } from '../ports/readiness-probes';

/**
 * Readiness checks: the preconditions without which a regional failover silently does nothing.
 * Each check is a pure function of the policy and what a probe read (or the error it met), and
 * returns one row: pass, warn (could not tell, or works but is fragile) or fail (a failover
 * would not do what the policy says). The probes that read the cloud live in `probes.ts`.
 */

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  id: string;
  status: CheckStatus;
  /** What the check looked at (resources, API calls, policy fields). */
  lookedAt: string;
  /** What it found, in a sentence or a few. */
  message: string;
  /** What to do about a warn or fail; null on pass. */
  fix: string | null;
}

/** What a probe read, or the message of the error that stopped it. */
export type Probed<T> = { ok: true; value: T } | { ok: false; error: string };

export const REGION_LABEL = 'topology.kubernetes.io/region';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

function row(id: string, status: CheckStatus, lookedAt: string, message: string, fix: string | null): CheckResult {
  return { id, status, lookedAt, message, fix: status === 'pass' ? null : fix };
}

function couldNotCheck(id: string, lookedAt: string, error: string, fix: string): CheckResult {
  return row(id, 'warn', lookedAt, `could not check: ${error}`, fix);
}

const drName = (r: { namespace: string; name: string }) => `${r.namespace}/${r.name}`;

/** Which DestinationRules the product's routing depends on: the policy's own (Istio), or every rule in the mesh (ASM's mesh-wide setting applies to all). */
function relevantRules(policy: Policy, rules: DestinationRuleInfo[]): { relevant: DestinationRuleInfo[]; missing: string[] } {
  if (policy.mesh.backend === 'istio') {
    const byName = new Map(rules.map((r) => [drName(r), r]));
    const relevant: DestinationRuleInfo[] = [];
    const missing: string[] = [];
    for (const ref of policy.mesh.destinationRules) {
      const found = byName.get(drName(ref));
      if (found) relevant.push(found);
      else missing.push(drName(ref));
    }
    return { relevant, missing };
  }
  return { relevant: rules, missing: [] };
}

/** Locality failover never acts without outlier detection: Envoy only fails over from endpoints it has ejected. */
export function checkOutlierDetection(policy: Policy, probed: Probed<DestinationRuleInfo[]>): CheckResult {
  const id = 'outlierDetection';
  const lookedAt =
    policy.mesh.backend === 'istio'
      ? `DestinationRules ${policy.mesh.destinationRules.map(drName).join(', ')}`
      : `every DestinationRule in mesh ${policy.mesh.meshId}`;
  const fix = 'add spec.trafficPolicy.outlierDetection (e.g. consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s) to each rule';
  if (!probed.ok)
    return couldNotCheck(
      id,
      lookedAt,
      probed.error,
      'give the function role read access to destinationrules.networking.istio.io in the mesh control plane',
    );
  const { relevant, missing } = relevantRules(policy, probed.value);
  if (missing.length)
    return row(
      id,
      'fail',
      lookedAt,
      `DestinationRule ${missing.join(', ')} does not exist`,
      `create the rule with outlierDetection, or fix mesh.destinationRules`,
    );
  if (relevant.length === 0)
    return row(
      id,
      'fail',
      lookedAt,
      'no DestinationRule in the mesh: no service has outlier detection, so locality failover never moves traffic',
      `create a DestinationRule per shifted service; ${fix}`,
    );
  const blind = relevant.filter((r) => !r.hasOutlierDetection);
  if (blind.length)
    return row(
      id,
      'fail',
      lookedAt,
      `${blind.map(drName).join(', ')} ha${blind.length > 1 ? 've' : 's'} no outlierDetection: locality failover never acts for ${blind.length > 1 ? 'them' : 'it'}`,
      fix,
    );
  return row(id, 'pass', lookedAt, `${relevant.length} DestinationRule(s), each with outlierDetection`, null);
}

/**
 * A hand-made localityLbSetting on a rule fights the product's: with ASM a rule's own setting
 * overrides the mesh-wide one for its host; with Istio the product owns only the rules it names.
 */
export function checkHandMadeLocality(policy: Policy, probed: Probed<DestinationRuleInfo[]>): CheckResult {
  const id = 'handMadeLocalityLb';
  const lookedAt = 'spec.trafficPolicy.loadBalancer.localityLbSetting of every DestinationRule';
  const fix =
    'remove localityLbSetting from these rules: regionshift sets the locality LB and a per-rule setting overrides or contradicts it';
  if (!probed.ok)
    return couldNotCheck(id, lookedAt, probed.error, 'give the function role read access to destinationrules.networking.istio.io');
  const owned = new Set(policy.mesh.backend === 'istio' ? policy.mesh.destinationRules.map(drName) : []);
  const fighting = probed.value.filter((r) => r.hasLocalityLbSetting && !owned.has(drName(r)) && !r.ownedByProduct);
  if (fighting.length === 0) return row(id, 'pass', lookedAt, 'no rule carries a localityLbSetting regionshift does not own', null);
  // With ASM the rule's setting wins over the mesh-wide one for its host: the product's shift never reaches it.
  return row(
    id,
    policy.mesh.backend === 'asm' ? 'fail' : 'warn',
    lookedAt,
    `${fighting.map(drName).join(', ')} set${fighting.length > 1 ? '' : 's'} its own localityLbSetting`,
    fix,
  );
}

/** Every endpoint's locality comes from its node's region/zone labels; without them Istio cannot tell regions apart. */
export function checkLocalityLabels(policy: Policy, probed: Record<string, Probed<NodeInfo[]>>): CheckResult {
  const id = 'localityLabels';
  const clusters = policy.regionIds.flatMap((region) => (policy.regions[region]?.clusters ?? []).map((c) => ({ region, cluster: c.id })));
  const lookedAt = `${REGION_LABEL} and ${ZONE_LABEL} on the nodes of ${clusters.map((c) => c.cluster).join(', ') || 'no cluster'}`;
  if (clusters.length === 0)
    return row(
      id,
      'warn',
      lookedAt,
      'the policy names no cluster, so node locality cannot be read',
      "list each region's clusters under regions.<region>.clusters",
    );
  const fails: string[] = [];
  const warns: string[] = [];
  let nodes = 0;
  for (const { region, cluster } of clusters) {
    const p = probed[cluster];
    if (!p || !p.ok) {
      warns.push(`${cluster}: could not list nodes (${p ? p.error : 'not read'})`);
      continue;
    }
    if (p.value.length === 0) warns.push(`${cluster}: no nodes listed`);
    for (const n of p.value) {
      nodes += 1;
      const r = n.labels[REGION_LABEL];
      if (!r) fails.push(`${cluster}/${n.name} has no ${REGION_LABEL}`);
      else if (r !== region) fails.push(`${cluster}/${n.name} is labelled ${r}, but the policy puts ${cluster} in ${region}`);
      if (!n.labels[ZONE_LABEL]) warns.push(`${cluster}/${n.name} has no ${ZONE_LABEL}`);
    }
  }
  const fix = `label every node with ${REGION_LABEL}=<region> and ${ZONE_LABEL}=<zone> (ACK sets both on its nodes), or give WorkloadEntries a locality`;
  if (fails.length) return row(id, 'fail', lookedAt, fails.join('; '), fix);
  if (warns.length) return row(id, 'warn', lookedAt, warns.join('; '), fix);
  return row(id, 'pass', lookedAt, `${nodes} node(s), each with its region and zone`, null);
}

/** Istio's label for a workload's locality, with `.` for `/` (Kubernetes label values cannot hold `/`), and the older name it still reads. */
export const ISTIO_LOCALITY_LABEL = 'topology.istio.io/locality';
export const LEGACY_LOCALITY_LABEL = 'istio-locality';
/** Istio's label naming the cluster a workload belongs to. */
export const ISTIO_CLUSTER_LABEL = 'topology.istio.io/cluster';

/**
 * The locality Istio gives a WorkloadEntry's endpoint: spec.locality, else the locality label
 * with `.` read as `/` (Istio's serviceentry conversion does the same), else none.
 */
export function workloadEntryLocality(we: WorkloadEntryInfo): { locality: string; from: string } | null {
  if (we.locality !== '') return { locality: we.locality, from: 'spec.locality' };
  for (const label of [ISTIO_LOCALITY_LABEL, LEGACY_LOCALITY_LABEL]) {
    const v = we.labels[label];
    if (v !== undefined && v !== '') return { locality: v.includes('/') ? v : v.split('.').join('/'), from: `spec.labels[${label}]` };
  }
  return null;
}

/**
 * WorkloadEntries carry their own locality (no node to label): without one, Envoy puts the
 * endpoint in no region, so a drain of its region never moves traffic off it.
 */
export function checkWorkloadEntryLocality(policy: Policy, probed: Probed<WorkloadEntryInfo[]>): CheckResult {
  const id = 'workloadEntryLocality';
  const lookedAt = `spec.locality (or the ${ISTIO_LOCALITY_LABEL} label) of every WorkloadEntry in mesh ${policy.mesh.backend === 'asm' ? policy.mesh.meshId : policy.name}`;
  if (!probed.ok)
    return couldNotCheck(
      id,
      lookedAt,
      probed.error,
      'give the function role read (list) access to workloadentries.networking.istio.io in the mesh control plane',
    );
  const clusterRegion = new Map(policy.regionIds.flatMap((r) => (policy.regions[r]?.clusters ?? []).map((c) => [c.id, r] as const)));
  const declared = new Set(policy.regionIds);
  const fails: string[] = [];
  const warns: string[] = [];
  for (const we of probed.value) {
    const name = `${we.namespace}/${we.name}`;
    const found = workloadEntryLocality(we);
    if (!found) {
      fails.push(`${name} has no locality`);
      continue;
    }
    const [region = '', zone = ''] = found.locality.split('/');
    if (found.locality.split('/').length > 3 || region === '') {
      fails.push(`${name} has locality ${JSON.stringify(found.locality)} (${found.from}), not region/zone/subzone`);
      continue;
    }
    if (!declared.has(region)) {
      fails.push(`${name} is in region ${region} (${found.from}), which the policy does not declare (${policy.regionIds.join(', ')})`);
      continue;
    }
    const cluster = we.labels[ISTIO_CLUSTER_LABEL];
    const ofCluster = cluster !== undefined ? clusterRegion.get(cluster) : undefined;
    if (ofCluster !== undefined && ofCluster !== region)
      fails.push(`${name} is in region ${region} (${found.from}), but its cluster ${cluster} is in ${ofCluster}`);
    const labelled = we.labels[REGION_LABEL];
    if (labelled !== undefined && labelled !== region)
      fails.push(`${name} is in region ${region} (${found.from}), but its ${REGION_LABEL} label says ${labelled}`);
    if (zone === '') warns.push(`${name} has no zone in its locality`);
  }
  const fix =
    'set spec.locality: <region>/<zone> on every WorkloadEntry, with a region the policy declares and that of the cluster the workload sits beside';
  if (fails.length) return row(id, 'fail', lookedAt, fails.join('; '), fix);
  if (warns.length) return row(id, 'warn', lookedAt, warns.join('; '), fix);
  if (probed.value.length === 0)
    return row(id, 'pass', lookedAt, 'no WorkloadEntry in the mesh: every endpoint is a pod, located by its node', null);
  return row(id, 'pass', lookedAt, `${probed.value.length} WorkloadEntry(s), each with a locality in a declared region`, null);
}

/** ASM: the mesh-wide LocalityLB.Enabled switch. Istio: the named rules' localityLbSetting.enabled. */
export function checkLocalityLbEnabled(policy: Policy, probed: Probed<LiveMeshConfig>): CheckResult {
  const id = 'localityLbEnabled';
  const asm = policy.mesh.backend === 'asm';
  const lookedAt =
    policy.mesh.backend === 'asm'
      ? `DescribeServiceMeshDetail(${policy.mesh.meshId}) ServiceMesh.Spec.MeshConfig.LocalityLB.Enabled`
      : 'localityLbSetting.enabled of the DestinationRules regionshift owns';
  if (!probed.ok)
    return row(
      id,
      'fail',
      lookedAt,
      `could not read the mesh: ${probed.error}`,
      asm
        ? 'grant the function role servicemesh:DescribeServiceMeshDetail and check mesh.meshId'
        : "check mesh.kubeconfig and the rules' names",
    );
  if (probed.value.enabled) return row(id, 'pass', lookedAt, 'locality load balancing is enabled', null);
  if (!asm && probed.value.config === null) {
    // Istio enables locality LB by default when outlier detection is set; the rules carry no setting until the first shift.
    return row(
      id,
      'warn',
      lookedAt,
      "the rules carry no localityLbSetting yet (Istio's mesh default applies until regionshift writes one)",
      'check meshConfig.localityLbSetting.enabled is not false in the Istio mesh config',
    );
  }
  return row(
    id,
    'fail',
    lookedAt,
    'locality load balancing is disabled: the mesh ignores every locality setting regionshift sends',
    asm
      ? 'enable it: ASM console → Mesh → Locality LB, or UpdateMeshFeature LocalityLoadBalancing=true'
      : 'set localityLbSetting.enabled: true',
  );
}

/** For every single-region drain: the regions taking the traffic need no more than their max replicas (the core's arithmetic). */
export function checkCapacity(policy: Policy): CheckResult {
  const id = 'capacity';
  const lookedAt = 'scaling.deployments[*].regions[*].max against a drain of each region (response.headroom applied)';
  if (policy.scaling.deployments.length === 0)
    return row(
      id,
      'warn',
      lookedAt,
      'no scaling.deployments: regionshift cannot tell whether the receiving regions can absorb a drain',
      'list the deployments to scale under scaling.deployments',
    );
  const state = initialState(policy);
  const short: string[] = [];
  for (const drained of policy.regionIds) {
    const matrix = drainRegions(policy, policy.normal, [drained]);
    for (const n of scaleNeeds(policy, state, matrix)) {
      if (n.unclamped > n.max) short.push(`draining ${drained}: ${n.key} in ${n.region} needs ${n.unclamped} replicas, max ${n.max}`);
    }
  }
  if (short.length)
    return row(
      id,
      'fail',
      lookedAt,
      short.join('; '),
      'raise max for these deployments (and the cluster capacity behind it), or lower response.headroom',
    );
  return row(id, 'pass', lookedAt, `each of ${policy.regionIds.length} single-region drains fits within max`, null);
}

/** Every region's traffic has somewhere to go when it is drained, and the safety rules allow that drain. */
export function checkFailoverReach(policy: Policy): CheckResult {
  const id = 'failoverReach';
  const lookedAt = 'failover orders, safety.minServingRegions, safety.maxDrainedRegions, the rendered normal config';
  const fails: string[] = [];
  const warns: string[] = [];
  if (policy.safety.maxDrainedRegions < 1) fails.push('safety.maxDrainedRegions is 0: no region is ever drained');
  if (policy.regionIds.length - 1 < policy.safety.minServingRegions)
    fails.push(
      `safety.minServingRegions ${policy.safety.minServingRegions}: draining any of ${policy.regionIds.length} regions would leave too few serving`,
    );
  for (const r of policy.regionIds) {
    const order = policy.failover[r] ?? [];
    const others = order.filter((t) => t !== r);
    if (others.length === 0) fails.push(`failover.${r} names no other region`);
    if (order.includes(r)) warns.push(`failover.${r} lists ${r} itself`);
  }
  try {
    renderMeshConfig(policy.normal, policy);
  } catch (e) {
    fails.push(`the normal matrix does not render: ${(e as Error).message}`);
  }
  const fix = 'give every region a failover order naming at least one other region, and safety limits that allow draining one region';
  if (fails.length) return row(id, 'fail', lookedAt, fails.join('; '), fix);
  if (warns.length) return row(id, 'warn', lookedAt, warns.join('; '), fix);
  return row(
    id,
    'pass',
    lookedAt,
    `every region fails over to a serving region (${policy.regionIds.map((r) => `${r}→${policy.failover[r]?.[0]}`).join(', ')})`,
    null,
  );
}

/**
 * Which regions a detection rule can place a signal in: `all` when the region comes from the
 * alarm (callback URL, label, dimension value, payload), else the regions it can name.
 */
export function regionsRuleCanFire(policy: Policy, rule: Policy['detection']['rules'][number]): 'all' | string[] {
  const src = rule.match.source;
  if (src === 'drill' || src === 'lab') return [];
  const placing = rule.region;
  if (!placing) return 'all';
  if ('fixed' in placing) return [placing.fixed];
  if ('fromInstance' in placing) return [...new Set(Object.values(placing.fromInstance))];
  if ('fromDimension' in placing) return placing.map ? [...new Set(Object.values(placing.map))] : 'all';
  if ('fromCluster' in placing) return policy.regionIds.filter((r) => (policy.regions[r]?.clusters ?? []).length > 0);
  return 'all';
}

/** Each region has at least one detection rule (or the availability read) that can fire for it. */
export function checkSignalCoverage(policy: Policy): CheckResult {
  const id = 'signalCoverage';
  const lookedAt = 'detection.rules[*].region and detection.deploymentAvailability';
  const covered = new Map(policy.regionIds.map((r) => [r, [] as string[]]));
  for (const rule of policy.detection.rules) {
    const can = regionsRuleCanFire(policy, rule);
    for (const r of can === 'all' ? policy.regionIds : can) covered.get(r)?.push(rule.name);
  }
  if (policy.detection.deploymentAvailability) {
    for (const d of policy.scaling.deployments) for (const r of Object.keys(d.regions)) covered.get(r)?.push('deploymentAvailability');
  }
  const blind = policy.regionIds.filter((r) => (covered.get(r) ?? []).length === 0);
  if (blind.length) {
    return row(
      id,
      'fail',
      lookedAt,
      `no detection rule can fire for ${blind.join(', ')}: ${blind.length > 1 ? 'these regions are' : 'this region is'} never drained automatically`,
      'add a rule that places alarms in the region (region: {fromUrl: true} with a callback URL per region, {fixed: <region>}, a fromInstance/fromDimension map), or detection.deploymentAvailability',
    );
  }
  return row(id, 'pass', lookedAt, policy.regionIds.map((r) => `${r}: ${[...new Set(covered.get(r))].join(', ')}`).join('; '), null);
}

/**
 * CMS alarm rules whose callback points at the alarm function, and EventBridge rules for ACK
 * events. Neither cloud read is verified against a public source well enough to act on, so the
 * row says what to check by hand rather than guess at a response shape.
 */
export function checkCloudAlarmWiring(policy: Policy): CheckResult {
  const id = 'cloudAlarmWiring';
  const sources = new Set(policy.detection.rules.map((r) => r.match.source ?? 'any'));
  const lookedAt = 'CloudMonitor alarm rules (DescribeMetricRuleList) and EventBridge rules for ACK events';
  const wanted = [
    sources.has('cms') || sources.has('any') ? "each region's CMS alarm rules call back on .../alarm/cms?region=<region>&token=…" : null,
    sources.has('ack')
      ? 'the default event bus of each cluster region other than the functions\' own has the rule that pushes ACK events to cluster-events\' /ack (npm run infra:ack-rules, infra/README.md "Cluster events from every region")'
      : null,
  ].filter(Boolean);
  if (wanted.length === 0) return row(id, 'pass', lookedAt, 'the policy uses neither CMS nor ACK events', null);
  return row(
    id,
    'warn',
    lookedAt,
    'could not check: regionshift does not read CloudMonitor or EventBridge rules (the response fields are unverified)',
    `check by hand that ${wanted.join(', and ')}`,
  );
}

/** The state row and tables can be read with the function's role (a read only: nothing is written). */
export function checkStateTables(probed: Probed<{ backend: string; version: number }>): CheckResult {
  const id = 'stateTables';
  const lookedAt = 'the state row and the audit log (a read of each)';
  if (!probed.ok)
    return row(
      id,
      'fail',
      lookedAt,
      `the state store cannot be read: ${probed.error}`,
      'Tablestore: create the tables (npm run infra:tables) and grant the function role ots:GetRow/GetRange on them; SQLite (a lab): set REGIONSHIFT_SQLITE_FILE to the file the functions use',
    );
  return row(
    id,
    'pass',
    lookedAt,
    `${probed.value.backend}: state row ${probed.value.version === 0 ? 'not written yet (first decision creates it)' : `at version ${probed.value.version}`}, audit log readable`,
    null,
  );
}

/** Each deployment the policy scales can be read in its cluster (ACK kubeconfig + RBAC). */
export function checkClusterAccess(policy: Policy, probed: Record<string, Probed<unknown>>): CheckResult {
  const id = 'clusterAccess';
  const keys = Object.keys(probed);
  const lookedAt = keys.length ? `Deployments ${keys.join(', ')}` : 'scaling.deployments';
  if (policy.scaling.deployments.length === 0)
    return row(id, 'warn', lookedAt, 'no scaling.deployments to read', 'list the deployments to scale under scaling.deployments');
  const failed = Object.entries(probed).filter((e): e is [string, { ok: false; error: string }] => !e[1].ok);
  if (failed.length)
    return row(
      id,
      'fail',
      lookedAt,
      failed.map(([k, p]) => `${k}: ${p.error}`).join('; '),
      'check the cluster ids, that the deployments exist, and that the function role can get and scale deployments (ACK RBAC)',
    );
  return row(id, 'pass', lookedAt, `${keys.length} deployment(s) readable`, null);
}

/** Plans that wait are handed to the executor asynchronously: it must exist and be reachable (GetFunction, nothing invoked). */
export function checkExecutor(probed: Probed<{ functionName: string } | null>): CheckResult {
  const id = 'executor';
  const lookedAt = 'FC 3.0 GetFunction of REGIONSHIFT_EXECUTOR_FUNCTION';
  if (!probed.ok)
    return row(
      id,
      'fail',
      lookedAt,
      `the executor cannot be reached: ${probed.error}`,
      'deploy the executor function, set REGIONSHIFT_EXECUTOR_FUNCTION to its name, and grant the role fc:GetFunction and fc:InvokeFunction on it',
    );
  if (probed.value === null)
    return row(
      id,
      'warn',
      lookedAt,
      "REGIONSHIFT_EXECUTOR_FUNCTION is not set: plans run inline within the invoking function's time",
      "set REGIONSHIFT_EXECUTOR_FUNCTION to the executor function's name",
    );
  return row(id, 'pass', lookedAt, `function ${probed.value.functionName} exists`, null);
}

/**
 * Where this process's control plane runs, from what the runtime itself says: FC 3.0 sets
 * `FC_REGION` (the function's region) in every function's environment and puts `region` on the
 * invocation context; `TABLESTORE_ENDPOINT` names the state's region when the state is in
 * Tablestore. `contextRegion` is the context's, used when the variable is absent (the lab's host).
 */
export function placementOf(env: Record<string, string | undefined>, contextRegion?: string): PlacementInfo {
  const functionRegion = env.FC_REGION || contextRegion || undefined;
  const tablestoreEndpoint = env.REGIONSHIFT_STATE === 'tablestore' && env.TABLESTORE_ENDPOINT ? env.TABLESTORE_ENDPOINT : undefined;
  return { ...(functionRegion ? { functionRegion } : {}), ...(tablestoreEndpoint ? { tablestoreEndpoint } : {}) };
}

/** The region in a Tablestore endpoint: https://<instance>.<region>.ots.aliyuncs.com (also .ots-internal, .vpc.tablestore). */
export function tablestoreEndpointRegion(endpoint: string): string | null {
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return null;
  }
  const m = /^[^.]+\.([a-z]{2,}-[a-z0-9-]+)\.(ots|ots-internal|vpc\.tablestore|tablestore)\.aliyuncs\.com$/.exec(host);
  return m ? m[1]! : null;
}

/**
 * The control plane must not share fate with a region it steers: if the functions, the state or
 * the ASM control plane sit in a region that fails, the drain of that region fails with it.
 * Fails on a steered region unless `placement.acknowledgeSharedFate` names it.
 */
export function checkControlPlanePlacement(policy: Policy, info: PlacementInfo): CheckResult {
  const id = 'control-plane-placement';
  const steered = new Set(policy.regionIds);
  const acknowledged = new Set(policy.placement?.acknowledgeSharedFate ?? []);
  const parts: { what: string; region: string | null; source: string }[] = [];
  parts.push({ what: 'functions', region: info.functionRegion ?? null, source: 'FC_REGION' });
  if (info.tablestoreEndpoint !== undefined)
    parts.push({
      what: 'Tablestore instance',
      region: tablestoreEndpointRegion(info.tablestoreEndpoint),
      source: `TABLESTORE_ENDPOINT ${info.tablestoreEndpoint}`,
    });
  if (policy.mesh.backend === 'asm') parts.push({ what: 'ASM control plane', region: policy.mesh.apiRegion, source: 'mesh.apiRegion' });
  const lookedAt = `${parts.map((p) => p.source).join(', ')} against the policy's regions ${policy.regionIds.join(', ')}`;
  const shared = parts.filter((p) => p.region !== null && steered.has(p.region));
  const unacked = shared.filter((p) => !acknowledged.has(p.region!));
  const unknown = parts.filter((p) => p.region === null);
  const placed = parts
    .filter((p) => p.region !== null)
    .map((p) => `${p.what} in ${p.region}`)
    .join(', ');
  if (unacked.length) {
    return row(
      id,
      'fail',
      lookedAt,
      `${unacked.map((p) => `${p.what} in ${p.region}`).join(', ')}: a region this policy steers; if it fails, regionshift fails with it and cannot drain it`,
      `deploy regionshift (s.yaml vars.region, the Tablestore instance) in a region the policy does not steer, or list the region under placement.acknowledgeSharedFate with a reason`,
    );
  }
  if (unknown.length) {
    return row(
      id,
      'warn',
      lookedAt,
      `could not tell the region of: ${unknown.map((p) => `${p.what} (${p.source} ${p.source === 'FC_REGION' ? 'unset' : 'not a Tablestore endpoint'})`).join(', ')}${placed ? `; ${placed}` : ''}`,
      'run doctor with FC_REGION set to the region the functions are deployed in (s.yaml vars.region)',
    );
  }
  if (shared.length)
    return row(
      id,
      'warn',
      lookedAt,
      `${placed}; shared fate acknowledged for ${[...new Set(shared.map((p) => p.region))].join(', ')}: ${policy.placement!.reason}`,
      'move regionshift to a region the policy does not steer',
    );
  return row(id, 'pass', lookedAt, `${placed}: outside the steered regions`, null);
}

export interface ReadinessReport {
  mesh: string;
  at: number;
  /** The worst row: fail over warn over pass. */
  status: CheckStatus;
  checks: CheckResult[];
}

export function worst(checks: CheckResult[]): CheckStatus {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (checks.some((c) => c.status === 'warn')) return 'warn';
  return 'pass';
}
