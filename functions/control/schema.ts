import { z } from 'zod';
import { duration, matrixSchema, regionName } from '../../shared/core/policy-schema';

/** Request bodies and queries of the control API (docs/api.md). Unknown fields are refused: a typo must not pass silently. */

const positiveDuration = duration.refine((ms) => ms > 0, { message: 'must be longer than 0' });
const reason = z.string().trim().min(1, 'required (say why, for the audit log)').max(500, 'at most 500 characters');
const severity = z.enum(['degraded', 'down']);

const overrideFields = {
  matrix: matrixSchema.optional(),
  drain: z.array(regionName).min(1, 'name at least one region').optional(),
  ttl: positiveDuration.optional(),
  force: z.boolean().optional(),
  reason,
};

function exactlyOneOfMatrixOrDrain(v: { matrix?: unknown; drain?: unknown }, ctx: z.core.$RefinementCtx): void {
  if ((v.matrix === undefined) === (v.drain === undefined)) {
    ctx.addIssue({ code: 'custom', path: [v.matrix === undefined ? 'matrix' : 'drain'], message: 'give exactly one of matrix or drain' });
  }
}

export const overrideBody = z.strictObject(overrideFields).superRefine(exactlyOneOfMatrixOrDrain);

export const drillBody = z.strictObject({
  region: regionName,
  severity: severity.optional(),
  duration: positiveDuration,
  reason: reason.optional(),
});

export const pauseBody = z.strictObject({ reason });
export const resumeBody = z.strictObject({ reason: reason.optional() });

/** POST /v1/plan: any command, named by `kind`, for a dry run. */
export const commandBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('override'), ...overrideFields }).superRefine(exactlyOneOfMatrixOrDrain),
  z.strictObject({ kind: z.literal('clearOverride'), id: z.string().min(1).optional() }),
  z.strictObject({ kind: z.literal('drill'), region: regionName, severity: severity.optional(), duration: positiveDuration, reason: reason.optional() }),
  z.strictObject({ kind: z.literal('abortDrill'), id: z.string().min(1).optional() }),
  z.strictObject({ kind: z.literal('pause'), reason }),
  z.strictObject({ kind: z.literal('resume') }),
]);
export type CommandBody = z.output<typeof commandBody>;

const digits = (what: string) => z.string().regex(/^\d{1,15}$/, `must be a whole number (${what})`).transform(Number);

export const historyQuery = z.object({
  limit: digits('1..500')
    .refine((n) => n >= 1 && n <= 500, { message: 'must be in 1..500' })
    .default(50),
  before: digits('an event seq').optional(),
});

/** Who the audit log says did it; unsigned, so only callers holding the secret can set it. */
export const actorHeader = z
  .string()
  .regex(/^[A-Za-z0-9._@:/-]{1,64}$/, 'must be 1-64 characters of letters, digits and . _ @ : / -')
  .default('api');

/** Path parameters: plan and override ids are produced by the engine (`ovr-…`, `drill-…`). */
export const idParam = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be an id such as ovr-12');
