/**
 * What every context shares: configuration, the store contract, the HTTP server with ProblemDetails, auth,
 * metrics and the SOL 013 conventions, and logging. The composition root (`application.ts`, `main.ts`) is
 * deliberately not exported: it imports the contexts, which import this file.
 */
export {
  ADMIN_TENANT,
  ConfigError,
  describeListenFailure,
  loadAgentConfig,
  loadConfig,
  parseSocketAddress,
  parseTokens,
  socketTarget,
  type AgentConfig,
  type ApiToken,
  type Config,
  type LogLevel,
  type SocketAddress,
} from './config.js';
export {
  badRequest,
  conflict,
  ignoringNotFound,
  notFound,
  pointerOf,
  preconditionFailed,
  ProblemError,
  unauthorized,
  type ProblemDetails,
  type RequestPart,
  type Violation,
} from './errors.js';
export { createLogger, type Logger } from './logger.js';
export type { PlatformServices, ProductModule } from './module.js';
export {
  StoreConflictError,
  type CollectionSpec,
  type ConflictReason,
  type Entity,
  type IndexValue,
  type QueryOptions,
  type Repository,
  type Store,
  type Versioned,
  type Write,
} from './store/contract.js';
export { MongoStore } from './store/mongo.js';
export { EMBEDDED_STORE_FILE, openStore } from './store/open.js';
export { SqliteStore } from './store/sqlite.js';
export { tenantScope, type Principal } from './http/auth.js';
export { PROBLEM_CONTENT_TYPE, sendProblem } from './http/problems.js';
export {
  installNeutronErrors,
  neutronFaultOfStatus,
  neutronProblem,
  type GenericNeutronFault,
  type NeutronErrorBody,
} from './http/neutron.js';
export { createHttpServer, type HttpServerOptions } from './http/server.js';
export { onSuccessfulWrite } from './http/writes.js';
export {
  absoluteUri,
  apiVersionsOf,
  registerEtsiApi,
  replyAccepted,
  replyCreated,
  checkIfMatch,
  revisionFromIfMatch,
  setEntityTag,
  uriPrefixOf,
  type ApiVersions,
  type EtsiApi,
} from './sol013/etsi-api.js';
export { matchesFilter, parseFilter, FilterSyntaxError, type Filter, type FilterOperator, type FilterTerm } from './sol013/filter.js';
export { listPage, listQuerySchema, parseFilterParameter, parseSelectorParameters, type ListOptions, type ListQuery } from './sol013/listing.js';
export { parseSelector, selectAttributes, SelectorError, type AttributeSelector, type ResourceShape } from './sol013/selectors.js';
export {
  basicAuthorization,
  checkCallbackUri,
  DEFAULT_RETRY_POLICY,
  NOTIFICATION_DELIVERIES,
  NotificationOutbox,
  postNotification,
  testNotificationEndpoint,
  type BasicCredentials,
  type CallbackUriCheck,
  type DeliveryState,
  type EndpointOutcome,
  type NotificationDelivery,
  type OutboxEntry,
  type RetryPolicy,
} from './notifications/index.js';
export * from './operations/index.js';
export { derivedId } from './ids.js';
export { mergePatch } from './sol013/merge-patch.js';
export { keyValuePairsSchema } from './sol013/schemas.js';
export { changeStored } from './store/changes.js';
