import { readFileSync } from 'node:fs';
import { FakeClock } from '../fakes';
import { ALARM_TOKEN, startFunctionsHost, type FunctionsHost } from '../support/functions-host';
import { alarmCallbackUrl } from './entry-points';

/**
 * Out-of-order and stale alarms, through the real alarm function (HTTP and EventBridge) on the
 * local FC host with a pinned clock. Each case first establishes its own active alarm where it
 * needs one, then sends the late or stale one and checks the state row's version: an alarm that
 * says something older than what the state already knows, or that is far in the past or the
 * future, must change nothing (answered 2xx so the source does not retry, and audited).
 */

export interface StaleCase {
  name: string;
  source: string;
  status: number;
  changedState: boolean;
  ok: boolean;
}

const DAY = 86_400_000;
const cmsTemplate = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8').trim();
const ebTemplate = JSON.parse(readFileSync('events/alarms/cms-eventbridge-alarm.json', 'utf8')) as Record<string, unknown> & { data: Record<string, unknown> };

function cmsForm(instance: string, state: 'ALERT' | 'OK', at: number): string {
  const f = new URLSearchParams(cmsTemplate);
  f.set('dimensions', `{userId=1234567890123456, instanceId=${instance}, port=443}`);
  f.set('alertState', state);
  f.set('triggerLevel', state === 'OK' ? 'OK' : 'CRITICAL');
  f.set('timestamp', String(at));
  return f.toString();
}

function alertmanager(instance: string, status: 'firing' | 'resolved', startsAt: number, endsAt?: number): string {
  return JSON.stringify({
    receiver: 'regionshift', status, version: '4', groupKey: '{}', truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://alertmanager',
    alerts: [{
      status,
      labels: { alertname: 'ReviewsHighErrorRate', mesh: 'bookinfo-mesh', region: 'cn-hangzhou', severity: 'critical', instance },
      annotations: {},
      startsAt: new Date(startsAt).toISOString(),
      endsAt: endsAt === undefined ? '0001-01-01T00:00:00Z' : new Date(endsAt).toISOString(),
      generatorURL: 'http://prometheus/graph',
      fingerprint: `fp-${instance}`,
    }],
  });
}

function eventBridge(instance: string, at: number): string {
  return JSON.stringify({
    ...ebTemplate,
    id: `stale-${instance}`,
    time: new Date(at).toISOString(),
    aliyunpublishtime: new Date(at).toISOString(),
    data: { ...ebTemplate.data, timestamp: at, dimensions: { userId: '1234567890123456', instanceId: instance, port: 443 } },
  });
}

export async function runStaleChecks(): Promise<StaleCase[]> {
  const clock = new FakeClock(Date.parse('2026-03-03T03:00:00Z'));
  const f: FunctionsHost = await startFunctionsHost({ clock });
  const cmsUrl = alarmCallbackUrl(f.host.url, ALARM_TOKEN, 'cn-hangzhou');
  const post = async (url: string, contentType: string, body: string) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
    await res.arrayBuffer();
    return res.status;
  };
  const cms = (body: string) => post(cmsUrl, 'application/x-www-form-urlencoded', body);
  const am = (body: string) => post(cmsUrl, 'application/json', body);
  const eb = (body: string) => post(`${f.host.url}/_events/alarm`, 'application/json', body);
  const version = async () => (await f.store.load('bookinfo')).version;
  const cases: StaleCase[] = [];
  async function check(name: string, source: string, setup: (() => Promise<number>) | null, late: () => Promise<number>): Promise<void> {
    if (setup) {
      const s = await setup();
      if (s !== 200) throw new Error(`${name}: setting up the active alarm answered ${s}`);
    }
    clock.advance(1_000);
    const before = await version();
    const status = await late();
    const changedState = (await version()) !== before;
    cases.push({ name, source, status, changedState, ok: status < 300 && !changedState });
  }
  try {
    const now = () => clock.now();
    await check('OK older than the active ALERT', 'cms', () => cms(cmsForm('late-ok', 'ALERT', now())), () => cms(cmsForm('late-ok', 'OK', now() - 5 * 60_000)));
    await check('ALERT 30 days old', 'cms', null, () => cms(cmsForm('old-alert', 'ALERT', now() - 30 * DAY)));
    await check('ALERT a year ahead', 'cms', null, () => cms(cmsForm('future-alert', 'ALERT', now() + 365 * DAY)));
    await check('resolve older than the active firing', 'alertmanager', () => am(alertmanager('am-late', 'firing', now())), () => am(alertmanager('am-late', 'resolved', now() - 10 * 60_000, now() - 5 * 60_000)));
    await check('firing 30 days old', 'alertmanager', null, () => am(alertmanager('am-old', 'firing', now() - 30 * DAY)));
    await check('firing a year ahead', 'alertmanager', null, () => am(alertmanager('am-future', 'firing', now() + 365 * DAY)));
    await check('ALERT 30 days old', 'cms-eventbridge', null, () => eb(eventBridge('eb-old', now() - 30 * DAY)));
    await check('ALERT a year ahead', 'cms-eventbridge', null, () => eb(eventBridge('eb-future', now() + 365 * DAY)));
  } finally {
    await f.stop();
  }
  return cases;
}
