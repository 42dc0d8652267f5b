import crypto from 'node:crypto';
import type { CollectionSpec, NotificationOutbox, Repository, Store, Write } from '../../platform/index.js';
import { matchesAny, matchesVnfProducts, outboxEntryFor, subscriptionsNotifiedFor } from '../../platform/notifications/subscriptions.js';
import { usageStateOf, VNF_PACKAGES_PATH, type VnfPackage } from '../packages/model.js';
import { PKGM_SUBSCRIPTIONS_PATH, type PackageChangeType, type PkgmNotificationsFilter, type PkgmNotificationType, type StoredPkgmSubscription } from './model.js';

export const PKGM_SUBSCRIPTIONS: CollectionSpec = { name: 'pkgm_subscriptions', indexes: [] };

/** What happened to a package, as SOL 005 clause 9.5.2 notifies it. */
export type PackageEvent =
  | { type: 'VnfPackageOnboardingNotification' }
  | { type: 'VnfPackageChangeNotification'; changeType: PackageChangeType };

/** SOL 005: every attribute present must match (and), any value of an array attribute may match (or). */
export function filterMatches(filter: PkgmNotificationsFilter | undefined, type: PkgmNotificationType, pkg: VnfPackage): boolean {
  if (filter === undefined) return true;
  return (
    matchesAny(filter.notificationTypes, type) &&
    matchesAny(filter.vnfdId, pkg.vnfdId) &&
    matchesAny(filter.vnfPkgId, pkg.id) &&
    matchesAny(filter.operationalState, pkg.operationalState) &&
    matchesAny(filter.usageState, usageStateOf(pkg)) &&
    matchesVnfProducts(filter.vnfProductsFromProviders, pkg)
  );
}

/**
 * Builds the VNF package notifications an event owes, for every matching subscription of the package's tenant
 * and of the admin tenant, as outbox writes to commit with the change itself.
 */
export class PackageNotifications {
  readonly subscriptions: Repository<StoredPkgmSubscription>;

  constructor(
    store: Store,
    readonly outbox: NotificationOutbox,
  ) {
    this.subscriptions = store.collection<StoredPkgmSubscription>(PKGM_SUBSCRIPTIONS);
  }

  /** `pkg` is the package as the event leaves it (for PKG_DELETE: as it was). */
  async writesFor(event: PackageEvent, pkg: VnfPackage): Promise<Write[]> {
    // The vnfdId is mandatory in both notifications: a package that never got one is of no interest to subscribers.
    if (pkg.vnfdId === undefined) return [];
    const matching = (await subscriptionsNotifiedFor(this.subscriptions, pkg.tenantId)).filter((subscription) => filterMatches(subscription.filter, event.type, pkg));
    if (matching.length === 0) return [];
    // One id for the notification whatever the number of subscriptions it goes to (SOL 005 clause 9.5.2.8).
    const id = crypto.randomUUID();
    const timeStamp = new Date().toISOString();
    return this.outbox.enqueue(
      matching.map((subscription) =>
        outboxEntryFor(subscription, {
          id,
          notificationType: event.type,
          subscriptionId: subscription.id,
          timeStamp,
          vnfPkgId: pkg.id,
          vnfdId: pkg.vnfdId,
          ...(event.type === 'VnfPackageChangeNotification'
            ? { changeType: event.changeType, ...(event.changeType === 'OP_STATE_CHANGE' ? { operationalState: pkg.operationalState } : {}) }
            : {}),
          _links: {
            vnfPackage: { href: `${subscription.apiRoot}${VNF_PACKAGES_PATH}/${pkg.id}` },
            subscription: { href: `${subscription.apiRoot}${PKGM_SUBSCRIPTIONS_PATH}/${subscription.id}` },
          },
        }),
      ),
    );
  }

  /** Call after committing writes from `writesFor`: the outbox sends them now. */
  dispatch(): void {
    this.outbox.wake();
  }
}
