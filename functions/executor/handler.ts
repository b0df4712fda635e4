import middy from '@middy/core';
import { fcJsonEvent } from '../../shared/http/event-trigger-middleware';
import { eventErrors } from '../../shared/http/http-errors';
import { injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import { lazy } from '../../shared/core/lazy';
import { processRuntime } from '../../shared/runtime/process';
import type { FcContext, RuntimeFactory } from '../../shared/runtime/types';
import type { ExecutorPayload } from './schema';

/**
 * Runs the waiting steps of a committed plan. Its only way in is an invocation with the event
 * `{planId}`: the receiving functions call FC 3.0's InvokeFunction asynchronously (no trigger, no
 * public endpoint; only callers the account's RAM policy lets invoke it). A thrown error makes FC
 * retry the same event; that is safe because a plan runs by id under a lease and its journal
 * skips the steps already done.
 */
/** The payload's zod schema and the plan runner are loaded with the first event, not at `require`. */
const loadWork = lazy(() => import('./schema'));

export function makeHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, unknown, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'executor', trigger: 'event' }))
    .use(eventErrors())
    .use(injectRuntime(getRuntime))
    .use(fcJsonEvent(async () => (await loadWork()).executorPayload))
    .handler(async (event: unknown, context: FcContext) => (await loadWork()).executePlan(event as ExecutorPayload, runtimeOf(context)));
}

export const handler = makeHandler(processRuntime);
