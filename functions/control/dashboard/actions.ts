import type { DecisionOutcome } from '../../../shared/engine/api';
import { $, el } from '../../../shared/browser/dom';
import { ApiError } from './api';
import { stepLine } from './format';
import { showError } from './widgets';

/** Running a command from a form or a button: errors inline where it was asked, outcomes in the result panel. */

export type Outcome = DecisionOutcome & { dryRun?: boolean };

let refreshAfter: () => void = () => undefined;
/** What to run after a command (the page's refresh), set once by the entry module. */
export const onCommandDone = (fn: () => void): void => {
  refreshAfter = fn;
};

export function showOutcome(title: string, outcome: Outcome): void {
  const box = $('result');
  const steps = outcome.plan?.steps ?? [];
  const refused = outcome.plan?.refused ?? [];
  const summary = outcome.dryRun
    ? 'Dry run: nothing was committed.'
    : outcome.committed
      ? `Committed ${outcome.plan.id}: ${outcome.executed} of ${steps.length} step${steps.length === 1 ? '' : 's'} run now${outcome.handedOff ? ', the rest handed to the executor.' : '.'}`
      : 'No change.';
  box.replaceChildren(
    el('h3', { text: title }),
    el('p', { text: summary }),
    el('pre', { class: 'explain', 'aria-label': 'Explain', text: (outcome.explain ?? []).join('\n') || '(no explanation)' }),
    steps.length
      ? el(
          'div',
          {},
          el('strong', { text: outcome.dryRun ? 'Steps it would run' : 'Steps' }),
          el(
            'ol',
            {},
            steps.map((s) => el('li', { class: 'small', text: stepLine(s as unknown as { kind: string } & Record<string, unknown>) })),
          ),
        )
      : el('p', { class: 'muted small', text: 'Steps: none' }),
    refused.length
      ? el(
          'div',
          {},
          el('strong', { text: 'Refused' }),
          el(
            'ul',
            {},
            refused.map((r) => el('li', {}, el('code', { text: r.rule }), `: ${r.message}`)),
          ),
        )
      : '',
  );
  if (outcome.dryRun) box.scrollIntoView({ block: 'nearest' });
}

/** Runs an action: errors inline in `errBox`, the outcome in the result panel, then a refresh. */
export async function act(
  errBox: HTMLElement,
  noteBox: HTMLElement | null,
  title: string,
  run: () => Promise<Outcome>,
): Promise<Outcome | null> {
  errBox.replaceChildren();
  noteBox?.replaceChildren();
  try {
    const outcome = await run();
    showOutcome(title, outcome);
    if (noteBox)
      noteBox.textContent = outcome.dryRun
        ? `${title}: see the result below`
        : `${title}: ${outcome.committed ? `committed ${outcome.plan.id}` : 'no change'}`;
    refreshAfter();
    return outcome;
  } catch (err) {
    showError(errBox, err);
    if (err instanceof ApiError && err.refused.length) refreshAfter();
    return null;
  }
}
