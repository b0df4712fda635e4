import { readFileSync } from 'node:fs';
import type { SqliteStateStore } from '../../shared/adapters/state-sqlite';
import type { Step } from '../../shared/core/types';
import type { FakeClock } from '../../lab/fakes';
import { ALARM_TOKEN, startFunctionsHost, type FunctionsHost } from '../../lab/support/functions-host';
import { signedControl } from '../../lab/support/cms';
import { alarmCallbackUrl } from './entry-points';

/**
 * The audit store failing during a drain. The state row commits (decision, plan, the journal),
 * but every append to the audit log (`appendEvents`) fails the way SQLite fails it: the disk is
 * full (SQLITE_FULL) or the table stays locked past the busy timeout (SQLITE_BUSY). The error
 * is made by the SQLite adapter's own mapping, so the engine sees what it would see. With the
 * fault on, a CMS alarm marks cn-hangzhou DOWN (an urgent drain: scale-ups in cn-shanghai, the
 * mesh change, delayed scale-downs in cn-hangzhou), three ticks follow a minute apart, then a
 * signed `POST /v1/pause`. The audit log is a record of what happened, not the plan's journal:
 *   - the alarm is answered 200 (its decision committed; a 5xx makes CMS send it again);
 *   - every scale-up of the plan is done and the mesh change applied exactly once;
 *   - the plan did not fail;
 *   - pause is answered 2xx.
 */

export interface AuditFaultCase {
  fault: 'disk full' | 'busy table';
  alarmStatus: number;
  planStatus: string;
  scaleUps: number;
  scaleUpsDone: number;
  meshSteps: number;
  meshApplies: number;
  tickStatuses: number[];
  pauseStatus: number;
  appendsFailed: number;
  ok: boolean;
}

const SQLITE_ERRORS = {
  'disk full': { code: 'SQLITE_FULL', message: 'database or disk is full' },
  'busy table': { code: 'SQLITE_BUSY', message: 'database is locked' },
} as const;

const alertBody = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8');

/** From now on every appendEvents of `store` fails as SQLite would fail it; returns how many did. */
function breakAppends(store: SqliteStateStore, fault: AuditFaultCase['fault']): () => number {
  const { code, message } = SQLITE_ERRORS[fault];
  // The adapter's private error mapping (UpstreamError STATE.SQLITE; retryable when busy), reached as the adapter reaches it.
  const guard = (store as unknown as { guard: (op: string, run: () => never) => never }).guard.bind(store);
  let failed = 0;
  store.appendEvents = async () => {
    failed++;
    guard('appendEvents', () => {
      throw Object.assign(new Error(message), { code });
    });
  };
  return () => failed;
}

async function runCase(fault: AuditFaultCase['fault']): Promise<AuditFaultCase> {
  const f: FunctionsHost = await startFunctionsHost();
  const clock = f.clock as FakeClock;
  const tick = async () => {
    const res = await fetch(`${f.host.url}/_invoke/scheduler`, {
      method: 'POST',
      body: JSON.stringify({ triggerTime: new Date(clock.now()).toISOString(), triggerName: 'tick', payload: '{"task":"tick"}' }),
    });
    await res.arrayBuffer();
    return res.status;
  };
  try {
    if ((await tick()) !== 200) throw new Error(`${fault}: the first tick failed`);
    const appliesBefore = (f.mesh as unknown as { applied: unknown[] }).applied.length;
    const seqBefore = (await f.store.listEvents('bookinfo', { limit: 1 }))[0]?.seq ?? 0;
    const failedAppends = breakAppends(f.store, fault);
    const res = await fetch(alarmCallbackUrl(f.host.url, ALARM_TOKEN, 'cn-hangzhou'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: alertBody,
    });
    await res.arrayBuffer();
    await f.host.idle();
    const tickStatuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(60_000);
      tickStatuses.push(await tick());
      await f.host.idle();
    }
    const pause = signedControl(f.host.url, f.clock.now(), 'POST', '/v1/pause', { reason: `audit store: ${fault}` });
    const pauseRes = await fetch(pause.url, pause.init);
    await pauseRes.arrayBuffer();
    // The plan the alarm committed (the decision row is written by the commit, not by appendEvents).
    const decision = (await f.store.listEvents('bookinfo', { limit: 1000 })).find(
      (e) => e.seq > seqBefore && e.kind === 'decision' && e.planId && ((e.detail as { steps?: unknown[] }).steps ?? []).length > 0,
    );
    const record = decision?.planId ? await f.store.getPlan('bookinfo', decision.planId) : null;
    if (!record) throw new Error(`${fault}: the alarm (answered ${res.status}) committed no plan`);
    const steps = record.plan.steps as Step[];
    const ups = steps.map((s, i) => ({ s, i })).filter(({ s }) => s.kind === 'scale' && s.notBefore === undefined && s.to > s.from);
    const scaleUpsDone = ups.filter(({ i }) => record.outcomes[i]?.status === 'done').length;
    const meshSteps = steps.filter((s) => s.kind === 'mesh').length;
    const meshApplies = (f.mesh as unknown as { applied: unknown[] }).applied.length - appliesBefore;
    const c = {
      fault,
      alarmStatus: res.status,
      planStatus: record.status,
      scaleUps: ups.length,
      scaleUpsDone,
      meshSteps,
      meshApplies,
      tickStatuses,
      pauseStatus: pauseRes.status,
      appendsFailed: failedAppends(),
    };
    return {
      ...c,
      ok:
        c.alarmStatus === 200 &&
        c.planStatus !== 'failed' &&
        c.scaleUpsDone === c.scaleUps &&
        c.meshApplies === c.meshSteps &&
        c.pauseStatus >= 200 &&
        c.pauseStatus < 300,
    };
  } finally {
    await f.stop();
  }
}

export async function runAuditFaultChecks(): Promise<AuditFaultCase[]> {
  return [await runCase('disk full'), await runCase('busy table')];
}
