import { MeshRejectedError, UpstreamError } from '../../shared/core/errors';

/**
 * Scripted failures for the fakes: "fail the next N calls of this operation". A fault is a
 * ready error or a name for the two that matter to the engine: a retryable throttle (what ASM
 * and the Kubernetes API answer under load) and a mesh rejection (never retried).
 */
export type FaultKind = 'throttle' | 'reject' | Error | (() => Error);

export function throttlingError(): UpstreamError {
  // The code and message Alibaba Cloud POP APIs answer when a caller is rate limited.
  return new UpstreamError('Throttling.User', 'Request was denied due to user flow control.', { retryable: true });
}

export function makeFault(kind: FaultKind): Error {
  if (kind === 'throttle') return throttlingError();
  if (kind === 'reject') return new MeshRejectedError('the mesh rejected the locality LB config (fake)');
  return typeof kind === 'function' ? kind() : kind;
}

/** Per-operation queues of pending failures, consumed one per call. */
export class FaultQueue<Op extends string> {
  private readonly queues = new Map<Op, FaultKind[]>();

  /** The next `count` calls of `op` throw `kind` (after any failures already queued). */
  failNext(op: Op, count: number, kind: FaultKind): void {
    const q = this.queues.get(op) ?? [];
    for (let i = 0; i < count; i++) q.push(kind);
    this.queues.set(op, q);
  }

  /** Throw the next queued failure of `op`, if any. */
  take(op: Op): void {
    const kind = this.queues.get(op)?.shift();
    if (kind !== undefined) throw makeFault(kind);
  }

  pending(op: Op): number {
    return this.queues.get(op)?.length ?? 0;
  }

  clear(op?: Op): void {
    if (op === undefined) this.queues.clear();
    else this.queues.delete(op);
  }
}
