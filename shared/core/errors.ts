/** Domain errors: a stable `code`, whether a retry may help, and the cause. Adapters translate vendor errors into these. */
export class RegionshiftError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  constructor(code: string, message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = opts.retryable ?? false;
  }
}

export class PolicyError extends RegionshiftError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('POLICY.INVALID', `invalid policy:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

export class ValidationError extends RegionshiftError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('INPUT.INVALID', problems.join('; '));
    this.problems = problems;
  }
}

/**
 * An internal inconsistency: a value the core computed, or read back from its own state, broke an
 * invariant (a matrix row that does not sum to 100, a region the policy does not declare). Never
 * the caller's fault, so never a 4xx: HTTP answers 500, event functions let it propagate so the
 * sender retries (a fixed deploy, or a state the next decision repairs, lets the retry succeed).
 */
export class InvariantError extends RegionshiftError {
  readonly problems: string[];
  constructor(problems: string[], opts: { cause?: unknown } = {}) {
    super('INTERNAL.INVARIANT', `internal invariant failed: ${problems.join('; ')}`, { retryable: true, ...opts });
    this.problems = problems;
  }
}

export class StateConflictError extends RegionshiftError {
  constructor(message = 'state changed since it was read', opts: { cause?: unknown } = {}) {
    super('STATE.CONFLICT', message, { retryable: true, ...opts });
  }
}

export class MeshRejectedError extends RegionshiftError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('MESH.REJECTED', message, { retryable: false, ...opts });
  }
}

export class UpstreamError extends RegionshiftError {
  /** An API call that failed; `retryable` when throttled, timed out or 5xx. */
  constructor(code: string, message: string, opts: { retryable: boolean; cause?: unknown }) {
    super(code, message, opts);
  }
}

/**
 * A mesh apply given up because a newer decision replaced its config while it waited (see
 * `MeshApplyOptions.superseded`). Not a failure and not retryable: the newer plan's own step
 * carries the mesh on, so the executor records the step as skipped, with no alert.
 */
export class SupersededError extends RegionshiftError {
  constructor(readonly reason: string) {
    super('MESH.SUPERSEDED', `superseded while waiting for the mesh: ${reason}`, { retryable: false });
  }
}
