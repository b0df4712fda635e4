import middy from '@middy/core';
import { fcJsonEvent } from '../../shared/http/fc-event-triggers';
import { eventErrors } from '../../shared/http/http-errors';
import { injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import type { FcContext, Runtime, RuntimeFactory } from '../../shared/http/runtime-types';
import { executorPayload, type ExecutorPayload } from './schema';

/**
 * Runs the waiting steps of a committed plan (async invocation). A thrown error makes FC retry
 * the invocation; the plan's lease keeps two runs from applying the same steps at once.
 */
export function makeHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, unknown, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'executor', trigger: 'event' }))
    .use(eventErrors())
    .use(injectRuntime(getRuntime))
    .use(fcJsonEvent(executorPayload))
    .handler(async (event: unknown, context: FcContext) => {
      const { planId } = event as ExecutorPayload;
      const record = await runtimeOf(context).engine.execute(planId);
      if (!record) return { planId, found: false };
      return { planId, found: true, status: record.status, done: record.outcomes.filter((o) => o.status === 'done').length, steps: record.plan.steps.length };
    });
}

async function defaultRuntime(context: FcContext): Promise<Runtime> {
  const runtime = await import('../../shared/runtime/index');
  return runtime.defaultRuntime(context);
}

export const handler = makeHandler(defaultRuntime);
