/** SOL 003 clause 5.5.2.15 / 5.5.2.16 / 5.5.3.12: subscriptions to VNF lifecycle change notifications. */
import type { CollectionSpec } from '../../platform/index.js';
import { VNF_LCM_V1 } from '../api-versions.js';
import {
  subscriptionView,
  type StoredSubscription,
  type SubscriptionRequest,
  type SubscriptionView,
  type VnfProductsFromProviders,
} from '../../platform/notifications/subscriptions.js';
import type { VnfLcmOperationType } from '../lifecycle/lifecycle.js';
import type { LcmOperationState } from '../lifecycle/op-occs.js';

export type LcmNotificationType = 'VnfLcmOperationOccurrenceNotification' | 'VnfIdentifierCreationNotification' | 'VnfIdentifierDeletionNotification';

export const OPERATION_OCCURRENCE_NOTIFICATION = 'VnfLcmOperationOccurrenceNotification';
export const IDENTIFIER_CREATION_NOTIFICATION = 'VnfIdentifierCreationNotification';
export const IDENTIFIER_DELETION_NOTIFICATION = 'VnfIdentifierDeletionNotification';

export const LCM_NOTIFICATION_TYPES: readonly LcmNotificationType[] = [
  OPERATION_OCCURRENCE_NOTIFICATION,
  IDENTIFIER_CREATION_NOTIFICATION,
  IDENTIFIER_DELETION_NOTIFICATION,
];

/** SOL 003 clause 5.5.4.5 LcmOperationType. */
export const LCM_OPERATION_TYPES: readonly VnfLcmOperationType[] = [
  'INSTANTIATE',
  'SCALE',
  'SCALE_TO_LEVEL',
  'CHANGE_FLAVOUR',
  'TERMINATE',
  'HEAL',
  'OPERATE',
  'CHANGE_EXT_CONN',
  'MODIFY_INFO',
];

/** SOL 003 clause 5.5.4.3 LcmOperationStateType. */
export const LCM_OPERATION_STATES: readonly LcmOperationState[] = ['STARTING', 'PROCESSING', 'COMPLETED', 'FAILED_TEMP', 'FAILED', 'ROLLING_BACK', 'ROLLED_BACK'];

/** SOL 003 clause 4.4.1.5 VnfInstanceSubscriptionFilter. */
export interface VnfInstanceSubscriptionFilter {
  vnfdIds?: string[];
  vnfProductsFromProviders?: VnfProductsFromProviders;
  vnfInstanceIds?: string[];
  vnfInstanceNames?: string[];
}

/** SOL 003 clause 5.5.3.12 LifecycleChangeNotificationsFilter. */
export interface LifecycleChangeNotificationsFilter {
  vnfInstanceSubscriptionFilter?: VnfInstanceSubscriptionFilter;
  notificationTypes?: LcmNotificationType[];
  operationTypes?: VnfLcmOperationType[];
  operationStates?: LcmOperationState[];
}

/** SOL 003 clause 5.5.2.15 LccnSubscriptionRequest. */
export type LccnSubscriptionRequest = SubscriptionRequest<LifecycleChangeNotificationsFilter>;

export type StoredLccnSubscription = StoredSubscription<LifecycleChangeNotificationsFilter>;

/** SOL 003 clause 5.5.2.16 LccnSubscription. */
export type LccnSubscription = SubscriptionView<LifecycleChangeNotificationsFilter>;

/**
 * Each API version has its own subscriptions, as Tacker keeps them: a subscription is a resource of the version
 * it was created in, and the links its notifications carry point into that version.
 */
export const VNF_LCM_SUBSCRIPTIONS: CollectionSpec = { name: 'vnflcm_subscriptions', indexes: [] };
export const VNF_LCM_V2_SUBSCRIPTIONS: CollectionSpec = { name: 'vnflcm_v2_subscriptions', indexes: [] };
export const VNF_LCM_SUBSCRIPTIONS_PATH = VNF_LCM_V1.subscriptionsPath;

export function lccnSubscriptionOf(subscription: StoredLccnSubscription, apiRoot: string): LccnSubscription {
  return subscriptionView(subscription, apiRoot, VNF_LCM_SUBSCRIPTIONS_PATH);
}

/** What the filters of a lifecycle change notification look at on the VNF instance. */
export interface VnfInstanceFacts {
  id: string;
  tenantId: string;
  vnfdId: string;
  vnfProvider: string;
  vnfProductName: string;
  vnfSoftwareVersion: string;
  vnfdVersion: string;
  vnfInstanceName?: string | undefined;
}
