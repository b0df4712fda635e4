import { readFileSync } from 'node:fs';
import { ValidationError } from '../shared/core/errors';
import { loadPolicyYaml, type Policy } from '../shared/core/policy';
import { destinationRuleProblems, serviceEntryProblems, virtualServiceProblems } from './k8s/istio-admission';
import { parseTopologyYaml, type Topology } from './topology/schema';
import { labPolicyYaml } from './world';

/**
 * `npm start -- --topology <file> --policy <file> [--state-dir <dir>]`: which world the lab runs.
 * The flags win over `REGIONSHIFT_LAB_TOPOLOGY` / `REGIONSHIFT_LAB_POLICY`, which win over the
 * default Bookinfo. Everything is checked before a port is taken, so a typo is one line naming
 * the flag or file, not a half-started lab.
 */

export const DEFAULT_TOPOLOGY_FILE = 'lab/topology/bookinfo.yaml';
export const DEFAULT_POLICY_FILE = 'examples/bookinfo.yaml';

const FLAGS = ['--topology', '--policy', '--state-dir'] as const;
type Flag = (typeof FLAGS)[number];

export interface LabArgs {
  topologyFile: string;
  policyFile: string;
  /** Where each came from, for the banner: `--topology`, `REGIONSHIFT_LAB_TOPOLOGY` or `default`. */
  topologyFrom: string;
  policyFrom: string;
}

/** The flags' values; an unknown flag, a bare value or a flag without its value is refused by name. */
export function parseLabFlags(argv: readonly string[]): Partial<Record<Flag, string>> {
  const out: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = (eq === -1 ? arg : arg.slice(0, eq)) as Flag;
    if (!FLAGS.includes(flag))
      throw new ValidationError([
        `${arg}: unknown argument (use ${FLAGS.map((f) => `${f} <${f === '--state-dir' ? 'dir' : 'file'}>`).join(', ')})`,
      ]);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (!value || value.startsWith('--'))
      throw new ValidationError([`${flag}: a ${flag === '--state-dir' ? 'directory' : 'file'} is required`]);
    if (out[flag] !== undefined) throw new ValidationError([`${flag}: given twice`]);
    out[flag] = value;
  }
  return out;
}

export function labArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): LabArgs {
  const flags = parseLabFlags(argv);
  const pick = (flag: Flag, envName: string, fallback: string) => {
    if (flags[flag]) return { file: flags[flag] as string, from: flag };
    if (env[envName]) return { file: env[envName] as string, from: envName };
    return { file: fallback, from: 'default' };
  };
  const t = pick('--topology', 'REGIONSHIFT_LAB_TOPOLOGY', DEFAULT_TOPOLOGY_FILE);
  const p = pick('--policy', 'REGIONSHIFT_LAB_POLICY', DEFAULT_POLICY_FILE);
  return { topologyFile: t.file, topologyFrom: t.from, policyFile: p.file, policyFrom: p.from };
}

function readOrThrow(label: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ValidationError([`${label} ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
}

/**
 * Both files read and validated as the lab will use them: the topology by its schema and its
 * Istio objects by the twin's admission, the policy with the lab's periods over it, and every
 * cluster the policy names present in the topology. Problems name the file and the field.
 */
export function loadLabWorld(args: LabArgs): { topology: Topology; policy: Policy } {
  const label = (from: string, flag: string) => (from === 'default' ? flag : from);
  const tLabel = label(args.topologyFrom, '--topology');
  const pLabel = label(args.policyFrom, '--policy');
  let topology: Topology;
  try {
    topology = parseTopologyYaml(readOrThrow(tLabel, args.topologyFile));
  } catch (err) {
    if (err instanceof ValidationError && err.message.includes('cannot read it')) throw err;
    throw new ValidationError([`${tLabel} ${args.topologyFile}: ${(err as Error).message.replace(/\s*\n\s*/g, '; ')}`]);
  }
  const admission = {
    VirtualService: virtualServiceProblems,
    DestinationRule: destinationRuleProblems,
    ServiceEntry: serviceEntryProblems,
  };
  const istioProblems = topology.istio.flatMap((o, i) =>
    admission[o.kind](o.spec).map((p) => `istio.${i} (${o.kind} ${o.metadata.name}) ${p}`),
  );
  if (istioProblems.length > 0) throw new ValidationError([`${tLabel} ${args.topologyFile}: ${istioProblems.join('; ')}`]);
  readOrThrow(pLabel, args.policyFile);
  let policy: Policy;
  try {
    policy = loadPolicyYaml(labPolicyYaml(args.policyFile));
  } catch (err) {
    throw new ValidationError([`${pLabel} ${args.policyFile}: ${(err as Error).message.replace(/\s*\n\s*/g, '; ')}`]);
  }
  const clusters = new Set(topology.regions.flatMap((r) => r.clusters.map((c) => c.name)));
  const missing = Object.entries(policy.regions).flatMap(([region, r]) =>
    r.clusters.filter((c) => !clusters.has(c.id)).map((c) => `regions.${region}: cluster ${c.id} is not in the topology`),
  );
  // A region the policy does not name would carry traffic the product never shifts.
  for (const r of topology.regions) if (!policy.regions[r.name]) missing.push(`regions: no entry for the topology's region ${r.name}`);
  // Every deployment the policy scales and every service it scopes must exist in the world: a
  // name the topology lacks would be scaled or shifted in vain (a drift alert every tick).
  const deployed = new Set(topology.deployments.map((d) => `${d.cluster}/${d.namespace}/${d.name}`));
  policy.scaling.deployments.forEach((d, i) => {
    for (const [region, r] of Object.entries(d.regions)) {
      const cluster = r.cluster ?? policy.regions[region]?.clusters[0]?.id;
      if (cluster !== undefined && !deployed.has(`${cluster}/${d.namespace}/${d.name}`))
        missing.push(
          `scaling.deployments[${i}].regions.${region}: deployment ${d.namespace}/${d.name} is not in cluster ${cluster} of the topology`,
        );
    }
  });
  const services = new Set(topology.services.map((s) => s.name));
  for (const name of Object.keys(policy.scopes?.services ?? {}))
    if (!services.has(name)) missing.push(`scopes.services.${name}: service ${name} is not in the topology`);
  if (missing.length > 0)
    throw new ValidationError([`${pLabel} ${args.policyFile} does not fit ${args.topologyFile}: ${missing.join('; ')}`]);
  return { topology, policy };
}
