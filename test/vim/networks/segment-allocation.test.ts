import path from 'node:path';
import { makeTempDir, removeTempDir } from '../../support/tmp.js';
import { ADMIN, startNeutronServer, TENANT_A, type NeutronServer } from './neutron-server.js';

/**
 * Segments and addresses are claimed in the store, so the guarantees hold between connections (and so between
 * processes or replicas), not only inside one: each test runs two servers, each on its own connection to one file.
 */
describe('segment allocation and address claims across store connections', () => {
  let dir: string;
  let servers: NeutronServer[] = [];

  beforeEach(() => {
    dir = makeTempDir('segments');
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
    removeTempDir(dir);
  });

  const start = async (ranges?: Parameters<typeof startNeutronServer>[1]): Promise<[NeutronServer, NeutronServer]> => {
    const file = path.join(dir, 'nfv.sqlite');
    const first = await startNeutronServer(file, ranges);
    const second = await startNeutronServer(file, ranges);
    servers = [first, second];
    return [first, second];
  };

  it('gives 200 concurrent creates on two connections 200 distinct VLAN ids within the range', async () => {
    const [first, second] = await start();
    const created = await Promise.all(
      Array.from({ length: 200 }, (_, index) => (index % 2 === 0 ? first : second).call('POST', '/v2.0/networks', { network: { name: `n${index}` } }, TENANT_A)),
    );
    expect(created.map(({ status }) => status)).toEqual(Array(200).fill(201));
    const ids = created.map(({ body }) => body.network['provider:segmentation_id'] as number);
    expect(new Set(ids).size).toBe(200);
    expect(ids.every((id) => id >= 100 && id <= 3999)).toBe(true);
    expect((await first.call('GET', '/v2.0/networks?fields=id')).body.networks).toHaveLength(200);
  });

  it('answers 503 NoNetworkAvailable when the range is exhausted, even under concurrency, and allocates again once one is freed', async () => {
    const ranges = { vlan: { physicalNetwork: 'physnet1', min: 100, max: 104 } };
    const [first, second] = await start(ranges);
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, index) => (index % 2 === 0 ? first : second).call('POST', '/v2.0/networks', { network: {} }, TENANT_A)),
    );
    const won = created.filter(({ status }) => status === 201);
    const refused = created.filter(({ status }) => status !== 201);
    expect(won).toHaveLength(5);
    expect(won.map(({ body }) => body.network['provider:segmentation_id']).sort()).toEqual([100, 101, 102, 103, 104]);
    expect(refused).toHaveLength(7);
    for (const { status, body } of refused) {
      expect(status).toBe(503);
      expect(body.NeutronError).toEqual({ type: 'NoNetworkAvailable', message: 'Unable to create the network. No tenant network is available for allocation.', detail: '' });
    }

    const freed = won[2]?.body.network as Record<string, any>;
    expect((await second.call('DELETE', `/v2.0/networks/${freed.id}`, undefined, TENANT_A)).status).toBe(204);
    const again = await first.call('POST', '/v2.0/networks', { network: {} }, TENANT_A);
    expect(again.status).toBe(201);
    expect(again.body.network['provider:segmentation_id']).toBe(freed['provider:segmentation_id']);
  });

  it('allocates VNIs for vxlan networks when a VNI range is configured', async () => {
    const [first, second] = await start({ vlan: { physicalNetwork: 'physnet1', min: 100, max: 3999 }, vxlan: { min: 5000, max: 5009 } });
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, index) => (index % 2 === 0 ? first : second).call('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vxlan' } }, ADMIN)),
    );
    expect(created.map(({ body }) => body.network['provider:segmentation_id']).sort()).toEqual([5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007, 5008, 5009]);
    expect(created[0]?.body.network).toMatchObject({ 'provider:network_type': 'vxlan', 'provider:physical_network': null });
    const full = await first.call('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vxlan' } }, ADMIN);
    expect(full.status).toBe(503);
    const physical = await first.call('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vxlan', 'provider:physical_network': 'physnet1' } }, ADMIN);
    expect(physical.status).toBe(400);
  });

  it('lets exactly one of concurrent ports on two connections take the same MAC, and the same IP', async () => {
    const [first, second] = await start();
    const network = (await first.call('POST', '/v2.0/networks', { network: {} }, TENANT_A)).body.network as Record<string, any>;
    const sameMac = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        (index % 2 === 0 ? first : second).call('POST', '/v2.0/ports', { port: { network_id: network.id, mac_address: 'fa:16:3e:aa:bb:cc' } }, TENANT_A),
      ),
    );
    expect(sameMac.filter(({ status }) => status === 201)).toHaveLength(1);
    expect(sameMac.filter(({ status, body }) => status === 409 && body.NeutronError.type === 'MacAddressInUse')).toHaveLength(9);

    const sameIp = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        (index % 2 === 0 ? first : second).call('POST', '/v2.0/ports', { port: { network_id: network.id, fixed_ips: [{ ip_address: '10.1.0.1' }] } }, TENANT_A),
      ),
    );
    expect(sameIp.filter(({ status }) => status === 201)).toHaveLength(1);
    expect(sameIp.filter(({ status, body }) => status === 409 && body.NeutronError.type === 'IpAddressInUse')).toHaveLength(9);
  });

  it('never leaves a port on a deleted network when a port create races the network delete', async () => {
    const [first, second] = await start();
    for (let round = 0; round < 20; round += 1) {
      const network = (await first.call('POST', '/v2.0/networks', { network: {} }, TENANT_A)).body.network as Record<string, any>;
      const [port, deleted] = await Promise.all([
        first.call('POST', '/v2.0/ports', { port: { network_id: network.id } }, TENANT_A),
        second.call('DELETE', `/v2.0/networks/${network.id}`, undefined, TENANT_A),
      ]);
      if (port.status === 201) {
        expect(deleted.status).toBe(409);
      } else {
        expect([port.status, deleted.status]).toEqual([404, 204]);
      }
      const remaining = (await first.call('GET', `/v2.0/ports?network_id=${network.id}`)).body.ports as unknown[];
      const networkLeft = (await first.call('GET', `/v2.0/networks/${network.id}`)).status === 200;
      expect(remaining.length === 0 || networkLeft).toBe(true);
    }
  });
});
