/** SOL 005 clause 6.5.2.2 / 6.5.2.4 / 6.5.3.8: subscriptions to NS lifecycle change notifications. */
import { isPartiallyCompleted, type CollectionSpec, type Operation } from '../../../platform/index.js';
import { subscriptionView, type StoredSubscription, type SubscriptionRequest, type SubscriptionView } from '../../../platform/notifications/subscriptions.js';
import type { NsInstance } from '../model.js';

export const OPERATION_OCCURRENCE_NOTIFICATION = 'NsLcmOperationOccurrenceNotification';
export const IDENTIFIER_CREATION_NOTIFICATION = 'NsIdentifierCreationNotification';
export const IDENTIFIER_DELETION_NOTIFICATION = 'NsIdentifierDeletionNotification';
/** Accepted in filters; this NFVO has no NS changes to notify (no PNFs, no nested NSs, no VNF LCM outside NS operations). */
export const NS_CHANGE_NOTIFICATION = 'NsChangeNotification';

export type NsLcmNotificationType =
  | typeof OPERATION_OCCURRENCE_NOTIFICATION
  | typeof IDENTIFIER_CREATION_NOTIFICATION
  | typeof IDENTIFIER_DELETION_NOTIFICATION
  | typeof NS_CHANGE_NOTIFICATION;

export const NS_LCM_NOTIFICATION_TYPES: readonly NsLcmNotificationType[] = [
  OPERATION_OCCURRENCE_NOTIFICATION,
  IDENTIFIER_CREATION_NOTIFICATION,
  IDENTIFIER_DELETION_NOTIFICATION,
  NS_CHANGE_NOTIFICATION,
];

/** SOL 005 clause 6.5.4.2 NsLcmOpType. */
export type NsLcmOpType = 'INSTANTIATE' | 'SCALE' | 'UPDATE' | 'TERMINATE' | 'HEAL';
export const NS_LCM_OPERATION_TYPES: readonly NsLcmOpType[] = ['INSTANTIATE', 'SCALE', 'UPDATE', 'TERMINATE', 'HEAL'];

/** SOL 005 clause 6.5.4.3 NsLcmOperationStateType. */
export type NsLcmOperationState = 'PROCESSING' | 'COMPLETED' | 'PARTIALLY_COMPLETED' | 'FAILED_TEMP' | 'FAILED' | 'ROLLING_BACK' | 'ROLLED_BACK';
export const NS_LCM_OPERATION_STATES: readonly NsLcmOperationState[] = ['PROCESSING', 'COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED_TEMP', 'FAILED', 'ROLLING_BACK', 'ROLLED_BACK'];

/** An occurrence's state as SOL 005 shows it: a COMPLETED operation that was continued past a failure is PARTIALLY_COMPLETED. */
export function nsLcmOperationState(operation: Operation): NsLcmOperationState {
  return isPartiallyCompleted(operation) ? 'PARTIALLY_COMPLETED' : operation.state;
}

/** SOL 005 clause 6.5.4.5 NsComponentType. */
export const NS_COMPONENT_TYPES = ['VNF', 'PNF', 'NS'] as const;

/** SOL 005 clause 6.5.4.6 LcmOpNameForChangeNotificationType. */
export const LCM_OP_NAMES_FOR_CHANGE_NOTIFICATION = [
  'VNF_INSTANTIATE',
  'VNF_SCALE',
  'VNF_SCALE_TO_LEVEL',
  'VNF_CHANGE_FLAVOUR',
  'VNF_TERMINATE',
  'VNF_HEAL',
  'VNF_OPERATE',
  'VNF_CHANGE_EXT_CONN',
  'VNF_MODIFY_INFO',
  'NS_INSTANTIATE',
  'NS_SCALE',
  'NS_UPDATE',
  'NS_TERMINATE',
  'NS_HEAL',
] as const;

/** SOL 005 clause 6.5.4.7 LcmOpOccStatusForChangeNotificationType. */
export const LCM_OP_OCC_STATUSES_FOR_CHANGE_NOTIFICATION = ['START', 'COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED', 'ROLLED_BACK'] as const;

/** SOL 005 clause 4.4.1.5 NsInstanceSubscriptionFilter. */
export interface NsInstanceSubscriptionFilter {
  nsdIds?: string[];
  vnfdIds?: string[];
  pnfdIds?: string[];
  nsInstanceIds?: string[];
  nsInstanceNames?: string[];
}

/** SOL 005 clause 6.5.3.8 LifecycleChangeNotificationsFilter. */
export interface NsLifecycleChangeNotificationsFilter {
  nsInstanceSubscriptionFilter?: NsInstanceSubscriptionFilter;
  notificationTypes?: NsLcmNotificationType[];
  operationTypes?: NsLcmOpType[];
  operationStates?: NsLcmOperationState[];
  nsComponentTypes?: Array<(typeof NS_COMPONENT_TYPES)[number]>;
  lcmOpNameImpactingNsComponent?: Array<(typeof LCM_OP_NAMES_FOR_CHANGE_NOTIFICATION)[number]>;
  lcmOpOccStatusImpactingNsComponent?: Array<(typeof LCM_OP_OCC_STATUSES_FOR_CHANGE_NOTIFICATION)[number]>;
}

/** SOL 005 clause 6.5.2.2 LccnSubscriptionRequest. */
export type NsLccnSubscriptionRequest = SubscriptionRequest<NsLifecycleChangeNotificationsFilter>;

export type StoredNsLccnSubscription = StoredSubscription<NsLifecycleChangeNotificationsFilter>;

/** SOL 005 clause 6.5.2.4 LccnSubscription. */
export type NsLccnSubscription = SubscriptionView<NsLifecycleChangeNotificationsFilter>;

export const NS_LCM_SUBSCRIPTIONS: CollectionSpec = { name: 'nslcm_subscriptions', indexes: [] };
export const NS_LCM_SUBSCRIPTIONS_PATH = '/nslcm/v1/subscriptions';

export function nsLccnSubscriptionOf(subscription: StoredNsLccnSubscription, apiRoot: string): NsLccnSubscription {
  return subscriptionView(subscription, apiRoot, NS_LCM_SUBSCRIPTIONS_PATH);
}

/** A VNF profile of the NS's NSD: the VNFD its VNF instances are made from. */
export interface NsVnfProfileFact {
  vnfProfileId: string;
  vnfdId: string;
}

/** What the filters of an NS lifecycle change notification look at on the NS instance, and what notifications tell of it. */
export interface NsInstanceFacts {
  id: string;
  tenantId: string;
  nsdId: string;
  nsInstanceName: string;
  /** The VNF profiles of its NSD, when the NSD could be read: `vnfdIds` filters match them. */
  vnfProfiles?: NsVnfProfileFact[] | undefined;
}

export function nsInstanceFactsOf(instance: NsInstance, vnfProfiles?: readonly NsVnfProfileFact[]): NsInstanceFacts {
  const facts: NsInstanceFacts = { id: instance.id, tenantId: instance.tenantId, nsdId: instance.nsdId, nsInstanceName: instance.nsInstanceName };
  if (vnfProfiles !== undefined) facts.vnfProfiles = vnfProfiles.map(({ vnfProfileId, vnfdId }) => ({ vnfProfileId, vnfdId }));
  return facts;
}
