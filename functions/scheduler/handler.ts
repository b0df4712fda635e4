import middy from '@middy/core';
import { fcTimer, type TimerFiring } from '../../shared/http/fc-event-triggers';
import { eventErrors } from '../../shared/http/http-errors';
import { injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import type { FcContext, Runtime, RuntimeFactory } from '../../shared/http/runtime-types';
import { notifierFor } from '../../shared/adapters/notify';
import { dailyReadiness, type DailyReadinessResult } from '../../shared/readiness/daily';
import { taskOf } from './schema';

/** The minute tick (timer trigger): schedules, expiries, recovery steps, delayed steps, lapsed leases, drift. */
export function makeHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, unknown, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'scheduler', trigger: 'event' }))
    .use(eventErrors())
    .use(injectRuntime(getRuntime))
    .use(fcTimer())
    .handler(async (event: unknown, context: FcContext) => {
      const firing = event as TimerFiring;
      const task = taskOf(firing.payload);
      const runtime = runtimeOf(context);
      const { decision, resumed, drift, availability } = await runtime.engine.tick();
      const { plan } = decision;
      const readiness = await dailyReadinessAfterTick(runtime, firing);
      return { task, triggerTime: firing.triggerTime, planId: plan.id, committed: decision.committed, steps: plan.steps.length, refused: plan.refused, resumed, drift, availabilitySignals: availability?.length ?? 0, ...(readiness ? { readiness } : {}) };
    });
}

/**
 * Once a day, after the tick's own work (never before or inside it): the readiness checks, with a
 * notification for each failure not notified lately. Its failure is logged and never fails the tick.
 */
async function dailyReadinessAfterTick(runtime: Runtime, firing: TimerFiring): Promise<DailyReadinessResult | null> {
  if (!runtime.readiness) return null;
  const at = Date.parse(firing.triggerTime);
  try {
    return await dailyReadiness({
      mesh: runtime.policy.name,
      store: runtime.store,
      notifier: notifierFor(runtime.policy.notifications, runtime.log),
      readiness: runtime.readiness,
      now: Number.isNaN(at) ? Date.now() : at,
    });
  } catch (err) {
    runtime.log({ level: 'warning', function: 'scheduler', message: `daily readiness check failed: ${err instanceof Error ? err.message : String(err)}` });
    return null;
  }
}

async function defaultRuntime(context: FcContext): Promise<Runtime> {
  const runtime = await import('../../shared/runtime/index');
  return runtime.defaultRuntime(context);
}

export const handler = makeHandler(defaultRuntime);
