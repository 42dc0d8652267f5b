import type { Store } from '../../../platform/index.js';
import { stringArraySchema, subscriptionRoutes } from '../../../platform/notifications/subscriptions.js';
import {
  LCM_OP_NAMES_FOR_CHANGE_NOTIFICATION,
  LCM_OP_OCC_STATUSES_FOR_CHANGE_NOTIFICATION,
  NS_COMPONENT_TYPES,
  NS_LCM_NOTIFICATION_TYPES,
  NS_LCM_OPERATION_STATES,
  NS_LCM_OPERATION_TYPES,
  NS_LCM_SUBSCRIPTIONS_PATH,
} from './model.js';
import { checkNsLccnFilter, type NsLcmNotifications } from './notifications.js';

/** SOL 005 clause 4.4.1.5 NsInstanceSubscriptionFilter. */
const nsInstanceSubscriptionFilterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    nsdIds: stringArraySchema,
    vnfdIds: stringArraySchema,
    pnfdIds: stringArraySchema,
    nsInstanceIds: stringArraySchema,
    nsInstanceNames: stringArraySchema,
  },
} as const;

const enumArray = (values: readonly string[]) => ({ type: 'array', items: { type: 'string', enum: values } }) as const;

/** SOL 005 clause 6.5.3.8 LifecycleChangeNotificationsFilter. */
const lifecycleChangeNotificationsFilterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    nsInstanceSubscriptionFilter: nsInstanceSubscriptionFilterSchema,
    notificationTypes: enumArray(NS_LCM_NOTIFICATION_TYPES),
    operationTypes: enumArray(NS_LCM_OPERATION_TYPES),
    operationStates: enumArray(NS_LCM_OPERATION_STATES),
    nsComponentTypes: enumArray(NS_COMPONENT_TYPES),
    lcmOpNameImpactingNsComponent: enumArray(LCM_OP_NAMES_FOR_CHANGE_NOTIFICATION),
    lcmOpOccStatusImpactingNsComponent: enumArray(LCM_OP_OCC_STATUSES_FOR_CHANGE_NOTIFICATION),
  },
} as const;

export interface NsLcmSubscriptionRoutesContext {
  store: Store;
  notifications: NsLcmNotifications;
  pageSize: number;
}

/** SOL 005 clause 6.4.16 and 6.4.17: the routes of `/nslcm/v1/subscriptions`, to register in the nslcm API's scope. */
export function nsLcmSubscriptionRoutes({ store, notifications, pageSize }: NsLcmSubscriptionRoutesContext) {
  return subscriptionRoutes({
    store,
    subscriptions: notifications.subscriptions,
    outbox: notifications.outbox,
    path: NS_LCM_SUBSCRIPTIONS_PATH,
    tags: ['nslcm'],
    notifications: 'NS lifecycle change notifications',
    filterSchema: lifecycleChangeNotificationsFilterSchema,
    checkFilter: checkNsLccnFilter,
    pageSize,
  });
}
