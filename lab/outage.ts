import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A lab server that can be taken away as an outage takes it: while down, a new connection is
 * reset as soon as it is accepted, and the connections open when it went down (SDK clients keep
 * them alive) are destroyed, so a caller gets ECONNRESET / "socket hang up" and never an HTTP
 * answer. `only` narrows it to the requests it names (one twin among several on one server):
 * those are reset on arrival, the others served.
 */
export interface Outage {
  readonly down: boolean;
  /** Requests and connections reset so far (what the callers met). */
  readonly refusals: number;
  setDown(down: boolean): void;
  /** For the server's request handler: true when this request was reset (handle nothing more). */
  refused(req: IncomingMessage): boolean;
}

export function outageFor(server: Server, only?: (req: IncomingMessage) => boolean): Outage {
  let down = false;
  let refusals = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    if (down && !only) {
      refusals++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    get down() {
      return down;
    },
    get refusals() {
      return refusals;
    },
    setDown(next) {
      if (next === down) return;
      down = next;
      // Whole server: every open connection goes, in-flight requests included. Narrowed: each
      // request is judged on arrival (a kept-alive connection's too), the others' calls go on.
      if (down && !only) for (const s of sockets) s.destroy();
    },
    refused(req) {
      if (!down || (only && !only(req))) return false;
      refusals++;
      req.socket.destroy();
      return true;
    },
  };
}
