import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { scheduleFreePolicyFile } from '../../lab/support/policy-files';
import { startLab, type Lab } from '../../lab/world';
import { controlCall, sendRequests, until } from './lab-fixture';

/**
 * The telemetry path end to end (issue #20): the data plane writes each hop's access log into its
 * cluster's Logstore in the SLS twin, the FC host's SLS triggers (s.yaml, every 3 s) invoke the
 * telemetry function with each shard's cursor range, the function reads the range with the real
 * SLS SDK, updates the windows and signals through the engine. The lab's CloudMonitor rules keep
 * their documented 60-s periods (× 3), so no alarm can fire within these tests: whatever acts, the
 * telemetry path did.
 */
const TIMEOUT_MS = 120_000;
const HZ = 'cn-hangzhou';
const SH = 'cn-shanghai';

interface Status {
  health: Record<string, { status: string; since: string | null; causes: string[] }>;
  serviceHealth?: Record<string, Record<string, { status: string; causes: string[] }>>;
  matrix: Record<string, Record<string, number>> | null;
  activeSignals: Array<{
    key: string;
    source: string;
    region: string;
    service?: string;
    severity: string;
    measure?: { kind: string; value: number; metric: string };
  }>;
}

/** The default topology with pods ready 1 s after a scale-up; its alarm rules as they are (60-s periods). */
function files(): { topologyFile: string; stateFile: string; policyFile: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'regionshift-telemetry-'));
  const topo = parseYaml(readFileSync('lab/topology/bookinfo.yaml', 'utf8')) as {
    deployments: Array<Record<string, unknown>>;
    alarms: Array<{ kind: string; period?: string }>;
  };
  for (const d of topo.deployments) d.startupDelay = '1s';
  const topologyFile = path.join(dir, 'bookinfo.yaml');
  writeFileSync(topologyFile, stringifyYaml(topo));
  return { topologyFile, stateFile: path.join(dir, 'state.db'), policyFile: scheduleFreePolicyFile(dir) };
}

const status = async (lab: Lab) => (await controlCall(lab, 'GET', '/v1/status')).json as unknown as Status;
const telemetrySignals = (s: Status) => s.activeSignals.filter((x) => x.source === 'telemetry');

async function fault(lab: Lab, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${lab.labUrl}/lab/v1/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { id: string };
  expect(res.status).toBe(201);
  return json.id;
}

/** The functions' structured log: the telemetry function's invocations so far. */
function telemetryInvocations(lab: Lab): number {
  return readFileSync(lab.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"function":"telemetry"') && l.includes('"outcome"')).length;
}

let lab: Lab;
beforeEach(async () => {
  lab = await startLab({ ...files(), tickMs: 1000 });
  // The policy carries the topology's alarm periods untouched: CMS's documented minute.
  for (const a of lab.topology.alarms) if (a.kind !== 'ready-replicas-zero') expect(a.period).toBeGreaterThanOrEqual(60_000);
}, TIMEOUT_MS);
afterEach(async () => lab.stop(), TIMEOUT_MS);

test(
  "30% 5xx on cn-hangzhou's reviews: cn-hangzhou's reviews are degraded within 15 s, by telemetry, with the measured share",
  async () => {
    // Warm-up: both regions' windows fill with clean traffic (20 rps per gateway in the background).
    const clean = await until(
      async () => telemetryInvocations(lab),
      (n) => n >= 4,
      20_000,
    );
    expect(clean).toBeGreaterThanOrEqual(4);
    expect(telemetrySignals(await status(lab))).toEqual([]);

    const onset = Date.now();
    await fault(lab, { kind: 'error-rate', region: HZ, service: 'reviews', rate: 0.3 });
    // Extra load through both gateways keeps every window well over minRequests.
    const load = setInterval(() => {
      void sendRequests(lab, 'gw-hangzhou', 20).catch(() => undefined);
      void sendRequests(lab, 'gw-shanghai', 20).catch(() => undefined);
    }, 1000);
    let after: Status;
    try {
      after = await until(
        () => status(lab),
        (s) => telemetrySignals(s).some((x) => x.region === HZ && x.service === 'reviews'),
        15_000,
      );
    } finally {
      clearInterval(load);
    }
    const elapsedMs = Date.now() - onset;
    const signals = telemetrySignals(after);
    // Every telemetry signal is cn-hangzhou's: reviews (the service and its failing workload, reviews-v1),
    // and productpage, whose calls to reviews fail with it; nothing in cn-shanghai.
    expect(new Set(signals.map((x) => x.region))).toEqual(new Set([HZ]));
    expect(signals.every((x) => x.severity === 'degraded')).toBe(true);
    expect(elapsedMs).toBeLessThanOrEqual(15_000);
    // Only telemetry acted: no CMS alarm could have fired yet.
    expect(after.activeSignals.filter((x) => x.source !== 'telemetry')).toEqual([]);
    // The status carries the share the window measured on reviews in cn-hangzhou (the window still holds
    // some of the clean seconds before the fault).
    const reviews = signals.find((x) => x.service === 'reviews' && x.measure?.kind === 'errorShare');
    process.stdout.write(
      `telemetry: cn-hangzhou degraded ${elapsedMs} ms after a 30% 5xx fault on its reviews (trigger every 3 s, CMS at 60 s); measured ${JSON.stringify(reviews?.measure)}\n`,
    );
    expect({ signals, metric: reviews?.measure?.metric }).toMatchObject({ metric: 'telemetry.5xxShare' });
    // Over the threshold (10%) by construction, and not more than the fault could make it.
    expect(reviews?.measure?.value).toBeGreaterThan(0.1);
    expect(reviews?.measure?.value).toBeLessThan(0.45);
    expect(after.health[HZ]!.causes).toEqual(expect.arrayContaining([reviews?.key]));
    expect(after.health[HZ]!.status).not.toBe('HEALTHY');
    expect(after.health[SH]!.status).toBe('HEALTHY');
  },
  TIMEOUT_MS,
);

test(
  '1% 5xx in both regions: no telemetry signal and no mesh change over 30 s',
  async () => {
    await until(
      async () => telemetryInvocations(lab),
      (n) => n >= 4,
      20_000,
    );
    const before = await status(lab);
    await fault(lab, { kind: 'error-rate', region: HZ, rate: 0.01 });
    await fault(lab, { kind: 'error-rate', region: SH, rate: 0.01 });
    const invocationsBefore = telemetryInvocations(lab);
    const end = Date.now() + 30_000;
    const seen: Status[] = [];
    while (Date.now() < end) {
      await sendRequests(lab, 'gw-hangzhou', 20);
      await sendRequests(lab, 'gw-shanghai', 20);
      seen.push(await status(lab));
      await new Promise((r) => setTimeout(r, 1000));
    }
    // The path ran all along (each 3-s interval, both clusters), and judged the noise as noise.
    expect(telemetryInvocations(lab) - invocationsBefore).toBeGreaterThanOrEqual(10);
    expect(seen.flatMap(telemetrySignals)).toEqual([]);
    for (const s of seen) {
      expect(s.matrix).toEqual(before.matrix);
      expect(Object.values(s.health).map((h) => h.status)).toEqual(['HEALTHY', 'HEALTHY']);
    }
  },
  TIMEOUT_MS,
);
