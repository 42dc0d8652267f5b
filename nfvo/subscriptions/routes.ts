import type { Store } from '../../platform/index.js';
import { stringArraySchema, subscriptionRoutes, vnfProductsFromProvidersSchema } from '../../platform/notifications/subscriptions.js';
import { operationalStateSchema, usageStateSchema } from '../schemas.js';
import { PKGM_NOTIFICATION_TYPES, PKGM_SUBSCRIPTIONS_PATH } from './model.js';
import type { PackageNotifications } from './notifications.js';

/** SOL 005 clause 9.5.3.2 PkgmNotificationsFilter. */
const pkgmNotificationsFilterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    notificationTypes: { type: 'array', items: { type: 'string', enum: PKGM_NOTIFICATION_TYPES } },
    vnfProductsFromProviders: vnfProductsFromProvidersSchema,
    vnfdId: stringArraySchema,
    vnfPkgId: stringArraySchema,
    operationalState: { type: 'array', items: operationalStateSchema },
    usageState: { type: 'array', items: usageStateSchema },
  },
} as const;

/** SOL 005 clause 9.4.8 and 9.4.9: subscriptions to VNF package notifications. */
export function pkgmSubscriptionRoutes(store: Store, notifications: PackageNotifications, pageSize: number) {
  return subscriptionRoutes({
    store,
    subscriptions: notifications.subscriptions,
    outbox: notifications.outbox,
    path: PKGM_SUBSCRIPTIONS_PATH,
    tags: ['vnfpkgm'],
    notifications: 'VNF package notifications',
    filterSchema: pkgmNotificationsFilterSchema,
    pageSize,
  });
}
