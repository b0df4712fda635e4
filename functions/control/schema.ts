import { z } from 'zod';

/** Request bodies and queries of the control API (docs/api.md); the command bodies are shared with the CLI and scenarios. */
export { commandBody, drillBody, overrideBody, pauseBody, resumeBody, type CommandBody } from '../../shared/core/command-schema';

const digits = (what: string) =>
  z
    .string()
    .regex(/^\d{1,15}$/, `must be a whole number (${what})`)
    .transform(Number);

/**
 * Query schemas are strict, like the bodies: a misspelt parameter (`?limt=5`) silently ignored
 * would answer something the caller did not ask for. Routes without a query take `noQuery`.
 */
export const historyQuery = z
  .object({
    limit: digits('1..500')
      .refine((n) => n >= 1 && n <= 500, { message: 'must be in 1..500' })
      .default(50),
    before: digits('an event seq').optional(),
  })
  .strict();

/** A time as epoch milliseconds or an ISO-8601 date-time with a zone (`2026-03-01T02:30:00Z`). */
const instant = z
  .string()
  .refine(
    (v) => /^\d{1,15}$/.test(v) || (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(v) && Number.isFinite(Date.parse(v))),
    'must be epoch milliseconds or an ISO-8601 date-time with a zone (2026-03-01T02:30:00Z)',
  )
  .transform((v) => (/^\d+$/.test(v) ? Number(v) : Date.parse(v)));

/** The longest range one timeline answer covers; a postmortem is about one incident. */
export const TIMELINE_MAX_RANGE_MS = 31 * 24 * 3600_000;

export const timelineQuery = z
  .object({ from: instant, to: instant })
  .strict()
  .superRefine((q, ctx) => {
    if (q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (q.to - q.from > TIMELINE_MAX_RANGE_MS)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'the range may span at most 31 days' });
  });

export const noQuery = z.object({}).strict();

/** Who the audit log says did it; unsigned, so only callers holding the secret can set it. */
export const actorHeader = z
  .string()
  .regex(/^[A-Za-z0-9._@:/-]{1,64}$/, 'must be 1-64 characters of letters, digits and . _ @ : / -')
  .default('api');

/** Path parameters: plan and override ids are produced by the engine (`ovr-…`, `drill-…`). */
export const idParam = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be an id such as ovr-12');
