import { subscriptionView, type StoredSubscription, type SubscriptionRequest, type SubscriptionView, type VnfProductsFromProviders } from '../../platform/notifications/subscriptions.js';
import type { PackageOperationalState, PackageUsageState } from '../packages/model.js';

export type PkgmNotificationType = 'VnfPackageOnboardingNotification' | 'VnfPackageChangeNotification';
export const PKGM_NOTIFICATION_TYPES: readonly PkgmNotificationType[] = ['VnfPackageOnboardingNotification', 'VnfPackageChangeNotification'];

export type PackageChangeType = 'OP_STATE_CHANGE' | 'PKG_DELETE';

/** SOL 005 clause 9.5.3.2 PkgmNotificationsFilter. */
export interface PkgmNotificationsFilter {
  notificationTypes?: PkgmNotificationType[];
  vnfProductsFromProviders?: VnfProductsFromProviders;
  vnfdId?: string[];
  vnfPkgId?: string[];
  operationalState?: PackageOperationalState[];
  usageState?: PackageUsageState[];
}

/** SOL 005 clause 9.5.2.7 PkgmSubscriptionRequest. */
export type PkgmSubscriptionRequest = SubscriptionRequest<PkgmNotificationsFilter>;

/** A subscription as stored. */
export type StoredPkgmSubscription = StoredSubscription<PkgmNotificationsFilter>;

/** SOL 005 clause 9.5.2.4 PkgmSubscription. */
export type PkgmSubscription = SubscriptionView<PkgmNotificationsFilter>;

export const PKGM_SUBSCRIPTIONS_PATH = '/vnfpkgm/v1/subscriptions';

export function pkgmSubscriptionOf(subscription: StoredPkgmSubscription, apiRoot: string): PkgmSubscription {
  return subscriptionView(subscription, apiRoot, PKGM_SUBSCRIPTIONS_PATH);
}
