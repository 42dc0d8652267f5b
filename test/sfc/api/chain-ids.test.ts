import { CHAIN_ID_MAX } from '../../../sfc/index.js';
import { expectRefusal, startSfcServer, type SfcServer } from './server.js';

/** Chain ids are what labels, cookies and VNIs carry: once all 4095 are taken, a new chain is refused. */
describe('chain id exhaustion', () => {
  let server: SfcServer;

  beforeAll(async () => {
    server = await startSfcServer();
    // Every chain id claimed, as 4095 chains would hold them (their claims are what allocation reads).
    const claims = Array.from({ length: CHAIN_ID_MAX }, (_, index) => server.repositories.chainIds.insertWrite({ id: String(index + 1), tenantId: 'tenant-a', holder: `chain-${index + 1}` }));
    await server.repositories.store.commit(claims);
  }, 120000);

  afterAll(async () => {
    await server?.close();
  });

  it('refuses a chain when no chain id is left, in both APIs, creating nothing', async () => {
    const [ingress, egress] = [await server.port('sf'), await server.port('sf')];
    expectRefusal(await server.call('POST', '/v2.0/ts/port_chains', { port_chain: { ports: { [ingress]: [egress] } } }), 409, 'PortChainUnavailableChainId');
    const pair = (await server.call('POST', '/v2.0/sfc/port_pairs', { port_pair: { ingress, egress } })).body.port_pair.id as string;
    const group = (await server.call('POST', '/v2.0/sfc/port_pair_groups', { port_pair_group: { port_pairs: [pair] } })).body.port_pair_group.id as string;
    expectRefusal(await server.call('POST', '/v2.0/sfc/port_chains', { port_chain: { port_pair_groups: [group] } }), 409, 'PortChainUnavailableChainId');
    expect((await server.call('GET', '/v2.0/sfc/port_chains')).body.port_chains).toEqual([]);
  });
});
