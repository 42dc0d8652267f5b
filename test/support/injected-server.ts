import type { FastifyInstance } from 'fastify';
import { createHttpServer, createLogger, type Store } from '../../platform/index.js';

/** Tokens of the servers this module starts: the admin tenant, tenant-a and tenant-b. */
export const ADMIN = 'api-admin-token';
export const TENANT_A = 'api-tenant-a-token';
export const TENANT_B = 'api-tenant-b-token';

export interface InjectedResponse {
  status: number;
  body: Record<string, any>;
}

export interface InjectedServer<Registered> {
  app: FastifyInstance;
  registered: Registered;
  /** A request through fastify's inject; a string body is sent as is (for malformed JSON), an object as JSON. */
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, token?: string): Promise<InjectedResponse>;
  close(): Promise<void>;
}

/** The platform's HTTP server with only the APIs `register` adds, over the given store, driven by inject. */
export async function startInjectedServer<Registered>(
  store: Store,
  register: (app: FastifyInstance) => Promise<Registered>,
  defaultToken = ADMIN,
): Promise<InjectedServer<Registered>> {
  const app = await createHttpServer({
    logger: createLogger('silent'),
    tokens: [
      { token: ADMIN, tenantId: 'admin' },
      { token: TENANT_A, tenantId: 'tenant-a' },
      { token: TENANT_B, tenantId: 'tenant-b' },
    ],
    bodyLimitBytes: 1024 * 1024,
    readiness: () => store.ping(),
    version: 'test',
  });
  const registered = await register(app);
  await app.ready();
  return {
    app,
    registered,
    async call(method, url, body, token = defaultToken) {
      const response = await app.inject({
        method,
        url,
        headers: { 'x-auth-token': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: response.body === '' ? {} : (JSON.parse(response.body) as Record<string, any>) };
    },
    async close() {
      await app.close();
      await store.close();
    },
  };
}
