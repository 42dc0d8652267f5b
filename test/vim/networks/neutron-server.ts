import { SqliteStore } from '../../../platform/index.js';
import { registerNetworkApi, type Networks, type SegmentRanges } from '../../../vim/networks/index.js';
import { startInjectedServer, type InjectedServer } from '../../support/injected-server.js';

export { ADMIN, TENANT_A, TENANT_B } from '../../support/injected-server.js';

export type NeutronServer = Omit<InjectedServer<Networks>, 'registered'> & { store: SqliteStore; networks: Networks };

/** The platform's HTTP server with only the networks API, on its own connection to the store file. */
export async function startNeutronServer(file: string, segmentRanges?: SegmentRanges): Promise<NeutronServer> {
  const store = new SqliteStore(file);
  const server = await startInjectedServer(store, (app) => registerNetworkApi(app, { store, ...(segmentRanges ? { segmentRanges } : {}) }));
  return { ...server, store, networks: server.registered };
}
