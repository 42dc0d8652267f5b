/** SOL 003 clause 5.4.18 and 5.4.19: subscriptions to VNF lifecycle change notifications. */
import type { Store } from '../../platform/index.js';
import { stringArraySchema, subscriptionRoutes, vnfProductsFromProvidersSchema } from '../../platform/notifications/subscriptions.js';
import { LCM_NOTIFICATION_TYPES, LCM_OPERATION_STATES, LCM_OPERATION_TYPES } from './model.js';
import { checkLccnFilter, type VnfLcmNotifications } from './notifications.js';

/** SOL 003 clause 4.4.1.5 VnfInstanceSubscriptionFilter. */
const vnfInstanceSubscriptionFilterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    vnfdIds: stringArraySchema,
    vnfProductsFromProviders: vnfProductsFromProvidersSchema,
    vnfInstanceIds: stringArraySchema,
    vnfInstanceNames: stringArraySchema,
  },
} as const;

/** SOL 003 clause 5.5.3.12 LifecycleChangeNotificationsFilter. */
const lifecycleChangeNotificationsFilterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    vnfInstanceSubscriptionFilter: vnfInstanceSubscriptionFilterSchema,
    notificationTypes: { type: 'array', items: { type: 'string', enum: LCM_NOTIFICATION_TYPES } },
    operationTypes: { type: 'array', items: { type: 'string', enum: LCM_OPERATION_TYPES } },
    operationStates: { type: 'array', items: { type: 'string', enum: LCM_OPERATION_STATES } },
  },
} as const;

export interface VnfLcmSubscriptionRoutesContext {
  store: Store;
  notifications: VnfLcmNotifications;
  pageSize: number;
}

/** The routes of `/vnflcm/v{major}/subscriptions` (the version of `notifications`), to register in that version's scope. */
export function registerVnfLcmSubscriptionRoutes({ store, notifications, pageSize }: VnfLcmSubscriptionRoutesContext) {
  return subscriptionRoutes({
    store,
    subscriptions: notifications.subscriptions,
    outbox: notifications.outbox,
    path: notifications.version.subscriptionsPath,
    tags: ['vnflcm'],
    notifications: 'VNF lifecycle change notifications',
    filterSchema: lifecycleChangeNotificationsFilterSchema,
    checkFilter: checkLccnFilter,
    pageSize,
  });
}
