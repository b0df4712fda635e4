import type { DecisionOutcome, StatusView } from '../shared/engine/api';
import { historyRows, stepsSummary } from '../shared/engine/history-text';
import type { StoredEvent } from '../shared/ports/state-store';
import { apiErrorOf, type ApiReply } from './client';

/** How the control commands print the API's answers for a person (`--json` prints them raw). */

export interface Out {
  log(s: string): void;
  error(s: string): void;
}

/** `RECOVERING step 1/3 (25%)`: recovery steps counted from 1, as the explain lines and the dashboard count them. */
export function healthText(h: { status: string; step?: number; steps?: number; percent?: number }): string {
  if (h.step === undefined) return h.status;
  return `${h.status} step ${h.step}${h.steps !== undefined ? `/${h.steps}` : ''}${h.percent !== undefined ? ` (${h.percent}%)` : ''}`;
}

const pct = (row: Record<string, number>) =>
  Object.entries(row)
    .filter(([, v]) => v > 0)
    .map(([dst, v]) => `${dst} ${v}%`)
    .join(', ');

function matrixLines(m: Record<string, Record<string, number>> | null | undefined, indent = '  '): string[] {
  if (!m) return [];
  return Object.entries(m).map(([src, row]) => `${indent}${src} → ${pct(row)}`);
}

type Matrix = Record<string, Record<string, number>>;

const sameRow = (a: Record<string, number> | undefined, b: Record<string, number> | undefined) => {
  const norm = (r: Record<string, number> | undefined) =>
    JSON.stringify(
      Object.entries(r ?? {})
        .filter(([, v]) => v > 0)
        .sort(([x], [y]) => x.localeCompare(y)),
    );
  return norm(a) === norm(b);
};

const sameMatrix = (a: Matrix, b: Matrix) => [...new Set([...Object.keys(a), ...Object.keys(b)])].every((src) => sameRow(a[src], b[src]));

/** The default matrix itself is shifting (status's `shifting` is also true while only a scope is). */
const defaultShifting = (s: StatusView) =>
  s.shifting && s.intended !== null && (s.matrix === null || !sameMatrix(s.intended.matrix, s.matrix));

/**
 * A scope's routing on one line: the source rows where it differs from the default it is read
 * against (the rest of its rows are the default's), and its mode.
 */
function scopeRouting(m: { matrix: Matrix; mode: string }, against: Matrix | null | undefined): string {
  const rows = Object.entries(m.matrix).filter(([src, row]) => !against || !sameRow(row, against[src]));
  const text = rows.length ? rows.map(([src, row]) => `${src} → ${pct(row)}`).join('; ') : 'the same as the default';
  return `${text}  (${m.mode})`;
}

/** One block per host routed apart from the default: what the mesh has, then what is intended while they differ. */
export function scopeLines(s: Pick<StatusView, 'scopes' | 'matrix' | 'intended'>): string[] {
  const hosts = Object.entries(s.scopes ?? {});
  if (hosts.length === 0) return [];
  const lines = ['scopes (hosts routed apart from the default; every other host follows it):'];
  for (const [host, sc] of hosts) {
    lines.push(
      sc.confirmed
        ? `  ${host}: ${scopeRouting(sc.confirmed, s.matrix)}`
        : `  ${host}: not confirmed by the mesh yet (follows the live default)`,
    );
    if (sc.shifting)
      lines.push(
        sc.intended
          ? `    SHIFTING to: ${scopeRouting(sc.intended, s.intended?.matrix ?? s.matrix)}`
          : '    SHIFTING to: the default (its own rule is to be removed)',
      );
  }
  return lines;
}

/** Per-service health in each region, one line each. */
export function serviceHealthLines(s: Pick<StatusView, 'serviceHealth'>): string[] {
  const rows = Object.entries(s.serviceHealth ?? {}).flatMap(([region, services]) =>
    Object.entries(services).map(([svc, h]) => ({ region, svc, h })),
  );
  if (rows.length === 0) return [];
  const rw = Math.max(...rows.map((r) => r.region.length));
  const sw = Math.max(...rows.map((r) => r.svc.length));
  return [
    'service health:',
    ...rows.map(({ region, svc, h }) => {
      const status = healthText(h);
      const since = when(h.since);
      const causes = h.causes?.length ? `  causes: ${h.causes.join(', ')}` : '';
      return `  ${region.padEnd(rw)}  ${svc.padEnd(sw)}  ${status.padEnd(10)}${since ? `  since ${since}` : ''}${causes}`.trimEnd();
    }),
  ];
}

/** Where the entry services (where elective shifts apply) come from: the policy, or the gateways' VirtualServices. */
export function entryLines(s: Pick<StatusView, 'entry'>): string[] {
  const e = s.entry;
  if (!e) return [];
  if (e.source === 'policy') return [`entry services: ${e.services.join(', ')}  (named in the policy, scopes.entry)`];
  const gateways = (e.gateways ?? []).join(', ');
  const lines = [
    e.services.length
      ? `entry services: ${e.services.join(', ')}  (derived from VirtualService ${(e.from ?? []).join(', ')} bound to gateway ${gateways}${e.since ? `, since ${e.since}` : ''})`
      : `entry services: none known  (scopes.entryFrom, gateway ${gateways}): elective shifts are refused until one is derived`,
  ];
  if (e.problem) lines.push(`  latest read not used (since ${e.problem.since}): ${e.problem.message}`);
  return lines;
}

/** Null when the region never changed; a server from before that answered the 1970 epoch. */
const when = (iso: string | null | undefined) => (iso && !iso.startsWith('1970-01-01') ? iso : '');

export function renderStatus(s: StatusView, out: Out): void {
  out.log(`mesh ${s.mesh}  (state version ${s.version}, ${s.at})`);
  out.log(
    s.paused
      ? `automation: PAUSED by ${s.paused.actor} at ${s.paused.at}${s.paused.reason ? `: ${s.paused.reason}` : ''}`
      : 'automation: on',
  );
  out.log('health:');
  const width = Math.max(0, ...Object.keys(s.health ?? {}).map((r) => r.length));
  for (const [region, h] of Object.entries(s.health ?? {})) {
    const status = healthText(h);
    const since = when(h.since);
    const causes = h.causes?.length ? `  causes: ${h.causes.join(', ')}` : '';
    out.log(`  ${region.padEnd(width)}  ${status.padEnd(10)}${since ? `  since ${since}` : ''}${causes}`.trimEnd());
  }
  // What the mesh has comes first; what was decided shows only while the mesh does not have it yet.
  const confirmed = s.confirmed
    ? `  (live: confirmed by the mesh at ${s.confirmed.at}${s.confirmed.planId ? `, plan ${s.confirmed.planId}` : ''})`
    : '';
  const nothingYet = s.intended ? '(not confirmed by the mesh yet)' : '(nothing applied yet)';
  out.log(`mode: ${s.config?.mode ?? nothingYet}${confirmed}`);
  if (s.matrix) {
    out.log('matrix:');
    for (const l of matrixLines(s.matrix)) out.log(l);
  }
  if (defaultShifting(s) && s.intended) {
    out.log('SHIFTING: the mesh has not confirmed the intended matrix yet');
    out.log(`intended: ${s.intended.config.mode}  (decided at ${s.intended.at})`);
    for (const l of matrixLines(s.intended.matrix)) out.log(l);
  }
  for (const l of scopeLines(s)) out.log(l);
  for (const l of serviceHealthLines(s)) out.log(l);
  for (const l of entryLines(s)) out.log(l);
  const o = s.override;
  if (o) {
    const what = `${o.drain ? `drain ${o.drain.join(', ')}` : 'matrix'}${o.service ? ` of service ${o.service}` : ''}`;
    out.log(
      `override: ${o.id}  ${what}${o.force ? ' (force)' : ''}  until ${o.expiresAt}  by ${o.actor}${o.reason ? `: ${o.reason}` : ''}`,
    );
    if (o.matrix) for (const l of matrixLines(o.matrix, '    ')) out.log(l);
  } else out.log('override: none');
  // A schedule in force: why the traffic is where it is while every region is healthy.
  const schedules = s.schedules ?? [];
  if (schedules.length === 0) out.log('schedule: none');
  for (const sc of schedules)
    out.log(
      `schedule: ${sc.name}${sc.service ? ` (service ${sc.service})` : ''}  until ${sc.until}  (sets ${Object.entries(sc.matrix)
        .map(([src, row]) => `${src} → ${pct(row)}`)
        .join('; ')})`,
    );
  const d = s.drill;
  out.log(
    d ? `drill: ${d.id}  ${d.region}${d.service ? ` ${d.service}` : ''} ${d.severity}  until ${d.endsAt}  by ${d.actor}` : 'drill: none',
  );
  if (s.activeSignals?.length) {
    out.log('active signals:');
    for (const sig of s.activeSignals) out.log(`  ${sig.region} ${sig.severity}  ${sig.source}  ${sig.key}  at ${sig.at}`);
  } else out.log('active signals: none');
  if (s.openPlans?.length) {
    out.log('open plans:');
    for (const p of s.openPlans) out.log(`  ${p.id}  ${p.status}  ${p.done}/${p.steps} steps done  due ${p.dueAt}`);
  } else out.log('open plans: none');
  if (s.refused?.length) {
    out.log(s.refusedSince ? `last refusals (since ${s.refusedSince.at}, ${s.refusedSince.trigger}):` : 'last refusals:');
    for (const r of s.refused) out.log(`  ${r.rule}: ${r.message}`);
  } else out.log('last refusals: none');
}

export function renderHistory(reply: { events: StoredEvent[]; next: number | null }, out: Out): void {
  if (reply.events.length === 0) {
    out.log('no events');
    return;
  }
  // A decision by what it did, its steps' outcomes folded into it (shared/engine/history-text.ts).
  for (const r of historyRows(reply.events)) {
    const steps = r.kind === 'decision' && r.steps.length ? `  (steps: ${stepsSummary(r)})` : '';
    out.log(
      `${r.seq}  ${new Date(r.at).toISOString()}  ${r.kind.padEnd(8)}  ${r.actor}  ${r.text}${steps}${r.planId ? `  [${r.planId}]` : ''}`,
    );
    if (r.kind === 'step' && r.steps.length > 1) for (const st of r.steps) out.log(`      ${st.text}`);
  }
  if (reply.next !== null) out.log(`(older events: regionshift history --before ${reply.next})`);
}

type Step = DecisionOutcome['plan']['steps'][number];

function stepLine(s: Step): string {
  switch (s.kind) {
    case 'mesh':
      return `mesh → ${s.config.mode}: ${Object.entries(s.matrix)
        .map(([src, row]) => `${src} → ${pct(row)}`)
        .join('; ')}`;
    case 'scale':
      return `scale ${s.cluster} ${s.namespace}/${s.deployment} (${s.region}): ${s.from} → ${s.to}${s.waitReady ? ', waits until ready' : ''}${s.notBefore !== undefined ? `, not before ${new Date(s.notBefore).toISOString()}` : ''}`;
    case 'notify':
      return `notify ${s.level}: ${s.message}`;
  }
}

/**
 * A decision: the engine's explain lines (which name each step as it planned it), then for a dry
 * run the numbered steps it would run, for a command what was committed and run.
 */
export function renderOutcome(o: DecisionOutcome & { dryRun?: boolean }, out: Out): void {
  if (o.dryRun) out.log('dry run: nothing was committed');
  for (const line of o.explain ?? []) out.log(line);
  const steps = o.plan?.steps ?? [];
  if (o.dryRun) {
    if (steps.length) {
      out.log('steps it would run:');
      steps.forEach((s, i) => out.log(`  ${i + 1}. ${stepLine(s)}`));
    } else out.log('steps it would run: none');
  }
  if (o.plan?.refused?.length) {
    out.log(o.dryRun ? 'it would be refused:' : 'refused:');
    for (const r of o.plan.refused) out.log(`  ${r.rule}: ${r.message}`);
  }
  if (o.dryRun) return;
  if (!o.committed) out.log('no change');
  else if (steps.length === 0) out.log(`committed ${o.plan.id}: no steps to run`);
  else
    out.log(
      `committed ${o.plan.id}: ${o.executed} of ${steps.length} step${steps.length === 1 ? '' : 's'} run now${o.handedOff ? ', the rest handed to the executor' : ''}`,
    );
}

/** A 4xx or 5xx answer, on stderr: the API's message, then its problems or refusals. */
export function reportError(reply: ApiReply, out: Out): void {
  const e = apiErrorOf(reply.json);
  if (!e) {
    const text = reply.text.trim().slice(0, 300);
    out.error(`error: ${reply.url} answered ${reply.status}${text ? `: ${text}` : ''}`);
    if (reply.status === 404) out.error("  (is --endpoint the control function's base URL?)");
    return;
  }
  const code = e.code ?? 'ERROR';
  if (code === 'COMMAND.REFUSED') {
    const refused = e.refused ?? [];
    if (refused.length === 0) out.error(`refused (${reply.status} ${code}), nothing changed: ${e.message ?? ''}`.trimEnd());
    else out.error(`refused (${reply.status} ${code}), nothing changed:`);
    for (const r of refused) out.error(`  ${r.rule}: ${r.message}`);
    return;
  }
  out.error(`error ${reply.status} ${code}: ${e.message ?? '(no message)'}`);
  const problems = e.problems ?? [];
  if (!(problems.length === 1 && problems[0] === e.message)) for (const p of problems) out.error(`  ${p}`);
  if (reply.status === 401) out.error("  (check --secret / REGIONSHIFT_CONTROL_SECRET, and this machine's clock)");
  if (code === 'HTTP.NOT_FOUND') out.error("  (is --endpoint the control function's base URL, without /v1?)");
  if (reply.status >= 500 && e.requestId) out.error(`  request id ${e.requestId}: find it in the control function's log`);
}
