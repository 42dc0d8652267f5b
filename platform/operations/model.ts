import type { CollectionSpec, Entity } from '../store/contract.js';

/** A value that survives a round trip through the store unchanged. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Plain data as the engine stores it (what JSON keeps of it: undefined members are dropped). */
export function toJson<T>(value: T): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

/** A step's stored input, output or progress, as the type its step wrote it with. */
export function fromJson<T>(value: Json | undefined): T {
  return value as unknown as T;
}

/**
 * The engine's states. PROCESSING and ROLLING_BACK are worked on by whichever engine holds the lease;
 * FAILED_TEMP waits for an operator's retry, rollback or fail; COMPLETED, ROLLED_BACK and FAILED are final.
 */
export type OperationState = 'PROCESSING' | 'COMPLETED' | 'FAILED_TEMP' | 'ROLLING_BACK' | 'ROLLED_BACK' | 'FAILED';

export const FINAL_STATES: readonly OperationState[] = ['COMPLETED', 'ROLLED_BACK', 'FAILED'];

/** States in which some engine is (or, after a crash, should be) running the operation. */
export const ACTIVE_STATES: readonly OperationState[] = ['PROCESSING', 'ROLLING_BACK'];

export function isFinal(state: OperationState): boolean {
  return FINAL_STATES.includes(state);
}

/** Whether no engine will touch the operation again without a caller asking (final or FAILED_TEMP). */
export function isSettled(state: OperationState): boolean {
  return !ACTIVE_STATES.includes(state);
}

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'compensating' | 'compensated';

export interface StepError {
  title: string;
  detail: string;
}

/**
 * How a cancel stops the operation (SOL 003 / SOL 005 CancelMode): GRACEFUL lets the running step finish;
 * FORCEFUL also aborts its `ctx.signal` at once. Either way no further step starts and the operation goes FAILED_TEMP.
 */
export type CancelMode = 'GRACEFUL' | 'FORCEFUL';

/** The body of a cancel task (SOL 003 clause 5.5.2.14, SOL 005 clause 6.5.2.14); it may be left out: GRACEFUL. */
export const CANCEL_MODE_SCHEMA = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['cancelMode'],
  properties: { cancelMode: { enum: ['GRACEFUL', 'FORCEFUL'] } },
} as const;

export interface OperationStep {
  name: string;
  status: StepStatus;
  /** What `run` answered, once the step is done. */
  output?: Json;
  /** The last value the step saved with `checkpoint`, kept across crashes and retries. */
  progress?: Json;
  /** Why the step (or its compensation, when status is `compensating`) failed. */
  error?: StepError;
  /**
   * The failure the operation was continued past (`OperationEngine.continue`): the step then ran its `continue`,
   * going on without what had failed, and the operation can at best be partially completed.
   */
  continuedPast?: StepError;
  /** How many times `run` was started: more than 1 after a resume or a retry. */
  attempts: number;
  startedAt?: string;
  finishedAt?: string;
}

/** ProblemDetails-like: why the operation is FAILED_TEMP (or became FAILED). */
export interface OperationProblem {
  title: string;
  status: number;
  detail: string;
  /** The step whose run or compensation failed. */
  step?: string;
}

/** Who may work on the operation, until when. Expired (or null) leases may be taken over by any engine. */
export interface OperationLease {
  owner: string;
  expiresAt: string;
}

export interface Operation extends Entity {
  kind: string;
  /** The instance the operation acts on: at most one unfinished operation per resource. */
  resourceId: string;
  state: OperationState;
  /** `forward` while steps run; `rollback` once a rollback started (it stays so if the rollback fails). */
  direction: 'forward' | 'rollback';
  steps: OperationStep[];
  input: Json;
  error?: OperationProblem;
  /**
   * True from an accepted `cancel` until the engine working on the operation acted on it (the operation is then
   * FAILED_TEMP and this is false again). Absent on operations that were never cancelled.
   */
  isCancelPending?: boolean;
  /** The mode of the pending cancel: present exactly while `isCancelPending` is true. */
  cancelMode?: CancelMode;
  lease: OperationLease | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * COMPLETED after an operator continued it past a failure (SOL 005 PARTIALLY_COMPLETED): what failed was left
 * out, the rest is done. The engine's state stays COMPLETED; APIs with that state show it.
 */
export function isPartiallyCompleted(operation: Operation): boolean {
  return operation.state === 'COMPLETED' && operation.steps.some((step) => step.continuedPast !== undefined);
}

/** Exists exactly while the resource has an unfinished operation: inserted with it, deleted with its final state. */
export interface ResourceClaim extends Entity {
  operationId: string;
  kind: string;
  claimedAt: string;
}

export const OPERATIONS: CollectionSpec = { name: 'platform_operations', indexes: ['state', 'resourceId', 'kind'] };

/** Keyed by resource id, so inserting a second claim for one resource is a `duplicate-id` conflict. */
export const RESOURCE_CLAIMS: CollectionSpec = { name: 'platform_operation_claims', indexes: ['operationId'] };
