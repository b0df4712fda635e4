import { z } from 'zod';

/** The async invocation payload the engine sends when a plan has steps that must wait. */
export const executorPayload = z.strictObject({
  planId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be a plan id'),
});
export type ExecutorPayload = z.output<typeof executorPayload>;
