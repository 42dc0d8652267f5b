/**
 * Durable, resumable operations: persisted plans of idempotent steps with their progress, one unfinished
 * operation per resource, leases that hold across engines sharing a store, recovery after a crash, rollback by
 * compensation.
 */
export {
  OperationEngine,
  type OperationEngineOptions,
  type OperationFilter,
  type RecoveryReport,
  type StepContext,
  type StepDefinition,
} from './engine.js';
export {
  OperationCancelledError,
  OperationInProgressError,
  OperationLeaseLostError,
  OperationNotFoundError,
  OperationStateError,
} from './errors.js';
export {
  ACTIVE_STATES,
  FINAL_STATES,
  fromJson,
  isFinal,
  isPartiallyCompleted,
  isSettled,
  OPERATIONS,
  RESOURCE_CLAIMS,
  toJson,
  CANCEL_MODE_SCHEMA,
  type CancelMode,
  type Json,
  type Operation,
  type OperationLease,
  type OperationProblem,
  type OperationState,
  type OperationStep,
  type ResourceClaim,
  type StepError,
  type StepStatus,
} from './model.js';
export { registerOccurrenceTasks, type OccurrenceTasksOptions } from './tasks.js';
