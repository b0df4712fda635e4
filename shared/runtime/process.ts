import { lazy } from '../core/lazy';
import type { FcContext, Runtime } from './types';

/**
 * The runtime of this FC instance, built from process.env: the one way a deployed handler gets
 * its runtime (`export const handler = makeHandler(processRuntime)`). The runtime module (engine,
 * state store, the adapters' wiring) is imported with the first invocation, not when FC loads the
 * entry, so a test or the lab that passes its own `runtimeFactory(...)` to `makeHandler` never
 * loads it; the container it builds then lives as long as the instance.
 */
const factory = lazy(async () => (await import('./index')).runtimeFactory(process.env));

export async function processRuntime(context: FcContext): Promise<Runtime> {
  return (await factory())(context);
}
