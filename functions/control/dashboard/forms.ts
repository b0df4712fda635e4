import type { StatusView } from '../../../shared/engine/api';
import { $, el, input } from '../../../shared/browser/dom';
import { act, type Outcome } from './actions';
import { ACTOR_KEY, localError, read, SECRET_KEY, signed, ss, TOKEN_KEY } from './api';
import { presetValue } from './format';
import { showError, timeEl } from './widgets';

/** The side panels: credentials, the command forms (drill, override, pause) and readiness. */

let regions: string[] = [];

export function renderCreds(): void {
  const parts = [
    ss().getItem(TOKEN_KEY) ? 'read token set' : 'no read token',
    ss().getItem(SECRET_KEY) ? 'control secret set' : 'no control secret (read-only)',
  ];
  $('creds-state').textContent = `${parts.join(' · ')} · acting as ${ss().getItem(ACTOR_KEY) || 'dashboard'}`;
  input('actor').value = ss().getItem(ACTOR_KEY) || '';
}

export function wireCreds(refresh: () => void): void {
  $('creds-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const err = $('creds-err');
    err.replaceChildren();
    const token = input('read-token').value.trim();
    const secret = input('control-secret').value;
    const actor = input('actor').value.trim();
    if (actor && !/^[A-Za-z0-9._@:/-]{1,64}$/.test(actor)) {
      showError(err, localError('Act as: 1-64 characters of letters, digits and . _ @ : / -'));
      return;
    }
    if (token) ss().setItem(TOKEN_KEY, token);
    if (secret) ss().setItem(SECRET_KEY, secret);
    if (actor) ss().setItem(ACTOR_KEY, actor);
    else ss().removeItem(ACTOR_KEY);
    input('read-token').value = '';
    input('control-secret').value = '';
    renderCreds();
    refresh();
  });
  $('creds-forget').addEventListener('click', () => {
    for (const k of [TOKEN_KEY, SECRET_KEY, ACTOR_KEY]) ss().removeItem(k);
    renderCreds();
  });
}

/** A duration field: whole seconds as a number, anything else ("15m") as written. */
const durationValue = (text: string): string | number => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim());

function drillBody(): Record<string, unknown> {
  const body: Record<string, unknown> = {
    region: input('drill-region').value,
    severity: input('drill-severity').value,
    duration: durationValue(input('drill-duration').value),
  };
  const reason = input('drill-reason').value.trim();
  if (reason) body.reason = reason;
  return body;
}

function overrideBody(): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (input('ovr-kind-drain').checked) {
    body.drain = Array.from($('drain-regions').querySelectorAll<HTMLInputElement>('input:checked'), (i) => i.value);
  } else {
    const m: Record<string, Record<string, number>> = {};
    for (const cell of $('matrix-editor').querySelectorAll<HTMLInputElement>('input')) {
      const src = cell.dataset.src ?? '';
      const dst = cell.dataset.dst ?? '';
      const v = Number(cell.value || 0);
      const row = (m[src] ??= {});
      if (v !== 0) row[dst] = v;
    }
    body.matrix = m;
  }
  const ttl = input('ovr-ttl').value.trim();
  if (ttl) body.ttl = durationValue(ttl);
  if (input('ovr-force').checked) body.force = true;
  body.reason = input('ovr-reason').value.trim();
  return body;
}

function syncOverrideKind(): void {
  const drain = input('ovr-kind-drain').checked;
  $('drain-regions').hidden = !drain;
  $('matrix-fields').hidden = drain;
}

function wire(formId: string, title: string, run: () => Promise<Outcome>, dryRunId: string, dryRun: () => unknown): void {
  const form = $(formId);
  const err = form.querySelector<HTMLElement>('.err') as HTMLElement;
  const note = form.querySelector<HTMLElement>('.note');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(err, note, title, run);
  });
  $(dryRunId).addEventListener(
    'click',
    () => void act(err, note, `Dry run: ${title.toLowerCase()}`, () => signed<Outcome>('POST', 'v1/plan', dryRun())),
  );
}

export function wireCommands(): void {
  input('ovr-kind-drain').addEventListener('change', syncOverrideKind);
  input('ovr-kind-matrix').addEventListener('change', syncOverrideKind);
  syncOverrideKind();
  wire(
    'drill-form',
    'Start drill',
    () => signed('POST', 'v1/drills', drillBody()),
    'drill-dry',
    () => ({ kind: 'drill', ...drillBody() }),
  );
  wire(
    'override-form',
    'Pin override',
    () => signed('POST', 'v1/overrides', overrideBody()),
    'override-dry',
    () => ({ kind: 'override', ...overrideBody() }),
  );
  const pauseReason = () => input('pause-reason').value.trim();
  wire(
    'pause-form',
    'Pause automation',
    () => signed('POST', 'v1/pause', { reason: pauseReason() }),
    'pause-dry',
    () => ({ kind: 'pause', reason: pauseReason() }),
  );
}

/** Region pickers follow the mesh's regions; rebuilt only when that list changes, keeping choices. */
export function renderRegionInputs(list: string[], status: StatusView | null): void {
  regions = list;
  const drill = input('drill-region');
  const keep = drill.value;
  drill.replaceChildren(...list.map((r) => el('option', { value: r, text: r })));
  if (list.includes(keep)) drill.value = keep;
  const drains = $('drain-regions');
  const checked = new Set(Array.from(drains.querySelectorAll<HTMLInputElement>('input:checked'), (i) => i.value));
  drains.replaceChildren(
    el('legend', { text: 'Regions to drain' }),
    ...list.map((r) =>
      el('label', { class: 'inline' }, el('input', { type: 'checkbox', name: 'drain', value: r, checked: checked.has(r) }), r),
    ),
  );
  $('matrix-presets').replaceChildren(
    ...list.map((r) => el('button', { type: 'button', onclick: () => presetMatrix(r) }, `90/10 from ${r}`)),
  );
  buildMatrixEditor(list, status);
}

function buildMatrixEditor(list: string[], status: StatusView | null): void {
  // Edits start from what is intended (the mesh may still be shifting to it).
  const current = status?.intended?.matrix ?? status?.matrix ?? {};
  $('matrix-editor').replaceChildren(
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col', class: 'small muted', text: 'from ↓ to →' }),
        list.map((c) => el('th', { scope: 'col', class: 'small', text: c })),
      ),
    ),
    el(
      'tbody',
      {},
      list.map((src) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row', class: 'small', text: src }),
          list.map((dst) => {
            const row = current[src];
            const value = row ? (row[dst] ?? 0) : src === dst ? 100 : 0;
            return el(
              'td',
              {},
              el('input', {
                type: 'number',
                min: 0,
                max: 100,
                step: 1,
                'data-src': src,
                'data-dst': dst,
                'aria-label': `${src} → ${dst} %`,
                value,
              }),
            );
          }),
        ),
      ),
    ),
  );
}

function presetMatrix(from: string): void {
  for (const cell of $('matrix-editor').querySelectorAll<HTMLInputElement>('input'))
    cell.value = String(presetValue(regions, from, cell.dataset.src ?? '', cell.dataset.dst ?? ''));
  input('ovr-kind-matrix').checked = true;
  syncOverrideKind();
}

// ---- readiness (on demand: the checks read the cloud, too much for every refresh) ------
interface Readiness {
  status: string;
  at: string;
  checks: Array<{ id: string; status: string; message: string; lookedAt: string; fix?: string }>;
}

function renderReadiness(r: Readiness): void {
  const rows = r.checks.map((c) =>
    el(
      'tr',
      { class: `rd-${c.status}` },
      el('th', { scope: 'row', text: c.id }),
      el('td', {}, el('strong', { text: c.status.toUpperCase() })),
      el('td', {}, el('div', { text: c.message }), el('div', { class: 'small muted', text: `looked at: ${c.lookedAt}` })),
      el('td', { text: c.fix ?? '' }),
    ),
  );
  $('readiness').replaceChildren(
    el(
      'p',
      { class: 'small', style: 'margin:0 0 .4rem' },
      'Overall ',
      el('strong', { id: 'readiness-status', text: r.status.toUpperCase() }),
      ' · checked ',
      timeEl(r.at),
    ),
    el(
      'table',
      { class: 'matrix', 'aria-label': 'Readiness checks' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { scope: 'col', text: 'Check' }),
          el('th', { scope: 'col', text: 'Status' }),
          el('th', { scope: 'col', text: 'Finding' }),
          el('th', { scope: 'col', text: 'Fix' }),
        ),
      ),
      el('tbody', {}, ...rows),
    ),
  );
}

export function wireReadiness(): void {
  const btn = $<HTMLButtonElement>('readiness-run');
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    $('readiness-err').textContent = '';
    try {
      renderReadiness(await read<Readiness>('v1/readiness'));
    } catch (err) {
      showError($('readiness-err'), err);
    } finally {
      btn.disabled = false;
    }
  });
}
