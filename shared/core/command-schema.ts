import { z } from 'zod';
import { duration, matrixSchema, regionName } from './policy-schema';

/**
 * The wire shapes of control commands and signals, shared by the control API, the CLI and the
 * scenario format, so all three accept exactly the same thing. Unknown fields are refused: a
 * typo must not pass silently.
 */

const positiveDuration = duration.refine((ms) => ms > 0, { message: 'must be longer than 0' });
/**
 * A reason must say something: one visible character at least. Whitespace, control characters
 * (NUL included) and invisible format characters alone would write an empty line into the audit.
 */
const VISIBLE = /[^\p{C}\p{Z}\s]/u;
const reason = z
  .string()
  .trim()
  .min(1, 'required (say why, for the audit log)')
  .max(500, 'at most 500 characters')
  // An empty reason is already `required`: one message per problem.
  .refine((r) => r.length === 0 || VISIBLE.test(r), {
    message: 'must contain visible text (whitespace and control characters alone say nothing)',
  });
const severity = z.enum(['degraded', 'down']);

const overrideFields = {
  matrix: matrixSchema.optional(),
  drain: z.array(regionName).min(1, 'name at least one region').optional(),
  ttl: positiveDuration.optional(),
  force: z.boolean().optional(),
  /** A scoped service: the override applies to that service's host only. */
  service: z.string().min(1, 'required').optional(),
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
  service: z.string().min(1, 'required').optional(),
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
  z.strictObject({
    kind: z.literal('drill'),
    region: regionName,
    service: z.string().min(1, 'required').optional(),
    severity: severity.optional(),
    duration: positiveDuration,
    reason: reason.optional(),
  }),
  z.strictObject({ kind: z.literal('abortDrill'), id: z.string().min(1).optional() }),
  z.strictObject({ kind: z.literal('pause'), reason }),
  z.strictObject({ kind: z.literal('resume') }),
]);
export type CommandBody = z.output<typeof commandBody>;

export const signalBody = z
  .object({
    key: z.string().min(1, 'required'),
    source: z.string().min(1, 'required'),
    rule: z.string().optional(),
    region: regionName,
    service: z.string().optional(),
    severity: z.enum(['degraded', 'down']),
    status: z.enum(['firing', 'resolved']),
    at: z.union([z.number(), z.string()]).optional(),
    ttl: duration.optional(),
    name: z.string().optional(),
  })
  .strict();
