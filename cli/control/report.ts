import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { renderReport } from '../../shared/engine/report';
import type { Timeline } from '../../shared/engine/timeline';
import { type Parsed, UsageError, noPositional, one } from '../control-args';
import { invoke, shaped, type Runner } from './invoke';

/** `regionshift report` (GET /v1/timeline): an incident's postmortem as Markdown with its SVG timeline. */

/** A time for `report`: epoch milliseconds or ISO-8601 with a zone, as the API takes it. */
function instantFlag(p: Parsed, name: string): number {
  const v = one(p, name);
  if (v === undefined) throw new UsageError(`--${name}: required (e.g. 2026-03-01T02:30:00Z)`);
  if (/^\d{1,15}$/.test(v)) return Number(v);
  const ms = /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms))
    throw new UsageError(
      `--${name}: must be epoch milliseconds or an ISO-8601 date-time with a zone (2026-03-01T02:30:00Z), got ${JSON.stringify(v)}`,
    );
  return ms;
}

/**
 * `regionshift report --from <time> --to <time> [--out report.md]`: the postmortem of an
 * incident as Markdown, with the timeline chart beside it as SVG (`report.svg`).
 */
export const runReport: Runner = (args, out, env) => {
  let file = 'regionshift-report.md';
  return invoke(
    {
      name: 'report',
      usage: 'report --from <time> --to <time> [--out report.md]',
      flags: { from: 'value', to: 'value', out: 'value' },
      request: (p) => {
        noPositional(p);
        const from = instantFlag(p, 'from');
        const to = instantFlag(p, 'to');
        if (to <= from) throw new UsageError('--to: must be after --from');
        file = one(p, 'out') ?? file;
        if (!file.endsWith('.md')) throw new UsageError(`--out: must name a .md file, got ${JSON.stringify(file)}`);
        return { method: 'GET', path: `/v1/timeline?from=${from}&to=${to}` };
      },
      render: (json, o) => {
        shaped(json, { shares: 'object', health: 'object', decisions: 'array', events: 'array' });
        const svgFile = `${file.slice(0, -3)}.svg`;
        const report = renderReport(json as Timeline, { image: { file: basename(svgFile) } });
        writeFileSync(svgFile, report.svg);
        writeFileSync(file, report.markdown);
        const t = json as Timeline;
        o.log(`wrote ${file} and ${svgFile}: ${t.decisions.length} decisions, ${t.events.length} signals/commands/alerts`);
      },
    },
    args,
    out,
    env,
  );
};
