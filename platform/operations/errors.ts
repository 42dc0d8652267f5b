import { ProblemError } from '../errors.js';
import type { CancelMode, OperationState } from './model.js';

/** `start` on a resource that already has an unfinished operation. Reaches HTTP clients as 409. */
export class OperationInProgressError extends ProblemError {
  constructor(
    readonly resourceId: string,
    readonly operationId: string,
  ) {
    super(409, `resource ${resourceId} has operation ${operationId} in progress`, {
      type: 'operation-in-progress',
      extensions: { operationId },
    });
    this.name = 'OperationInProgressError';
  }
}

/** `retry`, `rollback`, `fail` or `cancel` in a state that does not allow it. Reaches HTTP clients as 409. */
export class OperationStateError extends ProblemError {
  constructor(
    readonly operationId: string,
    readonly state: OperationState,
    readonly action: string,
    reason?: string,
  ) {
    super(409, reason ?? `operation ${operationId} is ${state}; ${action} needs FAILED_TEMP`, { type: 'operation-state' });
    this.name = 'OperationStateError';
  }
}

/**
 * The reason `ctx.signal` is aborted with when the operation is cancelled FORCEFUL, so a step that rethrows
 * `signal.reason` (or calls `signal.throwIfAborted()`) fails with it.
 */
export class OperationCancelledError extends ProblemError {
  constructor(
    readonly operationId: string,
    readonly mode: CancelMode,
  ) {
    super(409, `operation ${operationId} was cancelled (${mode})`, { type: 'operation-cancelled', title: 'Operation cancelled' });
    this.name = 'OperationCancelledError';
  }
}

export class OperationNotFoundError extends ProblemError {
  constructor(readonly operationId: string) {
    super(404, `operation ${operationId} does not exist`);
    this.name = 'OperationNotFoundError';
  }
}

/**
 * Thrown by `checkpoint` (and seen inside the engine) when another engine took the operation over, because this
 * one's lease expired. The step should stop: its work now belongs to the new lease holder.
 */
export class OperationLeaseLostError extends Error {
  constructor(readonly operationId: string) {
    super(`the lease on operation ${operationId} was taken over by another engine`);
    this.name = 'OperationLeaseLostError';
  }
}
