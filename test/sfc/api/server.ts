import path from 'node:path';
import { expect } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { SqliteStore } from '../../../platform/index.js';
import { registerSfcApis, type SfcRepositories } from '../../../sfc/api/index.js';
import { registerNetworkApi } from '../../../vim/networks/index.js';
import { startInjectedServer, TENANT_A } from '../../support/injected-server.js';
import { makeTempDir, removeTempDir } from '../../support/tmp.js';

export { ADMIN, TENANT_A, TENANT_B } from '../../support/injected-server.js';

export interface SfcServer {
  app: FastifyInstance;
  repositories: SfcRepositories;
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, token?: string): Promise<{ status: number; body: Record<string, any> }>;
  /** A port of a fresh network owned by the token's tenant, on the given device. */
  port(deviceId?: string, token?: string): Promise<string>;
  close(): Promise<void>;
}

/** The VIM's Neutron API and the SFC APIs on one server, over a real SQLite store in a temp dir. */
export async function startSfcServer(): Promise<SfcServer> {
  const dir = makeTempDir('sfc-api');
  const store = new SqliteStore(path.join(dir, 'nfv.sqlite'));
  const server = await startInjectedServer(
    store,
    async (app) => registerSfcApis(app, { store, ports: await registerNetworkApi(app, { store }) }),
    TENANT_A,
  );
  const networks = new Map<string, string>();
  const { call } = server;
  return {
    app: server.app,
    repositories: server.registered,
    call,
    async port(deviceId = 'vm-1', token = TENANT_A) {
      let networkId = networks.get(token);
      if (networkId === undefined) {
        const created = await call('POST', '/v2.0/networks', { network: { name: 'sfc' } }, token);
        networkId = created.body.network.id as string;
        networks.set(token, networkId);
      }
      const created = await call('POST', '/v2.0/ports', { port: { network_id: networkId, device_id: deviceId } }, token);
      if (created.status !== 201) throw new Error(`port creation failed: ${JSON.stringify(created.body)}`);
      return created.body.port.id as string;
    },
    async close() {
      await server.close();
      removeTempDir(dir);
    },
  };
}

/** A refusal: the status, the ProblemDetails and the NeutronError member a Neutron client shows. */
export function expectRefusal(response: { status: number; body: Record<string, any> }, status: number, fault: string, pointer?: string): void {
  expect(response.status).toBe(status);
  expect(response.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), type: expect.stringContaining('https://') });
  expect(response.body.NeutronError).toMatchObject({ type: fault, message: expect.any(String) });
  if (pointer !== undefined) expect(response.body.violations).toEqual(expect.arrayContaining([expect.objectContaining({ pointer, in: 'body' })]));
}
