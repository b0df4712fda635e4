import type { StatusView } from '../../../shared/engine/api';

/**
 * The dashboard's text, pure (no DOM, no clock): how times, shares, steps and states read.
 * Unit-tested; the render modules put these strings into the page.
 */

type Row = Record<string, number>;
type Matrix = Record<string, Row>;

/** A span from now: "in 5m", "12s ago", "3.5h ago", "2d ago". */
export function rel(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const text =
    s < 60 ? `${s}s` : s < 3600 ? `${Math.round(s / 60)}m` : s < 172800 ? `${Math.round(s / 360) / 10}h` : `${Math.round(s / 86400)}d`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** A row's shares: "cn-hangzhou 90%, cn-shanghai 10%" (as given, zeros included). */
export const pctText = (row: Row): string =>
  Object.entries(row)
    .map(([d, p]) => `${d} ${p}%`)
    .join(', ');

/** A whole matrix: "cn-hangzhou → cn-hangzhou 90%, cn-shanghai 10%; cn-shanghai → …". */
export const matrixText = (m: Matrix): string =>
  Object.entries(m)
    .map(([src, row]) => `${src} → ${pctText(row)}`)
    .join('; ');

/** A planned step as the result panel lists it. */
export function stepLine(s: { kind: string } & Record<string, unknown>): string {
  if (s.kind === 'mesh')
    return `mesh → ${String((s.config as { mode?: string } | undefined)?.mode)}: ${matrixText((s.matrix ?? {}) as Matrix)}`;
  if (s.kind === 'scale')
    return `scale ${String(s.cluster)} ${String(s.namespace)}/${String(s.deployment)} (${String(s.region)}): ${String(s.from)} → ${String(s.to)}${s.waitReady ? ', waits until ready' : ''}`;
  if (s.kind === 'notify') return `notify ${String(s.level)}: ${String(s.message)}`;
  return JSON.stringify(s);
}

/** Recovery steps counted from 1, as the status API gives them: "step 1/3 (25%)". */
export function recoveryStepText(h: { step?: number; steps?: number; percent?: number }): string {
  return `step ${h.step}${h.steps !== undefined ? `/${h.steps}` : ''}${h.percent !== undefined ? ` (${h.percent}%)` : ''}`;
}

/** A health card's headline: "RECOVERING · step 1/3 (25%)". */
export const healthHeadline = (h: { status: string; step?: number; steps?: number; percent?: number }): string =>
  h.status + (h.step !== undefined ? ` · ${recoveryStepText(h)}` : '');

const norm = (row: Row | undefined) =>
  JSON.stringify(
    Object.entries(row ?? {})
      .filter(([, v]) => v > 0)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
  );

/** The same routing (zero shares and key order aside). */
export function sameMatrix(a: Matrix | null | undefined, b: Matrix | null | undefined): boolean {
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  return [...keys].every((src) => norm((a ?? {})[src]) === norm((b ?? {})[src]));
}

/** The default matrix itself is shifting (status's `shifting` is also true while only a scope is). */
export function defaultShifting(s: Pick<StatusView, 'shifting' | 'intended' | 'matrix'>): boolean {
  return Boolean(s.shifting && s.intended && (!s.matrix || !sameMatrix(s.intended.matrix, s.matrix)));
}

/** The regions the page offers: those with health, then any other a matrix names. */
export function regionsOf(s: Pick<StatusView, 'health' | 'matrix'>): string[] {
  const list = Object.keys(s.health ?? {});
  for (const [src, row] of Object.entries(s.matrix ?? {})) {
    if (!list.includes(src)) list.push(src);
    for (const dst of Object.keys(row)) if (!list.includes(dst)) list.push(dst);
  }
  return list;
}

/**
 * What an active schedule's banner says besides its end (status's `schedules`). An override of
 * the same scope (mesh-wide, or the schedule's service) comes first while it lasts: said so.
 */
export function scheduleText(s: StatusView['schedules'][number], override?: StatusView['override']): string {
  const overridden = override && (override.service === undefined || override.service === s.service);
  const who = overridden
    ? `override ${override.id} comes first until it ends; then the schedule sets the target`
    : "the policy's schedule sets the target";
  return `${s.service ? `service ${s.service}: ` : ''}${who} · ${matrixText(s.matrix)}`;
}

/**
 * The "90/10 from <region>" preset of the matrix editor: `from` keeps 90% and splits 10% over the
 * others (the first takes the remainder); every other source serves itself.
 */
export function presetValue(regions: readonly string[], from: string, src: string, dst: string): number {
  if (src !== from) return src === dst ? 100 : 0;
  if (dst === from) return 90;
  const others = regions.filter((r) => r !== from);
  if (!others.length) return 0;
  const each = Math.floor(10 / others.length);
  return dst === others[0] ? 10 - each * (others.length - 1) : each;
}

/** Path plus the query sorted by key, each part percent-encoded, as the server canonicalises it (shared/http/auth.ts canonicalTarget). */
export function canonical(target: string): string {
  const i = target.indexOf('?');
  if (i < 0) return target;
  const q = new URLSearchParams(target.slice(i + 1));
  const all = [...q.keys()];
  const keys = [...new Set(all)].sort();
  // As the server: a repeated key has no one value to sign, so it is refused, not guessed.
  if (keys.length !== all.length) throw new Error('a query parameter is given more than once');
  return (
    target.slice(0, i) +
    (keys.length ? `?${keys.map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(q.get(k) ?? '')}`).join('&')}` : '')
  );
}

/** The text an HMAC signature covers (docs/api.md): timestamp, method, canonical path, request id, body. */
export const signingText = (ts: number, method: string, path: string, id: string, body: string): string =>
  `${ts}\n${method}\n${canonical(path)}\n${id}\n${body}`;
