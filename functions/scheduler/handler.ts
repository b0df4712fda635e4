import middy from '@middy/core';
import { fcTimer, type TimerFiring } from '../../shared/http/fc-event-triggers';
import { eventErrors } from '../../shared/http/http-errors';
import { injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import type { FcContext, Runtime, RuntimeFactory } from '../../shared/http/runtime-types';
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
      const { decision, resumed, drift, availability } = await runtimeOf(context).engine.tick();
      const { plan } = decision;
      return { task, triggerTime: firing.triggerTime, planId: plan.id, committed: decision.committed, steps: plan.steps.length, refused: plan.refused, resumed, drift, availabilitySignals: availability?.length ?? 0 };
    });
}

async function defaultRuntime(context: FcContext): Promise<Runtime> {
  const runtime = await import('../../shared/runtime/index');
  return runtime.defaultRuntime(context);
}

export const handler = makeHandler(defaultRuntime);
