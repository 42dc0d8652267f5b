/**
 * Notifications to subscribers, for every ETSI API that has subscriptions: the durable outbox and its dispatcher,
 * and the checks and calls on a subscriber's notification endpoint.
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
