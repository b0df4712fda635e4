import fc from 'fast-check';
import { FakeClock } from '../../lab/fakes';
import { ALARM_TOKEN, startFunctionsHost, type FunctionsHost } from '../../lab/support/functions-host';
import { activeFor, cmsForm } from '../../lab/support/cms';
import { alarmCallbackUrl } from './entry-points';

/**
 * ALERT/OK pairs in random order, with duplicates, from many concurrent clients, through the
 * real alarm function on the local FC host with a pinned clock. Each pair is one alarm (its own
 * instance): ALERT stamped t-60 s, OK stamped t-5 s, as CMS stamps a short outage; a random
 * third of the messages is delivered twice (a sender's retry), and the messages of all pairs are
 * shuffled, so an OK often arrives before its ALERT. Every 10th pair sends no OK at all. Even
 * pairs go to cn-hangzhou's callback URL, odd ones to cn-shanghai's, so with up to 200 pairs no
 * region holds more than detection.maxSignalsPerRegion (100) and no alarm lapses by the cap.
 * At the end, from the state:
 *   resolved left active  an alarm whose OK was delivered (answered 200) is still active
 *   unresolved missing    an alarm that never got an OK is neither active nor audited as lapsed by a cap
 */

export interface ResolveStormResult {
  pairs: number;
  clients: number;
  messages: number;
  duplicates: number;
  non200: number;
  statuses: Record<string, number>;
  okDelivered: number;
  resolvedLeftActive: number;
  resolvedSample: string[];
  unresolved: number;
  unresolvedMissing: number;
  unresolvedLapsed: number;
  wallMs: number;
}

export async function runResolveStorm(opts: { pairs: number; clients: number; seed: number }): Promise<ResolveStormResult> {
  const clock = new FakeClock(Date.parse('2026-03-03T03:00:00Z'));
  const f: FunctionsHost = await startFunctionsHost({ clock });
  const urls = ['cn-hangzhou', 'cn-shanghai'].map((r) => alarmCallbackUrl(f.host.url, ALARM_TOKEN, r));
  const now = clock.now();
  // One draw per pair from the seed: whether each message is doubled, and its place in the order.
  const draws = fc.sample(
    fc.record({
      dupAlert: fc.nat(2),
      dupOk: fc.nat(2),
      alertAt: fc.double({ min: 0, max: 1, noNaN: true }),
      okAt: fc.double({ min: 0, max: 1, noNaN: true }),
      againAt: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    { seed: opts.seed, numRuns: opts.pairs },
  );
  const messages: Array<{ pair: number; state: 'ALERT' | 'OK'; order: number }> = [];
  const withOk = (i: number) => i % 10 !== 9;
  draws.forEach((d, i) => {
    messages.push({ pair: i, state: 'ALERT', order: d.alertAt });
    if (d.dupAlert === 0) messages.push({ pair: i, state: 'ALERT', order: d.againAt });
    if (!withOk(i)) return;
    messages.push({ pair: i, state: 'OK', order: d.okAt });
    if (d.dupOk === 0) messages.push({ pair: i, state: 'OK', order: 1 - d.againAt });
  });
  messages.sort((a, b) => a.order - b.order || a.pair - b.pair);
  const statuses: Record<string, number> = {};
  const okAnswered = new Set<number>();
  const t0 = Date.now();
  try {
    // The first tick applies the normal config, as the deployed scheduler would.
    await (
      await fetch(`${f.host.url}/_invoke/scheduler`, {
        method: 'POST',
        body: JSON.stringify({ triggerTime: new Date(now).toISOString(), triggerName: 'tick', payload: '{"task":"tick"}' }),
      })
    ).arrayBuffer();
    let next = 0;
    const lane = async () => {
      while (next < messages.length) {
        const m = messages[next++] as (typeof messages)[number];
        const body = cmsForm(`rs-${m.pair}`, m.state, m.state === 'ALERT' ? now - 60_000 : now - 5_000);
        let status: string;
        try {
          const res = await fetch(urls[m.pair % 2] as string, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body,
          });
          await res.arrayBuffer();
          status = String(res.status);
        } catch (e) {
          status = `network: ${(e as Error).message}`;
        }
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (m.state === 'OK' && status === '200') okAnswered.add(m.pair);
      }
    };
    await Promise.all(Array.from({ length: opts.clients }, () => lane()));
    await f.host.idle();
    const wallMs = Date.now() - t0;
    const { state } = await f.store.load('bookinfo');
    const audit = (await f.store.listEvents('bookinfo', { limit: 1_000_000 }))
      .filter((e) => /laps|cap|evict/i.test(`${e.summary} ${JSON.stringify(e.detail ?? '')}`))
      .map((e) => `${e.summary} ${JSON.stringify(e.detail ?? '')}`);
    const left: string[] = [];
    let unresolved = 0;
    let missing = 0;
    let lapsed = 0;
    for (let i = 0; i < opts.pairs; i++) {
      const active = activeFor(state, `rs-${i}`).length > 0;
      if (okAnswered.has(i)) {
        if (active) left.push(`rs-${i}`);
      } else if (!withOk(i)) {
        unresolved++;
        if (active) continue;
        if (audit.some((a) => new RegExp(`instanceId=rs-${i}(?![0-9])`).test(a))) lapsed++;
        else missing++;
      }
    }
    return {
      pairs: opts.pairs,
      clients: opts.clients,
      messages: messages.length,
      duplicates: messages.length - opts.pairs - draws.filter((_, i) => withOk(i)).length,
      non200: Object.entries(statuses)
        .filter(([s]) => s !== '200')
        .reduce((n, [, c]) => n + c, 0),
      statuses,
      okDelivered: okAnswered.size,
      resolvedLeftActive: left.length,
      resolvedSample: left.slice(0, 3),
      unresolved,
      unresolvedMissing: missing,
      unresolvedLapsed: lapsed,
      wallMs,
    };
  } finally {
    await f.stop();
  }
}
