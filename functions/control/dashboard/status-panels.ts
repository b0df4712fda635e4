import type { EntryView, ScopeStatus, StatusView } from '../../../shared/engine/api';
import { $, el, type Child } from '../../../shared/browser/dom';
import { act } from './actions';
import { signed } from './api';
import { defaultShifting, healthHeadline, matrixText, recoveryStepText, scheduleText } from './format';
import { plural, timeEl } from './widgets';

/** The panels drawn from `v1/status`: health cards, matrices, scopes, banners, signals, plans, refusals. */

type Matrix = Record<string, Record<string, number>>;

export function renderHealth(s: StatusView): void {
  const cards = Object.entries(s.health).map(([region, h]) => {
    const signals = s.activeSignals.filter((x) => x.region === region);
    const services = Object.entries(s.serviceHealth?.[region] ?? {});
    return el(
      'article',
      { class: `card s-${h.status}`, 'aria-labelledby': `hc-${region}` },
      el('h3', { id: `hc-${region}`, text: region }),
      el('div', { class: 'status', text: healthHeadline(h) }),
      el('div', { class: 'small muted' }, 'since ', timeEl(h.since, 'the start')),
      h.causes.length
        ? el(
            'div',
            { class: 'small' },
            el('span', { class: 'muted', text: 'causes:' }),
            el(
              'ul',
              { class: 'plain' },
              h.causes.map((c) => el('li', {}, el('code', { text: c }))),
            ),
          )
        : el('div', { class: 'small muted', text: 'no active causes' }),
      signals.length ? el('div', { class: 'small muted', text: `${plural(signals.length, 'active signal')}` }) : null,
      // Per-service health (service scopes): the region's own status above still governs every service.
      services.length
        ? el(
            'ul',
            { class: 'services', 'aria-label': `Services in ${region}` },
            services.map(([svc, sh]) =>
              el(
                'li',
                { class: `s-${sh.status}`, title: sh.causes.join(', ') },
                el('code', { text: svc }),
                el('span', { class: 'svc-status', text: sh.status + (sh.step !== undefined ? ` · ${recoveryStepText(sh)}` : '') }),
              ),
            ),
          )
        : null,
    );
  });
  $('health').replaceChildren(...(cards.length ? cards : [el('p', { class: 'muted', text: 'no regions' })]));
}

export function matrixRows(matrix: Matrix, cols: readonly string[]): HTMLElement[] {
  return [
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { scope: 'col', text: 'source ↓ / served in →' }),
        cols.map((c) => el('th', { scope: 'col', text: c })),
      ),
    ),
    el(
      'tbody',
      {},
      Object.keys(matrix).map((src) =>
        el(
          'tr',
          {},
          el('th', { scope: 'row', text: src }),
          cols.map((dst) => {
            const p = matrix[src]?.[dst] ?? 0;
            return el('td', { class: `pct${p ? '' : ' zero'}`, style: `--p:${p}`, 'data-src': src, 'data-dst': dst, text: String(p) });
          }),
        ),
      ),
    ),
  ];
}

export interface MatrixPart {
  id: string;
  matrix: Matrix | null;
  regions: string[];
  empty: string;
}

export function renderMatrix(d: MatrixPart): void {
  const table = $(d.id);
  if (!d.matrix) table.replaceChildren(el('caption', { class: 'muted', text: d.empty }));
  else table.replaceChildren(...matrixRows(d.matrix, d.regions));
}

export interface ScopesPart {
  scopes: Record<string, ScopeStatus> | null;
  entry: EntryView | null;
  regions: string[];
}

/** One card per host routed apart from the default: what the mesh has, and while it differs, what is intended. */
export function renderScopes(d: ScopesPart): void {
  const hosts = Object.entries(d.scopes ?? {});
  // Shown as soon as the policy scopes services (entry is then always in status), even before any host is routed apart.
  $('scopes-panel').hidden = hosts.length === 0 && !d.entry;
  renderEntry(d.entry);
  $('scopes').replaceChildren(
    ...hosts.map(([host, sc]) => {
      const live = sc.confirmed;
      return el(
        'article',
        { class: `card scope${sc.shifting ? ' shifting' : ''}`, 'aria-label': `Scope ${host}` },
        el('h3', { text: host }),
        el(
          'div',
          { class: 'small' },
          'mode ',
          el('strong', { text: live ? live.mode : 'follows the default' }),
          live ? '' : ' (the mesh has no rule for it yet)',
        ),
        live ? el('table', { class: 'matrix', 'aria-label': `Scope matrix ${host}` }, matrixRows(live.matrix, d.regions)) : null,
        sc.shifting
          ? el('h4', { text: `Shifting to${sc.intended ? ` ${sc.intended.mode}` : ' the default (its rule is to be removed)'}` })
          : null,
        sc.shifting && sc.intended
          ? el('table', { class: 'matrix', 'aria-label': `Scope intended matrix ${host}` }, matrixRows(sc.intended.matrix, d.regions))
          : null,
      );
    }),
  );
}

const names = (list: readonly string[]): Child[] => list.flatMap((n, i) => [i ? ', ' : '', el('code', { text: n })]);

/**
 * Where elective shifts apply: the entry services and where they came from. With scopes.entryFrom,
 * a read that was not used (failed, or routed to no scoped service) is shown with the set kept,
 * since the engine keeps deciding on that set rather than guessing.
 */
function renderEntry(e: EntryView | null): void {
  const box = $('entry');
  box.hidden = !e;
  if (!e) {
    box.replaceChildren();
    return;
  }
  const lines: HTMLElement[] = [];
  if (e.source === 'policy') {
    lines.push(el('p', { class: 'entry-set' }, 'Entry services: ', names(e.services), ' — named in the policy (scopes.entry)'));
  } else {
    const gateways = e.gateways ?? [];
    const gw = gateways.length === 1 ? 'gateway ' : 'gateways ';
    lines.push(
      e.services.length
        ? el(
            'p',
            { class: 'entry-set' },
            'Entry services: ',
            names(e.services),
            ` — derived from VirtualService${(e.from ?? []).length === 1 ? ' ' : 's '}`,
            names(e.from ?? []),
            ` bound to ${gw}`,
            names(gateways),
            ', since ',
            timeEl(e.since, 'unknown'),
          )
        : el(
            'p',
            { class: 'entry-set' },
            `Entry services: none known — scopes.entryFrom, ${gw}`,
            names(gateways),
            ': elective shifts are refused until one is derived',
          ),
    );
    if (e.problem) {
      lines.push(
        el(
          'p',
          { class: 'entry-problem', role: 'status', 'aria-label': 'Entry services problem' },
          'Latest VirtualService read not used (since ',
          timeEl(e.problem.since),
          `): ${e.problem.message} — `,
          e.services.length ? ['keeping ', ...names(e.services)] : 'no entry service is known',
        ),
      );
    }
  }
  box.replaceChildren(...lines);
}

export function renderBanners(s: StatusView): void {
  const list: HTMLElement[] = [];
  const err = $('banner-err');
  // The mesh has not confirmed what was decided: the live matrix below is still the old one.
  if (defaultShifting(s) && s.intended) {
    list.push(
      el(
        'section',
        { class: 'banner b-shifting', 'aria-label': 'Shifting' },
        el(
          'p',
          {},
          el('strong', { text: 'Shifting' }),
          ` to ${s.intended.config.mode} (decided `,
          timeEl(s.intended.at),
          `): the mesh has not confirmed it yet · intended ${matrixText(s.intended.matrix)}`,
        ),
      ),
    );
  }
  const shiftingScopes = Object.keys(s.scopes ?? {}).filter((host) => s.scopes?.[host]?.shifting);
  if (shiftingScopes.length) {
    list.push(
      el(
        'section',
        { class: 'banner b-shifting', 'aria-label': 'Scopes shifting' },
        el(
          'p',
          {},
          el('strong', { text: 'Shifting' }),
          ` ${plural(shiftingScopes.length, 'scope')}: the mesh has not confirmed their routing yet · `,
          names(shiftingScopes),
        ),
      ),
    );
  }
  // A schedule in force: why the traffic is where it is while every region is healthy.
  for (const sc of s.schedules ?? []) {
    list.push(
      el(
        'section',
        { class: 'banner b-schedule', 'aria-label': `Active schedule ${sc.name}` },
        el(
          'p',
          {},
          el('strong', { text: `Schedule ${sc.name}` }),
          ' active until ',
          timeEl(sc.until),
          ` · ${scheduleText(sc, s.override)}`,
        ),
      ),
    );
  }
  if (s.paused) {
    const p = s.paused;
    list.push(
      el(
        'section',
        { class: 'banner b-paused', 'aria-label': 'Automation paused' },
        el('p', {}, el('strong', { text: 'Automation paused' }), ` by ${p.actor} at `, timeEl(p.at), p.reason ? `: “${p.reason}”` : ''),
        el(
          'button',
          { type: 'button', class: 'primary', onclick: () => void act(err, null, 'Resume automation', () => signed('POST', 'v1/resume')) },
          'Resume automation',
        ),
      ),
    );
  }
  if (s.override) {
    const o = s.override;
    const what =
      (o.drain ? `drain ${o.drain.join(', ')}` : `matrix ${matrixText(o.matrix ?? {})}`) + (o.service ? ` of service ${o.service}` : '');
    list.push(
      el(
        'section',
        { class: 'banner b-override', 'aria-label': 'Active override' },
        el(
          'p',
          {},
          el('strong', { text: `Override ${o.id}` }),
          `: ${what}${o.force ? ' (force)' : ''} · until `,
          timeEl(o.expiresAt),
          ` · by ${o.actor}${o.reason ? `: “${o.reason}”` : ''}`,
        ),
        el(
          'button',
          {
            type: 'button',
            onclick: () => void act(err, null, 'Clear override', () => signed('DELETE', `v1/overrides/${encodeURIComponent(o.id)}`)),
          },
          'Clear override',
        ),
      ),
    );
  }
  if (s.drill) {
    const d = s.drill;
    list.push(
      el(
        'section',
        { class: 'banner b-drill', 'aria-label': 'Active drill' },
        el(
          'p',
          {},
          el('strong', { text: `Drill ${d.id}` }),
          `: ${d.region}${d.service ? ` ${d.service}` : ''} ${d.severity} · ends `,
          timeEl(d.endsAt),
          ` · by ${d.actor}`,
        ),
        el(
          'button',
          {
            type: 'button',
            class: 'danger',
            onclick: () => void act(err, null, 'Abort drill', () => signed('DELETE', `v1/drills/${encodeURIComponent(d.id)}`)),
          },
          'Abort drill',
        ),
      ),
    );
  }
  $('banners').replaceChildren(...list);
}

export function renderSignals(list: StatusView['activeSignals']): void {
  const box = $('signals');
  if (!list.length) return box.replaceChildren(el('p', { class: 'muted', text: 'none' }));
  box.replaceChildren(
    el(
      'table',
      { 'aria-label': 'Active signals' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['region', 'severity', 'source', 'key', 'at'].map((h) => el('th', { scope: 'col', text: h })),
        ),
      ),
      el(
        'tbody',
        {},
        list.map((x) =>
          el(
            'tr',
            {},
            el('td', { text: x.region }),
            el('td', { text: x.severity }),
            el('td', { text: x.source }),
            el('td', {}, el('code', { text: x.key })),
            el('td', {}, timeEl(x.at)),
          ),
        ),
      ),
    ),
  );
}

export function renderPlans(list: StatusView['openPlans']): void {
  const box = $('plans');
  if (!list.length) return box.replaceChildren(el('p', { class: 'muted', text: 'none' }));
  box.replaceChildren(
    el(
      'table',
      { 'aria-label': 'Open plans' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['plan', 'status', 'steps done', 'due'].map((h) => el('th', { scope: 'col', text: h })),
        ),
      ),
      el(
        'tbody',
        {},
        list.map((p) =>
          el(
            'tr',
            {},
            el('td', {}, el('code', { text: p.id })),
            el('td', { text: p.status }),
            el('td', { text: `${p.done} / ${p.steps}` }),
            el('td', {}, timeEl(p.dueAt)),
          ),
        ),
      ),
    ),
  );
}

export function renderRefusals(d: { refused: StatusView['refused']; since: StatusView['refusedSince'] }): void {
  const box = $('refusals');
  if (!d.refused.length) return box.replaceChildren(el('p', { class: 'muted', text: 'none' }));
  box.replaceChildren(
    d.since ? el('p', { class: 'small muted' }, 'since ', timeEl(d.since.at), ` · ${d.since.trigger}`) : '',
    el(
      'ul',
      { class: 'plain' },
      d.refused.map((r) => el('li', {}, el('code', { text: r.rule }), `: ${r.message}`)),
    ),
  );
}
