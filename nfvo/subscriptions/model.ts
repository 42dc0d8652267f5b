import type { Entity } from '../../platform/index.js';
import type { PackageOperationalState, PackageUsageState } from '../packages/model.js';

export type PkgmNotificationType = 'VnfPackageOnboardingNotification' | 'VnfPackageChangeNotification';
export const PKGM_NOTIFICATION_TYPES: readonly PkgmNotificationType[] = ['VnfPackageOnboardingNotification', 'VnfPackageChangeNotification'];

export type PackageChangeType = 'OP_STATE_CHANGE' | 'PKG_DELETE';

/** SOL 005 clause 9.5.3.2 PkgmNotificationsFilter. */
export interface PkgmNotificationsFilter {
  notificationTypes?: PkgmNotificationType[];
  vnfProductsFromProviders?: Array<{
    vnfProvider: string;
    vnfProducts?: Array<{ vnfProductName: string; versions?: Array<{ vnfSoftwareVersion: string; vnfdVersions?: string[] }> }>;
  }>;
  vnfdId?: string[];
  vnfPkgId?: string[];
  operationalState?: PackageOperationalState[];
  usageState?: PackageUsageState[];
}

/** SOL 013 SubscriptionAuthentication; only BASIC is offered. */
export interface SubscriptionAuthentication {
  authType: Array<'BASIC' | 'OAUTH2_CLIENT_CREDENTIALS' | 'TLS_CERT'>;
  paramsBasic?: { userName?: string; password?: string };
  paramsOauth2ClientCredentials?: { clientId?: string; clientPassword?: string; tokenEndpoint?: string };
}

export interface PkgmSubscriptionRequest {
  filter?: PkgmNotificationsFilter;
  callbackUri: string;
  authentication?: SubscriptionAuthentication;
}

/** A subscription as stored. */
export interface StoredPkgmSubscription extends Entity {
  filter?: PkgmNotificationsFilter;
  callbackUri: string;
  /** The `Authorization` header value for notifications, when the subscriber asked for BASIC. */
  authorization?: string;
  /** Scheme and authority the subscriber reached this server by; the links in notifications use it. */
  apiRoot: string;
  createdAt: string;
}

/** SOL 005 clause 9.5.2.4 PkgmSubscription. */
export interface PkgmSubscription {
  id: string;
  filter?: PkgmNotificationsFilter;
  callbackUri: string;
  _links: { self: { href: string } };
}

export const PKGM_SUBSCRIPTIONS_PATH = '/vnfpkgm/v1/subscriptions';

export function pkgmSubscriptionOf(subscription: StoredPkgmSubscription, apiRoot: string): PkgmSubscription {
  const view: PkgmSubscription = {
    id: subscription.id,
    callbackUri: subscription.callbackUri,
    _links: { self: { href: `${apiRoot}${PKGM_SUBSCRIPTIONS_PATH}/${subscription.id}` } },
  };
  if (subscription.filter !== undefined) view.filter = subscription.filter;
  return view;
}
