import { startLab, type Lab } from '../../lab/world';
import { cmsCallbackForm, cmsCallbackUrlFor } from '../../lab/dataplane/alarm-payloads';
import { controlCall, fastLabFiles, sendRequests, share, waitFor } from './lab-fixture';

/**
 * CloudMonitor gives a callback 5 s and retries it 3 times. The first ALERT of a region down,
 * posted over real HTTP through the local FC host as CMS posts it, is answered in under a second
 * while ASM is still rolling the drain out (the ASM twin's lab update window, 1.5 s, and the
 * product's own 3-s poll: nothing shortened), and the drain still lands: the executor sees the
 * update through and the data plane serves hangzhou's reviews from shanghai.
 * The bound is generous (a test, not the measurement: `bench/alarm-latency.ts` has the figures);
 * what would fail it is an alarm that waits for the mesh before it answers, which takes 3 s here.
 */

// One lab at a time: a lab's functions build their runtime from the process environment.
let lab: Lab;
afterEach(async () => {
  await lab.stop();
});

const bare = (locality: unknown) => String(locality).replace(/\/\*$/, '');
/** Hangzhou's row as the data plane is served it for reviews (failover mode: all local). */
const servedHangzhouRow = () => {
  const lb = lab.controlPlane.routing.trafficPolicy('reviews').localityLb;
  if (lb?.failover?.length) return { 'cn-hangzhou': 100 };
  const to = lb?.distribute?.find((d) => bare(d.from) === 'cn-hangzhou')?.to as Record<string, number> | undefined;
  return to ? Object.fromEntries(Object.entries(to).map(([loc, w]) => [bare(loc), w])) : null;
};

/** The lab's own productpage 5xx rule for cn-hangzhou, tripped (CRITICAL: a region DOWN), in the fields the lab's CMS sends (lab/dataplane/alarms.ts), posted as CMS posts it. */
async function postRegionDown(l: Lab): Promise<Response> {
  const rule = l.topology.alarms.find((r) => r.id === 'rs-productpage-5xx-hangzhou');
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
    userId: l.topology.account,
    at: Date.now(),
  });
  const url = cmsCallbackUrlFor(`${l.hostUrl}/alarm/cms?token=${l.secrets.alarmToken}`, 'cn-hangzhou');
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    signal: AbortSignal.timeout(10_000),
  });
}

test('the first CMS ALERT of a region down is answered in under 1 s, before ASM finishes the update, and the drain lands', async () => {
  lab = await startLab({ ...fastLabFiles(), background: false });
  const before = await sendRequests(lab, 'gw-hangzhou', 200);
  expect({ failed: before.failed, reviewsInHangzhou: share(before, 'reviews', 'cn-hangzhou') }).toEqual({
    failed: 0,
    reviewsInHangzhou: 100,
  });
  expect(lab.controlPlane.asm.state()).toBe('running');

  const t0 = performance.now();
  const res = await postRegionDown(lab);
  const answer = (await res.json()) as { accepted?: boolean; matched?: string[] };
  const answeredMs = performance.now() - t0;
  const meshAtAnswer = lab.controlPlane.asm.state();
  const servedAtAnswer = servedHangzhouRow();

  expect(res.status).toBe(200);
  expect(answer.accepted).toBe(true);
  expect(answeredMs).toBeLessThan(1000);
  // Answered while ASM still rolls the change out: the data plane serves the old config yet.
  expect(meshAtAnswer).toBe('updating');
  expect(servedAtAnswer).toEqual({ 'cn-hangzhou': 100 });

  // The drain lands without another alarm: the executor waits the update out.
  await waitFor('the drain served by the mesh', () => servedHangzhouRow()?.['cn-shanghai'] === 100, 20_000);
  const after = await sendRequests(lab, 'gw-hangzhou', 400);
  expect(share(after, 'reviews', 'cn-shanghai')).toBe(100);
  // ...and the executor confirms it (no scheduler tick runs in this lab: background is off).
  const status = await waitFor(
    'the drain confirmed',
    async () => {
      const s = (await controlCall(lab, 'GET', '/v1/status')).json as {
        health: Record<string, { status: string }>;
        confirmed: { matrix: Record<string, Record<string, number>> } | null;
        shifting: boolean;
      };
      return s.confirmed?.matrix['cn-hangzhou']?.['cn-shanghai'] === 100 && s;
    },
    20_000,
  );
  expect({ hangzhou: status.health['cn-hangzhou']?.status, shifting: status.shifting }).toEqual({ hangzhou: 'DOWN', shifting: false });
});

test('the baseline mode (REGIONSHIFT_ALARM_ANSWER=after-steps) answers only once ASM reports the drain running', async () => {
  lab = await startLab({ ...fastLabFiles(), background: false, alarmAnswer: 'after-steps' });
  const t0 = performance.now();
  const res = await postRegionDown(lab);
  await res.arrayBuffer();
  const answeredMs = performance.now() - t0;
  expect(res.status).toBe(200);
  // The steps ran to the end in the request: the mesh had the drain before the answer.
  expect(lab.controlPlane.asm.state()).toBe('running');
  expect(servedHangzhouRow()).toEqual({ 'cn-shanghai': 100 });
  expect(answeredMs).toBeGreaterThanOrEqual(1500); // the ASM twin's update window, at least
});
