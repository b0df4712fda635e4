import { z } from 'zod';

/**
 * The FC SLS trigger's event ("Formats of event for different triggers", Simple Log Service
 * trigger; the `s cli fc-event sls` sample): which shard's cursor range to read. `parameter` is the
 * trigger's `functionParameter`, passed through (not read).
 */
const text = (what: string) =>
  z.string({ error: (iss: { input?: unknown }) => (iss.input === undefined ? 'required' : `must be ${what}`) }).min(1, `must be ${what}`);

export const slsTriggerEvent = z.object({
  parameter: z.unknown().optional(),
  source: z.object(
    {
      endpoint: text('the SLS endpoint (http://cn-hangzhou-intranet.log.aliyuncs.com)').max(512),
      projectName: text('an SLS project name').max(63),
      logstoreName: text('a Logstore name').max(63),
      shardId: z.number({ error: 'must be a shard id (an integer)' }).int('must be a shard id (an integer)').min(0, 'must be >= 0'),
      beginCursor: text('a cursor').max(256),
      endCursor: text('a cursor').max(256),
    },
    { error: (iss: { input?: unknown }) => (iss.input === undefined ? 'required' : "must be an object (the shard's range)") },
  ),
  jobName: z.string().max(256).optional(),
  taskId: z.string().max(256).optional(),
  /** Epoch seconds. */
  cursorTime: z.number().optional(),
});
export type SlsTriggerEvent = z.output<typeof slsTriggerEvent>;
