import { historyRows, stepsSummary, type HistoryEvent } from '../../../shared/engine/history-text';
import { $, el } from '../../../shared/browser/dom';
import { timeEl } from './widgets';

/**
 * The history panel: one row per event, newest first. A decision says what it did (shared/engine/
 * history-text.ts); its steps' outcomes fold under it (named by target), so they never flood the list.
 */
export function renderHistory(d: { events: HistoryEvent[]; mesh: string }): void {
  const box = $('history');
  if (!d.events.length) return box.replaceChildren(el('li', { class: 'muted', text: 'no events yet' }));
  box.replaceChildren(
    ...historyRows(d.events, d.mesh).map((r) => {
      const progress = stepsSummary(r);
      const grouped = r.steps.length > (r.kind === 'step' ? 1 : 0);
      return el(
        'li',
        { 'data-seq': String(r.seq) },
        el(
          'div',
          {},
          el('span', { class: `kind k-${r.kind}`, text: r.kind }),
          ' ',
          el('span', { class: 'small muted' }, `#${r.seq} · `, timeEl(r.at), ` · ${r.actor}${r.planId ? ` · ${r.planId}` : ''}`),
        ),
        el('div', { class: 'what', text: r.text }),
        grouped
          ? el(
              'details',
              { class: 'steps' },
              el('summary', { text: r.kind === 'decision' ? `steps: ${progress}` : progress }),
              el(
                'ol',
                { class: 'plain small' },
                r.steps.map((s) => el('li', {}, timeEl(s.at), ` ${s.text}`)),
              ),
            )
          : null,
        r.explain.length
          ? el('details', {}, el('summary', { text: 'explain' }), el('pre', { class: 'explain', text: r.explain.join('\n') }))
          : null,
      );
    }),
  );
}
