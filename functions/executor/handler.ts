import middy from '@middy/core';
import { controlAuth } from '../../shared/http/auth';
import { fcJsonEvent } from '../../shared/http/fc-event-triggers';
import { fcHttpEvent, jsonBodyOf, jsonReply, type HttpReply, type HttpRequest } from '../../shared/http/fc-http-event';
import { eventErrors, httpErrors } from '../../shared/http/http-errors';
import { byEventShape, injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import type { FcContext, Runtime, RuntimeFactory } from '../../shared/http/runtime-types';
import { executePlan, executorPayload, type ExecutorPayload } from './schema';

/**
 * Runs the waiting steps of a committed plan. Two ways in: a direct asynchronous invocation with
 * `{planId}` (the local host's `/_invoke/executor`), and the HTTP trigger called with
 * `X-Fc-Invocation-Type: Async` (how the cloud functions hand off), signed like the control API.
 * A thrown error makes FC retry; the plan's lease keeps two runs from applying the same steps.
 */
export function makeEventHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, unknown, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'executor', trigger: 'event' }))
    .use(eventErrors())
    .use(injectRuntime(getRuntime))
    .use(fcJsonEvent(executorPayload))
    .handler((event: unknown, context: FcContext) => executePlan(event as ExecutorPayload, runtimeOf(context)));
}

export function makeHttpHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, HttpReply | undefined, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'executor', trigger: 'http' }))
    .use(httpErrors())
    .use(fcHttpEvent())
    .use(injectRuntime(getRuntime))
    .use(controlAuth())
    .handler(async (event: unknown, context: FcContext) => {
      const payload = jsonBodyOf(executorPayload, event as HttpRequest);
      return jsonReply(200, await executePlan(payload, runtimeOf(context)));
    });
}

export function makeHandler(getRuntime: RuntimeFactory) {
  return byEventShape({ http: makeHttpHandler(getRuntime), other: makeEventHandler(getRuntime), undecodable: 'other' });
}

async function defaultRuntime(context: FcContext): Promise<Runtime> {
  const runtime = await import('../../shared/runtime/index');
  return runtime.defaultRuntime(context);
}

export const handler = makeHandler(defaultRuntime);
