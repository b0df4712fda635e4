import { readFileSync } from 'node:fs';

/**
 * Alarm `g` of the storm: every `distinctEvery`-th one is its own alarm (its own instance in the
 * dimensions, so its own signal); the rest repeat one alarm. Even ones are the CMS form, odd ones
 * the same fields as JSON (both are CMS callback shapes).
 */
const template = readFileSync('events/alarms/cms-callback-alert.txt', 'utf8').trim();

export function stormAlarm(g: number, distinctEvery: number): { contentType: string; body: string } {
  const instance = g % distinctEvery === 0 ? `storm-${g}` : 'storm-shared';
  const form = new URLSearchParams(template);
  form.set('dimensions', `{userId=1234567890123456, instanceId=${instance}, port=443}`);
  form.set('instanceName', instance);
  // Stamped when sent, as CMS stamps a callback: an alarm older than detection.maxAge is stale.
  form.set('timestamp', String(Date.now()));
  if (g % 2 === 0) return { contentType: 'application/x-www-form-urlencoded', body: form.toString() };
  return { contentType: 'application/json', body: JSON.stringify(Object.fromEntries(form)) };
}

/** CloudMonitor's callback delivery (platform facts: "3 retries, 5 s timeout"). */
export const CMS_DELIVERY = { retries: 3, timeoutMs: 5_000 } as const;

export interface Delivery {
  /** The last attempt's answer: a status, `timeout` or `network`. */
  final: string;
  delivered: boolean;
  /** Answers of the attempts that failed, in order. */
  failed: string[];
}

/**
 * Send one alarm as CMS does: up to 1 + `retries` attempts of the same request, each with its own
 * timeout; an attempt fails unless answered 200 in time. The interval between retries is not
 * documented, so a retry follows a failed attempt at once.
 */
export async function deliverAsCms(
  send: (signal: AbortSignal) => Promise<{ status: number; text: string }>,
  opts: { retries: number; timeoutMs: number } = CMS_DELIVERY,
  onError?: (e: string) => void,
): Promise<Delivery> {
  const failed: string[] = [];
  let final = '';
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    try {
      const res = await send(AbortSignal.timeout(opts.timeoutMs));
      final = String(res.status);
      if (res.status === 200) return { final, delivered: true, failed };
      onError?.(`${res.status} ${res.text.slice(0, 300)}`);
    } catch (err) {
      final = (err as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      onError?.(`${(err as Error).message}${(err as Error).cause ? `: ${String((err as { cause: unknown }).cause)}` : ''}`);
    }
    failed.push(final);
  }
  return { final, delivered: false, failed };
}
