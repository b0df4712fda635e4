import type { Clock } from '../../shared/ports/clock';

/**
 * Posts alarm notifications over real HTTP, as CMS does: a 5 s timeout per attempt and three
 * retries. Every outcome is recorded; nothing here throws, because the lab must keep running
 * when the functions it calls are down (that is a scenario worth watching, not a crash).
 * Retry backoff and timeouts are wall-clock time: they are about a real socket, not the twin's
 * virtual clock. The Clock only stamps the records.
 */

export interface DeliveryRequest {
  ruleId: string;
  kind: 'cms-callback' | 'ack-event' | 'alertmanager';
  state: 'ALERT' | 'OK';
  url: string;
  body: string;
  contentType: string;
}

export interface DeliveryRecord {
  ruleId: string;
  kind: DeliveryRequest['kind'];
  state: DeliveryRequest['state'];
  url: string;
  at: number;
  attempts: number;
  delivered: boolean;
  /** HTTP status of the last attempt, null when it got no response. */
  status: number | null;
  /** Why the last attempt failed, null when delivered. */
  error: string | null;
}

export interface DeliveryOptions {
  clock: Clock;
  /** Retries after the first attempt (CMS: 3). */
  retries?: number;
  timeoutMs?: number;
  /** First retry delay, doubled each time. */
  backoffMs?: number;
  /** Records kept, newest last. */
  keep?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class AlarmDelivery {
  private readonly log: DeliveryRecord[] = [];
  private readonly inFlight = new Set<Promise<DeliveryRecord>>();

  constructor(private readonly opts: DeliveryOptions) {}

  /** Deliver with retries; resolves with the record, never rejects. */
  deliver(req: DeliveryRequest): Promise<DeliveryRecord> {
    const p = this.attempt(req);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }

  records(): DeliveryRecord[] {
    return [...this.log];
  }

  /** Resolves once every delivery started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async attempt(req: DeliveryRequest): Promise<DeliveryRecord> {
    const retries = this.opts.retries ?? 3;
    const doFetch = this.opts.fetch ?? fetch;
    const sleep = this.opts.sleep ?? realSleep;
    const at = this.opts.clock.now();
    let status: number | null = null;
    let error: string | null = null;
    let attempts = 0;
    for (let i = 0; i <= retries; i++) {
      if (i > 0) await sleep((this.opts.backoffMs ?? 500) * 2 ** (i - 1));
      attempts++;
      try {
        const res = await doFetch(req.url, {
          method: 'POST',
          headers: { 'content-type': req.contentType },
          body: req.body,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          error = null;
          break;
        }
        error = `HTTP ${res.status}`;
      } catch (err) {
        status = null;
        error = describe(err);
      }
    }
    const record: DeliveryRecord = {
      ruleId: req.ruleId,
      kind: req.kind,
      state: req.state,
      url: req.url,
      at,
      attempts,
      delivered: error === null,
      status,
      error,
    };
    this.log.push(record);
    const keep = this.opts.keep ?? 500;
    if (this.log.length > keep) this.log.splice(0, this.log.length - keep);
    return record;
  }
}

/** A one-line reason; undici hides the socket error (ECONNREFUSED…) in `cause`. Duck-typed: errors may come from another realm. */
function describe(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const { message, cause } = err as { message?: unknown; cause?: unknown };
  const text = typeof message === 'string' ? message : String(err);
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : null;
  return code ? `${text} (${code})` : text;
}
