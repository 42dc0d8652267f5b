/**
 * SOL 003 clause 5.5.2.17 to 5.5.2.19: the VNF lifecycle change notifications, written into the VNFM's outbox
 * for every matching subscription of the instance's tenant and of the admin tenant.
 *
 * An operation occurrence is notified on each change of its SOL 003 state (clause 5.6.2.2): START on entering
 * STARTING, PROCESSING (also after a retry) and ROLLING_BACK; RESULT on COMPLETED, FAILED_TEMP, FAILED and
 * ROLLED_BACK. The engine reports every step change, most of which leave that state as it was: the state last
 * notified for each occurrence is stored, in the same commit as the outbox entries, so that a state is notified
 * once, and a restart neither repeats one nor (with `catchUp`) misses the latest.
 */
import crypto from 'node:crypto';
import {
  isSettled,
  StoreConflictError,
  type CollectionSpec,
  type Entity,
  type Logger,
  type NotificationOutbox,
  type Operation,
  type OperationEngine,
  type Repository,
  type Store,
  type Violation,
  type Write,
} from '../../platform/index.js';
import { matchesAny, matchesVnfProducts, outboxEntryFor, subscriptionsNotifiedFor } from '../../platform/notifications/subscriptions.js';
import { VNF_INSTANCES_PATH } from '../instances/model.js';
import type { VnfLcmOperationType } from '../lifecycle/lifecycle.js';
import { lcmOperationState, vnfLcmOpOccView, VNF_LCM_OP_OCCS_PATH, type LcmOperationState } from '../lifecycle/op-occs.js';
import {
  IDENTIFIER_CREATION_NOTIFICATION,
  IDENTIFIER_DELETION_NOTIFICATION,
  OPERATION_OCCURRENCE_NOTIFICATION,
  VNF_LCM_SUBSCRIPTIONS,
  VNF_LCM_SUBSCRIPTIONS_PATH,
  type LcmNotificationType,
  type LifecycleChangeNotificationsFilter,
  type StoredLccnSubscription,
  type VnfInstanceFacts,
} from './model.js';

/** The outbox channel of VNF lifecycle change notifications. */
export const VNF_LCM_NOTIFICATIONS_CHANNEL = 'vnflcm';

/** The state last notified for an operation occurrence (keyed by its id). */
export interface NotifiedOccurrence extends Entity {
  state: LcmOperationState;
  /** `updatedAt` of the operation as notified: an older report of the operation is not notified after it. */
  operationUpdatedAt: string;
  /** The instance as last notified, for notifications that come after the instance was deleted. */
  instance: VnfInstanceFacts;
}

export const VNF_LCM_NOTIFIED_OCCURRENCES: CollectionSpec = { name: 'vnflcm_notified_op_occs', indexes: [] };

/** What a notification about an operation occurrence is filtered on, besides the instance. */
export interface OccurrenceFacts {
  operationType: string;
  state: LcmOperationState;
}

const START_STATES: readonly LcmOperationState[] = ['STARTING', 'PROCESSING', 'ROLLING_BACK'];
const CATCH_UP_BATCH = 200;

/**
 * SOL 003 clause 5.5.3.12: every attribute present must match (and), any value of an array attribute may match
 * (or). operationTypes and operationStates filter operation occurrence notifications only.
 */
export function lccnFilterMatches(
  filter: LifecycleChangeNotificationsFilter | undefined,
  type: LcmNotificationType,
  instance: VnfInstanceFacts,
  occurrence?: OccurrenceFacts,
): boolean {
  if (filter === undefined) return true;
  if (!matchesAny(filter.notificationTypes, type)) return false;
  const byInstance = filter.vnfInstanceSubscriptionFilter;
  if (
    byInstance !== undefined &&
    !(
      matchesAny(byInstance.vnfdIds, instance.vnfdId) &&
      matchesVnfProducts(byInstance.vnfProductsFromProviders, instance) &&
      matchesAny(byInstance.vnfInstanceIds, instance.id) &&
      matchesAny(byInstance.vnfInstanceNames, instance.vnfInstanceName)
    )
  ) {
    return false;
  }
  if (occurrence === undefined) return true;
  return matchesAny(filter.operationTypes, occurrence.operationType as VnfLcmOperationType) && matchesAny(filter.operationStates, occurrence.state);
}

/** SOL 003 clause 5.5.3.12: operationTypes and operationStates only go with operation occurrence notifications. */
export function checkLccnFilter(filter: LifecycleChangeNotificationsFilter): Violation[] {
  const types = filter.notificationTypes;
  if (types === undefined || types.length === 0 || types.includes(OPERATION_OCCURRENCE_NOTIFICATION)) return [];
  return (['operationTypes', 'operationStates'] as const)
    .filter((name) => filter[name] !== undefined)
    .map((name) => ({ pointer: `/filter/${name}`, message: `applies to ${OPERATION_OCCURRENCE_NOTIFICATION} only, which notificationTypes leaves out`, in: 'body' }));
}

export class VnfLcmNotifications {
  readonly subscriptions: Repository<StoredLccnSubscription>;
  private readonly notified: Repository<NotifiedOccurrence>;
  private readonly logger: Logger;
  /** Per occurrence, the work under way: changes of one occurrence are notified in the order they were reported. */
  private readonly queues = new Map<string, Promise<void>>();
  private attached: { engine: OperationEngine; listener: (operation: Operation) => void; instanceOf: InstanceLookup } | undefined;

  constructor(
    private readonly store: Store,
    readonly outbox: NotificationOutbox,
    logger: Logger,
  ) {
    this.subscriptions = store.collection<StoredLccnSubscription>(VNF_LCM_SUBSCRIPTIONS);
    this.notified = store.collection<NotifiedOccurrence>(VNF_LCM_NOTIFIED_OCCURRENCES);
    this.logger = logger.child({ component: 'vnflcm-notifications' });
  }

  /** Notifies the occurrence's SOL 003 state if it is not the one last notified for it. */
  operationChanged(operation: Operation, instance: VnfInstanceFacts): Promise<void> {
    return this.inOrder(operation.id, () => this.notifyOperation(operation, instance));
  }

  /** SOL 003 clause 5.5.2.18 VnfIdentifierCreationNotification, committed on its own. */
  async identifierCreated(instance: VnfInstanceFacts): Promise<void> {
    await this.commitAndWake(await this.identifierWrites(IDENTIFIER_CREATION_NOTIFICATION, instance));
  }

  /** SOL 003 clause 5.5.2.19 VnfIdentifierDeletionNotification, committed on its own. */
  async identifierDeleted(instance: VnfInstanceFacts): Promise<void> {
    await this.commitAndWake(await this.identifierWrites(IDENTIFIER_DELETION_NOTIFICATION, instance));
  }

  /** The outbox writes of an identifier notification, to commit with the creation or deletion itself (then `outbox.wake()`). */
  async identifierWrites(
    type: typeof IDENTIFIER_CREATION_NOTIFICATION | typeof IDENTIFIER_DELETION_NOTIFICATION,
    instance: VnfInstanceFacts,
  ): Promise<Write[]> {
    const matching = (await subscriptionsNotifiedFor(this.subscriptions, instance.tenantId)).filter((subscription) =>
      lccnFilterMatches(subscription.filter, type, instance),
    );
    if (matching.length === 0) return [];
    // One id for the notification whatever the number of subscriptions it goes to.
    const id = crypto.randomUUID();
    const timeStamp = new Date().toISOString();
    return this.outbox.enqueue(
      matching.map((subscription) =>
        outboxEntryFor(subscription, {
          id,
          notificationType: type,
          subscriptionId: subscription.id,
          timeStamp,
          vnfInstanceId: instance.id,
          _links: {
            vnfInstance: { href: `${subscription.apiRoot}${VNF_INSTANCES_PATH}/${instance.id}` },
            subscription: { href: `${subscription.apiRoot}${VNF_LCM_SUBSCRIPTIONS_PATH}/${subscription.id}` },
          },
        }),
      ),
    );
  }

  /**
   * Notifies every change `engine` reports, with the instance facts `instanceOf` answers (or, for an instance
   * deleted meanwhile, those last notified). Failures are logged; the engine never sees them.
   */
  attach(engine: OperationEngine, instanceOf: InstanceLookup): void {
    this.detach();
    const listener = (operation: Operation): void => {
      this.inOrder(operation.id, () => this.notifyReported(operation, instanceOf)).catch((error: unknown) =>
        this.logger.error({ err: error, vnfLcmOpOccId: operation.id }, 'could not notify a change of a VNF LCM operation occurrence'),
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
        const behind = notified ? notified.value.state !== lcmOperationState(operation) : !isSettled(operation.state);
        if (!behind) continue;
        await this.inOrder(operation.id, async () => {
          // Read again in turn: a report queued before this one may have notified it meanwhile.
          const current = await attached.engine.get(operation.id);
          if (current) await this.notifyReported(current, attached.instanceOf);
        }).catch((error: unknown) => this.logger.error({ err: error, vnfLcmOpOccId: operation.id }, 'could not catch up on a VNF LCM operation occurrence'));
      }
      if (batch.length < CATCH_UP_BATCH) return;
    }
  }

  /** Resolves once the notifications reported so far are in the outbox (for shutdown and tests). */
  async idle(): Promise<void> {
    for (let round = 0; round < 100 && this.queues.size > 0; round += 1) await Promise.all([...this.queues.values()]);
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

  private async notifyReported(operation: Operation, instanceOf: InstanceLookup): Promise<void> {
    const instance = (await instanceOf(operation.resourceId)) ?? (await this.notified.get(operation.id))?.value.instance;
    if (!instance) {
      this.logger.warn({ vnfLcmOpOccId: operation.id, vnfInstanceId: operation.resourceId }, 'the VNF instance of an operation occurrence is unknown; not notified');
      return;
    }
    await this.notifyOperation(operation, instance);
  }

  private async notifyOperation(operation: Operation, instance: VnfInstanceFacts): Promise<void> {
    const state = lcmOperationState(operation);
    const last = await this.notified.get(operation.id);
    if (last && (last.value.state === state || operation.updatedAt < last.value.operationUpdatedAt)) return;
    const record: NotifiedOccurrence = { id: operation.id, tenantId: operation.tenantId, state, operationUpdatedAt: operation.updatedAt, instance: { ...instance } };
    const writes = [
      ...(await this.operationWrites(operation, state, instance)),
      last ? this.notified.updateWrite(record, last.revision) : this.notified.insertWrite(record),
    ];
    try {
      await this.store.commit(writes);
    } catch (error) {
      // Another engine sharing the store notified this occurrence first.
      if (error instanceof StoreConflictError && error.collection === VNF_LCM_NOTIFIED_OCCURRENCES.name) return;
      throw error;
    }
    this.outbox.wake();
  }

  /** SOL 003 clause 5.5.2.17 VnfLcmOperationOccurrenceNotification to each matching subscription. */
  private async operationWrites(operation: Operation, state: LcmOperationState, instance: VnfInstanceFacts): Promise<Write[]> {
    const occurrence: OccurrenceFacts = { operationType: operation.kind, state };
    const matching = (await subscriptionsNotifiedFor(this.subscriptions, instance.tenantId)).filter((subscription) =>
      lccnFilterMatches(subscription.filter, OPERATION_OCCURRENCE_NOTIFICATION, instance, occurrence),
    );
    if (matching.length === 0) return [];
    const view = vnfLcmOpOccView(operation, '');
    const notificationStatus = START_STATES.includes(state) ? 'START' : 'RESULT';
    const body: Record<string, unknown> = {
      notificationType: OPERATION_OCCURRENCE_NOTIFICATION,
      timeStamp: new Date().toISOString(),
      notificationStatus,
      operationState: state,
      vnfInstanceId: operation.resourceId,
      operation: operation.kind,
      isAutomaticInvocation: view.isAutomaticInvocation === true,
      verbosity: 'FULL',
      vnfLcmOpOccId: operation.id,
    };
    if (notificationStatus === 'RESULT') {
      const changes = view.resourceChanges;
      if (changes.affectedVnfcs.length > 0) body.affectedVnfcs = changes.affectedVnfcs;
      if (changes.affectedVirtualLinks.length > 0) body.affectedVirtualLinks = changes.affectedVirtualLinks;
      if (changes.affectedExtLinkPorts.length > 0) body.affectedExtLinkPorts = changes.affectedExtLinkPorts;
    }
    if (state === 'FAILED_TEMP' || state === 'FAILED') {
      body.error = view.error ?? { type: 'about:blank', title: 'Operation failed', status: 500, detail: `The ${operation.kind} operation failed.` };
    }
    const id = crypto.randomUUID();
    return this.outbox.enqueue(
      matching.map((subscription) =>
        outboxEntryFor(subscription, {
          id,
          ...body,
          subscriptionId: subscription.id,
          _links: {
            vnfInstance: { href: `${subscription.apiRoot}${VNF_INSTANCES_PATH}/${operation.resourceId}` },
            subscription: { href: `${subscription.apiRoot}${VNF_LCM_SUBSCRIPTIONS_PATH}/${subscription.id}` },
            vnfLcmOpOcc: { href: `${subscription.apiRoot}${VNF_LCM_OP_OCCS_PATH}/${operation.id}` },
          },
        }),
      ),
    );
  }

  private async commitAndWake(writes: Write[]): Promise<void> {
    if (writes.length === 0) return;
    await this.store.commit(writes);
    this.outbox.wake();
  }
}

/** The facts of a VNF instance by id, or undefined when it does not exist (any more). */
export type InstanceLookup = (vnfInstanceId: string) => Promise<VnfInstanceFacts | undefined>;
