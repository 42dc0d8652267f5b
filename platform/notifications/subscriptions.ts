/**
 * SOL 013 subscriptions, whatever the API: the request's callbackUri and authentication, creation after a test
 * call to the notification endpoint, duplicate detection, and the list, read and delete routes of
 * `{apiRoot}/{apiName}/{apiVersion}/subscriptions`. Each API brings its filter (schema and matcher) and the
 * notifications it sends.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ADMIN_TENANT } from '../config.js';
import { badRequest, notFound, ProblemError, type Violation } from '../errors.js';
import { tenantScope } from '../http/auth.js';
import { absoluteUri, replyCreated } from '../sol013/etsi-api.js';
import { listPage, listQuerySchema } from '../sol013/listing.js';
import type { Entity, Repository, Store, Versioned } from '../store/contract.js';
import { basicAuthorization, checkCallbackUri, testNotificationEndpoint } from './callback.js';
import type { NotificationOutbox, OutboxEntry } from './outbox.js';

/** SOL 013 clause 8.3.4 SubscriptionAuthentication; only BASIC is offered. */
export interface SubscriptionAuthentication {
  authType: Array<'BASIC' | 'OAUTH2_CLIENT_CREDENTIALS' | 'TLS_CERT'>;
  paramsBasic?: { userName?: string; password?: string };
  paramsOauth2ClientCredentials?: { clientId?: string; clientPassword?: string; tokenEndpoint?: string };
}

/** What a subscription request carries, with the API's filter type. */
export interface SubscriptionRequest<Filter> {
  filter?: Filter;
  callbackUri: string;
  authentication?: SubscriptionAuthentication;
}

/** A subscription as stored. */
export interface StoredSubscription<Filter> extends Entity {
  filter?: Filter;
  callbackUri: string;
  /** The `Authorization` header value for notifications, when the subscriber asked for BASIC. */
  authorization?: string;
  /** Scheme and authority the subscriber reached this server by; the links in notifications use it. */
  apiRoot: string;
  createdAt: string;
}

/** The subscription resource every API shows (PkgmSubscription, LccnSubscription, ...). */
export interface SubscriptionView<Filter> {
  id: string;
  filter?: Filter;
  callbackUri: string;
  _links: { self: { href: string } };
}

export const ENDPOINT_TEST_TIMEOUT_MS = 5000;

export const stringArraySchema = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** SOL 013 clause 8.3.4 SubscriptionAuthentication. */
export const subscriptionAuthenticationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['authType'],
  properties: {
    authType: { type: 'array', minItems: 1, items: { type: 'string', enum: ['BASIC', 'OAUTH2_CLIENT_CREDENTIALS', 'TLS_CERT'] } },
    paramsBasic: {
      type: 'object',
      additionalProperties: false,
      properties: { userName: { type: 'string', minLength: 1, maxLength: 255 }, password: { type: 'string', maxLength: 255 } },
    },
    paramsOauth2ClientCredentials: {
      type: 'object',
      additionalProperties: false,
      properties: { clientId: { type: 'string' }, clientPassword: { type: 'string' }, tokenEndpoint: { type: 'string' } },
    },
  },
} as const;

/** A subscription request's schema around the API's filter schema. */
export function subscriptionRequestSchema(filterSchema: object): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['callbackUri'],
    properties: { filter: filterSchema, callbackUri: { type: 'string', minLength: 1 }, authentication: subscriptionAuthenticationSchema },
  };
}

/** SOL 003 / SOL 005 vnfProductsFromProviders (in PkgmNotificationsFilter and VnfInstanceSubscriptionFilter). */
export type VnfProductsFromProviders = Array<{
  vnfProvider: string;
  vnfProducts?: Array<{ vnfProductName: string; versions?: Array<{ vnfSoftwareVersion: string; vnfdVersions?: string[] }> }>;
}>;

export const vnfProductsFromProvidersSchema = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['vnfProvider'],
    properties: {
      vnfProvider: { type: 'string' },
      vnfProducts: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['vnfProductName'],
          properties: {
            vnfProductName: { type: 'string' },
            versions: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['vnfSoftwareVersion'],
                properties: { vnfSoftwareVersion: { type: 'string' }, vnfdVersions: stringArraySchema },
              },
            },
          },
        },
      },
    },
  },
} as const;

/** An array attribute of a filter: absent or empty matches anything, otherwise any one value must match. */
export function matchesAny<T>(wanted: readonly T[] | undefined, actual: T | undefined): boolean {
  return wanted === undefined || wanted.length === 0 || (actual !== undefined && wanted.includes(actual));
}

export interface VnfProductFacts {
  vnfProvider?: string | undefined;
  vnfProductName?: string | undefined;
  vnfSoftwareVersion?: string | undefined;
  vnfdVersion?: string | undefined;
}

export function matchesVnfProducts(filter: VnfProductsFromProviders | undefined, facts: VnfProductFacts): boolean {
  if (filter === undefined || filter.length === 0) return true;
  return filter.some(
    (provider) =>
      provider.vnfProvider === facts.vnfProvider &&
      (provider.vnfProducts === undefined ||
        provider.vnfProducts.length === 0 ||
        provider.vnfProducts.some(
          (product) =>
            product.vnfProductName === facts.vnfProductName &&
            (product.versions === undefined ||
              product.versions.length === 0 ||
              product.versions.some((version) => version.vnfSoftwareVersion === facts.vnfSoftwareVersion && matchesAny(version.vnfdVersions, facts.vnfdVersion))),
        )),
  );
}

export function subscriptionView<Filter>(subscription: StoredSubscription<Filter>, apiRoot: string, path: string): SubscriptionView<Filter> {
  const view: SubscriptionView<Filter> = {
    id: subscription.id,
    callbackUri: subscription.callbackUri,
    _links: { self: { href: `${apiRoot}${path}/${subscription.id}` } },
  };
  if (subscription.filter !== undefined) view.filter = subscription.filter;
  return view;
}

/** The subscriptions a resource of `tenantId` notifies: the tenant's own and the admin tenant's. */
export async function subscriptionsNotifiedFor<Filter>(
  repository: Repository<StoredSubscription<Filter>>,
  tenantId: string,
): Promise<Array<StoredSubscription<Filter>>> {
  const tenants = tenantId === ADMIN_TENANT ? [ADMIN_TENANT] : [tenantId, ADMIN_TENANT];
  return (await Promise.all(tenants.map((tenant) => repository.query({ tenantId: tenant })))).flat().map(({ value }) => value);
}

/** The outbox entry of one notification to one subscription. */
export function outboxEntryFor(subscription: StoredSubscription<unknown>, notification: Record<string, unknown>): OutboxEntry {
  return {
    subscriptionId: subscription.id,
    tenantId: subscription.tenantId,
    callbackUri: subscription.callbackUri,
    authorization: subscription.authorization,
    notification,
  };
}

/** JSON with object members in key order, so that equal filters compare equal as text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function authorizationOf(request: SubscriptionRequest<unknown>): string | undefined {
  const authentication = request.authentication;
  if (authentication === undefined) return undefined;
  if (!authentication.authType.includes('BASIC')) {
    throw new ProblemError(422, `Notifications can be authenticated with BASIC only, not ${authentication.authType.join(', ')}.`);
  }
  const basic = authentication.paramsBasic;
  if (basic?.userName === undefined || basic.password === undefined) {
    throw badRequest('BASIC authentication needs paramsBasic with userName and password.', [
      { pointer: '/authentication/paramsBasic', message: 'needs userName and password for BASIC', in: 'body' },
    ]);
  }
  return basicAuthorization({ userName: basic.userName, password: basic.password });
}

export interface SubscriptionRoutesOptions<Filter> {
  store: Store;
  subscriptions: Repository<StoredSubscription<Filter>>;
  /** Pending deliveries of a deleted subscription are dropped from it. */
  outbox: NotificationOutbox;
  /** The collection's path from the server root, e.g. `/vnflcm/v1/subscriptions`; the routes are `/subscriptions` in the API's scope. */
  path: string;
  tags: string[];
  /** What the subscriptions are to, for the OpenAPI summaries, e.g. `VNF package notifications`. */
  notifications: string;
  filterSchema: object;
  /** Checks the schema cannot express; violations point into the request body. */
  checkFilter?: (filter: Filter) => Violation[];
  pageSize: number;
}

/**
 * SOL 013 clause 5.9 (subscriptions): POST creates one after the notification endpoint answered a GET with
 * 204 (422 otherwise), or answers 303 with the existing one for the same callback and filter; GET lists (with
 * SOL 013 filters and paging) or reads one; DELETE ends one with its pending deliveries. Tenants see their own.
 */
export function subscriptionRoutes<Filter>(options: SubscriptionRoutesOptions<Filter>) {
  const { store, subscriptions, outbox, path, tags } = options;
  const requestSchema = subscriptionRequestSchema(options.filterSchema);
  const apiRootOf = (request: FastifyRequest): string => absoluteUri(request, '');
  const viewOf = (request: FastifyRequest) => (subscription: StoredSubscription<Filter>) => subscriptionView(subscription, apiRootOf(request), path);
  const params = {
    type: 'object',
    required: ['subscriptionId'],
    properties: { subscriptionId: { type: 'string', minLength: 1, maxLength: 255 } },
  } as const;

  async function subscriptionOf(request: FastifyRequest, subscriptionId: string): Promise<Versioned<StoredSubscription<Filter>>> {
    const found = await subscriptions.get(subscriptionId, tenantScope(request.principal));
    if (!found) throw notFound(`No subscription ${subscriptionId}.`);
    return found;
  }

  return async (scope: FastifyInstance): Promise<void> => {
    scope.post<{ Body: SubscriptionRequest<Filter> }>(
      '/subscriptions',
      { schema: { tags, summary: `Subscribe to ${options.notifications}`, body: requestSchema } },
      async (request, reply) => {
        const body = request.body;
        const checked = checkCallbackUri(body.callbackUri);
        if (!checked.ok) {
          throw badRequest(`The callbackUri ${checked.reason}.`, [{ pointer: '/callbackUri', message: checked.reason, in: 'body' }]);
        }
        if (body.filter !== undefined && options.checkFilter) {
          const violations = options.checkFilter(body.filter);
          if (violations.length > 0) throw badRequest(`The filter is not valid: ${violations.map((item) => `${item.pointer} ${item.message}`).join('; ')}.`, violations);
        }
        const authorization = authorizationOf(body);
        const tenantId = request.principal.tenantId;
        const filterText = canonicalJson(body.filter ?? {});
        const existing = (await subscriptions.query({ tenantId })).find(
          ({ value }) => value.callbackUri === body.callbackUri && canonicalJson(value.filter ?? {}) === filterText,
        );
        if (existing) {
          // SOL 005 clause 9.4.8.3.1 / SOL 003 clause 5.4.18.3.1: the same callback and filter again is answered with the existing subscription.
          return reply.code(303).header('Location', absoluteUri(request, `${path}/${existing.value.id}`)).send();
        }
        const tested = await testNotificationEndpoint(body.callbackUri, authorization, ENDPOINT_TEST_TIMEOUT_MS);
        if (!tested.ok) {
          throw new ProblemError(422, `The notification endpoint did not pass the test (a GET must answer 204 No Content): ${tested.reason}.`, {
            type: 'notification-endpoint-test-failed',
          });
        }
        const subscription: StoredSubscription<Filter> = {
          id: crypto.randomUUID(),
          tenantId,
          callbackUri: body.callbackUri,
          apiRoot: apiRootOf(request),
          createdAt: new Date().toISOString(),
        };
        if (body.filter !== undefined) subscription.filter = body.filter;
        if (authorization !== undefined) subscription.authorization = authorization;
        await subscriptions.insert(subscription);
        return replyCreated(request, reply, `${path}/${subscription.id}`, viewOf(request)(subscription));
      },
    );

    scope.get('/subscriptions', { schema: { tags, summary: 'Query subscriptions', querystring: listQuerySchema } }, async (request, reply) =>
      listPage({
        request,
        reply,
        repository: subscriptions,
        tenantId: tenantScope(request.principal),
        view: viewOf(request),
        shape: { defaultExcluded: [] },
        pageSize: options.pageSize,
      }),
    );

    scope.get<{ Params: { subscriptionId: string } }>(
      '/subscriptions/:subscriptionId',
      { schema: { tags, summary: 'Read a subscription', params } },
      async (request) => viewOf(request)((await subscriptionOf(request, request.params.subscriptionId)).value),
    );

    scope.delete<{ Params: { subscriptionId: string } }>(
      '/subscriptions/:subscriptionId',
      { schema: { tags, summary: 'Terminate a subscription', params } },
      async (request, reply) => {
        const { value, revision } = await subscriptionOf(request, request.params.subscriptionId);
        await store.commit([subscriptions.deleteWrite(value.id, revision), ...(await outbox.discard(value.id))]);
        return reply.code(204).send();
      },
    );
  };
}
