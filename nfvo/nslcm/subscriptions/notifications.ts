/**
 * SOL 005 clause 6.5.2.5 to 6.5.2.7: the NS lifecycle change notifications, written into the NFVO's `nslcm`
 * outbox for every matching subscription of the NS instance's tenant and of the admin tenant.
 *
 * An NS LCM operation occurrence is notified on each change of its SOL 005 state (clause 6.6.2.2): START on
 * entering PROCESSING (also after a retry) and ROLLING_BACK; RESULT on COMPLETED, FAILED_TEMP, FAILED and
 * ROLLED_BACK. The engine reports every step change, most of which leave that state as it was: the state last
 * notified for each occurrence is stored, in the same commit as the outbox entries, so that a state is notified
 * once, and a restart neither repeats one nor (with `catchUp`) misses the latest.
 */
import crypto from 'node:crypto';
import {
  fromJson,
  isSettled,
  StoreConflictError,
  type CollectionSpec,
  type Entity,
  type Logger,
  type NotificationOutbox,
  type Operation,
  type OperationEngine,
  type OperationState,
  type OperationStep,
  type Repository,
  type Store,
  type Violation,
  type Write,
} from '../../../platform/index.js';
import { matchesAny, outboxEntryFor, subscriptionsNotifiedFor } from '../../../platform/notifications/subscriptions.js';
import { NS_INSTANCES_PATH, NS_LCM_OP_OCCS_PATH, type InstantiateNsRequest, type NsInstance, type NsSapRecord, type NsVirtualLinkRecord, type NsVnffgRecord, type NsVnfRecord } from '../model.js';
import {
  IDENTIFIER_CREATION_NOTIFICATION,
  IDENTIFIER_DELETION_NOTIFICATION,
  NS_CHANGE_NOTIFICATION,
  NS_LCM_SUBSCRIPTIONS,
  NS_LCM_SUBSCRIPTIONS_PATH,
  nsInstanceFactsOf,
  OPERATION_OCCURRENCE_NOTIFICATION,
  type NsInstanceFacts,
  type NsLcmNotificationType,
  type NsLcmOpType,
  type NsLifecycleChangeNotificationsFilter,
  type NsVnfProfileFact,
  type StoredNsLccnSubscription,
} from './model.js';

/** The outbox channel of NS lifecycle change notifications. */
export const NS_LCM_NOTIFICATIONS_CHANNEL = 'nslcm';

/** The state last notified for an NS LCM operation occurrence (keyed by its id). */
export interface NotifiedNsOccurrence extends Entity {
  state: OperationState;
  /** `updatedAt` of the operation as notified: an older report of the operation is not notified after it. */
  operationUpdatedAt: string;
  /** The NS instance as last notified, for notifications that come after the instance was deleted. */
  instance: NsInstanceFacts;
}

export const NS_LCM_NOTIFIED_OCCURRENCES: CollectionSpec = { name: 'nslcm_notified_op_occs', indexes: [] };

/** What a notification about an operation occurrence is filtered on, besides the instance. */
export interface NsOccurrenceFacts {
  operationType: string;
  state: OperationState;
}

const START_STATES: readonly OperationState[] = ['PROCESSING', 'ROLLING_BACK'];
const CATCH_UP_BATCH = 200;

/** Filter attributes that only go with one notification type (SOL 005 clause 6.5.3.8). */
const ATTRIBUTES_OF_TYPE: ReadonlyArray<{ type: NsLcmNotificationType; names: ReadonlyArray<keyof NsLifecycleChangeNotificationsFilter> }> = [
  { type: OPERATION_OCCURRENCE_NOTIFICATION, names: ['operationTypes', 'operationStates'] },
  { type: NS_CHANGE_NOTIFICATION, names: ['nsComponentTypes', 'lcmOpNameImpactingNsComponent', 'lcmOpOccStatusImpactingNsComponent'] },
];

/**
 * SOL 005 clause 6.5.3.8: every attribute present must match (and), any value of an array attribute may match
 * (or). operationTypes and operationStates filter operation occurrence notifications only; the NS component
 * attributes filter NsChangeNotification only, which this NFVO does not send.
 */
export function nsLccnFilterMatches(
  filter: NsLifecycleChangeNotificationsFilter | undefined,
  type: NsLcmNotificationType,
  instance: NsInstanceFacts,
  occurrence?: NsOccurrenceFacts,
): boolean {
  if (filter === undefined) return true;
  if (!matchesAny(filter.notificationTypes, type)) return false;
  const byInstance = filter.nsInstanceSubscriptionFilter;
  if (byInstance !== undefined) {
    const vnfdIds = byInstance.vnfdIds;
    const matchesVnfds = vnfdIds === undefined || vnfdIds.length === 0 || (instance.vnfProfiles ?? []).some((profile) => vnfdIds.includes(profile.vnfdId));
    // An NS of this NFVO has no PNFs: a filter naming PNFDs matches none.
    const matchesPnfds = byInstance.pnfdIds === undefined || byInstance.pnfdIds.length === 0;
    if (
      !(
        matchesAny(byInstance.nsdIds, instance.nsdId) &&
        matchesVnfds &&
        matchesPnfds &&
        matchesAny(byInstance.nsInstanceIds, instance.id) &&
        matchesAny(byInstance.nsInstanceNames, instance.nsInstanceName)
      )
    ) {
      return false;
    }
  }
  if (occurrence === undefined) return true;
  return matchesAny(filter.operationTypes, occurrence.operationType as NsLcmOpType) && matchesAny(filter.operationStates, occurrence.state);
}

/** SOL 005 clause 6.5.3.8: attributes that go with one notification type are refused when notificationTypes leaves it out. */
export function checkNsLccnFilter(filter: NsLifecycleChangeNotificationsFilter): Violation[] {
  const types = filter.notificationTypes;
  if (types === undefined || types.length === 0) return [];
  return ATTRIBUTES_OF_TYPE.filter(({ type }) => !types.includes(type)).flatMap(({ type, names }) =>
    names
      .filter((name) => filter[name] !== undefined)
      .map((name) => ({ pointer: `/filter/${name}`, message: `applies to ${type} only, which notificationTypes leaves out`, in: 'body' as const })),
  );
}

// --- resource changes ---------------------------------------------------------------------------------------

type ChangeResult = 'COMPLETED' | 'ROLLED_BACK' | 'FAILED';

/** SOL 005 clause 6.5.3.2 AffectedVnf. */
export interface AffectedVnf {
  vnfInstanceId: string;
  vnfdId?: string;
  vnfProfileId: string;
  vnfName?: string;
  changeType: 'INSTANTIATE' | 'TERMINATE';
  changeResult: ChangeResult;
}

/** SOL 005 clause 6.5.3.4 AffectedVirtualLink. */
export interface AffectedVl {
  nsVirtualLinkInstanceId: string;
  nsVirtualLinkDescId: string;
  vlProfileId: string;
  changeType: 'ADD' | 'DELETE';
  changeResult: ChangeResult;
}

/** SOL 005 clause 6.5.3.5 AffectedVnffg. */
export interface AffectedVnffg {
  vnffgInstanceId: string;
  vnffgdId: string;
  changeType: 'ADD' | 'DELETE';
  changeResult: ChangeResult;
}

/** SOL 005 clause 6.5.3.7 AffectedSap. */
export interface AffectedSap {
  sapInstanceId: string;
  sapdId: string;
  sapName: string;
  changeType: 'ADD' | 'REMOVE';
  changeResult: ChangeResult;
}

export interface NsLcmResourceChanges {
  affectedVnfs: AffectedVnf[];
  affectedVls: AffectedVl[];
  affectedVnffgs: AffectedVnffg[];
  affectedSaps: AffectedSap[];
}

export interface ResourceChangesContext {
  /** The NS's name, for the names of its VNF instances. */
  nsInstanceName?: string | undefined;
  /** The VNF profiles of the NSD, for the VNFDs of the affected VNFs. */
  vnfProfiles?: readonly NsVnfProfileFact[] | undefined;
  /** For a TERMINATE: the INSTANTIATE that created what it removes (see `instantiationOf`). */
  instantiation?: Operation | undefined;
}

/** How far a step's change got: undefined while it has not run (nothing changed yet). */
function changeResultOf(step: OperationStep | undefined): ChangeResult | undefined {
  switch (step?.status) {
    case 'done':
      return 'COMPLETED';
    case 'compensated':
      return 'ROLLED_BACK';
    case 'failed':
    case 'compensating':
      return 'FAILED';
    default:
      return undefined;
  }
}

function stepOf(operation: Operation, name: string): OperationStep | undefined {
  return operation.steps.find((step) => step.name === name);
}

function outputOf<T>(operation: Operation, name: string): T[] {
  const output = stepOf(operation, name)?.output;
  return Array.isArray(output) ? fromJson<T[]>(output) : [];
}

/** The name NsLifecycle gives the VNF instance of a profile: the request's, or `<NS name>-<profile>`. */
function vnfNameOf(instantiation: Operation, vnfProfileId: string, nsInstanceName: string | undefined): string | undefined {
  const request = fromJson<{ request?: InstantiateNsRequest } | null>(instantiation.input)?.request;
  const named = request?.additionalParamsForVnf?.find((item) => item.vnfProfileId === vnfProfileId)?.vnfInstanceName;
  return named ?? (nsInstanceName === undefined ? undefined : `${nsInstanceName}-${vnfProfileId}`);
}

/**
 * What an NS LCM operation occurrence changed, from its steps: for INSTANTIATE the outputs of its steps
 * `virtual-links`, `saps`, `vnfs` and `vnffgs`; for TERMINATE what `context.instantiation` created, each kind
 * as far as the TERMINATE step that removes it got. Steps that have not run yet changed nothing.
 */
export function nsLcmResourceChanges(operation: Operation, context: ResourceChangesContext = {}): NsLcmResourceChanges {
  const changes: NsLcmResourceChanges = { affectedVnfs: [], affectedVls: [], affectedVnffgs: [], affectedSaps: [] };
  const adding = operation.kind === 'INSTANTIATE';
  const source = adding ? operation : operation.kind === 'TERMINATE' ? context.instantiation : undefined;
  if (source === undefined) return changes;
  const resultOf = (name: string): ChangeResult | undefined => changeResultOf(stepOf(operation, name));

  const vnfResult = resultOf('vnfs');
  if (vnfResult !== undefined) {
    changes.affectedVnfs = outputOf<NsVnfRecord>(source, 'vnfs').map((vnf) => {
      const affected: AffectedVnf = { vnfInstanceId: vnf.vnfInstanceId, vnfProfileId: vnf.vnfProfileId, changeType: adding ? 'INSTANTIATE' : 'TERMINATE', changeResult: vnfResult };
      const vnfdId = context.vnfProfiles?.find((profile) => profile.vnfProfileId === vnf.vnfProfileId)?.vnfdId;
      const vnfName = vnfNameOf(source, vnf.vnfProfileId, context.nsInstanceName);
      if (vnfdId !== undefined) affected.vnfdId = vnfdId;
      if (vnfName !== undefined) affected.vnfName = vnfName;
      return affected;
    });
  }
  const vlResult = resultOf('virtual-links');
  if (vlResult !== undefined) {
    changes.affectedVls = outputOf<NsVirtualLinkRecord>(source, 'virtual-links').map((link) => ({
      nsVirtualLinkInstanceId: link.networkId,
      nsVirtualLinkDescId: link.nsVirtualLinkDescId,
      vlProfileId: link.nsVirtualLinkDescId,
      changeType: adding ? 'ADD' : 'DELETE',
      changeResult: vlResult,
    }));
  }
  const vnffgResult = resultOf('vnffgs');
  if (vnffgResult !== undefined) {
    // One VNFFG instance per graph (as the NS instance's vnffgInfo shows it), whatever the number of its NFPs.
    const graphs = [...new Set(outputOf<NsVnffgRecord>(source, 'vnffgs').map((record) => record.vnffgdId))];
    changes.affectedVnffgs = graphs.map((vnffgdId) => ({
      vnffgInstanceId: `${operation.resourceId}/${vnffgdId}`,
      vnffgdId,
      changeType: adding ? 'ADD' : 'DELETE',
      changeResult: vnffgResult,
    }));
  }
  const sapResult = resultOf('saps');
  if (sapResult !== undefined) {
    changes.affectedSaps = outputOf<NsSapRecord>(source, 'saps').map((sap) => ({
      sapInstanceId: sap.portId,
      sapdId: sap.sapdId,
      sapName: sap.sapName,
      changeType: adding ? 'ADD' : 'REMOVE',
      changeResult: sapResult,
    }));
  }
  return changes;
}

/** For a TERMINATE: the latest INSTANTIATE of the same NS instance that completed before it started. */
export async function instantiationOf(engine: OperationEngine, terminate: Operation): Promise<Operation | undefined> {
  const completed = (await engine.list({ resourceId: terminate.resourceId, kind: 'INSTANTIATE', state: 'COMPLETED' })).filter(
    (operation) => operation.createdAt <= terminate.createdAt && operation.id !== terminate.id,
  );
  return completed.reduce<Operation | undefined>((latest, operation) => (latest === undefined || operation.updatedAt > latest.updatedAt ? operation : latest), undefined);
}

// --- the notifier ------------------------------------------------------------------------------------------

/** The NS instance by id, or undefined when it does not exist (any more). */
export type NsInstanceLookup = (nsInstanceId: string) => Promise<NsInstance | undefined>;

export interface NsLcmNotificationsOptions {
  /** The VNF profiles of the instance's NSD (undefined when it cannot be read): for `vnfdIds` filters and `affectedVnf.vnfdId`. */
  vnfProfilesOf?: (instance: NsInstance) => Promise<readonly NsVnfProfileFact[] | undefined>;
}

export class NsLcmNotifications {
  readonly subscriptions: Repository<StoredNsLccnSubscription>;
  private readonly notified: Repository<NotifiedNsOccurrence>;
  private readonly logger: Logger;
  /** Per occurrence, the work under way: changes of one occurrence are notified in the order they were reported. */
  private readonly queues = new Map<string, Promise<void>>();
  private attached: { engine: OperationEngine; listener: (operation: Operation) => void; instanceOf: NsInstanceLookup } | undefined;

  constructor(
    private readonly store: Store,
    readonly outbox: NotificationOutbox,
    logger: Logger,
    private readonly options: NsLcmNotificationsOptions = {},
  ) {
    this.subscriptions = store.collection<StoredNsLccnSubscription>(NS_LCM_SUBSCRIPTIONS);
    this.notified = store.collection<NotifiedNsOccurrence>(NS_LCM_NOTIFIED_OCCURRENCES);
    this.logger = logger.child({ component: 'nslcm-notifications' });
  }

  /** Notifies the occurrence's state if it is not the one last notified for it. */
  operationChanged(operation: Operation, instance: NsInstance): Promise<void> {
    return this.inOrder(operation.id, async () => this.notifyOperation(operation, await this.factsOf(instance)));
  }

  /** SOL 005 clause 6.5.2.6 NsIdentifierCreationNotification, committed on its own. */
  async identifierCreated(instance: NsInstance): Promise<void> {
    await this.commitAndWake(await this.identifierWrites(IDENTIFIER_CREATION_NOTIFICATION, instance));
  }

  /** SOL 005 clause 6.5.2.7 NsIdentifierDeletionNotification, committed on its own. */
  async identifierDeleted(instance: NsInstance): Promise<void> {
    await this.commitAndWake(await this.identifierWrites(IDENTIFIER_DELETION_NOTIFICATION, instance));
  }

  /** The outbox writes of an identifier notification, to commit with the creation or deletion itself (then `outbox.wake()`). */
  async identifierWrites(type: typeof IDENTIFIER_CREATION_NOTIFICATION | typeof IDENTIFIER_DELETION_NOTIFICATION, instance: NsInstance): Promise<Write[]> {
    const facts = await this.factsOf(instance);
    const matching = (await subscriptionsNotifiedFor(this.subscriptions, facts.tenantId)).filter((subscription) => nsLccnFilterMatches(subscription.filter, type, facts));
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
          nsInstanceId: facts.id,
          _links: {
            nsInstance: { href: `${subscription.apiRoot}${NS_INSTANCES_PATH}/${facts.id}` },
            subscription: { href: `${subscription.apiRoot}${NS_LCM_SUBSCRIPTIONS_PATH}/${subscription.id}` },
          },
        }),
      ),
    );
  }

  /**
   * Notifies every change `engine` reports, with the NS instance `instanceOf` answers (or, for an instance
   * deleted meanwhile, the facts last notified). Failures are logged; the engine never sees them.
   */
  attach(engine: OperationEngine, instanceOf: NsInstanceLookup): void {
    this.detach();
    const listener = (operation: Operation): void => {
      this.inOrder(operation.id, () => this.notifyReported(operation, instanceOf)).catch((error: unknown) =>
        this.logger.error({ err: error, nsLcmOpOccId: operation.id }, 'could not notify a change of an NS LCM operation occurrence'),
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
        const behind = notified ? notified.value.state !== operation.state : !isSettled(operation.state);
        if (!behind) continue;
        await this.inOrder(operation.id, async () => {
          // Read again in turn: a report queued before this one may have notified it meanwhile.
          const current = await attached.engine.get(operation.id);
          if (current) await this.notifyReported(current, attached.instanceOf);
        }).catch((error: unknown) => this.logger.error({ err: error, nsLcmOpOccId: operation.id }, 'could not catch up on an NS LCM operation occurrence'));
      }
      if (batch.length < CATCH_UP_BATCH) return;
    }
  }

  /** Resolves once the notifications reported so far are in the outbox (for shutdown and tests). */
  async idle(): Promise<void> {
    for (let round = 0; round < 100 && this.queues.size > 0; round += 1) await Promise.all([...this.queues.values()]);
  }

  private async factsOf(instance: NsInstance): Promise<NsInstanceFacts> {
    let profiles: readonly NsVnfProfileFact[] | undefined;
    try {
      profiles = await this.options.vnfProfilesOf?.(instance);
    } catch (error) {
      this.logger.warn({ err: error, nsInstanceId: instance.id }, 'the VNF profiles of an NS instance could not be read; notified without them');
    }
    return nsInstanceFactsOf(instance, profiles);
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

  private async notifyReported(operation: Operation, instanceOf: NsInstanceLookup): Promise<void> {
    const last = await this.notified.get(operation.id);
    // Nothing to send for a state already notified: spares reading the instance and its NSD on every step change.
    if (last && last.value.state === operation.state) return;
    const instance = await instanceOf(operation.resourceId);
    const facts = instance ? await this.factsOf(instance) : last?.value.instance;
    if (!facts) {
      this.logger.warn({ nsLcmOpOccId: operation.id, nsInstanceId: operation.resourceId }, 'the NS instance of an operation occurrence is unknown; not notified');
      return;
    }
    // The VNF profiles first seen stay: the NSD may be gone by the time the occurrence ends.
    if (facts.vnfProfiles === undefined && last?.value.instance.vnfProfiles !== undefined) facts.vnfProfiles = last.value.instance.vnfProfiles;
    await this.notifyOperation(operation, facts);
  }

  private async notifyOperation(operation: Operation, instance: NsInstanceFacts): Promise<void> {
    const state = operation.state;
    const last = await this.notified.get(operation.id);
    if (last && (last.value.state === state || operation.updatedAt < last.value.operationUpdatedAt)) return;
    const record: NotifiedNsOccurrence = { id: operation.id, tenantId: operation.tenantId, state, operationUpdatedAt: operation.updatedAt, instance: structuredClone(instance) };
    const writes = [
      ...(await this.operationWrites(operation, instance)),
      last ? this.notified.updateWrite(record, last.revision) : this.notified.insertWrite(record),
    ];
    try {
      await this.store.commit(writes);
    } catch (error) {
      // Another engine sharing the store notified this occurrence first.
      if (error instanceof StoreConflictError && error.collection === NS_LCM_NOTIFIED_OCCURRENCES.name) return;
      throw error;
    }
    this.outbox.wake();
  }

  /** SOL 005 clause 6.5.2.5 NsLcmOperationOccurrenceNotification to each matching subscription. */
  private async operationWrites(operation: Operation, instance: NsInstanceFacts): Promise<Write[]> {
    const state = operation.state;
    const occurrence: NsOccurrenceFacts = { operationType: operation.kind, state };
    const matching = (await subscriptionsNotifiedFor(this.subscriptions, instance.tenantId)).filter((subscription) =>
      nsLccnFilterMatches(subscription.filter, OPERATION_OCCURRENCE_NOTIFICATION, instance, occurrence),
    );
    if (matching.length === 0) return [];
    const notificationStatus = START_STATES.includes(state) ? 'START' : 'RESULT';
    const body: Record<string, unknown> = {
      nsInstanceId: operation.resourceId,
      nsLcmOpOccId: operation.id,
      operation: operation.kind,
      notificationType: OPERATION_OCCURRENCE_NOTIFICATION,
      timeStamp: new Date().toISOString(),
      notificationStatus,
      operationState: state,
      isAutomaticInvocation: false,
    };
    if (notificationStatus === 'RESULT') {
      const instantiation = operation.kind === 'TERMINATE' && this.attached ? await instantiationOf(this.attached.engine, operation) : undefined;
      const changes = nsLcmResourceChanges(operation, { nsInstanceName: instance.nsInstanceName, vnfProfiles: instance.vnfProfiles, instantiation });
      if (changes.affectedVnfs.length > 0) body.affectedVnf = changes.affectedVnfs;
      if (changes.affectedVls.length > 0) body.affectedVl = changes.affectedVls;
      if (changes.affectedVnffgs.length > 0) body.affectedVnffg = changes.affectedVnffgs;
      if (changes.affectedSaps.length > 0) body.affectedSap = changes.affectedSaps;
    }
    if (state === 'FAILED_TEMP' || state === 'FAILED') {
      const error = operation.error;
      body.error = error
        ? { type: 'about:blank', title: error.title, status: error.status, detail: error.detail, ...(error.step ? { step: error.step } : {}) }
        : { type: 'about:blank', title: 'Operation failed', status: 500, detail: `The ${operation.kind} operation failed.` };
    }
    const id = crypto.randomUUID();
    return this.outbox.enqueue(
      matching.map((subscription) =>
        outboxEntryFor(subscription, {
          id,
          ...body,
          subscriptionId: subscription.id,
          _links: {
            nsInstance: { href: `${subscription.apiRoot}${NS_INSTANCES_PATH}/${operation.resourceId}` },
            subscription: { href: `${subscription.apiRoot}${NS_LCM_SUBSCRIPTIONS_PATH}/${subscription.id}` },
            nsLcmOpOcc: { href: `${subscription.apiRoot}${NS_LCM_OP_OCCS_PATH}/${operation.id}` },
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
