/**
 * Lifecycle change notifications about the operation occurrences of an `OperationEngine`, whatever the API
 * (SOL 003 VNF LCM, SOL 005 NS LCM): each change of an occurrence's state, and the creation and deletion of
 * instance identifiers, written into the API's outbox for every matching subscription of the instance's tenant
 * and of the admin tenant.
 *
 * The engine reports every step change, most of which leave the occurrence's state as it was: the state last
 * notified for each occurrence is stored, in the same commit as the outbox entries, so that a state is notified
 * once, and a restart neither repeats one nor (with `catchUp`) misses the latest. Changes of one occurrence are
 * notified in the order they were reported.
 *
 * An API subclasses `OccurrenceNotifier` with what differs: its names and paths, how an operation's state shows
 * in it, the facts its filters match, the matcher, and what its occurrence notifications say besides the
 * attributes every one carries.
 */
import crypto from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Operation } from '../operations/index.js';
import { isSettled, type OperationEngine } from '../operations/index.js';
import type { CollectionSpec, Entity, Repository, Store, Write } from '../store/contract.js';
import { StoreConflictError } from '../store/contract.js';
import type { NotificationOutbox } from './outbox.js';
import { outboxEntryFor, subscriptionsNotifiedFor, type StoredSubscription } from './subscriptions.js';

/** The types an API's notifier works with. */
export interface OccurrenceNotifierTypes {
  /** What the instance lookup answers and the public methods take. */
  instance: object;
  /** What of an instance notifications are filtered on, and what is kept of it for after its deletion. */
  facts: { id: string; tenantId: string };
  /** An occurrence's state as the API shows it. */
  state: string;
  filter: unknown;
  notificationType: string;
}

/** The state last notified for an operation occurrence (keyed by its id). */
export interface NotifiedOccurrenceRecord<State extends string, Facts> extends Entity {
  state: State;
  /** `updatedAt` of the operation as notified: an older report of the operation is not notified after it. */
  operationUpdatedAt: string;
  /** The instance as last notified, for notifications that come after the instance was deleted. */
  instance: Facts;
}

/** What a notification about an operation occurrence is filtered on, besides the instance. */
export interface OccurrenceFilterFacts<State extends string> {
  operationType: string;
  state: State;
}

/** A resource notifications link to: `name` is the link's name, and `${name}Id` the attribute with its id. */
export interface LinkedResource {
  name: string;
  /** The collection's path from the API root, e.g. `/vnflcm/v1/vnf_instances`. */
  path: string;
  /** For logs, e.g. `VNF instance`. */
  described: string;
}

export interface OccurrenceNotifierSetup<T extends OccurrenceNotifierTypes> {
  subscriptions: CollectionSpec;
  /** Where the state last notified for each occurrence is kept. */
  notified: CollectionSpec;
  /** The logger's component, e.g. `vnflcm-notifications`. */
  component: string;
  types: { occurrence: T['notificationType']; creation: T['notificationType']; deletion: T['notificationType'] };
  /** States whose notification is a START (the others are a RESULT). */
  startStates: ReadonlyArray<T['state']>;
  instance: LinkedResource;
  occurrence: LinkedResource;
  subscriptionsPath: string;
}

/** The instance of an occurrence by id, or undefined when it does not exist (any more). */
export type OccurrenceInstanceLookup<Instance> = (instanceId: string) => Promise<Instance | undefined>;

const CATCH_UP_BATCH = 200;

/**
 * One notification to each of `subscriptions`: a single id whatever their number, and per subscription its id
 * and `linksOf` it. Answers the outbox writes, to commit with the change notified (then `outbox.wake()`).
 */
export function notificationWrites(
  outbox: NotificationOutbox,
  subscriptions: ReadonlyArray<StoredSubscription<unknown>>,
  body: Record<string, unknown>,
  linksOf: (subscription: StoredSubscription<unknown>) => Record<string, { href: string }>,
): Write[] {
  if (subscriptions.length === 0) return [];
  const id = crypto.randomUUID();
  return outbox.enqueue(subscriptions.map((subscription) => outboxEntryFor(subscription, { id, ...body, subscriptionId: subscription.id, _links: linksOf(subscription) })));
}

export abstract class OccurrenceNotifier<T extends OccurrenceNotifierTypes> {
  readonly subscriptions: Repository<StoredSubscription<T['filter']>>;
  protected readonly logger: Logger;
  private readonly notified: Repository<NotifiedOccurrenceRecord<T['state'], T['facts']>>;
  /** Per occurrence, the work under way: changes of one occurrence are notified in the order they were reported. */
  private readonly queues = new Map<string, Promise<void>>();
  private attached: { engine: OperationEngine; listener: (operation: Operation) => void; instanceOf: OccurrenceInstanceLookup<T['instance']> } | undefined;

  protected constructor(
    private readonly store: Store,
    readonly outbox: NotificationOutbox,
    logger: Logger,
    private readonly setup: OccurrenceNotifierSetup<T>,
  ) {
    this.subscriptions = store.collection<StoredSubscription<T['filter']>>(setup.subscriptions);
    this.notified = store.collection<NotifiedOccurrenceRecord<T['state'], T['facts']>>(setup.notified);
    this.logger = logger.child({ component: setup.component });
  }

  /** An occurrence's state as the API shows it. */
  protected abstract stateOf(operation: Operation): T['state'];

  /** What notifications about `instance` are filtered on. */
  protected abstract factsOf(instance: T['instance']): Promise<T['facts']>;

  /** Whether a subscription's filter lets a notification through; `occurrence` is absent for identifier notifications. */
  protected abstract matches(filter: T['filter'] | undefined, type: T['notificationType'], facts: T['facts'], occurrence?: OccurrenceFilterFacts<T['state']>): boolean;

  /**
   * What an occurrence notification says besides its type, time stamp, status, state, operation, the ids of
   * the instance and the occurrence, and the error of a failure: e.g. isAutomaticInvocation and, in a RESULT,
   * the affected resources.
   */
  protected abstract occurrenceDetails(operation: Operation, status: 'START' | 'RESULT', facts: T['facts']): Promise<Record<string, unknown>>;

  /** The facts to notify and keep, from those just read and those last notified (by default, those just read). */
  protected withLastNotified(facts: T['facts'], _last: T['facts']): T['facts'] {
    return facts;
  }

  /** The engine attached, if any. */
  protected get engine(): OperationEngine | undefined {
    return this.attached?.engine;
  }

  /** Notifies the occurrence's state if it is not the one last notified for it. */
  operationChanged(operation: Operation, instance: T['instance']): Promise<void> {
    return this.inOrder(operation.id, async () => this.notifyOperation(operation, await this.factsOf(instance)));
  }

  /** The instance identifier creation notification, committed on its own. */
  async identifierCreated(instance: T['instance']): Promise<void> {
    await this.commitAndWake(await this.identifierWrites(this.setup.types.creation, instance));
  }

  /** The instance identifier deletion notification, committed on its own. */
  async identifierDeleted(instance: T['instance']): Promise<void> {
    await this.commitAndWake(await this.identifierWrites(this.setup.types.deletion, instance));
  }

  /** The outbox writes of an identifier notification, to commit with the creation or deletion itself (then `outbox.wake()`). */
  async identifierWrites(type: T['notificationType'], instance: T['instance']): Promise<Write[]> {
    const facts = await this.factsOf(instance);
    const matching = (await subscriptionsNotifiedFor(this.subscriptions, facts.tenantId)).filter((subscription) => this.matches(subscription.filter, type, facts));
    const body = { notificationType: type, timeStamp: new Date().toISOString(), [`${this.setup.instance.name}Id`]: facts.id };
    return notificationWrites(this.outbox, matching, body, (subscription) => this.linksOf(subscription, facts.id));
  }

  /**
   * Notifies every change `engine` reports, with the instance `instanceOf` answers (or, for an instance deleted
   * meanwhile, the facts last notified). Failures are logged; the engine never sees them.
   */
  attach(engine: OperationEngine, instanceOf: OccurrenceInstanceLookup<T['instance']>): void {
    this.detach();
    const listener = (operation: Operation): void => {
      this.inOrder(operation.id, () => this.notifyReported(operation, instanceOf)).catch((error: unknown) =>
        this.logger.error({ err: error, [this.occurrenceIdKey]: operation.id }, `could not notify a change of ${this.setup.occurrence.described}`),
      );
    };
    engine.on('changed', listener);
    this.attached = { engine, listener, instanceOf };
  }

  detach(): void {
    if (!this.attached) return;
    this.attached.engine.off('changed', this.attached.listener);
    this.attached = undefined;
  }

  /**
   * After a restart: notifies the current state of occurrences whose change was persisted but not notified
   * (the process stopped in between). Occurrences never notified are caught up only while unsettled, so that
   * occurrences older than the subscriptions are not notified at all.
   */
  async catchUp(): Promise<void> {
    const attached = this.attached;
    if (!attached) return;
    let after: string | undefined;
    for (;;) {
      const batch = await attached.engine.repository.query({ after, limit: CATCH_UP_BATCH });
      for (const { value: operation } of batch) {
        after = operation.id;
        const notified = await this.notified.get(operation.id);
        const behind = notified ? notified.value.state !== this.stateOf(operation) : !isSettled(operation.state);
        if (!behind) continue;
        await this.inOrder(operation.id, async () => {
          // Read again in turn: a report queued before this one may have notified it meanwhile.
          const current = await attached.engine.get(operation.id);
          if (current) await this.notifyReported(current, attached.instanceOf);
        }).catch((error: unknown) => this.logger.error({ err: error, [this.occurrenceIdKey]: operation.id }, `could not catch up on ${this.setup.occurrence.described}`));
      }
      if (batch.length < CATCH_UP_BATCH) return;
    }
  }

  /** Resolves once the notifications reported so far are in the outbox (for shutdown and tests). */
  async idle(): Promise<void> {
    for (let round = 0; round < 100 && this.queues.size > 0; round += 1) await Promise.all([...this.queues.values()]);
  }

  private get occurrenceIdKey(): string {
    return `${this.setup.occurrence.name}Id`;
  }

  /** Runs `work` after the work queued for the same occurrence; a failure does not stop what comes after. */
  private inOrder(occurrenceId: string, work: () => Promise<void>): Promise<void> {
    const run = (this.queues.get(occurrenceId) ?? Promise.resolve()).then(work);
    const settled = run.catch(() => undefined);
    this.queues.set(occurrenceId, settled);
    void settled.then(() => {
      if (this.queues.get(occurrenceId) === settled) this.queues.delete(occurrenceId);
    });
    return run;
  }

  private async notifyReported(operation: Operation, instanceOf: OccurrenceInstanceLookup<T['instance']>): Promise<void> {
    const last = (await this.notified.get(operation.id))?.value;
    // Nothing to send for a state already notified: spares reading the instance on every step change.
    if (last && last.state === this.stateOf(operation)) return;
    const instance = await instanceOf(operation.resourceId);
    const facts = instance ? await this.factsOf(instance) : last?.instance;
    if (!facts) {
      this.logger.warn(
        { [this.occurrenceIdKey]: operation.id, [`${this.setup.instance.name}Id`]: operation.resourceId },
        `the ${this.setup.instance.described} of an operation occurrence is unknown; not notified`,
      );
      return;
    }
    await this.notifyOperation(operation, last ? this.withLastNotified(facts, last.instance) : facts);
  }

  private async notifyOperation(operation: Operation, facts: T['facts']): Promise<void> {
    const state = this.stateOf(operation);
    const last = await this.notified.get(operation.id);
    if (last && (last.value.state === state || operation.updatedAt < last.value.operationUpdatedAt)) return;
    const record: NotifiedOccurrenceRecord<T['state'], T['facts']> = {
      id: operation.id,
      tenantId: operation.tenantId,
      state,
      operationUpdatedAt: operation.updatedAt,
      instance: structuredClone(facts),
    };
    const writes = [
      ...(await this.operationWrites(operation, state, facts)),
      last ? this.notified.updateWrite(record, last.revision) : this.notified.insertWrite(record),
    ];
    try {
      await this.store.commit(writes);
    } catch (error) {
      // Another engine sharing the store notified this occurrence first.
      if (error instanceof StoreConflictError && error.collection === this.setup.notified.name) return;
      throw error;
    }
    this.outbox.wake();
  }

  /** The occurrence notification to each matching subscription. */
  private async operationWrites(operation: Operation, state: T['state'], facts: T['facts']): Promise<Write[]> {
    const occurrence: OccurrenceFilterFacts<T['state']> = { operationType: operation.kind, state };
    const matching = (await subscriptionsNotifiedFor(this.subscriptions, facts.tenantId)).filter((subscription) =>
      this.matches(subscription.filter, this.setup.types.occurrence, facts, occurrence),
    );
    if (matching.length === 0) return [];
    const notificationStatus = this.setup.startStates.includes(state) ? 'START' : 'RESULT';
    const body: Record<string, unknown> = {
      notificationType: this.setup.types.occurrence,
      timeStamp: new Date().toISOString(),
      notificationStatus,
      operationState: state,
      operation: operation.kind,
      [`${this.setup.instance.name}Id`]: operation.resourceId,
      [this.occurrenceIdKey]: operation.id,
      ...(await this.occurrenceDetails(operation, notificationStatus, facts)),
    };
    if (state === 'FAILED_TEMP' || state === 'FAILED') body.error = problemOf(operation);
    return notificationWrites(this.outbox, matching, body, (subscription) => ({
      ...this.linksOf(subscription, operation.resourceId),
      [this.setup.occurrence.name]: { href: `${subscription.apiRoot}${this.setup.occurrence.path}/${operation.id}` },
    }));
  }

  private linksOf(subscription: StoredSubscription<unknown>, instanceId: string): Record<string, { href: string }> {
    return {
      [this.setup.instance.name]: { href: `${subscription.apiRoot}${this.setup.instance.path}/${instanceId}` },
      subscription: { href: `${subscription.apiRoot}${this.setup.subscriptionsPath}/${subscription.id}` },
    };
  }

  private async commitAndWake(writes: Write[]): Promise<void> {
    if (writes.length === 0) return;
    await this.store.commit(writes);
    this.outbox.wake();
  }
}

/** The ProblemDetails of a failed occurrence: its error, or a generic one when it has none. */
function problemOf(operation: Operation): Record<string, unknown> {
  const error = operation.error;
  return error
    ? { type: 'about:blank', title: error.title, status: error.status, detail: error.detail, ...(error.step ? { step: error.step } : {}) }
    : { type: 'about:blank', title: 'Operation failed', status: 500, detail: `The ${operation.kind} operation failed.` };
}
