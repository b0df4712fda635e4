import middy from '@middy/core';
import { fcTimer } from '../../shared/http/event-trigger-middleware';
import { type TimerFiring } from '../../shared/http/event-deliveries';
import { eventErrors } from '../../shared/http/http-errors';
import { injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import { lazy } from '../../shared/core/lazy';
import { processRuntime } from '../../shared/runtime/process';
import type { FcContext, RuntimeFactory } from '../../shared/runtime/types';

/**
 * The tick's work (the timer payload's zod schema, the daily readiness checks) is loaded with the
 * first firing rather than when FC loads the entry: the cold `require` evaluates no zod.
 */
const loadTick = lazy(() => import('./tick'));

/** The minute tick (timer trigger): schedules, expiries, recovery steps, delayed steps, lapsed leases, drift. */
export function makeHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, unknown, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'scheduler', trigger: 'event' }))
    .use(eventErrors())
    .use(injectRuntime(getRuntime))
    .use(fcTimer())
    .handler(async (event: unknown, context: FcContext) => (await loadTick()).runTick(event as TimerFiring, runtimeOf(context)));
}

export const handler = makeHandler(processRuntime);
