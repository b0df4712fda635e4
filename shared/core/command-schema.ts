import { z } from 'zod';
import { duration, matrixSchema, regionName } from './policy-schema';

/**
 * The wire shapes of control commands and signals, shared by the control API, the CLI and the
 * scenario format, so all three accept exactly the same thing.
 */

const overrideFields = z
  .object({
    matrix: matrixSchema.optional(),
    drain: z.array(regionName).min(1, 'name at least one region').optional(),
    ttl: duration.optional(),
    force: z.boolean().optional(),
    reason: z.string().max(500).optional(),
  })
  .strict();
const oneOfMatrixOrDrain = (b: { matrix?: unknown; drain?: unknown }) => (b.matrix === undefined) !== (b.drain === undefined);
const oneOfMessage = { message: 'give exactly one of matrix or drain', path: ['matrix'] };

export const overrideBody = overrideFields.refine(oneOfMatrixOrDrain, oneOfMessage);

export const drillBody = z
  .object({
    region: regionName,
    severity: z.enum(['degraded', 'down']).optional(),
    duration,
    reason: z.string().max(500).optional(),
  })
  .strict();

export const pauseBody = z.object({ reason: z.string().max(500).optional() }).strict();

/** Any command, tagged by kind (POST /v1/plan, scenarios). */
export const commandBody = z.discriminatedUnion('kind', [
  overrideFields.extend({ kind: z.literal('override') }).refine(oneOfMatrixOrDrain, oneOfMessage),
  z.object({ kind: z.literal('clearOverride'), id: z.string().optional() }).strict(),
  drillBody.extend({ kind: z.literal('drill') }),
  z.object({ kind: z.literal('abortDrill'), id: z.string().optional() }).strict(),
  pauseBody.extend({ kind: z.literal('pause') }),
  z.object({ kind: z.literal('resume') }).strict(),
]);

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
