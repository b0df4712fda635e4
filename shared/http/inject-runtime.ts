import type { MiddlewareObj, Request } from '@middy/core';
import { RegionshiftError } from '../core/errors';
import { decodeFcEvent, isHttpEnvelope } from './envelope-decode';
import type { FcContext, Runtime, RuntimeContext, RuntimeFactory } from '../runtime/types';

/** Puts the runtime on `context.runtime`; the factory caches per container, so this is cheap when warm. */
export function injectRuntime(getRuntime: RuntimeFactory): MiddlewareObj<unknown, unknown, Error, FcContext> {
  async function injectRuntimeBefore(request: Request<unknown, unknown, Error, FcContext>): Promise<void> {
    (request.context as RuntimeContext).runtime = await getRuntime(request.context);
  }
  return { before: injectRuntimeBefore };
}

export function runtimeOf(context: FcContext): Runtime {
  const runtime = (context as RuntimeContext).runtime;
  if (!runtime) throw new RegionshiftError('RUNTIME.MISSING', 'injectRuntime must run before the handler');
  return runtime;
}

/** Any FC handler; `never` because each chain narrows the event type after its own parsing middleware. */
type FcHandler = (event: never, context: FcContext) => Promise<unknown>;

/**
 * FC 3.0 gives a function one handler for all its triggers (a trigger cannot name its own entry
 * point), so a function with an HTTP trigger and an EventBridge trigger routes by the event's shape.
 * Events that are not JSON go to the HTTP chain (which answers them with a 400), or to the event
 * chain when that is the function's main way in (`undecodable: 'other'`).
 */
export function byEventShape(routes: {
  http: FcHandler;
  other: FcHandler;
  undecodable?: 'http' | 'other';
}): (event: unknown, context: FcContext) => Promise<unknown> {
  return async function dispatchByEventShape(event: unknown, context: FcContext) {
    let decoded: unknown;
    try {
      decoded = decodeFcEvent(event);
    } catch {
      return (routes.undecodable === 'other' ? routes.other : routes.http)(event as never, context);
    }
    return isHttpEnvelope(decoded) ? routes.http(event as never, context) : routes.other(event as never, context);
  };
}
