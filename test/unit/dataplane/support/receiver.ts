import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: string;
}

/** A real HTTP server on 127.0.0.1 that records what it is sent and answers the statuses it is told to, in turn (then 200). */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly server: Server;
  private statuses: number[] = [];

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.statusCode = this.statuses.shift() ?? 200;
        res.end('{}');
      });
    });
  }

  static async start(): Promise<Receiver> {
    const r = new Receiver();
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  answerNext(...statuses: number[]): void {
    this.statuses.push(...statuses);
  }

  forms(): Array<Record<string, string>> {
    return this.requests.map((r) => Object.fromEntries(new URLSearchParams(r.body)));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
