/**
 * Notifications to subscribers, for every ETSI API that has subscriptions: the durable outbox and its dispatcher,
 * the checks and calls on a subscriber's notification endpoint, and the lifecycle notifications of operation
 * occurrences.
 */
export {
  basicAuthorization,
  checkCallbackUri,
  postNotification,
  testNotificationEndpoint,
  type BasicCredentials,
  type CallbackUriCheck,
  type EndpointOutcome,
} from './callback.js';
export {
  DEFAULT_RETRY_POLICY,
  NOTIFICATION_DELIVERIES,
  NotificationOutbox,
  type DeliveryState,
  type NotificationDelivery,
  type OutboxEntry,
  type RetryPolicy,
} from './outbox.js';
export {
  notificationWrites,
  OccurrenceNotifier,
  type LinkedResource,
  type NotifiedOccurrenceRecord,
  type OccurrenceFilterFacts,
  type OccurrenceInstanceLookup,
  type OccurrenceNotifierSetup,
  type OccurrenceNotifierTypes,
} from './occurrence-notifier.js';
