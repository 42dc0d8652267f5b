/**
 * SOL 003 clause 5.5.2.17 to 5.5.2.19: the VNF lifecycle change notifications, written into the VNFM's outbox
 * for every matching subscription of the instance's tenant and of the admin tenant.
 *
 * An operation occurrence is notified on each change of its SOL 003 state (clause 5.6.2.2): START on entering
 * STARTING, PROCESSING (also after a retry) and ROLLING_BACK; RESULT on COMPLETED, FAILED_TEMP, FAILED and
 * ROLLED_BACK; `OccurrenceNotifier` notifies each state once, across restarts too.
 */
import type { CollectionSpec, Logger, NotificationOutbox, Operation, OperationEngine, Store, Violation } from '../../platform/index.js';
import {
  OccurrenceNotifier,
  type NotifiedOccurrenceRecord,
  type OccurrenceFilterFacts,
  type OccurrenceInstanceLookup,
} from '../../platform/notifications/occurrence-notifier.js';
import { matchesAny, matchesVnfProducts } from '../../platform/notifications/subscriptions.js';
import { isV2, VNF_LCM_V1, VNF_LCM_V2, type VnfLcmApiVersion } from '../api-versions.js';
import type { VnfLcmOperationType } from '../lifecycle/lifecycle.js';
import { lcmOperationState, vnfLcmOpOccView, type LcmOperationState } from '../lifecycle/op-occs.js';
import {
  IDENTIFIER_CREATION_NOTIFICATION,
  IDENTIFIER_DELETION_NOTIFICATION,
  OPERATION_OCCURRENCE_NOTIFICATION,
  VNF_LCM_SUBSCRIPTIONS,
  VNF_LCM_V2_SUBSCRIPTIONS,
  type LcmNotificationType,
  type LifecycleChangeNotificationsFilter,
  type VnfInstanceFacts,
} from './model.js';

/** The outbox channel of VNF lifecycle change notifications. */
export const VNF_LCM_NOTIFICATIONS_CHANNEL = 'vnflcm';

/** The state last notified for an operation occurrence (keyed by its id). */
export type NotifiedOccurrence = NotifiedOccurrenceRecord<LcmOperationState, VnfInstanceFacts>;

export const VNF_LCM_NOTIFIED_OCCURRENCES: CollectionSpec = { name: 'vnflcm_notified_op_occs', indexes: [] };
export const VNF_LCM_V2_NOTIFIED_OCCURRENCES: CollectionSpec = { name: 'vnflcm_v2_notified_op_occs', indexes: [] };

/** What a notification about an operation occurrence is filtered on, besides the instance. */
export type OccurrenceFacts = OccurrenceFilterFacts<LcmOperationState>;

const START_STATES: readonly LcmOperationState[] = ['STARTING', 'PROCESSING', 'ROLLING_BACK'];

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

interface VnfLcmNotifierTypes {
  instance: VnfInstanceFacts;
  facts: VnfInstanceFacts;
  state: LcmOperationState;
  filter: LifecycleChangeNotificationsFilter;
  notificationType: LcmNotificationType;
}

/**
 * SOL 003 clause 5.5.2.17 VnfLcmOperationOccurrenceNotification, 5.5.2.18 VnfIdentifierCreationNotification
 * and 5.5.2.19 VnfIdentifierDeletionNotification, to the subscriptions of one API version (v1 unless given),
 * with links into that version. The notifications' attributes are the same in v1 and v2.
 */
export class VnfLcmNotifications extends OccurrenceNotifier<VnfLcmNotifierTypes> {
  constructor(
    store: Store,
    outbox: NotificationOutbox,
    logger: Logger,
    readonly version: VnfLcmApiVersion = VNF_LCM_V1,
  ) {
    super(store, outbox, logger, {
      subscriptions: isV2(version) ? VNF_LCM_V2_SUBSCRIPTIONS : VNF_LCM_SUBSCRIPTIONS,
      notified: isV2(version) ? VNF_LCM_V2_NOTIFIED_OCCURRENCES : VNF_LCM_NOTIFIED_OCCURRENCES,
      component: isV2(version) ? 'vnflcm-v2-notifications' : 'vnflcm-notifications',
      types: { occurrence: OPERATION_OCCURRENCE_NOTIFICATION, creation: IDENTIFIER_CREATION_NOTIFICATION, deletion: IDENTIFIER_DELETION_NOTIFICATION },
      startStates: START_STATES,
      instance: { name: 'vnfInstance', path: version.instancesPath, described: 'VNF instance' },
      occurrence: { name: 'vnfLcmOpOcc', path: version.opOccsPath, described: 'a VNF LCM operation occurrence' },
      subscriptionsPath: version.subscriptionsPath,
    });
  }

  protected stateOf(operation: Operation): LcmOperationState {
    return lcmOperationState(operation);
  }

  protected async factsOf(instance: VnfInstanceFacts): Promise<VnfInstanceFacts> {
    return instance;
  }

  protected matches(filter: LifecycleChangeNotificationsFilter | undefined, type: LcmNotificationType, instance: VnfInstanceFacts, occurrence?: OccurrenceFacts): boolean {
    return lccnFilterMatches(filter, type, instance, occurrence);
  }

  protected async occurrenceDetails(operation: Operation, status: 'START' | 'RESULT'): Promise<Record<string, unknown>> {
    const view = vnfLcmOpOccView(operation, '');
    const details: Record<string, unknown> = { isAutomaticInvocation: view.isAutomaticInvocation === true, verbosity: 'FULL' };
    if (status === 'RESULT') {
      const changes = view.resourceChanges;
      if (changes.affectedVnfcs.length > 0) details.affectedVnfcs = changes.affectedVnfcs;
      if (changes.affectedVirtualLinks.length > 0) details.affectedVirtualLinks = changes.affectedVirtualLinks;
      if (changes.affectedExtLinkPorts.length > 0) details.affectedExtLinkPorts = changes.affectedExtLinkPorts;
    }
    return details;
  }
}

/** The facts of a VNF instance by id, or undefined when it does not exist (any more). */
export type InstanceLookup = OccurrenceInstanceLookup<VnfInstanceFacts>;

/**
 * The lifecycle change notifications of both API versions, through one outbox: each version's subscribers get
 * their own notification, linked into their version.
 */
export class VnfLcmNotifiers {
  readonly v1: VnfLcmNotifications;
  readonly v2: VnfLcmNotifications;

  constructor(
    store: Store,
    readonly outbox: NotificationOutbox,
    logger: Logger,
  ) {
    this.v1 = new VnfLcmNotifications(store, outbox, logger, VNF_LCM_V1);
    this.v2 = new VnfLcmNotifications(store, outbox, logger, VNF_LCM_V2);
  }

  of(version: VnfLcmApiVersion): VnfLcmNotifications {
    return isV2(version) ? this.v2 : this.v1;
  }

  private get all(): VnfLcmNotifications[] {
    return [this.v1, this.v2];
  }

  attach(engine: OperationEngine, instanceOf: InstanceLookup): void {
    for (const notifier of this.all) notifier.attach(engine, instanceOf);
  }

  detach(): void {
    for (const notifier of this.all) notifier.detach();
  }

  async identifierCreated(instance: VnfInstanceFacts): Promise<void> {
    for (const notifier of this.all) await notifier.identifierCreated(instance);
  }

  async identifierDeleted(instance: VnfInstanceFacts): Promise<void> {
    for (const notifier of this.all) await notifier.identifierDeleted(instance);
  }

  async catchUp(): Promise<void> {
    for (const notifier of this.all) await notifier.catchUp();
  }

  async idle(): Promise<void> {
    await Promise.all(this.all.map((notifier) => notifier.idle()));
  }
}
