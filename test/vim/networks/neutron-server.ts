import type { FastifyInstance } from 'fastify';
import { createHttpServer, createLogger, SqliteStore } from '../../../platform/index.js';
import { registerNetworkApi, type Networks, type SegmentRanges } from '../../../vim/networks/index.js';

export const ADMIN = 'net-admin-token';
export const TENANT_A = 'net-tenant-a-token';
export const TENANT_B = 'net-tenant-b-token';

export interface NeutronServer {
  app: FastifyInstance;
  store: SqliteStore;
  networks: Networks;
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, token?: string): Promise<{ status: number; body: Record<string, any> }>;
  close(): Promise<void>;
}

/** The platform's HTTP server with only the networks API, on its own connection to the store file. */
export async function startNeutronServer(file: string, segmentRanges?: SegmentRanges): Promise<NeutronServer> {
  const store = new SqliteStore(file);
  const app = await createHttpServer({
    logger: createLogger('silent'),
    tokens: [
      { token: ADMIN, tenantId: 'admin' },
      { token: TENANT_A, tenantId: 'tenant-a' },
      { token: TENANT_B, tenantId: 'tenant-b' },
    ],
    bodyLimitBytes: 64 * 1024,
    readiness: () => store.ping(),
    version: 'test',
  });
  const networks = await registerNetworkApi(app, { store, ...(segmentRanges ? { segmentRanges } : {}) });
  await app.ready();
  return {
    app,
    store,
    networks,
    async call(method, url, body, token = ADMIN) {
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
