import { el } from '../../../shared/browser/dom';
import { ApiError, serverNow } from './api';
import { rel } from './format';

/** Small DOM pieces every panel uses: a time, an error box, a re-render only on change. */

/** "14:02:11 (3m ago)": local time (date too when not today) and how long from now on the server's clock. */
export function when(iso: string | number | null | undefined): string | null {
  const t = typeof iso === 'number' ? iso : iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t) || t <= 0) return null;
  const d = new Date(t);
  const sameDay = d.toDateString() === new Date().toDateString();
  return `${sameDay ? d.toLocaleTimeString() : d.toLocaleString()} (${rel(t - serverNow())})`;
}

export function timeEl(iso: string | number | null | undefined, fallback?: string): HTMLElement {
  const text = when(iso);
  if (!text || iso === null || iso === undefined) return el('span', { class: 'muted', text: fallback || '—' });
  const stamp = typeof iso === 'number' ? new Date(iso).toISOString() : iso;
  return el('time', { datetime: stamp, title: stamp, text });
}

/** An error in its box: status and code, the message, then refusals and problems as a list. */
export function showError(box: HTMLElement, err: unknown): void {
  box.replaceChildren();
  const api = err instanceof ApiError ? err : null;
  const head = api && api.status ? `${api.status}${api.code ? ` ${api.code}` : ''}: ` : '';
  box.append(el('strong', { text: head }), err instanceof Error ? err.message : String(err));
  const items: HTMLElement[] = [];
  if (api) {
    for (const r of api.refused) items.push(el('li', {}, el('code', { text: r.rule }), `: ${r.message}`));
    if (!(api.problems.length === 1 && api.problems[0] === api.message)) for (const p of api.problems) items.push(el('li', { text: p }));
  }
  if (items.length) box.append(el('ul', {}, items));
}

const rendered = new Map<string, string>();
/** Re-render a part only when its data changed, so buttons are not swapped out from under a click. */
export function part<T>(key: string, data: T, render: (data: T) => void): void {
  const json = JSON.stringify(data);
  if (rendered.get(key) === json) return;
  rendered.set(key, json);
  render(data);
}

/** "1 plan" / "2 plans". */
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
