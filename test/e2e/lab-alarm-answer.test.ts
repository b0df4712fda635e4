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

let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ ...fastLabFiles(), background: false });
});
afterAll(async () => {
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

test('the first CMS ALERT of a region down is answered in under 1 s, before ASM finishes the update, and the drain lands', async () => {
  const before = await sendRequests(lab, 'gw-hangzhou', 200);
  expect({ failed: before.failed, reviewsInHangzhou: share(before, 'reviews', 'cn-hangzhou') }).toEqual({ failed: 0, reviewsInHangzhou: 100 });
  expect(lab.controlPlane.asm.state()).toBe('running');

  // The lab's own productpage 5xx rule for cn-hangzhou, tripped (CRITICAL: a region DOWN), in the
  // fields the lab's CMS sends (lab/dataplane/alarms.ts).
  const rule = lab.topology.alarms.find((r) => r.id === 'rs-productpage-5xx-hangzhou');
  if (rule?.kind !== 'error-ratio') throw new Error('the default topology has no rs-productpage-5xx-hangzhou 5xx rule');
  const form = cmsCallbackForm({
    ruleId: rule.id, alertName: rule.name, state: 'ALERT', level: rule.level, metricName: rule.metricName, curValue: '100',
    expression: `$Average>${rule.thresholdPercent}`, instanceName: `${rule.service} (${rule.region})`, dimensions: { service: rule.service },
    userId: lab.topology.account, at: Date.now(),
  });
  const url = cmsCallbackUrlFor(`${lab.hostUrl}/alarm/cms?token=${lab.secrets.alarmToken}`, 'cn-hangzhou');
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), signal: AbortSignal.timeout(5_000) });
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
  const status = await waitFor('the drain confirmed', async () => {
    const s = (await controlCall(lab, 'GET', '/v1/status')).json as { health: Record<string, { status: string }>; confirmed: { matrix: Record<string, Record<string, number>> } | null; shifting: boolean };
    return s.confirmed?.matrix['cn-hangzhou']?.['cn-shanghai'] === 100 && s;
  }, 20_000);
  expect({ hangzhou: status.health['cn-hangzhou']?.status, shifting: status.shifting }).toEqual({ hangzhou: 'DOWN', shifting: false });
});
