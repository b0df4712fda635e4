import type { Server } from 'node:http';

/**
 * How long the lab's servers keep an idle keep-alive connection open. Node's default (5 s) is one
 * second above the client's: undici (Node's `fetch`) reads `Keep-Alive: timeout=5` and drops its
 * idle sockets after 4 s. On a loaded host a client whose event loop stalls past that second sends
 * on a socket the server is closing, and the request fails with "fetch failed" (the reliability
 * storm saw 2 of 10,000 at load average 11). Holding idle connections for a minute, as cloud HTTP
 * front ends do, leaves the client to close them first. `headersTimeout` must stay above it.
 */
export const IDLE_KEEP_ALIVE_MS = 65_000;

export function holdIdleConnections<S extends Server>(server: S): S {
  server.keepAliveTimeout = IDLE_KEEP_ALIVE_MS;
  server.headersTimeout = IDLE_KEEP_ALIVE_MS + 1_000;
  return server;
}
