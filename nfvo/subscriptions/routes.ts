import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  absoluteUri,
  badRequest,
  basicAuthorization,
  checkCallbackUri,
  listPage,
  listQuerySchema,
  notFound,
  ProblemError,
  replyCreated,
  tenantScope,
  testNotificationEndpoint,
  type Store,
  type Versioned,
} from '../../platform/index.js';
import { idParamsSchema, operationalStateSchema, usageStateSchema } from '../schemas.js';
import { PKGM_NOTIFICATION_TYPES, PKGM_SUBSCRIPTIONS_PATH, pkgmSubscriptionOf, type PkgmSubscriptionRequest, type StoredPkgmSubscription } from './model.js';
import type { PackageNotifications } from './notifications.js';

const stringArray = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** SOL 005 clause 9.5.3.2 PkgmNotificationsFilter. */
const pkgmNotificationsFilterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    notificationTypes: { type: 'array', items: { type: 'string', enum: PKGM_NOTIFICATION_TYPES } },
    vnfProductsFromProviders: {
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
                    properties: { vnfSoftwareVersion: { type: 'string' }, vnfdVersions: stringArray },
                  },
                },
              },
            },
          },
        },
      },
    },
    vnfdId: stringArray,
    vnfPkgId: stringArray,
    operationalState: { type: 'array', items: operationalStateSchema },
    usageState: { type: 'array', items: usageStateSchema },
  },
} as const;

/** SOL 013 clause 8.3.4 SubscriptionAuthentication. */
const subscriptionAuthenticationSchema = {
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

/** SOL 005 clause 9.5.2.7 PkgmSubscriptionRequest. */
const pkgmSubscriptionRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['callbackUri'],
  properties: { filter: pkgmNotificationsFilterSchema, callbackUri: { type: 'string', minLength: 1 }, authentication: subscriptionAuthenticationSchema },
} as const;

export const ENDPOINT_TEST_TIMEOUT_MS = 5000;

const TAGS = ['vnfpkgm'];

/** JSON with object members in key order, so that equal filters compare equal as text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function authorizationOf(request: PkgmSubscriptionRequest): string | undefined {
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

/** SOL 005 clause 9.4.8 and 9.4.9: subscriptions to VNF package notifications. */
export function pkgmSubscriptionRoutes(store: Store, notifications: PackageNotifications, pageSize: number) {
  const subscriptions = notifications.subscriptions;
  const apiRootOf = (request: FastifyRequest): string => absoluteUri(request, '');

  async function subscriptionOf(request: FastifyRequest, subscriptionId: string): Promise<Versioned<StoredPkgmSubscription>> {
    const found = await subscriptions.get(subscriptionId, tenantScope(request.principal));
    if (!found) throw notFound(`No subscription ${subscriptionId}.`);
    return found;
  }

  return async (scope: FastifyInstance): Promise<void> => {
    const params = idParamsSchema('subscriptionId');

    scope.post<{ Body: PkgmSubscriptionRequest }>(
      '/subscriptions',
      { schema: { tags: TAGS, summary: 'Subscribe to VNF package notifications', body: pkgmSubscriptionRequestSchema } },
      async (request, reply) => {
        const body = request.body;
        const checked = checkCallbackUri(body.callbackUri);
        if (!checked.ok) {
          throw badRequest(`The callbackUri ${checked.reason}.`, [{ pointer: '/callbackUri', message: checked.reason, in: 'body' }]);
        }
        const authorization = authorizationOf(body);
        const tenantId = request.principal.tenantId;
        const filterText = canonicalJson(body.filter ?? {});
        const existing = (await subscriptions.query({ tenantId })).find(
          ({ value }) => value.callbackUri === body.callbackUri && canonicalJson(value.filter ?? {}) === filterText,
        );
        if (existing) {
          // SOL 005 clause 9.4.8.3.1: the same callback and filter again is answered with the existing subscription.
          return reply.code(303).header('Location', absoluteUri(request, `${PKGM_SUBSCRIPTIONS_PATH}/${existing.value.id}`)).send();
        }
        const tested = await testNotificationEndpoint(body.callbackUri, authorization, ENDPOINT_TEST_TIMEOUT_MS);
        if (!tested.ok) {
          throw new ProblemError(422, `The notification endpoint did not pass the test (a GET must answer 204 No Content): ${tested.reason}.`, {
            type: 'notification-endpoint-test-failed',
          });
        }
        const subscription: StoredPkgmSubscription = {
          id: crypto.randomUUID(),
          tenantId,
          callbackUri: body.callbackUri,
          apiRoot: apiRootOf(request),
          createdAt: new Date().toISOString(),
        };
        if (body.filter !== undefined) subscription.filter = body.filter;
        if (authorization !== undefined) subscription.authorization = authorization;
        await subscriptions.insert(subscription);
        return replyCreated(request, reply, `${PKGM_SUBSCRIPTIONS_PATH}/${subscription.id}`, pkgmSubscriptionOf(subscription, apiRootOf(request)));
      },
    );

    scope.get('/subscriptions', { schema: { tags: TAGS, summary: 'Query subscriptions', querystring: listQuerySchema } }, async (request, reply) =>
      listPage({
        request,
        reply,
        repository: subscriptions,
        tenantId: tenantScope(request.principal),
        view: (subscription: StoredPkgmSubscription) => pkgmSubscriptionOf(subscription, apiRootOf(request)),
        shape: { defaultExcluded: [] },
        pageSize,
      }),
    );

    scope.get<{ Params: { subscriptionId: string } }>(
      '/subscriptions/:subscriptionId',
      { schema: { tags: TAGS, summary: 'Read a subscription', params } },
      async (request) => pkgmSubscriptionOf((await subscriptionOf(request, request.params.subscriptionId)).value, apiRootOf(request)),
    );

    scope.delete<{ Params: { subscriptionId: string } }>(
      '/subscriptions/:subscriptionId',
      { schema: { tags: TAGS, summary: 'Terminate a subscription', params } },
      async (request, reply) => {
        const { value, revision } = await subscriptionOf(request, request.params.subscriptionId);
        await store.commit([subscriptions.deleteWrite(value.id, revision), ...(await notifications.outbox.discard(value.id))]);
        return reply.code(204).send();
      },
    );
  };
}
