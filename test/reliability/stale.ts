import { readFileSync } from 'node:fs';
import { FakeClock } from '../../lab/fakes';
import { ALARM_TOKEN, startFunctionsHost, type FunctionsHost } from '../../lab/support/functions-host';
import { activeFor, cmsForm } from '../../lab/support/cms';
import { alarmCallbackUrl } from './entry-points';

/**
 * Out-of-order and stale alarms, through the real alarm function (HTTP and EventBridge) on the
 * local FC host with a pinned clock. Each case first establishes its own active alarm where it
 * needs one, then sends the late or stale one and checks the state row's version: an alarm that
 * says something older than what the state already knows, or that is far in the past or the
 * future, must change nothing (answered 2xx so the source does not retry, and audited).
 * Two cases judge the alarm itself rather than the version: the same ALERT re-sent after its OK
 * (ALERT t-60 s → OK t-5 s → that ALERT again) must leave the alarm resolved, and an OK on another
 * region's callback URL must not clear an alarm placed in cn-hangzhou.
 */

export interface StaleCase {
  name: string;
  source: string;
  status: number;
  changedState: boolean;
  ok: boolean;
  /** What was judged, when not the state's version (e.g. "alarm still active"). */
  figure?: string;
  want?: string;
}

const DAY = 86_400_000;
const ebTemplate = JSON.parse(readFileSync('events/alarms/cms-eventbridge-alarm.json', 'utf8')) as Record<string, unknown> & {
  data: Record<string, unknown>;
};
function alertmanager(instance: string, status: 'firing' | 'resolved', startsAt: number, endsAt?: number): string {
  return JSON.stringify({
    receiver: 'regionshift',
    status,
    version: '4',
    groupKey: '{}',
    truncatedAlerts: 0,
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager',
    alerts: [
      {
        status,
        labels: { alertname: 'ReviewsHighErrorRate', mesh: 'bookinfo-mesh', region: 'cn-hangzhou', severity: 'critical', instance },
        annotations: {},
        startsAt: new Date(startsAt).toISOString(),
        endsAt: endsAt === undefined ? '0001-01-01T00:00:00Z' : new Date(endsAt).toISOString(),
        generatorURL: 'http://prometheus/graph',
        fingerprint: `fp-${instance}`,
      },
    ],
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
  const cms = (body: string, region = 'cn-hangzhou') =>
    post(region === 'cn-hangzhou' ? cmsUrl : alarmCallbackUrl(f.host.url, ALARM_TOKEN, region), 'application/x-www-form-urlencoded', body);
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
  /** A case judged by `holds` (the alarm's own state) instead of the version. */
  async function judged(
    name: string,
    source: string,
    want: string,
    setup: () => Promise<void>,
    late: () => Promise<number>,
    holds: () => Promise<boolean>,
  ): Promise<void> {
    await setup();
    clock.advance(1_000);
    const before = await version();
    const status = await late();
    const ok = await holds();
    cases.push({
      name,
      source,
      status,
      changedState: (await version()) !== before,
      ok: status < 300 && ok,
      figure: `${status}, ${ok ? want : `NOT ${want}`}`,
      want: `2xx, ${want}`,
    });
  }
  try {
    const now = () => clock.now();
    await check(
      'OK older than the active ALERT',
      'cms',
      () => cms(cmsForm('late-ok', 'ALERT', now())),
      () => cms(cmsForm('late-ok', 'OK', now() - 5 * 60_000)),
    );
    await check('ALERT 30 days old', 'cms', null, () => cms(cmsForm('old-alert', 'ALERT', now() - 30 * DAY)));
    await check('ALERT a year ahead', 'cms', null, () => cms(cmsForm('future-alert', 'ALERT', now() + 365 * DAY)));
    await check(
      'resolve older than the active firing',
      'alertmanager',
      () => am(alertmanager('am-late', 'firing', now())),
      () => am(alertmanager('am-late', 'resolved', now() - 10 * 60_000, now() - 5 * 60_000)),
    );
    await check('firing 30 days old', 'alertmanager', null, () => am(alertmanager('am-old', 'firing', now() - 30 * DAY)));
    await check('firing a year ahead', 'alertmanager', null, () => am(alertmanager('am-future', 'firing', now() + 365 * DAY)));
    await judged(
      'the same ALERT re-sent after its OK (ALERT t-60 s → OK t-5 s → ALERT t-60 s)',
      'cms',
      'alarm resolved',
      async () => {
        for (const [state, at] of [
          ['ALERT', now() - 60_000],
          ['OK', now() - 5_000],
        ] as const) {
          const s = await cms(cmsForm('late-alert', state, at));
          if (s !== 200) throw new Error(`late ALERT: setting up answered ${s}`);
        }
        if (activeFor((await f.store.load('bookinfo')).state, 'late-alert').length)
          throw new Error('late ALERT: the OK did not resolve the alarm');
      },
      () => cms(cmsForm('late-alert', 'ALERT', now() - 60_000)),
      async () => activeFor((await f.store.load('bookinfo')).state, 'late-alert').length === 0,
    );
    await judged(
      "OK on another region's callback URL (cn-shanghai) for an alarm placed in cn-hangzhou",
      'cms',
      'alarm still active in cn-hangzhou',
      async () => {
        const s = await cms(cmsForm('other-region-ok', 'ALERT', now() - 60_000));
        if (s !== 200 || activeFor((await f.store.load('bookinfo')).state, 'other-region-ok').length === 0)
          throw new Error(`other-region OK: the ALERT answered ${s} and is not active`);
      },
      () => cms(cmsForm('other-region-ok', 'OK', now() - 5_000), 'cn-shanghai'),
      async () => activeFor((await f.store.load('bookinfo')).state, 'other-region-ok').some((x) => x.region === 'cn-hangzhou'),
    );
    await check('ALERT 30 days old', 'cms-eventbridge', null, () => eb(eventBridge('eb-old', now() - 30 * DAY)));
    await check('ALERT a year ahead', 'cms-eventbridge', null, () => eb(eventBridge('eb-future', now() + 365 * DAY)));
  } finally {
    await f.stop();
  }
  return cases;
}
