import type { StoredEvent } from '../../shared/ports/state-store';
import { UsageError, noPositional, one } from '../control-args';
import { renderHistory } from '../control-render';
import { invoke, shaped, type Runner } from './invoke';

/** `regionshift history` (GET /v1/history): the audit log, newest first. */

/** `regionshift history [--limit N] [--before SEQ]` */
export const runHistory: Runner = (args, out, env) =>
  invoke(
    {
      name: 'history',
      usage: 'history [--limit N] [--before SEQ]',
      flags: { limit: 'value', before: 'value' },
      request: (p) => {
        noPositional(p);
        const limit = one(p, 'limit');
        const before = one(p, 'before');
        if (limit !== undefined && !(/^\d{1,3}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 500))
          throw new UsageError(`--limit: must be a whole number in 1..500, got ${JSON.stringify(limit)}`);
        if (before !== undefined && !/^\d{1,15}$/.test(before))
          throw new UsageError(`--before: must be an event seq (a whole number), got ${JSON.stringify(before)}`);
        const query = new URLSearchParams();
        if (limit !== undefined) query.set('limit', String(Number(limit)));
        if (before !== undefined) query.set('before', String(Number(before)));
        const qs = query.toString();
        return { method: 'GET', path: `/v1/history${qs ? `?${qs}` : ''}` };
      },
      render: (json, o) => {
        shaped(json, { events: 'array' });
        renderHistory(json as { events: StoredEvent[]; next: number | null }, o);
      },
    },
    args,
    out,
    env,
  );
