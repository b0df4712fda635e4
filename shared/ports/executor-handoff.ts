/**
 * Hands a committed plan to the executor function, which runs its waiting steps: queued, not run
 * here (FC 3.0's asynchronous InvokeFunction in shared/adapters/fc-executor.ts). Resolves once the
 * platform has accepted the plan id; rejects with an UpstreamError when it has not.
 */
export type ExecutorHandoff = (planId: string) => Promise<void>;
