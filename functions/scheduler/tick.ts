import type { TimerFiring } from '../../shared/http/event-deliveries';
import type { Runtime } from '../../shared/runtime/types';
import { dailyReadiness, type DailyReadinessResult } from '../../shared/readiness/daily';
import { taskOf } from './schema';

/**
 * One minute tick. Apart from handler.ts because the payload's zod schema and the readiness
 * checks are needed only once a firing arrives: the entry loads this with the first event.
 */
export async function runTick(firing: TimerFiring, runtime: Runtime) {
  const task = taskOf(firing.payload);
  const { decision, resumed, drift, availability } = await runtime.engine.tick();
  const { plan } = decision;
  const readiness = await dailyReadinessAfterTick(runtime, plan.at);
  return {
    task,
    triggerTime: firing.triggerTime,
    planId: plan.id,
    committed: decision.committed,
    steps: plan.steps.length,
    refused: plan.refused,
    resumed,
    drift,
    availabilitySignals: availability?.length ?? 0,
    ...(readiness ? { readiness } : {}),
  };
}

/**
 * Once a day, after the tick's own work (never before or inside it): the readiness checks, with a
 * notification for each failure not notified lately. Its failure is logged and never fails the tick.
 * `now` is the tick's decision time (the runtime clock), never the event's `triggerTime`: the
 * remembered keys expire by it, and a forged time must not age them (nor the request ids stored
 * beside them).
 */
async function dailyReadinessAfterTick(runtime: Runtime, now: number): Promise<DailyReadinessResult | null> {
  if (!runtime.readiness) return null;
  try {
    return await dailyReadiness({
      mesh: runtime.policy.name,
      store: runtime.store,
      notifier: runtime.notifier,
      readiness: runtime.readiness,
      now,
    });
  } catch (err) {
    runtime.log({
      level: 'warning',
      function: 'scheduler',
      message: `daily readiness check failed: ${err instanceof Error ? err.message : String(err)}`,
    });
    return null;
  }
}
