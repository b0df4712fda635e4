import { createHmac } from 'node:crypto';
import type { NotificationTarget } from '../core/policy-schema';
import type { Notification, Notifier } from '../ports/notifier';

/** Notifiers: a structured log line, a generic JSON webhook, and a signed DingTalk robot. */

const LEVELS = { info: 0, warning: 1, critical: 2 } as const;

export class LogNotifier implements Notifier {
  constructor(private readonly write: (line: Record<string, unknown>) => void) {}
  async notify(n: Notification): Promise<void> {
    this.write({ msg: 'notification', level: n.level, mesh: n.mesh, title: n.title, text: n.text, at: new Date(n.at).toISOString() });
  }
}

export class WebhookNotifier implements Notifier {
  constructor(private readonly url: string, private readonly minLevel: keyof typeof LEVELS) {}
  async notify(n: Notification): Promise<void> {
    if (LEVELS[n.level] < LEVELS[this.minLevel]) return;
    const res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...n, at: new Date(n.at).toISOString() }), signal: AbortSignal.timeout(3000) });
    if (!res.ok) throw new Error(`webhook answered ${res.status}`);
  }
}

/** DingTalk robot with the "sign" security setting: timestamp + HMAC-SHA256(secret, `${timestamp}\n${secret}`), base64, URL-encoded. */
export function dingtalkSignedUrl(webhook: string, secret: string, timestamp: number): string {
  const sign = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
  const url = new URL(webhook);
  url.searchParams.set('timestamp', String(timestamp));
  url.searchParams.set('sign', sign);
  return url.toString();
}

export class DingTalkNotifier implements Notifier {
  constructor(private readonly webhook: string, private readonly secret: string, private readonly minLevel: keyof typeof LEVELS) {}
  async notify(n: Notification): Promise<void> {
    if (LEVELS[n.level] < LEVELS[this.minLevel]) return;
    const body = { msgtype: 'markdown', markdown: { title: n.title, text: `### ${n.title}\n**${n.level}** ${n.text}` } };
    const res = await fetch(dingtalkSignedUrl(this.webhook, this.secret, n.at), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(3000) });
    const answer = (await res.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
    if (!res.ok || (answer.errcode ?? 0) !== 0) throw new Error(`dingtalk answered ${res.status} ${answer.errmsg ?? ''}`.trim());
  }
}

/** Fan out to every target; one failing target does not stop the others. */
export class FanoutNotifier implements Notifier {
  constructor(private readonly targets: Notifier[], private readonly onError: (err: unknown) => void) {}
  async notify(n: Notification): Promise<void> {
    const results = await Promise.allSettled(this.targets.map((t) => t.notify(n)));
    for (const r of results) if (r.status === 'rejected') this.onError(r.reason);
  }
}

export function notifierFor(targets: NotificationTarget[], log: (line: Record<string, unknown>) => void): Notifier {
  const all = targets.map((t): Notifier => {
    switch (t.type) {
      case 'log':
        return new LogNotifier(log);
      case 'webhook':
        return new WebhookNotifier(t.url, t.minLevel);
      case 'dingtalk':
        return new DingTalkNotifier(t.webhook, t.secret, t.minLevel);
    }
  });
  return new FanoutNotifier(all, (err) => log({ msg: 'notification failed', error: (err as Error).message }));
}
