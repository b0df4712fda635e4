import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startLab, type Lab, type LabOptions } from '../../lab/world';
import { worldLoop, loopFault, type WorldLoop } from '../../lab/banner';
import { controlCall, sendRequests, waitFor, type Served } from './lab-fixture';

/**
 * One shipped world (`examples/topologies/<name>.yaml` and its `.policy.yaml`) as the e2e suites
 * run it: the files as shipped, with only the lab's time knobs turned down, written to temp
 * files so the shipped ones stay the single source:
 * - the policy without its `schedules` and `safety.freezeWindows` (a window would make the result
 *   depend on the hour or the day: three-region freezes elective moves all of November 11, China
 *   time; both are covered with a pinned clock elsewhere); drills are only asked for;
 * - pods ready 1 s after a scale-up; alarm rules every 2 s (the same number of periods);
 * - scheduler tick 1 s, ASM updates 300 ms, the functions' waits polling every 100 ms, and the
 *   mesh step's wait bounded at 10 s (so a plan a newer one replaced does not poll for a minute
 *   at stop).
 */
export interface WorldFiles {
  topologyFile: string;
  policyFile: string;
  stateFile: string;
}

export function worldFiles(name: string): WorldFiles {
  const dir = mkdtempSync(path.join(tmpdir(), `regionshift-world-${name}-`));
  const policy = parseYaml(readFileSync(`examples/topologies/${name}.policy.yaml`, 'utf8')) as Record<string, unknown>;
  delete policy.schedules;
  const safety = policy.safety as Record<string, unknown> | undefined;
  if (safety) delete safety.freezeWindows;
  const topology = parseYaml(readFileSync(`examples/topologies/${name}.yaml`, 'utf8')) as {
    deployments: Array<Record<string, unknown>>;
    alarms: Array<Record<string, unknown>>;
  };
  for (const d of topology.deployments) d.startupDelay = '1s';
  for (const a of topology.alarms) a.period = '2s';
  const policyFile = path.join(dir, 'policy.yaml');
  const topologyFile = path.join(dir, 'topology.yaml');
  writeFileSync(policyFile, stringifyYaml(policy));
  writeFileSync(topologyFile, stringifyYaml(topology));
  return { topologyFile, policyFile, stateFile: path.join(dir, 'state.db') };
}

export function startWorld(name: string, opts: Partial<LabOptions> = {}): Promise<Lab> {
  return startLab({
    ...worldFiles(name),
    tickMs: 1000,
    asmUpdateDelayMs: 300,
    pollMs: 100,
    ...opts,
    policy: { ...(opts.policy ?? {}), mesh: { updateTimeout: '10s', ...(opts.policy?.mesh ?? {}) } },
  });
}

export type WorldStatus = {
  health: Record<string, { status: string }>;
  matrix: Record<string, Record<string, number>> | null;
  intended: { matrix: Record<string, Record<string, number>> } | null;
  shifting: boolean;
  openPlans: unknown[];
  refused: Array<{ rule: string; message: string }>;
};
export const worldStatus = async (lab: Lab) => (await controlCall(lab, 'GET', '/v1/status')).json as unknown as WorldStatus;

/** The audit's drift events and drift alerts, newest first (the history's first page). */
export async function driftEvents(lab: Lab): Promise<Array<{ kind: string; summary: string }>> {
  const { json } = await controlCall(lab, 'GET', '/v1/history?limit=200');
  const events = (json.events ?? []) as Array<{ kind: string; summary?: string }>;
  return events
    .filter((e) => e.kind === 'drift' || (e.summary ?? '').startsWith('drift'))
    .map((e) => ({ kind: e.kind, summary: e.summary ?? '' }));
}

export async function injectFault(lab: Lab, fault: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${lab.labUrl}/lab/v1/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (res.status !== 201) throw new Error(`fault answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export const failedPercent = (s: Served) => (100 * s.failed) / Math.max(1, s.ok + s.failed);

/**
 * Decisions settled: nothing shifting, and the mesh's matrix, the intended one and every
 * region's health unchanged over `quietMs`. (Open plans are not waited for: a drain leaves a
 * scale-down step due minutes later.)
 */
export async function settled(lab: Lab, quietMs = 3000, timeoutMs = 45_000): Promise<WorldStatus> {
  let last = '';
  let since = Date.now();
  return waitFor(
    'the decisions to settle',
    async () => {
      const s = await worldStatus(lab);
      const key = JSON.stringify([
        s.matrix,
        s.intended?.matrix ?? null,
        Object.fromEntries(Object.entries(s.health).map(([r, h]) => [r, h.status])),
      ]);
      if (key !== last || s.shifting) {
        last = key;
        since = Date.now();
        return null;
      }
      return Date.now() - since >= quietMs ? s : null;
    },
    timeoutMs,
    250,
  );
}

/** Failed share of `total` requests at a gateway, sent in batches of 200 spread over `windowMs`. */
export async function failedOverWindow(
  lab: Lab,
  gateway: string,
  windowMs = 3000,
  total = 2000,
): Promise<{ percent: number; served: Served[] }> {
  const batches = 10;
  const served: Served[] = [];
  for (let i = 0; i < batches; i++) {
    served.push(await sendRequests(lab, gateway, total / batches));
    await new Promise((r) => setTimeout(r, windowMs / batches));
  }
  const ok = served.reduce((a, s) => a + s.ok, 0);
  const failed = served.reduce((a, s) => a + s.failed, 0);
  return { percent: (100 * failed) / Math.max(1, ok + failed), served };
}

export interface LoopRun {
  loop: WorldLoop;
  /** Failed percent at each gateway in the steady state before the fault. */
  before: Record<string, number>;
  /** The status once the decisions settled after the fault. */
  after: WorldStatus;
  /** Failed percent at the loop's gateway over a window after settling. */
  failedAfter: number;
  served: Served[];
  /** Drift events and alerts over the whole run. */
  drift: Array<{ kind: string; summary: string }>;
  /** Milliseconds from the fault to the region DOWN, and to settled. */
  toDownMs: number;
  toSettledMs: number;
}

/**
 * The banner's loop in a world: the normal matrix applied, a steady state of `steadyMs` (ticks
 * run drift checks every second), each gateway read; then the banner's fault (`worldLoop` of the
 * topology, the same function the banner prints), the region DOWN, the decisions settled, and
 * the loop's gateway read over a window. Prints the figures.
 */
export async function runBannerLoop(lab: Lab, name: string, steadyMs = 4000): Promise<LoopRun> {
  const loop = worldLoop(lab.topology);
  await waitFor('the normal matrix applied', async () => (await worldStatus(lab)).matrix !== null, 20_000, 250);
  await new Promise((r) => setTimeout(r, steadyMs));
  const before: Record<string, number> = {};
  for (const g of lab.topology.gateways) before[g.name] = failedPercent(await sendRequests(lab, g.name, 500));
  const injected = Date.now();
  await injectFault(lab, loopFault(loop));
  await waitFor(`${loop.region} DOWN`, async () => (await worldStatus(lab)).health[loop.region]?.status === 'DOWN', 30_000, 250);
  const toDownMs = Date.now() - injected;
  const after = await settled(lab);
  const toSettledMs = Date.now() - injected;
  const { percent, served } = await failedOverWindow(lab, loop.gateway);
  const drift = await driftEvents(lab);
  process.stdout.write(
    `world ${name}: ${loop.service} down in ${loop.region}: DOWN after ${(toDownMs / 1000).toFixed(1)} s, settled after ${(toSettledMs / 1000).toFixed(1)} s with ${loop.region} → ${JSON.stringify(after.matrix?.[loop.region])}; ${percent.toFixed(2)}% of ${loop.gateway}'s requests failed over the window after; before the fault ${JSON.stringify(before)}; drift events ${drift.length}\n`,
  );
  return { loop, before, after, failedAfter: percent, served, drift, toDownMs, toSettledMs };
}

/** Percent of the window's calls of `service` served in each region. */
export function servedShare(served: Served[], service: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of served) for (const [region, n] of Object.entries(s.byService[service] ?? {})) counts[region] = (counts[region] ?? 0) + n;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return Object.fromEntries(Object.entries(counts).map(([r, n]) => [r, Math.round((1000 * n) / Math.max(1, total)) / 10]));
}
