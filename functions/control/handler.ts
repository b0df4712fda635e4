import middy from '@middy/core';
import { controlAuth } from '../../shared/http/auth';
import { fcHttpEvent } from '../../shared/http/http-trigger-middleware';
import { type HttpReply, type HttpRequest } from '../../shared/http/http-message';
import { httpErrors } from '../../shared/http/http-errors';
import { injectRuntime, runtimeOf } from '../../shared/http/inject-runtime';
import { requestLog } from '../../shared/http/request-log';
import { lazy } from '../../shared/core/lazy';
import { processRuntime } from '../../shared/runtime/process';
import type { FcContext, RuntimeFactory } from '../../shared/runtime/types';

/** Control commands are a few hundred bytes (a matrix, a reason of at most 500 characters). */
export const CONTROL_BODY_LIMIT = 64 * 1024;

/** The control API and dashboard (HTTP trigger). Routes and their bodies: routes.ts, schema.ts. */
export function makeHandler(getRuntime: RuntimeFactory) {
  return middy<unknown, HttpReply | undefined, Error, FcContext>({ timeoutEarlyInMillis: 0 })
    .use(requestLog({ functionName: 'control', trigger: 'http' }))
    .use(httpErrors())
    .use(injectRuntime(getRuntime))
    .use(fcHttpEvent({ maxBodyBytes: CONTROL_BODY_LIMIT }))
    .use(controlAuth({ publicPaths: ['/'] }))
    .handler(async (event: unknown, context: FcContext) =>
      (await loadRoutes()).routeControlRequest(event as HttpRequest, runtimeOf(context)),
    );
}

/**
 * The routes (command schemas, which build the policy's zod schemas, and the dashboard page) are
 * loaded on the first request rather than when FC loads the entry: the cold `require` stays small.
 */
const loadRoutes = lazy(() => import('./routes'));

export const handler = makeHandler(processRuntime);
