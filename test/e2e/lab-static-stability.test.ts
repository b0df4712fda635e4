import { readFileSync } from 'node:fs';
import { startLab, type Lab } from '../../lab/world';
import { MESH_SCOPE } from '../../lab/k8s/control-plane';
import { DESTINATION_RULES } from '../../lab/k8s/resources';
import { cmsCallbackForm, cmsCallbackUrlFor } from '../../lab/dataplane/alarm-payloads';
import { controlCall, fastLabFiles, sendRequests, waitFor } from './lab-fixture';

/**
 * Static stability: regionshift's control plane (the FC host with its functions and the state
 * they keep, and ASM's control plane) is taken away, and then cn-hangzhou's services fail. The
 * data plane keeps the configuration it was last pushed; Envoy's outlier detection on every
 * DestinationRule is the net that moves hangzhou's calls to shanghai. The CMS twin's ALERT is
 * tried 4 times (CMS: 5-s timeout, 3 retries) and lost. When the control plane returns, the
 * alarm still firing is sent again after its mute period (CMS SilenceTime; 15 s here, in the
 * lab's compressed periods, at least 3,600 s in CloudMonitor) and regionshift drains the region:
 * the drain lands and no plan is left stuck.
 * Second: the control plane goes while a drain is rolling out (the alarm answered, the executor
 * waiting on ASM): ASM finishes what it accepted, the executor's polls are reset and waited
 * out, and the plan is confirmed once the control plane is back, with no step failed for good.
 * Lab periods: alarm rules every 2 s (2 breaching periods), ticks every 1 s, ejections 1 s
 * intervals and 5 s base time, the ASM twin's 1.5-s update window.
 */

const SILENCE_MS = 15_000;
const SERVICES = ['productpage', 'details', 'reviews', 'ratings'];
let lab: Lab;
const figures: Record<string, unknown> = {};

// One lab per test, one at a time: a lab's functions build their runtime from the process environment.
const startStabilityLab = () =>
  startLab({
    ...fastLabFiles(),
    tickMs: 1000,
    cmsSilenceMs: SILENCE_MS,
    outlierDetection: { consecutive5xxErrors: 5, interval: '1s', baseEjectionTime: '5s', maxEjectionPercent: 100 },
  });
afterEach(async () => {
  await lab.stop();
});
afterAll(() => {
  process.stdout.write(`static stability figures: ${JSON.stringify(figures)}\n`);
});

async function inject(spec: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${lab.labUrl}/lab/v1/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}
async function clear(id: string): Promise<void> {
  const res = await fetch(`${lab.labUrl}/lab/v1/faults/${id}`, { method: 'DELETE' });
  expect(res.status).toBe(200);
}
/** What the mesh holds: ASM's mesh-wide setting and every DestinationRule's spec, as the data plane is served them. */
const meshConfig = () => ({
  asm: lab.controlPlane.asm.servedLocalityLb(),
  rules: SERVICES.map((s) => lab.controlPlane.store.get(MESH_SCOPE, DESTINATION_RULES, 'default', s).spec),
});
const pct = (failed: number, total: number) => Math.round((1000 * failed) / Math.max(1, total)) / 10;
/** Hangzhou's users for `ms`: 100 requests every 250 ms through its gateway; failed share per batch. */
async function users(ms: number): Promise<{ failed: number; total: number; batches: number[] }> {
  const end = Date.now() + ms;
  const batches: number[] = [];
  let failed = 0;
  let total = 0;
  while (Date.now() < end) {
    const s = await sendRequests(lab, 'gw-hangzhou', 100);
    failed += s.failed;
    total += s.ok + s.failed;
    batches.push(pct(s.failed, s.ok + s.failed));
    await new Promise((r) => setTimeout(r, 250));
  }
  return { failed, total, batches };
}
const hostReachable = async () =>
  fetch(`${lab.hostUrl}/alarm/cms`, { method: 'POST', signal: AbortSignal.timeout(2_000) }).then(
    () => true,
    () => false,
  );
type Status = {
  health: Record<string, { status: string }>;
  confirmed: { matrix: Record<string, Record<string, number>> } | null;
  shifting: boolean;
  openPlans: Array<{ id: string; status: string; dueAt: string }>;
};
const status = async () => (await controlCall(lab, 'GET', '/v1/status')).json as unknown as Status;

test('a region fails while regionshift is down: the mesh keeps its config, outlier detection bounds the failures, and regionshift drains once back', async () => {
  lab = await startStabilityLab();
  await waitFor('failover mode', async () => (await status()).confirmed !== null, 20_000);
  const before = await sendRequests(lab, 'gw-hangzhou', 400);
  expect(before.failed).toBe(0);
  const configBefore = meshConfig();

  // The control plane goes: its region's outage (the functions' region, outside the steered ones).
  const outageId = await inject({ kind: 'control-plane-down', region: 'cn-beijing' });
  const outageAt = Date.now();
  expect(await hostReachable()).toBe(false);
  const asmCall = await fetch(lab.controlPlane.asmEndpoint, { method: 'POST' }).then(
    (r) => r.status,
    (err: Error) => err.message,
  );
  expect(asmCall).toMatch(/fetch failed/);

  // ...then cn-hangzhou's services fail (its ingress still answers).
  const faultIds = await Promise.all(SERVICES.map((service) => inject({ kind: 'region-down', region: 'cn-hangzhou', service })));
  const faultAt = Date.now();
  const sent = (d: { kind: string; state: string; url: string }) =>
    d.kind === 'cms-callback' && d.state === 'ALERT' && d.url.includes('region=cn-hangzhou');
  // Users meanwhile, until CMS has given up on the region's ALERT (4 tries, then lost) and a few seconds more.
  const during = { failed: 0, total: 0, batches: [] as number[] };
  while (!lab.alarms.deliveries().some(sent) || Date.now() - faultAt < 12_000) {
    const w = await users(1_000);
    during.failed += w.failed;
    during.total += w.total;
    during.batches.push(...w.batches);
    if (Date.now() - faultAt > 60_000) throw new Error('no ALERT for cn-hangzhou within 60 s of the fault');
  }
  const lost = lab.alarms.deliveries().filter(sent);
  expect(lost.length).toBeGreaterThan(0);
  expect(lost.every((d) => !d.delivered && d.attempts === 4 && d.status === null)).toBe(true);
  // The mesh kept its last config the whole time; the data plane's outlier detection carried the users.
  expect(meshConfig()).toEqual(configBefore);
  expect(lab.controlPlane.asm.state()).toBe('running');
  const lastSecond = during.batches.slice(-4);
  const tail = await users(2_000);
  figures.outageFailedPct = pct(during.failed, during.total);
  figures.outageBatchesPct = during.batches;
  figures.outageLastSecondsFailedPct = pct(tail.failed, tail.total);
  // Bounded: once the endpoints are ejected, what fails is the ejections' expiry probes, not the bulk.
  expect(pct(tail.failed, tail.total)).toBeLessThan(10);
  expect(Math.max(...lastSecond)).toBeLessThan(20);

  // The control plane returns.
  await clear(outageId);
  const returnedAt = Date.now();
  figures.outageS = Math.round((returnedAt - outageAt) / 100) / 10;
  expect(await hostReachable()).toBe(true);

  // The alarm still firing is sent again after its mute period, and regionshift drains.
  const drained = await waitFor(
    'cn-hangzhou drained and confirmed',
    async () => {
      const s = await status();
      return s.health['cn-hangzhou']?.status === 'DOWN' && s.confirmed?.matrix['cn-hangzhou']?.['cn-shanghai'] === 100 && !s.shifting && s;
    },
    SILENCE_MS + 40_000,
    250,
  );
  figures.returnToDrainConfirmedS = Math.round((Date.now() - returnedAt) / 100) / 10;
  const resent = lab.alarms.deliveries().filter((d) => sent(d) && d.delivered);
  expect(resent.length).toBeGreaterThan(0);
  // No plan stuck: nothing failed, and what is open waits only for a delayed step (the scale-down).
  const now = Date.now();
  expect(drained.openPlans.filter((p) => p.status !== 'pending' || Date.parse(p.dueAt) <= now - 5_000)).toEqual([]);
  expect(meshConfig().asm).not.toEqual(configBefore.asm);
  const after = await users(3_000);
  figures.afterReturnFailedPct = pct(after.failed, after.total);
  expect(after.failed).toBe(0);

  for (const id of faultIds) await clear(id);
}, 150_000);

test('the control plane goes while a drain waits on ASM: the plan is not lost, and it is confirmed once the control plane is back', async () => {
  lab = await startStabilityLab();
  await waitFor('failover mode', async () => (await status()).confirmed !== null, 20_000);
  // A slow rollout, so the executor is still waiting on ASM when the outage starts.
  lab.controlPlane.asm.setUpdateDelay(6_000);
  const rule = lab.topology.alarms.find((r) => r.id === 'rs-productpage-5xx-hangzhou');
  if (rule?.kind !== 'error-ratio') throw new Error('the default topology has no rs-productpage-5xx-hangzhou 5xx rule');
  const form = cmsCallbackForm({
    ruleId: rule.id,
    alertName: rule.name,
    state: 'ALERT',
    level: rule.level,
    metricName: rule.metricName,
    curValue: '100',
    expression: `$Average>${rule.thresholdPercent}`,
    instanceName: `${rule.service} (${rule.region})`,
    dimensions: { service: rule.service },
    userId: lab.topology.account,
    at: Date.now(),
  });
  const res = await fetch(cmsCallbackUrlFor(`${lab.hostUrl}/alarm/cms?token=${lab.secrets.alarmToken}`, 'cn-hangzhou'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  expect(res.status).toBe(200);
  expect(lab.controlPlane.asm.state()).toBe('updating');
  const outageId = await inject({ kind: 'control-plane-down', region: 'cn-beijing' });
  expect(lab.controlPlane.asmOutage.refusals).toBe(0);
  // ASM had accepted the change before it went: its rollout completes and the data plane is served the drain.
  await waitFor('the accepted drain served', () => lab.controlPlane.asm.servedLocalityLb()?.distribute?.length, 20_000);
  await new Promise((r) => setTimeout(r, 3_000));
  await clear(outageId);
  const returnedAt = Date.now();
  const confirmed = await waitFor(
    'the drain confirmed',
    async () => {
      const s = await status();
      return s.confirmed?.matrix['cn-hangzhou']?.['cn-shanghai'] === 100 && !s.shifting && s;
    },
    60_000,
    250,
  );
  figures.inFlightReturnToConfirmedS = Math.round((Date.now() - returnedAt) / 100) / 10;
  const now = Date.now();
  expect(confirmed.openPlans.filter((p) => p.status !== 'pending' || Date.parse(p.dueAt) <= now - 5_000)).toEqual([]);
  expect(confirmed.health['cn-hangzhou']?.status).toBe('DOWN');
  // No step was failed for good on the way (the unreachable ASM was waited out, not given up on).
  const lines = readFileSync(lab.logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.filter((l) => l.msg === 'alert' && l.level === 'critical')).toEqual([]);
  // ...though the executor did meet the outage: its polls of ASM were reset meanwhile.
  figures.inFlightAsmCallsRefused = lab.controlPlane.asmOutage.refusals;
  expect(lab.controlPlane.asmOutage.refusals).toBeGreaterThan(0);
}, 120_000);
