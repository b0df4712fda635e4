/**
 * Math's functions as module bindings. Routing calls them millions of times a second, and inside
 * a vm context (jest's ESM runner, or any sandboxed host) each `Math.x` is a global lookup through
 * the context's interceptor: measured, that made `send` about six times slower there.
 */
export const { floor, ceil, exp, log, min, max, sqrt, imul, pow, round } = Math;
