import { formatDuration } from '../shared/core/duration';
import type { Policy } from '../shared/core/policy';
import { nextWindowOpen, windowOpenUntil } from '../shared/core/windows';

/**
 * What `npm start` prints first: every URL and command with the ports the lab really took, how
 * each function is reached, the lab's periods, and which of the policy's schedules is active.
 * A pure function of what the lab reports and of `now`, so a test can pin the clock.
 */

export interface BannerFunction {
  key: string;
  /** FC's function name, which InvokeFunction addresses. */
  functionName: string;
  triggers: ReadonlyArray<{ triggerType: string; triggerName: string }>;
}

export interface BannerInput {
  hostUrl: string;
  labUrl: string;
  /** The control function's base URL with its trailing slash (`…/control/`). */
  controlUrl: string;
  meshUrl: string;
  logFile: string;
  secrets: { readToken: string; controlSecret: string };
  functions: readonly BannerFunction[];
  /** How often the lab fires the scheduler's timer. */
  tickMs: number;
  policy: Policy;
  /** Where the policy came from (a file path), for the banner's `policy` line. */
  policySource?: string;
  now: number;
  /** The DestinationRules' outlierDetection the lab seeds (stated, since it is not the documents' rule). */
  outlierDetection?: Record<string, unknown>;
  /** Where this lab keeps its state and logs. */
  stateDir?: string;
  /** Which world runs: the topology file and what is in it. */
  topology?: { source: string; regions: string[]; gateways: string[]; istioObjects: string[] };
  /** `regionshift doctor` against this lab: the variables it needs and the policy file. */
  doctor?: { env: Record<string, string>; policyFile: string };
  /** The fault and gateway of this world's loop (`worldLoop`); the default Bookinfo's when absent. */
  loop?: WorldLoop;
  /** Variables holding a kubeconfig the policy names (`kubeconfigEnv`), which the lab set to its twins'. */
  kubeconfigEnv?: ReadonlyArray<{ cluster: string; variable: string }>;
}

/** The loop a world's banner prints: a region-down of one service in one region, read at that region's gateway. */
export interface WorldLoop {
  region: string;
  service: string;
  gateway: string;
}

/**
 * The loop for a world: the first gateway in cn-hangzhou (else the first gateway), its region,
 * and reviews when that region runs it (else the first service it runs that is not the
 * gateway's entry), so every shipped world prints the README's fault: reviews down in cn-hangzhou.
 */
export function worldLoop(topology: {
  gateways: ReadonlyArray<{ name: string; region: string; entry: string }>;
  regions: ReadonlyArray<{ name: string; clusters: ReadonlyArray<{ name: string }> }>;
  deployments: ReadonlyArray<{ cluster: string; service: string }>;
}): WorldLoop {
  const gateway = topology.gateways.find((g) => g.region === 'cn-hangzhou') ?? topology.gateways[0];
  if (!gateway) throw new Error('the topology has no gateway: no loop to print');
  const clusters = new Set(topology.regions.find((r) => r.name === gateway.region)?.clusters.map((c) => c.name) ?? []);
  const services = [...new Set(topology.deployments.filter((d) => clusters.has(d.cluster)).map((d) => d.service))];
  const service = services.includes('reviews') ? 'reviews' : (services.find((s) => s !== gateway.entry) ?? gateway.entry);
  return { region: gateway.region, service, gateway: gateway.name };
}

/** The fault body the banner's loop posts. */
export function loopFault(loop: WorldLoop): { kind: 'region-down'; region: string; service: string } {
  return { kind: 'region-down', region: loop.region, service: loop.service };
}

/** A shell word: bare when it is plain, else in single quotes. */
const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** `regionshift doctor` as it runs against this lab when pasted into a shell in the repository: every variable it reads, set. */
export function doctorCommand(env: Record<string, string>, policyFile: string): string {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${shellWord(v)}`);
  return `${vars.join(' ')} npx regionshift doctor --policy ${shellWord(policyFile)}`;
}

/** The outlier line: the lab's values and how they differ from the ASM/Istio documents' rule. */
export function outlierLine(od: Record<string, unknown>): string {
  const fields = Object.entries(od)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
  return `${fields}; the documents' rule is consecutive5xxErrors 1, interval 1s, baseEjectionTime 1m with no maxEjectionPercent, which Envoy caps at 10%: (ejected+1)/hosts ≤ 10% ejects nothing from a cluster under 10 hosts, so the lab sets maxEjectionPercent 100, and keeps 5 errors / 30 s so a cleared fault is back within a minute (see docs/lab.md); minHealthPercent unset: panic off, as Istio sets it`;
}

/** Whole seconds: a banner is read by people, and the clock at start has milliseconds. */
const iso = (t: number) => new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
/** How long until then, to the minute above (a window 30 s away reads "in 1m"). */
const inAbout = (ms: number) => formatDuration(Math.max(60_000, Math.ceil(ms / 60_000) * 60_000));

/** The dashboard link that logs in with the read token, as the lab page's button builds it (the fragment never reaches a server). */
export function dashboardLink(controlUrl: string, readToken: string): string {
  return `${controlUrl}#token=${encodeURIComponent(readToken)}`;
}

/** One line per way a function is reached: its HTTP trigger's URL, the EventBridge delivery path, the timer the lab fires. */
export function functionLines(hostUrl: string, functions: readonly BannerFunction[], tickMs: number): string[] {
  const width = Math.max(...functions.map((f) => f.key.length));
  return functions.map((f) => {
    const ways = f.triggers.map((t) => {
      if (t.triggerType === 'http') return `HTTP ${hostUrl}/${f.key}/…`;
      if (t.triggerType === 'eventbridge') return `EventBridge deliveries: POST ${hostUrl}/_events/${f.key}`;
      if (t.triggerType === 'timer')
        return `timer "${t.triggerName}", fired by the lab every ${formatDuration(tickMs)} (POST ${hostUrl}/_invoke/${f.key})`;
      return `${t.triggerType} trigger "${t.triggerName}"`;
    });
    // No trigger: only InvokeFunction reaches it, as on FC (the other functions hand plans over this way).
    if (ways.length === 0) ways.push(`InvokeFunction (async): POST ${hostUrl}/2023-03-30/functions/${f.functionName}/invocations`);
    return `${f.key.padEnd(width)}  ${ways.join('; ')}`;
  });
}

/**
 * Each schedule of the policy: active now (and until when) or when it opens next. While one is
 * active the lab's traffic follows its matrix, so "try the loop" shows other numbers.
 */
export function scheduleLines(policy: Policy, now: number): string[] {
  return policy.schedules.map((s) => {
    const w = { cron: s.cron, timezone: s.timezone, duration: s.duration };
    const what = `${s.name} (cron "${s.cron}" ${s.timezone}, ${formatDuration(s.duration)})`;
    const until = windowOpenUntil(w, now);
    if (until !== null) return `${what}: ACTIVE now, until ${iso(until)} (in ${inAbout(until - now)})`;
    const next = nextWindowOpen(w, now);
    return next === null ? `${what}: never opens again` : `${what}: inactive, opens next at ${iso(next)} (in ${inAbout(next - now)})`;
  });
}

export function labBanner(i: BannerInput): string {
  const control = i.controlUrl.replace(/\/$/, '');
  const r = i.policy.recovery;
  const s = i.policy.safety;
  const schedules = scheduleLines(i.policy, i.now);
  const active = schedules.some((l) => l.includes(': ACTIVE'));
  const indent = (lines: string[]) => lines.map((l) => `    ${l}`).join('\n');
  const loop = i.loop ?? { region: 'cn-hangzhou', service: 'reviews', gateway: 'gw-hangzhou' };
  const kubeconfigs = (i.kubeconfigEnv ?? []).map((k) => `${k.variable} (${k.cluster})`);
  return `regionshift lab is running (everything on 127.0.0.1)
  dashboard        ${dashboardLink(i.controlUrl, i.secrets.readToken)}
  lab page         ${i.labUrl}/
  lab API          ${i.labUrl}/lab/v1/requests | probes | faults | traffic | traffic/series
${
  i.topology
    ? `  topology         ${i.topology.source}: ${i.topology.regions.join(', ')}; gateways ${i.topology.gateways.join(', ')}${i.topology.istioObjects.length ? `; applies ${i.topology.istioObjects.join(', ')}` : ''}
`
    : ''
}  policy           ${i.policy.name}${i.policySource ? ` from ${i.policySource}` : ''}, with the lab's short periods below
  mesh twins       ${i.meshUrl}   (Kubernetes API under /k8s/<cluster>, ASM and ACK OpenAPI)
${
  kubeconfigs.length
    ? `  kubeconfigs      ${kubeconfigs.join(', ')}: set by the lab to its twin's kubeconfig, for the functions and the doctor command below (in the cloud, set on the functions)
`
    : ''
}  function logs    ${i.logFile}
  read token       ${i.secrets.readToken}
  control secret   ${i.secrets.controlSecret}
  functions (how each is reached):
${indent(functionLines(i.hostUrl, i.functions, i.tickMs))}
${i.outlierDetection ? `  outlier rule     ${outlierLine(i.outlierDetection)}\n` : ''}${i.stateDir ? `  state dir        ${i.stateDir} (this lab's only; --state-dir <dir> to choose)\n` : ''}  lab periods      hold ${formatDuration(r.holdFor)} after the last alarm clears, recovery steps ${formatDuration(r.stepHold)} apart, cooldown ${formatDuration(s.cooldown)}, scheduler tick every ${formatDuration(i.tickMs)}
  schedules (at ${iso(i.now)}):
${schedules.length ? indent(schedules) : '    none'}${active ? '\n  a schedule is active: traffic follows its matrix, so the loop below ends there, not at 100% local' : ''}
try the loop: ${loop.service} down in ${loop.region}; the alarm marks it DOWN, regionshift drains it where another region can serve all of it, else holds and status says why under "refused"
  curl -XPOST ${i.labUrl}/lab/v1/faults -H 'content-type: application/json' -d '${JSON.stringify(loopFault(loop))}'
  curl -XPOST ${i.labUrl}/lab/v1/requests -H 'content-type: application/json' -d '${JSON.stringify({ gateway: loop.gateway, count: 1000 })}'   # ok, failed, where each service was served
  curl -XDELETE ${i.labUrl}/lab/v1/faults/<id from the answer, e.g. flt-0001>
  curl -H 'authorization: Bearer ${i.secrets.readToken}' ${control}/v1/status
  npx regionshift status --endpoint ${control} --secret ${i.secrets.controlSecret}
${
  i.doctor
    ? `readiness checks against this lab (exit 0: nothing fails; 1: a row fails):
  ${doctorCommand(i.doctor.env, i.doctor.policyFile)}
`
    : ''
}`;
}
