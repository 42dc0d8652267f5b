import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { ADMIN_TENANT } from '../config.js';
import { ProblemError } from '../errors.js';
import type { Logger } from '../logger.js';
import { StoreConflictError, type Repository, type Store, type Versioned, type Write } from '../store/contract.js';
import {
  OperationCancelledError,
  OperationInProgressError,
  OperationLeaseLostError,
  OperationNotFoundError,
  OperationStateError,
} from './errors.js';
import {
  ACTIVE_STATES,
  isSettled,
  OPERATIONS,
  RESOURCE_CLAIMS,
  type CancelMode,
  type Json,
  type Operation,
  type OperationProblem,
  type OperationState,
  type OperationStep,
  type ResourceClaim,
  type StepError,
} from './model.js';

/**
 * Durable, resumable execution of multi-step operations.
 *
 * An operation is persisted (state PROCESSING, every step pending) together with a claim on its resource before
 * any step runs, and every step transition is persisted before the engine moves on: `running` before `run` is
 * called, `done` with its output after it returned. Whoever holds the operation's lease is the only one that
 * writes it; every write is a compare-and-set on the revision the holder last wrote, so an engine whose lease
 * was taken over finds out at its next write and stops. Holders renew the lease on a timer while they work.
 *
 * After a crash, `recover()` (on any engine sharing the store) takes over operations whose lease expired and
 * looks at the step that was interrupted: `onRestart: 'resume'` runs it again (it must be idempotent), `'fail'`
 * leaves the operation FAILED_TEMP for an operator to retry, roll back or fail. Steps that were done are never
 * run again. The same rule applies to an interrupted compensation during a rollback.
 *
 * `continue()` takes a FAILED_TEMP operation past the failure of its step: the step runs its `continue` (it goes on
 * without what failed), the steps after it run as usual, and the operation ends COMPLETED with the failure kept
 * on the step (`continuedPast`), which `isPartiallyCompleted` reports.
 *
 * `cancel()` (on any engine) records a cancel request on an operation being worked on (`isCancelPending`); it is
 * the one write to an operation not made by its lease holder. The holder's next write conflicts with it, re-reads,
 * adopts the request when nothing else changed, and acts on it: no further step (or compensation) starts, the
 * operation goes FAILED_TEMP, and with FORCEFUL the running step's `ctx.signal` is aborted as soon as the holder
 * sees the request (at once when the holder is the cancelling engine, else at its next lease renewal).
 *
 * Lease expiry compares wall clocks, so engines on different hosts need clocks that agree to well within the
 * lease duration. A step that outlives its engine's lease (a stalled event loop) may briefly run alongside the
 * new holder's run of it; it learns so from `ctx.signal` or `checkpoint`, and its results are never written.
 */

export interface StepContext<Input extends Json = Json> {
  readonly operationId: string;
  readonly kind: string;
  readonly resourceId: string;
  readonly tenantId: string;
  readonly input: Input;
  /** Outputs of the steps whose `run` finished (done, or being or already compensated), by step name. */
  readonly outputs: Readonly<Record<string, Json | undefined>>;
  /**
   * The step's last checkpoint: undefined on a first run; after a crash or retry, what the interrupted attempt
   * saved. A compensation sees the forward run's checkpoint until it saves its own.
   */
  readonly progress: Json | undefined;
  /** 1 on the first run of the step; more when it runs again after a crash or a retry. */
  readonly attempt: number;
  /**
   * Aborted when this engine lost the lease (another engine owns the operation now) or the store failed, and,
   * with `OperationCancelledError` as its reason, when the operation was cancelled FORCEFUL.
   */
  readonly signal: AbortSignal;
  /**
   * Aborted, with `OperationCancelledError` (naming the mode) as its reason, once the engine running the step sees a
   * cancel request of either mode: a step that waits on operations of its own passes the cancel on to them. A
   * GRACEFUL cancel lets the step finish, so a step may ignore it.
   */
  readonly cancellation: AbortSignal;
  /** Persists `progress` on the step (when given) and renews the lease; throws `OperationLeaseLostError` if it was lost. */
  checkpoint(progress?: Json): Promise<void>;
}

export interface StepDefinition<Input extends Json = Json> {
  name: string;
  /**
   * What happens when the engine running this step (or its compensation) died: `resume` runs it again from
   * the start (the step is idempotent); `fail` leaves the operation FAILED_TEMP for an operator decision.
   */
  onRestart: 'resume' | 'fail';
  run(ctx: StepContext<Input>): Promise<Json | void>;
  /**
   * Undoes the step during a rollback: called for done steps, and for failed ones (with `output` undefined) that
   * may have left something behind. Steps without it have nothing to undo.
   */
  compensate?(ctx: StepContext<Input>, output: Json | undefined): Promise<void>;
  /**
   * Runs instead of `run` once an operator continued the operation past this step's failure (`continue`, SOL 005):
   * the step goes on without what failed (leaving that as it is) and answers its output as `run` would. It must
   * be idempotent like `run`. An operation that failed at a step without it cannot be continued.
   */
  continue?(ctx: StepContext<Input>): Promise<Json | void>;
}

export interface OperationEngineOptions {
  store: Store;
  logger: Logger;
  /** Names this engine in leases; unique per process life unless a restarted process should reclaim at once. */
  owner?: string;
  /** How long a lease lasts without renewal: how soon another engine may take over after a crash. */
  leaseMs?: number;
  /** How often `waitFor` re-reads the store (operations may be run by other engines). */
  pollMs?: number;
  /**
   * Where the operations are kept: each API with operation occurrences of its own has its own collection
   * (its listing is then a plain query). Claims on resources are shared by every engine.
   */
  collection?: string;
}

export interface RecoveryReport {
  /** Operations this engine took over and runs now. */
  resumed: string[];
  /** Operations whose interrupted step says `fail`: now FAILED_TEMP. */
  failed: string[];
}

export type OperationFilter = { state?: OperationState; resourceId?: string; kind?: string };

type ChangedListener = (operation: Operation) => void;

const DEFAULT_LEASE_MS = 30_000;

/** How often one write may be retried after a concurrent cancel request (each retry re-reads the operation). */
const CANCEL_MERGE_ATTEMPTS = 5;

/** How often `cancel` re-reads and retries when the lease holder wrote in between. */
const CANCEL_WRITE_ATTEMPTS = 10;

function now(): string {
  return new Date().toISOString();
}

function stepErrorOf(error: unknown): StepError {
  if (error instanceof ProblemError) return { title: error.title, detail: error.message };
  if (error instanceof Error) return { title: error.name === 'Error' ? 'Step failed' : error.name, detail: error.message };
  return { title: 'Step failed', detail: String(error) };
}

function problemOf(step: string, error: StepError, status: number, phase: string): OperationProblem {
  return { title: error.title, status, detail: `${phase} of step ${step} failed: ${error.detail}`, step };
}

function statusOf(error: unknown): number {
  return error instanceof ProblemError ? error.status : 500;
}

/** Canonical JSON (sorted keys, undefined members dropped), for comparing a working copy with a stored one. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (member === null || typeof member !== 'object' || Array.isArray(member)) return member;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(member).sort()) sorted[key] = (member as Record<string, unknown>)[key];
    return sorted;
  });
}

/** The operation without what a cancel request writes, so two copies differing only by that compare equal. */
function withoutCancelRequest(operation: Operation): Operation {
  const { isCancelPending: _pending, cancelMode: _mode, updatedAt: _updated, ...rest } = operation;
  return { ...rest, updatedAt: '' };
}

/** Ends the cancel request (if there was one): the operation no longer runs, so nothing is pending. */
function clearCancelRequest(operation: Operation): void {
  if (operation.isCancelPending === undefined && operation.cancelMode === undefined) return;
  operation.isCancelPending = false;
  delete operation.cancelMode;
}

/** Active -> FAILED_TEMP with `problem`, releasing the lease and ending any cancel request. */
function settleFailedTemp(operation: Operation, problem: OperationProblem): void {
  operation.state = 'FAILED_TEMP';
  operation.error = problem;
  operation.lease = null;
  clearCancelRequest(operation);
}

function cancelledProblem(operation: Operation, step: string | undefined, what: string): OperationProblem {
  const problem: OperationProblem = {
    title: 'Operation cancelled',
    status: 409,
    detail: `the operation was cancelled (${operation.cancelMode ?? 'GRACEFUL'}) ${what}`,
  };
  if (step !== undefined) problem.step = step;
  return problem;
}

/**
 * Acts on a pending cancel request before step `index` (its run, or its compensation during a rollback) starts,
 * or before the operation would be final when `index` is undefined: the operation goes FAILED_TEMP.
 * A forward step left `running` by an engine that stopped becomes `failed`, as `recover` would have made it.
 */
function cancelBefore(operation: Operation, index: number | undefined): void {
  const step = index === undefined ? undefined : (operation.steps[index] as OperationStep);
  if (step && operation.direction === 'forward' && step.status === 'running') {
    step.status = 'failed';
    step.error = { title: 'Interrupted', detail: 'the engine running this step stopped before it finished; the operation was cancelled before it ran again' };
    step.finishedAt = now();
  }
  const phase = operation.direction === 'forward' ? 'run' : 'compensation';
  const what = step ? `before the ${phase} of step ${step.name} started` : `before the ${operation.direction === 'forward' ? 'operation completed' : 'rollback completed'}`;
  settleFailedTemp(operation, cancelledProblem(operation, step?.name, what));
}

/** The engine's working copy of one operation it holds the lease on. */
class LeasedOperation {
  readonly controller = new AbortController();
  /** Aborted once a cancel request of either mode is seen (the step's `cancellation`). */
  readonly cancelRequests = new AbortController();
  lost = false;
  private writes: Promise<unknown> = Promise.resolve();
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    private operation: Operation,
    private revision: number,
    private readonly engine: EngineInternals,
  ) {}

  get current(): Operation {
    return this.operation;
  }

  /** Whether the working copy is still active (PROCESSING or ROLLING_BACK): false once the runner settled it. */
  get active(): boolean {
    return ACTIVE_STATES.includes(this.operation.state);
  }

  startRenewing(): void {
    this.renewal = setInterval(() => {
      this.persist(() => undefined, { notify: false }).catch((error: unknown) => {
        if (!(error instanceof OperationLeaseLostError)) this.engine.logger.warn({ err: error, operationId: this.operation.id }, 'lease renewal failed');
      });
    }, Math.max(Math.floor(this.engine.leaseMs / 3), 10));
    this.renewal.unref();
  }

  stopRenewing(): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = undefined;
  }

  /**
   * Applies `change` to a copy and writes it at the revision this holder last wrote (renewing the lease unless
   * `change` dropped it). Writes are serialized, so the renewal timer and the runner never race each other.
   */
  persist(
    change: (operation: Operation) => void,
    options: { notify?: boolean; extraWrites?: (operation: Operation) => Promise<Write[]> } = {},
  ): Promise<void> {
    const write = this.writes.then(async () => {
      let next: Operation;
      for (let attempt = 1; ; attempt += 1) {
        if (this.lost) throw new OperationLeaseLostError(this.operation.id);
        next = structuredClone(this.operation);
        change(next);
        next.updatedAt = now();
        if (next.lease) next.lease = { owner: this.engine.owner, expiresAt: new Date(Date.now() + this.engine.leaseMs).toISOString() };
        const extra = options.extraWrites ? await options.extraWrites(next) : [];
        try {
          const [revision] = await this.engine.store.commit([this.engine.operations.updateWrite(next, this.revision), ...extra]);
          this.revision = revision ?? this.revision + 1;
          this.operation = next;
          break;
        } catch (error) {
          const onOperation = error instanceof StoreConflictError && error.collection === this.engine.operations.spec.name;
          // A cancel request written by another engine (or the API) since our last write: adopt it and write again.
          if (onOperation && attempt < CANCEL_MERGE_ATTEMPTS && (await this.adoptCancelRequest())) continue;
          this.lost = true;
          this.controller.abort();
          if (onOperation) throw new OperationLeaseLostError(next.id);
          throw error;
        }
      }
      this.signalCancelRequest();
      if (options.notify !== false) this.engine.emitChanged(next);
    });
    this.writes = write.catch(() => undefined);
    return write;
  }

  /**
   * After a conflicting write: re-reads the operation and, when the only change since our last write is a cancel
   * request (the lease is still ours, nothing else moved), takes the stored copy as the new working copy.
   */
  private async adoptCancelRequest(): Promise<boolean> {
    let fresh: Versioned<Operation> | undefined;
    try {
      fresh = await this.engine.operations.get(this.operation.id);
    } catch {
      return false;
    }
    if (!fresh || fresh.revision <= this.revision || fresh.value.isCancelPending !== true) return false;
    if (canonical(withoutCancelRequest(fresh.value)) !== canonical(withoutCancelRequest(this.operation))) return false;
    this.operation = fresh.value;
    this.revision = fresh.revision;
    this.engine.logger.info({ operationId: this.operation.id, mode: this.operation.cancelMode }, 'operation cancel requested');
    return true;
  }

  /** Tells the running step (if any) of a cancel request at once: any mode through `cancellation`, FORCEFUL also through its signal. */
  private signalCancelRequest(): void {
    if (this.operation.isCancelPending !== true) return;
    const mode = this.operation.cancelMode ?? 'GRACEFUL';
    if (!this.cancelRequests.signal.aborted) this.cancelRequests.abort(new OperationCancelledError(this.operation.id, mode));
    if (mode === 'FORCEFUL' && !this.controller.signal.aborted) this.controller.abort(new OperationCancelledError(this.operation.id, 'FORCEFUL'));
  }
}

interface EngineInternals {
  readonly store: Store;
  readonly operations: Repository<Operation>;
  readonly owner: string;
  readonly leaseMs: number;
  readonly logger: Logger;
  emitChanged(operation: Operation): void;
}

export class OperationEngine {
  readonly owner: string;
  readonly leaseMs: number;
  private readonly store: Store;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly operations: Repository<Operation>;
  private readonly claims: Repository<ResourceClaim>;
  private readonly definitions = new Map<string, readonly StepDefinition[]>();
  private readonly running = new Map<string, Promise<void>>();
  /** The working copies of the operations this engine runs now, by id. */
  private readonly leases = new Map<string, LeasedOperation>();
  private readonly events = new EventEmitter();
  private readonly internals: EngineInternals;
  private closing = false;
  private recovery: NodeJS.Timeout | undefined;

  constructor(options: OperationEngineOptions) {
    this.store = options.store;
    this.owner = options.owner ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.pollMs = options.pollMs ?? 50;
    this.logger = options.logger.child({ component: 'operations', owner: this.owner });
    this.operations = this.store.collection<Operation>(options.collection === undefined ? OPERATIONS : { ...OPERATIONS, name: options.collection });
    this.claims = this.store.collection<ResourceClaim>(RESOURCE_CLAIMS);
    this.events.setMaxListeners(0);
    this.internals = {
      store: this.store,
      operations: this.operations,
      owner: this.owner,
      leaseMs: this.leaseMs,
      logger: this.logger,
      emitChanged: (operation) => this.events.emit('changed', structuredClone(operation)),
    };
  }

  /** Declares the steps of a kind of operation, in order. Step names are what the store records. */
  define<Input extends Json>(kind: string, steps: ReadonlyArray<StepDefinition<Input>>): void {
    if (this.definitions.has(kind)) throw new Error(`operation kind ${kind} is already defined`);
    if (steps.length === 0) throw new Error(`operation kind ${kind} has no steps`);
    const names = new Set(steps.map((step) => step.name));
    if (names.size !== steps.length) throw new Error(`operation kind ${kind} has duplicate step names`);
    this.definitions.set(kind, [...steps]);
  }

  /** Emitted after every persisted change this engine makes (not lease renewals), with a copy of the operation. */
  on(event: 'changed', listener: ChangedListener): this {
    this.events.on(event, listener);
    return this;
  }

  off(event: 'changed', listener: ChangedListener): this {
    this.events.off(event, listener);
    return this;
  }

  /**
   * Persists a new PROCESSING operation with a claim on `resourceId` (atomically), then runs its steps in the
   * background. Throws `OperationInProgressError` while the resource has an unfinished operation.
   */
  async start(kind: string, resourceId: string, input: Json, options: { tenantId?: string } = {}): Promise<Operation> {
    const steps = this.stepsOf(kind);
    if (this.closing) throw new Error('the operation engine is closed');
    const createdAt = now();
    const operation: Operation = {
      id: crypto.randomUUID(),
      tenantId: options.tenantId ?? ADMIN_TENANT,
      kind,
      resourceId,
      state: 'PROCESSING',
      direction: 'forward',
      steps: steps.map((step) => ({ name: step.name, status: 'pending', attempts: 0 })),
      input,
      lease: { owner: this.owner, expiresAt: new Date(Date.now() + this.leaseMs).toISOString() },
      createdAt,
      updatedAt: createdAt,
    };
    const claim: ResourceClaim = { id: resourceId, tenantId: operation.tenantId, operationId: operation.id, kind, claimedAt: createdAt };
    let revision = 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        [revision = 1] = await this.store.commit([this.operations.insertWrite(operation), this.claims.insertWrite(claim)]);
        break;
      } catch (error) {
        if (!(error instanceof StoreConflictError && error.collection === RESOURCE_CLAIMS.name)) throw error;
        const holder = await this.claims.get(resourceId);
        if (holder) throw new OperationInProgressError(resourceId, holder.value.operationId);
        // The claim was released between our insert and our read: the resource is free again.
        if (attempt >= 3) throw error;
      }
    }
    this.internals.emitChanged(operation);
    this.launch(new LeasedOperation(operation, revision, this.internals));
    return structuredClone(operation);
  }

  /** FAILED_TEMP -> PROCESSING: runs again from the step that failed (or was interrupted), in full. */
  async retry(id: string): Promise<Operation> {
    const leased = await this.takeFailedTemp(id, 'retry', (operation) => {
      if (operation.direction === 'rollback') {
        throw new OperationStateError(id, operation.state, 'retry', `operation ${id} failed while rolling back; roll back again or fail it`);
      }
      for (const step of operation.steps) if (step.status === 'failed') delete step.continuedPast;
      operation.state = 'PROCESSING';
    });
    this.launch(leased);
    return structuredClone(leased.current);
  }

  /**
   * FAILED_TEMP -> PROCESSING past the failure (SOL 005 "continue"): the failed step runs its `continue` instead
   * of `run`, keeping the failure as `continuedPast`, then the remaining steps run; the operation ends COMPLETED
   * and `isPartiallyCompleted`. An operation cancelled between steps (none failed) simply goes on. Throws
   * `OperationStateError` unless the operation is FAILED_TEMP going forward and its failed step defines `continue`.
   */
  async continue(id: string): Promise<Operation> {
    const leased = await this.takeFailedTemp(id, 'continue', (operation) => {
      if (operation.direction === 'rollback') {
        throw new OperationStateError(id, operation.state, 'continue', `operation ${id} failed while rolling back; roll back again or fail it`);
      }
      const index = operation.steps.findIndex((step) => step.status === 'failed');
      const failed = operation.steps[index];
      if (failed) {
        if (!this.stepsOf(operation.kind)[index]?.continue) {
          throw new OperationStateError(id, operation.state, 'continue', `step ${failed.name} of ${operation.kind} cannot be continued past; retry, roll back or fail operation ${id}`);
        }
        failed.continuedPast = failed.error ?? { title: 'Step failed', detail: operation.error?.detail ?? 'the step failed' };
      }
      operation.state = 'PROCESSING';
    });
    this.launch(leased);
    return structuredClone(leased.current);
  }

  /** FAILED_TEMP -> ROLLING_BACK: compensates the steps that did something, last first, then ROLLED_BACK. */
  async rollback(id: string): Promise<Operation> {
    const leased = await this.takeFailedTemp(id, 'rollback', (operation) => {
      operation.state = 'ROLLING_BACK';
      operation.direction = 'rollback';
    });
    this.launch(leased);
    return structuredClone(leased.current);
  }

  /** FAILED_TEMP -> FAILED (final): gives up, releasing the resource for new operations. */
  async fail(id: string): Promise<Operation> {
    const current = await this.require(id);
    if (current.value.state !== 'FAILED_TEMP') throw new OperationStateError(id, current.value.state, 'fail');
    const failed: Operation = { ...structuredClone(current.value), state: 'FAILED', lease: null, updatedAt: now() };
    await this.commitTransition(failed, current.revision, 'fail', await this.claimRelease(failed));
    this.internals.emitChanged(failed);
    return structuredClone(failed);
  }

  /**
   * Requests the cancellation of a PROCESSING or ROLLING_BACK operation (SOL 003 / SOL 005 "cancel"), whichever
   * engine runs it: persists `isCancelPending: true` and `cancelMode` at once and answers the operation with them.
   * The engine holding the lease then starts no further step (or compensation) and leaves the operation
   * FAILED_TEMP with an "Operation cancelled" error, from where retry, rollback and fail apply as usual; the
   * resource stays claimed. GRACEFUL lets the running step finish first; FORCEFUL also aborts its `ctx.signal`.
   * Cancelling again while a GRACEFUL cancel is pending may make it FORCEFUL (never the reverse).
   * Throws `OperationStateError` in any other state and `OperationNotFoundError` for an unknown id.
   */
  async cancel(id: string, mode: CancelMode = 'GRACEFUL'): Promise<Operation> {
    const request = (operation: Operation): void => {
      if (!ACTIVE_STATES.includes(operation.state)) {
        throw new OperationStateError(id, operation.state, 'cancel', `operation ${id} is ${operation.state}; cancel needs PROCESSING or ROLLING_BACK`);
      }
      operation.isCancelPending = true;
      operation.cancelMode = operation.cancelMode === 'FORCEFUL' ? 'FORCEFUL' : mode;
    };
    const leased = this.leases.get(id);
    if (leased && !leased.lost && leased.active) {
      // This engine runs it: write through the working copy, which then acts on the request itself.
      try {
        await leased.persist(request);
        return structuredClone(leased.current);
      } catch (error) {
        // Lost, or settled just now (maybe run again elsewhere already): the stored operation decides.
        if (!(error instanceof OperationLeaseLostError || error instanceof OperationStateError)) throw error;
      }
    }
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.require(id);
      const next = structuredClone(current.value);
      request(next);
      next.updatedAt = now();
      try {
        await this.operations.update(next, current.revision);
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error;
        // The lease holder wrote in between (or the operation settled): read it again.
        if (attempt < CANCEL_WRITE_ATTEMPTS) continue;
        throw new OperationStateError(id, current.value.state, 'cancel', `operation ${id} keeps changing concurrently; cancel again`);
      }
      this.logger.info({ operationId: id, mode: next.cancelMode }, 'operation cancel requested');
      this.internals.emitChanged(next);
      return structuredClone(next);
    }
  }

  /**
   * Takes over PROCESSING and ROLLING_BACK operations of defined kinds whose lease expired, was released, or
   * belongs to this engine's owner id without this engine running them (a previous life of this process).
   * Per the interrupted step's `onRestart`, resumes them in the background or leaves them FAILED_TEMP.
   */
  async recover(): Promise<RecoveryReport> {
    const report: RecoveryReport = { resumed: [], failed: [] };
    if (this.closing) return report;
    const candidates = [
      ...(await this.operations.query({ where: { state: 'PROCESSING' } })),
      ...(await this.operations.query({ where: { state: 'ROLLING_BACK' } })),
    ];
    for (const candidate of candidates) {
      const operation = candidate.value;
      if (this.running.has(operation.id) || !this.canTakeOver(operation)) continue;
      const steps = this.definitions.get(operation.kind);
      if (!steps) continue;
      if (steps.map((step) => step.name).join('\n') !== operation.steps.map((step) => step.name).join('\n')) {
        this.logger.error({ operationId: operation.id, kind: operation.kind }, 'cannot recover: the steps of this kind changed since the operation started');
        continue;
      }
      const taken = structuredClone(operation);
      taken.lease = { owner: this.owner, expiresAt: new Date(Date.now() + this.leaseMs).toISOString() };
      taken.updatedAt = now();
      let revision: number;
      try {
        revision = (await this.operations.update(taken, candidate.revision)).revision;
      } catch (error) {
        if (error instanceof StoreConflictError) continue; // another engine took it first
        throw error;
      }
      const leased = new LeasedOperation(taken, revision, this.internals);
      const interruptedStatus = taken.direction === 'forward' ? 'running' : 'compensating';
      const interrupted = taken.steps.findIndex((step) => step.status === interruptedStatus);
      const definition = steps[interrupted];
      if (definition?.onRestart === 'fail') {
        await this.failInterrupted(leased, interrupted);
        report.failed.push(operation.id);
      } else {
        this.logger.info({ operationId: operation.id, step: definition?.name }, 'resuming an interrupted operation');
        this.launch(leased);
        report.resumed.push(operation.id);
      }
    }
    return report;
  }

  async get(id: string, tenantId?: string): Promise<Operation | undefined> {
    return (await this.operations.get(id, tenantId))?.value;
  }

  /** The stored operations, for listings with the store's paging and tenant scoping. */
  get repository(): Repository<Operation> {
    return this.operations;
  }

  /** Operations matching every given field, in id order. */
  async list(filter: OperationFilter = {}, tenantId?: string): Promise<Operation[]> {
    const where: Record<string, string> = {};
    for (const [field, value] of Object.entries(filter)) if (value !== undefined) where[field] = value;
    return (await this.operations.query({ where, tenantId })).map(({ value }) => value);
  }

  /** Answers the operation once it is settled (final or FAILED_TEMP), whichever engine runs it. */
  async waitFor(id: string, timeoutMs: number): Promise<Operation> {
    const deadline = Date.now() + timeoutMs;
    let wake: () => void = () => undefined;
    const listener: ChangedListener = (operation) => {
      if (operation.id === id) wake();
    };
    this.on('changed', listener);
    try {
      for (;;) {
        const operation = (await this.require(id)).value;
        if (isSettled(operation.state)) return operation;
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`operation ${id} is still ${operation.state} after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(this.pollMs, remaining));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      this.off('changed', listener);
    }
  }

  /**
   * Runs `recover()` now and then every `intervalMs` (half a lease is the natural period): operations of an
   * engine that died are taken over once their lease expires, without waiting for this process to restart.
   */
  startRecovery(intervalMs = this.leaseMs / 2): void {
    if (this.recovery !== undefined) return;
    const sweep = () => {
      this.recover().catch((error: unknown) => this.logger.warn({ err: error }, 'recovery sweep failed'));
    };
    sweep();
    this.recovery = setInterval(sweep, Math.max(50, intervalMs));
    this.recovery.unref();
  }

  /**
   * Stops taking work and waits for running steps to finish. Operations that had more steps to go are left
   * PROCESSING (or ROLLING_BACK) with their lease released, for `recover()` on this or another engine.
   */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.recovery);
    this.recovery = undefined;
    await Promise.all([...this.running.values()]);
  }

  private stepsOf(kind: string): readonly StepDefinition[] {
    const steps = this.definitions.get(kind);
    if (!steps) throw new Error(`operation kind ${kind} is not defined`);
    return steps;
  }

  private canTakeOver(operation: Operation): boolean {
    const lease = operation.lease;
    return lease === null || lease.owner === this.owner || Date.parse(lease.expiresAt) <= Date.now();
  }

  private async require(id: string): Promise<Versioned<Operation>> {
    const found = await this.operations.get(id);
    if (!found) throw new OperationNotFoundError(id);
    return found;
  }

  /** Moves a FAILED_TEMP operation into an active state under this engine's lease. */
  private async takeFailedTemp(id: string, action: string, change: (operation: Operation) => void): Promise<LeasedOperation> {
    if (this.closing) throw new Error('the operation engine is closed');
    const current = await this.require(id);
    if (current.value.state !== 'FAILED_TEMP') throw new OperationStateError(id, current.value.state, action);
    this.stepsOf(current.value.kind);
    const next = structuredClone(current.value);
    change(next);
    delete next.error;
    next.lease = { owner: this.owner, expiresAt: new Date(Date.now() + this.leaseMs).toISOString() };
    next.updatedAt = now();
    const revision = await this.commitTransition(next, current.revision, action, []);
    this.internals.emitChanged(next);
    return new LeasedOperation(next, revision, this.internals);
  }

  private async commitTransition(next: Operation, expectedRevision: number, action: string, extra: Write[]): Promise<number> {
    try {
      const [revision = expectedRevision + 1] = await this.store.commit([this.operations.updateWrite(next, expectedRevision), ...extra]);
      return revision;
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      const fresh = await this.require(next.id);
      throw new OperationStateError(next.id, fresh.value.state, action, `operation ${next.id} changed concurrently; it is now ${fresh.value.state}`);
    }
  }

  /** The write that deletes the resource claim, when it still belongs to this operation. */
  private async claimRelease(operation: Operation): Promise<Write[]> {
    const claim = await this.claims.get(operation.resourceId);
    if (!claim || claim.value.operationId !== operation.id) return [];
    return [this.claims.deleteWrite(claim.value.id, claim.revision)];
  }

  private launch(leased: LeasedOperation): void {
    const id = leased.current.id;
    leased.startRenewing();
    this.leases.set(id, leased);
    const work = (leased.current.direction === 'forward' ? this.runForward(leased) : this.runRollback(leased))
      .catch((error: unknown) => {
        if (error instanceof OperationLeaseLostError) {
          this.logger.warn({ operationId: id }, 'lost the lease on an operation; another engine continues it');
        } else {
          this.logger.error({ err: error, operationId: id }, 'operation runner stopped; recover() will resume it once its lease expires');
        }
      })
      .finally(() => {
        leased.stopRenewing();
        this.running.delete(id);
        if (this.leases.get(id) === leased) this.leases.delete(id);
      });
    this.running.set(id, work);
  }

  private contextFor(leased: LeasedOperation, index: number): StepContext {
    const operation = leased.current;
    const step = operation.steps[index] as OperationStep;
    const outputs: Record<string, Json | undefined> = {};
    for (const other of operation.steps) if (other.output !== undefined) outputs[other.name] = other.output;
    return {
      operationId: operation.id,
      kind: operation.kind,
      resourceId: operation.resourceId,
      tenantId: operation.tenantId,
      input: operation.input,
      outputs,
      progress: step.progress,
      attempt: step.attempts,
      signal: leased.controller.signal,
      cancellation: leased.cancelRequests.signal,
      checkpoint: (progress) =>
        leased.persist(
          (next) => {
            if (progress !== undefined) (next.steps[index] as OperationStep).progress = progress;
          },
          { notify: progress !== undefined },
        ),
    };
  }

  /**
   * Releases the lease of an operation this engine stops working on because it is closing, before step `index`;
   * a pending cancel is acted on instead (FAILED_TEMP), as it would be by the next holder.
   */
  private async release(leased: LeasedOperation, index: number): Promise<void> {
    await leased.persist((next) => {
      if (next.isCancelPending) cancelBefore(next, index);
      else next.lease = null;
    });
  }

  private async runForward(leased: LeasedOperation): Promise<void> {
    const definitions = this.stepsOf(leased.current.kind);
    for (const [index, definition] of definitions.entries()) {
      if ((leased.current.steps[index] as OperationStep).status === 'done') continue;
      if (this.closing) return this.release(leased, index);
      await leased.persist((next) => {
        if (next.isCancelPending) return cancelBefore(next, index);
        const step = next.steps[index] as OperationStep;
        step.status = 'running';
        step.attempts += 1;
        step.startedAt = now();
        delete step.error;
        delete step.finishedAt;
      });
      if (!leased.active) return; // cancelled
      let output: Json | void;
      const ctx = this.contextFor(leased, index);
      const continued = (leased.current.steps[index] as OperationStep).continuedPast !== undefined;
      try {
        output = await (continued && definition.continue ? definition.continue(ctx) : definition.run(ctx));
      } catch (error) {
        if (leased.lost) throw new OperationLeaseLostError(leased.current.id);
        const stepError = stepErrorOf(error);
        this.logger.warn({ err: error, operationId: leased.current.id, step: definition.name }, 'operation step failed');
        return leased.persist((next) => {
          const step = next.steps[index] as OperationStep;
          step.status = 'failed';
          step.error = stepError;
          step.finishedAt = now();
          settleFailedTemp(
            next,
            next.isCancelPending
              ? cancelledProblem(next, definition.name, `while step ${definition.name} ran, which then failed: ${stepError.detail}`)
              : problemOf(definition.name, stepError, statusOf(error), 'run'),
          );
        });
      }
      await leased.persist((next) => {
        const step = next.steps[index] as OperationStep;
        step.status = 'done';
        if (output === undefined) delete step.output;
        else step.output = output;
        step.finishedAt = now();
      });
    }
    await leased.persist(
      (next) => {
        if (next.isCancelPending) return cancelBefore(next, undefined);
        next.state = 'COMPLETED';
        next.lease = null;
      },
      { extraWrites: async (next) => (next.state === 'COMPLETED' ? this.claimRelease(next) : []) },
    );
  }

  private async runRollback(leased: LeasedOperation): Promise<void> {
    const definitions = this.stepsOf(leased.current.kind);
    for (let index = definitions.length - 1; index >= 0; index -= 1) {
      const definition = definitions[index] as StepDefinition;
      const status = (leased.current.steps[index] as OperationStep).status;
      const undoes = status === 'done' || status === 'compensating' || (status === 'failed' && definition.compensate !== undefined);
      if (!undoes) continue;
      if (this.closing) return this.release(leased, index);
      if (!definition.compensate) {
        await leased.persist((next) => {
          if (next.isCancelPending) return cancelBefore(next, index);
          (next.steps[index] as OperationStep).status = 'compensated';
        });
        if (!leased.active) return; // cancelled
        continue;
      }
      await leased.persist((next) => {
        if (next.isCancelPending) return cancelBefore(next, index);
        const step = next.steps[index] as OperationStep;
        step.status = 'compensating';
        delete step.error;
      });
      if (!leased.active) return; // cancelled
      try {
        await definition.compensate(this.contextFor(leased, index), (leased.current.steps[index] as OperationStep).output);
      } catch (error) {
        if (leased.lost) throw new OperationLeaseLostError(leased.current.id);
        const stepError = stepErrorOf(error);
        this.logger.warn({ err: error, operationId: leased.current.id, step: definition.name }, 'compensation failed');
        return leased.persist((next) => {
          (next.steps[index] as OperationStep).error = stepError;
          settleFailedTemp(
            next,
            next.isCancelPending
              ? cancelledProblem(next, definition.name, `while the compensation of step ${definition.name} ran, which then failed: ${stepError.detail}`)
              : problemOf(definition.name, stepError, statusOf(error), 'compensation'),
          );
        });
      }
      await leased.persist((next) => {
        (next.steps[index] as OperationStep).status = 'compensated';
      });
    }
    await leased.persist(
      (next) => {
        if (next.isCancelPending) return cancelBefore(next, undefined);
        next.state = 'ROLLED_BACK';
        next.lease = null;
      },
      { extraWrites: async (next) => (next.state === 'ROLLED_BACK' ? this.claimRelease(next) : []) },
    );
  }

  /** Leaves an operation whose interrupted step must not simply run again FAILED_TEMP. */
  private async failInterrupted(leased: LeasedOperation, index: number): Promise<void> {
    const operation = leased.current;
    const name = (operation.steps[index] as OperationStep).name;
    const phase = operation.direction === 'forward' ? 'run' : 'compensation';
    const stepError: StepError = { title: 'Interrupted', detail: `the engine running the ${phase} of this step stopped before it finished` };
    this.logger.warn({ operationId: operation.id, step: name }, 'an interrupted step does not resume; operation is FAILED_TEMP');
    await leased.persist((next) => {
      const step = next.steps[index] as OperationStep;
      // A forward step becomes failed (its compensation, if any, runs on rollback); an interrupted compensation stays compensating.
      if (next.direction === 'forward') step.status = 'failed';
      step.error = stepError;
      step.finishedAt = now();
      settleFailedTemp(next, problemOf(name, stepError, 500, phase));
    });
  }
}
