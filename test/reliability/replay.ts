import { startFunctionsHost, type FunctionsHost } from '../../lab/support/functions-host';
import { signedControl } from '../../lab/support/cms';

/**
 * Forged timer ticks against replay memory. A signed control request (`GET /v1/status`) is sent
 * and answered; sent again it is refused as a replay (409 today; any non-2xx counts as refused). Then timer events are posted to the
 * scheduler with a forged `triggerTime`, each a day further ahead, more than a year past the real
 * clock (the direct invocation takes any event; a timer's time is the sender's word). After each
 * forged tick the captured request is replayed: it must be refused every time (a 2xx is a replay
 * accepted). The replay memory
 * must not expire by a time an event claims.
 */

export interface ReplayResult {
  ticks: number;
  tickStatuses: Record<string, number>;
  firstStatus: number;
  replayBefore: number;
  /** The forged tick after which the captured request was accepted again (null: never). */
  acceptedAfter: number | null;
  acceptedStatus: number | null;
  ok: boolean;
  wallMs: number;
}

const DAY = 86_400_000;
const REPLAY_EVERY = 50;

export async function runReplayCheck(opts: { ticks: number }): Promise<ReplayResult> {
  const f: FunctionsHost = await startFunctionsHost();
  const t0 = Date.now();
  try {
    const captured = signedControl(f.host.url, f.clock.now(), 'GET', '/v1/status', undefined, `captured-${process.pid}-${t0}`);
    const send = async () => {
      const res = await fetch(captured.url, captured.init);
      await res.arrayBuffer();
      return res.status;
    };
    const firstStatus = await send();
    const replayBefore = await send();
    const accepted = (s: number) => s >= 200 && s < 300;
    if (firstStatus !== 200 || accepted(replayBefore))
      throw new Error(`replay: the signed request answered ${firstStatus}, its replay ${replayBefore} (want 200, then a refusal)`);
    const tickStatuses: Record<string, number> = {};
    let acceptedAfter: number | null = null;
    let acceptedStatus: number | null = null;
    let ticks = 0;
    for (let k = 1; k <= opts.ticks; k++) {
      const forged = new Date(Date.now() + 400 * DAY + k * DAY).toISOString();
      const res = await fetch(`${f.host.url}/_invoke/scheduler`, {
        method: 'POST',
        body: JSON.stringify({ triggerTime: forged, triggerName: 'tick', payload: '{"task":"tick"}' }),
      });
      await res.arrayBuffer();
      ticks = k;
      tickStatuses[res.status] = (tickStatuses[res.status] ?? 0) + 1;
      if (k % REPLAY_EVERY !== 0 && k !== opts.ticks) continue;
      const replay = await send();
      if (accepted(replay)) {
        acceptedAfter = k;
        acceptedStatus = replay;
        break;
      }
    }
    return {
      ticks,
      tickStatuses,
      firstStatus,
      replayBefore,
      acceptedAfter,
      acceptedStatus,
      ok: acceptedAfter === null,
      wallMs: Date.now() - t0,
    };
  } finally {
    await f.stop();
  }
}
