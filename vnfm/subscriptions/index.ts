/** SOL 003 VNF lifecycle change subscriptions and notifications. */
export {
  IDENTIFIER_CREATION_NOTIFICATION,
  IDENTIFIER_DELETION_NOTIFICATION,
  LCM_NOTIFICATION_TYPES,
  lccnSubscriptionOf,
  OPERATION_OCCURRENCE_NOTIFICATION,
  VNF_LCM_SUBSCRIPTIONS,
  VNF_LCM_SUBSCRIPTIONS_PATH,
  VNF_LCM_V2_SUBSCRIPTIONS,
  type LccnSubscription,
  type LccnSubscriptionRequest,
  type LcmNotificationType,
  type LifecycleChangeNotificationsFilter,
  type StoredLccnSubscription,
  type VnfInstanceFacts,
  type VnfInstanceSubscriptionFilter,
} from './model.js';
export {
  checkLccnFilter,
  lccnFilterMatches,
  VNF_LCM_NOTIFICATIONS_CHANNEL,
  VNF_LCM_NOTIFIED_OCCURRENCES,
  VNF_LCM_V2_NOTIFIED_OCCURRENCES,
  VnfLcmNotifications,
  VnfLcmNotifiers,
  type InstanceLookup,
  type NotifiedOccurrence,
} from './notifications.js';
export { registerVnfLcmSubscriptionRoutes, type VnfLcmSubscriptionRoutesContext } from './routes.js';
