import { createHmac } from 'node:crypto';
import { RegionshiftError } from '../core/errors';
import { escapeMarkdown } from '../core/markdown';
import { matrixLines } from '../core/notice';
import type { NotificationTarget } from '../core/policy-schema';
import type { Notification, Notifier } from '../ports/notifier';

/**
 * Notifiers: a structured log line, a generic JSON webhook, and a signed DingTalk robot. Each
 * carries, besides the message, the decision's one-line explanation and the matrix it leaves
 * (when the notice comes from a plan) and a link to the dashboard at the decision's moment (when
 * `REGIONSHIFT_DASHBOARD_URL` is set): `<dashboard>#at=<ISO time>&plan=<plan id>`, which opens the
 * incident timeline around that time with the decision's details shown. The fragment carries no
 * token (the link is posted to a chat; the reader logs in with their own).
 */

/** The environment variable with the dashboard's address (the control function's URL, ending in `/`). */
export const DASHBOARD_URL_ENV = 'REGIONSHIFT_DASHBOARD_URL';

/** The dashboard's address from the environment value: an http(s) URL, else null with the reason. */
export function dashboardUrlFrom(raw: string | undefined): { url: string | null; problem?: string } {
  if (raw === undefined || raw.trim() === '') return { url: null };
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return { url: null, problem: `${DASHBOARD_URL_ENV}: not a URL` };
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    return { url: null, problem: `${DASHBOARD_URL_ENV}: must be an http(s) URL (got ${u.protocol})` };
  // A read token in the link would be forwarded to every chat member: refuse a fragment or credentials.
  if (u.hash || u.username || u.password)
    return { url: null, problem: `${DASHBOARD_URL_ENV}: must not carry a fragment or credentials (the link is posted to a chat)` };
  return { url: u.toString() };
}

/**
 * The dashboard at a moment: `#at=` the ISO time (the decision's, else the notice's), and `plan=`
 * the plan id so the page opens that very decision. In the fragment, not the query, so neither
 * reaches the server or its access log; the dashboard reads the fragment as URLSearchParams, so
 * it combines with a `#token=` login fragment.
 */
export function dashboardMomentUrl(dashboardUrl: string, at: number, planId?: string): string {
  const params = new URLSearchParams({ at: new Date(at).toISOString() });
  if (planId) params.set('plan', planId);
  // The ISO time's ':' needs no escaping in a fragment (RFC 3986); kept readable in the chat.
  return `${dashboardUrl}#${params.toString().replace(/%3A/g, ':')}`;
}

function linkFor(n: Notification, dashboardUrl: string | null): string | null {
  return dashboardUrl ? dashboardMomentUrl(dashboardUrl, n.decidedAt ?? n.at, n.planId) : null;
}

/** The markdown body of a DingTalk notice: the message, the explanation, the matrix, the link. */
export function dingtalkMarkdown(n: Notification, dashboardUrl: string | null): { title: string; text: string } {
  // Every text here may come from input (an alarm's name, an ACK reason): escaped, never rendered.
  const lines = [`### ${escapeMarkdown(n.title)}`, `**${n.level}** ${escapeMarkdown(n.text)}`];
  if (n.explanation) lines.push('', `> ${escapeMarkdown(n.explanation)}`);
  if (n.matrix) {
    lines.push('', n.matrixChanged === false ? 'Matrix (unchanged):' : 'New matrix:', '');
    for (const l of matrixLines(n.matrix)) lines.push(`- ${escapeMarkdown(l)}`);
  }
  lines.push('', `${new Date(n.at).toISOString()}${n.planId ? ` · plan ${escapeMarkdown(n.planId)}` : ''}`);
  const link = linkFor(n, dashboardUrl);
  if (link) lines.push('', `[Open the dashboard at this moment](${link})`);
  return { title: n.title, text: lines.join('\n') };
}

/** The JSON a generic webhook receives: the notification with ISO times and the dashboard link at the decision's moment. */
export function webhookBody(n: Notification, dashboardUrl: string | null): Record<string, unknown> {
  const link = linkFor(n, dashboardUrl);
  return {
    ...n,
    at: new Date(n.at).toISOString(),
    ...(n.decidedAt !== undefined ? { decidedAt: new Date(n.decidedAt).toISOString() } : {}),
    ...(n.matrix ? { matrixText: matrixLines(n.matrix) } : {}),
    ...(link ? { dashboardUrl: link } : {}),
  };
}

const LEVELS = { info: 0, warning: 1, critical: 2 } as const;

export class LogNotifier implements Notifier {
  constructor(private readonly write: (line: Record<string, unknown>) => void) {}
  async notify(n: Notification): Promise<void> {
    this.write({
      msg: 'notification',
      level: n.level,
      mesh: n.mesh,
      title: n.title,
      text: n.text,
      at: new Date(n.at).toISOString(),
      ...(n.explanation ? { explanation: n.explanation } : {}),
      ...(n.matrix ? { matrix: n.matrix, matrixChanged: n.matrixChanged !== false } : {}),
      ...(n.planId ? { planId: n.planId } : {}),
    });
  }
}

export class WebhookNotifier implements Notifier {
  constructor(
    private readonly url: string,
    private readonly minLevel: keyof typeof LEVELS,
    private readonly dashboardUrl: string | null = null,
  ) {}
  async notify(n: Notification): Promise<void> {
    if (LEVELS[n.level] < LEVELS[this.minLevel]) return;
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(webhookBody(n, this.dashboardUrl)),
      signal: AbortSignal.timeout(3000),
    });
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
  constructor(
    private readonly webhook: string,
    private readonly secret: string,
    private readonly minLevel: keyof typeof LEVELS,
    private readonly dashboardUrl: string | null = null,
  ) {}
  async notify(n: Notification): Promise<void> {
    if (LEVELS[n.level] < LEVELS[this.minLevel]) return;
    const body = { msgtype: 'markdown', markdown: dingtalkMarkdown(n, this.dashboardUrl) };
    const res = await fetch(dingtalkSignedUrl(this.webhook, this.secret, n.at), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(3000),
    });
    const answer = (await res.json().catch(() => ({}))) as { errcode?: number; errmsg?: string };
    if (!res.ok || (answer.errcode ?? 0) !== 0) throw new Error(`dingtalk answered ${res.status} ${answer.errmsg ?? ''}`.trim());
  }
}

/**
 * Some target did not take the notice. Not retryable: the executor journals the notify step
 * failed and alerts once, rather than re-sending (and re-alerting) on every tick.
 */
export class NotificationFailedError extends RegionshiftError {
  constructor(
    readonly failed: number,
    readonly of: number,
    reasons: string[],
  ) {
    super('NOTIFY.FAILED', `${failed} of ${of} notification targets failed: ${reasons.join('; ')}`, { retryable: false });
  }
}

/**
 * Fan out to every target; one failing target does not stop the others, and each failure is
 * reported to `onError`. If any target failed, the notice as a whole rejects with
 * NotificationFailedError, so its step is not recorded as done.
 */
export class FanoutNotifier implements Notifier {
  constructor(
    private readonly targets: Notifier[],
    private readonly onError: (err: unknown) => void,
  ) {}
  async notify(n: Notification): Promise<void> {
    const results = await Promise.allSettled(this.targets.map((t) => t.notify(n)));
    const reasons: string[] = [];
    for (const r of results) {
      if (r.status !== 'rejected') continue;
      this.onError(r.reason);
      reasons.push(r.reason instanceof Error ? r.reason.message : String(r.reason));
    }
    if (reasons.length) throw new NotificationFailedError(reasons.length, results.length, reasons);
  }
}

/**
 * The policy's targets. `dashboardUrl` defaults to `REGIONSHIFT_DASHBOARD_URL` (read here, in
 * the adapter, so the runtime wiring stays as it is); a bad value is logged and left out of the
 * notices rather than failing the function that is about to notify.
 */
export function notifierFor(
  targets: NotificationTarget[],
  log: (line: Record<string, unknown>) => void,
  opts: { dashboardUrl?: string | undefined } = { dashboardUrl: process.env[DASHBOARD_URL_ENV] },
): Notifier {
  const dashboard = dashboardUrlFrom(opts.dashboardUrl);
  if (dashboard.problem) log({ msg: 'notification config ignored', error: dashboard.problem });
  const all = targets.map((t): Notifier => {
    switch (t.type) {
      case 'log':
        return new LogNotifier(log);
      case 'webhook':
        return new WebhookNotifier(t.url, t.minLevel, dashboard.url);
      case 'dingtalk':
        return new DingTalkNotifier(t.webhook, t.secret, t.minLevel, dashboard.url);
    }
  });
  return new FanoutNotifier(all, (err) => log({ msg: 'notification failed', error: (err as Error).message }));
}
