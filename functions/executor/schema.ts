import { z } from 'zod';
import type { Runtime } from '../../shared/runtime/types';

/** What the engine hands the executor when a plan has steps that must wait. */
export const executorPayload = z.strictObject({
  planId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be a plan id'),
});
export type ExecutorPayload = z.output<typeof executorPayload>;

export async function executePlan({ planId }: ExecutorPayload, runtime: Runtime) {
  const record = await runtime.engine.execute(planId);
  if (!record) return { planId, found: false };
  return {
    planId,
    found: true,
    status: record.status,
    done: record.outcomes.filter((o) => o.status === 'done').length,
    steps: record.plan.steps.length,
  };
}
