import path from 'node:path';
import { makeTempDir, removeTempDir } from '../../support/tmp.js';
import { ADMIN, startNeutronServer, TENANT_A, TENANT_B, type NeutronServer } from './neutron-server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('Neutron networks and ports', () => {
  let dir: string;
  let server: NeutronServer;

  beforeAll(async () => {
    dir = makeTempDir('neutron');
    server = await startNeutronServer(path.join(dir, 'nfv.sqlite'));
  });
  afterAll(async () => {
    await server.close();
    removeTempDir(dir);
  });

  const createNetwork = async (network: Record<string, unknown> = {}, token = TENANT_A) => {
    const created = await server.call('POST', '/v2.0/networks', { network }, token);
    expect(created.status).toBe(201);
    return created.body.network as Record<string, any>;
  };
  const createPort = async (port: Record<string, unknown>, token = TENANT_A) => {
    const created = await server.call('POST', '/v2.0/ports', { port }, token);
    expect(created.status).toBe(201);
    return created.body.port as Record<string, any>;
  };

  describe('networks', () => {
    it('creates a network with Neutron attributes and a VLAN segment allocated from the default range', async () => {
      const network = await createNetwork({ name: 'left', admin_state_up: true });
      expect(network).toMatchObject({
        name: 'left',
        admin_state_up: true,
        status: 'ACTIVE',
        tenant_id: 'tenant-a',
        project_id: 'tenant-a',
        shared: false,
        subnets: [],
        mtu: 1500,
        port_security_enabled: true,
        'provider:network_type': 'vlan',
        'provider:physical_network': 'physnet1',
      });
      expect(network.id).toMatch(UUID);
      expect(network['provider:segmentation_id']).toBeGreaterThanOrEqual(100);
      expect(network['provider:segmentation_id']).toBeLessThanOrEqual(3999);
    });

    it('shows, updates and deletes a network (200, 200, 204, then 404 NetworkNotFound)', async () => {
      const network = await createNetwork({ name: 'to-change' });
      const shown = await server.call('GET', `/v2.0/networks/${network.id}`, undefined, TENANT_A);
      expect(shown.status).toBe(200);
      expect(shown.body.network).toEqual(network);

      const updated = await server.call('PUT', `/v2.0/networks/${network.id}`, { network: { name: 'changed', mtu: 9000 } }, TENANT_A);
      expect(updated.status).toBe(200);
      expect(updated.body.network).toMatchObject({ id: network.id, name: 'changed', mtu: 9000, 'provider:segmentation_id': network['provider:segmentation_id'] });

      expect((await server.call('DELETE', `/v2.0/networks/${network.id}`, undefined, TENANT_A)).status).toBe(204);
      const gone = await server.call('GET', `/v2.0/networks/${network.id}`, undefined, TENANT_A);
      expect(gone.status).toBe(404);
      expect(gone.body.NeutronError).toEqual({ type: 'NetworkNotFound', message: `Network ${network.id} could not be found.`, detail: '' });
      expect(gone.body).toMatchObject({ status: 404, title: 'Not Found' });
    });

    it('lets the admin give the segment; refuses a taken one, one out of range and unsupported types with a reason', async () => {
      const given = await createNetwork({ name: 'given', 'provider:network_type': 'vlan', 'provider:segmentation_id': 3001 }, ADMIN);
      expect(given).toMatchObject({ 'provider:segmentation_id': 3001, tenant_id: 'admin' });

      const taken = await server.call('POST', '/v2.0/networks', { network: { 'provider:segmentation_id': 3001 } }, ADMIN);
      expect(taken.status).toBe(409);
      expect(taken.body.NeutronError.type).toBe('VlanIdInUse');

      const outside = await server.call('POST', '/v2.0/networks', { network: { 'provider:segmentation_id': 4000 } }, ADMIN);
      expect(outside.status).toBe(400);
      expect(outside.body.NeutronError.type).toBe('InvalidInput');
      expect(outside.body.violations).toEqual([{ pointer: '/network/provider:segmentation_id', message: 'VLAN id 4000 is outside the range 100-3999', in: 'body' }]);

      const gre = await server.call('POST', '/v2.0/networks', { network: { 'provider:network_type': 'gre' } }, ADMIN);
      expect(gre.status).toBe(400);
      expect(gre.body.NeutronError.message).toContain("network type 'gre' is not supported");

      const vxlan = await server.call('POST', '/v2.0/networks', { network: { 'provider:network_type': 'vxlan' } }, ADMIN);
      expect(vxlan.status).toBe(400);
      expect(vxlan.body.NeutronError.message).toContain('no VNI range is configured');

      const flat = await createNetwork({ 'provider:network_type': 'flat' }, ADMIN);
      expect(flat).toMatchObject({ 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': null });
      const secondFlat = await server.call('POST', '/v2.0/networks', { network: { 'provider:network_type': 'flat' } }, ADMIN);
      expect(secondFlat.status).toBe(409);
      expect(secondFlat.body.NeutronError.type).toBe('FlatNetworkInUse');
      expect((await server.call('DELETE', `/v2.0/networks/${flat.id}`)).status).toBe(204);
      await createNetwork({ 'provider:network_type': 'flat' }, ADMIN);
    });

    it('frees a deleted network segment for the next network that asks for it', async () => {
      const first = await createNetwork({ 'provider:segmentation_id': 3002 }, ADMIN);
      expect((await server.call('DELETE', `/v2.0/networks/${first.id}`)).status).toBe(204);
      const again = await createNetwork({ 'provider:segmentation_id': 3002 }, ADMIN);
      expect(again['provider:segmentation_id']).toBe(3002);
    });

    it('refuses unknown attributes, wrong types and updates of the segment, with pointers', async () => {
      const refused = await server.call('POST', '/v2.0/networks', { network: { name: 7, colour: 'blue' }, extra: true }, TENANT_A);
      expect(refused.status).toBe(400);
      expect(refused.body.violations).toEqual(
        expect.arrayContaining([
          { pointer: '/extra', message: 'is not a known attribute', in: 'body' },
          { pointer: '/network/colour', message: 'is not a known attribute', in: 'body' },
          { pointer: '/network/name', message: 'must be string', in: 'body' },
        ]),
      );
      expect(refused.body.NeutronError.type).toBe('HTTPBadRequest');
      expect(refused.body.NeutronError.message).toContain('/network/colour is not a known attribute');

      const network = await createNetwork();
      const segmentUpdate = await server.call('PUT', `/v2.0/networks/${network.id}`, { network: { 'provider:segmentation_id': 200 } }, TENANT_A);
      expect(segmentUpdate.status).toBe(400);
      expect(segmentUpdate.body.violations).toEqual([{ pointer: '/network/provider:segmentation_id', message: 'is not a known attribute', in: 'body' }]);

      const notJson = await server.call('POST', '/v2.0/networks', '{"network": ', TENANT_A);
      expect(notJson.status).toBe(400);
      expect(notJson.body.NeutronError.type).toBe('HTTPBadRequest');
    });

    it('keeps provider attributes and other tenants to the admin', async () => {
      const provider = await server.call('POST', '/v2.0/networks', { network: { 'provider:segmentation_id': 3003 } }, TENANT_A);
      expect(provider.status).toBe(403);
      expect(provider.body.NeutronError.type).toBe('PolicyNotAuthorized');

      const forB = await server.call('POST', '/v2.0/networks', { network: { tenant_id: 'tenant-b' } }, TENANT_A);
      expect(forB.status).toBe(403);

      const shared = await server.call('POST', '/v2.0/networks', { network: { shared: true } }, TENANT_A);
      expect(shared.status).toBe(403);
      expect(shared.body.NeutronError.message).toBe('(rule:create_network:shared) is disallowed by policy.');
      const own = await createNetwork({}, TENANT_A);
      expect((await server.call('PUT', `/v2.0/networks/${own.id}`, { network: { shared: true } }, TENANT_A)).status).toBe(403);
      expect((await server.call('PUT', `/v2.0/networks/${own.id}`, { network: { shared: true } }, ADMIN)).body.network.shared).toBe(true);

      const mismatch = await server.call('POST', '/v2.0/networks', { network: { tenant_id: 'tenant-b', project_id: 'tenant-c' } }, ADMIN);
      expect(mismatch.status).toBe(400);
      expect(mismatch.body.violations[0].pointer).toBe('/network/project_id');

      const byAdmin = await createNetwork({ project_id: 'tenant-b', name: 'made-for-b' }, ADMIN);
      expect(byAdmin).toMatchObject({ tenant_id: 'tenant-b', project_id: 'tenant-b' });
      expect((await server.call('GET', `/v2.0/networks/${byAdmin.id}`, undefined, TENANT_B)).status).toBe(200);
    });

    it('scopes networks by tenant: own and shared are visible, others are 404, shared ones are read-only for others', async () => {
      const privateOfB = await createNetwork({ name: 'b-private' }, TENANT_B);
      const sharedOfB = await createNetwork({ name: 'b-shared', shared: true, tenant_id: 'tenant-b' }, ADMIN);

      const hidden = await server.call('GET', `/v2.0/networks/${privateOfB.id}`, undefined, TENANT_A);
      expect(hidden.status).toBe(404);
      expect((await server.call('PUT', `/v2.0/networks/${privateOfB.id}`, { network: { name: 'x' } }, TENANT_A)).status).toBe(404);
      expect((await server.call('DELETE', `/v2.0/networks/${privateOfB.id}`, undefined, TENANT_A)).status).toBe(404);

      expect((await server.call('GET', `/v2.0/networks/${sharedOfB.id}`, undefined, TENANT_A)).status).toBe(200);
      const update = await server.call('PUT', `/v2.0/networks/${sharedOfB.id}`, { network: { name: 'x' } }, TENANT_A);
      expect(update.status).toBe(403);

      const listOfA = (await server.call('GET', '/v2.0/networks', undefined, TENANT_A)).body.networks as Array<Record<string, any>>;
      expect(listOfA.every((network) => network.tenant_id === 'tenant-a' || network.shared === true)).toBe(true);
      expect(listOfA.map((network) => network.id)).toContain(sharedOfB.id);
      expect(listOfA.map((network) => network.id)).not.toContain(privateOfB.id);

      const listOfAdmin = (await server.call('GET', '/v2.0/networks')).body.networks as Array<Record<string, any>>;
      expect(listOfAdmin.map((network) => network.id)).toEqual(expect.arrayContaining([privateOfB.id, sharedOfB.id]));
    });

    it('filters lists by attribute (repeated keys are alternatives) and selects fields', async () => {
      const red = await createNetwork({ name: 'red' }, TENANT_B);
      const green = await createNetwork({ name: 'green', mtu: 9000 }, TENANT_B);
      await createNetwork({ name: 'blue' }, TENANT_B);

      const byName = await server.call('GET', '/v2.0/networks?name=red&name=green', undefined, TENANT_B);
      expect(byName.status).toBe(200);
      expect((byName.body.networks as Array<Record<string, any>>).map((network) => network.id).sort()).toEqual([red.id, green.id].sort());

      const both = await server.call('GET', '/v2.0/networks?name=red&name=green&mtu=9000', undefined, TENANT_B);
      expect(both.body.networks.map((network: Record<string, any>) => network.id)).toEqual([green.id]);

      const bySegment = await server.call('GET', `/v2.0/networks?provider:segmentation_id=${red['provider:segmentation_id']}&shared=False`);
      expect(bySegment.body.networks.map((network: Record<string, any>) => network.id)).toEqual([red.id]);

      const fields = await server.call('GET', '/v2.0/networks?name=red&fields=id&fields=name', undefined, TENANT_B);
      expect(fields.body.networks).toEqual([{ id: red.id, name: 'red' }]);
      const shownFields = await server.call('GET', `/v2.0/networks/${red.id}?fields=mtu`, undefined, TENANT_B);
      expect(shownFields.body).toEqual({ network: { mtu: 1500 } });

      const unknownFilter = await server.call('GET', '/v2.0/networks?colour=red', undefined, TENANT_B);
      expect(unknownFilter.status).toBe(400);
      expect(unknownFilter.body.violations).toEqual([{ pointer: '/colour', message: 'is not a known attribute', in: 'query' }]);
    });
  });

  describe('ports', () => {
    it('creates a port DOWN and unbound with a generated locally administered MAC; shows, updates and deletes it', async () => {
      const network = await createNetwork({ name: 'port-net' });
      const port = await createPort({ network_id: network.id, name: 'p1', fixed_ips: [{ ip_address: '10.0.0.5' }] });
      expect(port).toMatchObject({
        name: 'p1',
        network_id: network.id,
        tenant_id: 'tenant-a',
        project_id: 'tenant-a',
        admin_state_up: true,
        status: 'DOWN',
        fixed_ips: [{ ip_address: '10.0.0.5' }],
        device_id: '',
        device_owner: '',
        'binding:host_id': '',
        'binding:vif_type': 'unbound',
        'binding:vnic_type': 'normal',
        'binding:profile': {},
        security_groups: [],
        port_security_enabled: true,
      });
      expect(port.id).toMatch(UUID);
      expect(port.mac_address).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
      const firstOctet = parseInt((port.mac_address as string).slice(0, 2), 16);
      expect(firstOctet & 0x02).toBe(0x02);
      expect(firstOctet & 0x01).toBe(0);

      expect((await server.call('GET', `/v2.0/ports/${port.id}`, undefined, TENANT_A)).body.port).toEqual(port);
      const updated = await server.call(
        'PUT',
        `/v2.0/ports/${port.id}`,
        { port: { name: 'p1b', device_id: 'vm-1', device_owner: 'compute:nova', 'binding:vnic_type': 'direct', 'binding:profile': { pci_slot: '0000:81:00.2' } } },
        TENANT_A,
      );
      expect(updated.status).toBe(200);
      expect(updated.body.port).toMatchObject({ name: 'p1b', device_id: 'vm-1', 'binding:vnic_type': 'direct', 'binding:profile': { pci_slot: '0000:81:00.2' } });

      expect((await server.call('DELETE', `/v2.0/ports/${port.id}`, undefined, TENANT_A)).status).toBe(204);
      const gone = await server.call('GET', `/v2.0/ports/${port.id}`, undefined, TENANT_A);
      expect(gone.status).toBe(404);
      expect(gone.body.NeutronError.type).toBe('PortNotFound');
    });

    it('refuses a port on a missing or invisible network with NetworkNotFound', async () => {
      const missing = await server.call('POST', '/v2.0/ports', { port: { network_id: 'no-such-network' } }, TENANT_A);
      expect(missing.status).toBe(404);
      expect(missing.body.NeutronError.type).toBe('NetworkNotFound');

      const ofB = await createNetwork({}, TENANT_B);
      const invisible = await server.call('POST', '/v2.0/ports', { port: { network_id: ofB.id } }, TENANT_A);
      expect(invisible.status).toBe(404);

      const shared = await createNetwork({ shared: true, tenant_id: 'tenant-b' }, ADMIN);
      const onShared = await createPort({ network_id: shared.id }, TENANT_A);
      expect(onShared.tenant_id).toBe('tenant-a');
      expect((await server.call('GET', `/v2.0/ports/${onShared.id}`, undefined, TENANT_B)).status).toBe(404);
    });

    it('validates MAC and IP addresses and keeps them unique per network', async () => {
      const network = await createNetwork();
      const other = await createNetwork();
      const port = await createPort({ network_id: network.id, mac_address: 'FA-16-3E-00-00-01', fixed_ips: [{ ip_address: '2001:DB8:0:0::1' }] });
      expect(port.mac_address).toBe('fa:16:3e:00:00:01');
      expect(port.fixed_ips).toEqual([{ ip_address: '2001:db8::1' }]);

      const sameMac = await server.call('POST', '/v2.0/ports', { port: { network_id: network.id, mac_address: 'fa:16:3e:00:00:01' } }, TENANT_A);
      expect(sameMac.status).toBe(409);
      expect(sameMac.body.NeutronError.type).toBe('MacAddressInUse');
      const sameIp = await server.call('POST', '/v2.0/ports', { port: { network_id: network.id, fixed_ips: [{ ip_address: '2001:db8::1' }] } }, TENANT_A);
      expect(sameIp.status).toBe(409);
      expect(sameIp.body.NeutronError).toMatchObject({ type: 'IpAddressInUse', message: `Unable to complete operation for network ${network.id}. The IP address 2001:db8::1 is in use.` });

      await createPort({ network_id: other.id, mac_address: 'fa:16:3e:00:00:01', fixed_ips: [{ ip_address: '2001:db8::1' }] });

      const cases: Array<[Record<string, unknown>, string]> = [
        [{ mac_address: 'fa:16:3e:00:00' }, '/port/mac_address'],
        [{ mac_address: '01:00:5e:00:00:01' }, '/port/mac_address'],
        [{ mac_address: '00:00:00:00:00:00' }, '/port/mac_address'],
        [{ fixed_ips: [{ ip_address: '10.0.0.256' }] }, '/port/fixed_ips/0/ip_address'],
        [{ fixed_ips: [{ ip_address: '10.0.0.7' }, { ip_address: '10.0.0.7' }] }, '/port/fixed_ips/1/ip_address'],
        [{ fixed_ips: [{ ip_address: '10.0.0.8', subnet_id: 'some-subnet' }] }, '/port/fixed_ips/0/subnet_id'],
      ];
      for (const [attributes, pointer] of cases) {
        const refused = await server.call('POST', '/v2.0/ports', { port: { network_id: network.id, ...attributes } }, TENANT_A);
        expect(refused.status).toBe(400);
        expect(refused.body.NeutronError.type).toBe('InvalidInput');
        expect(refused.body.violations[0].pointer).toBe(pointer);
      }

      const second = await createPort({ network_id: network.id, fixed_ips: [{ ip_address: '10.0.0.9' }] });
      const clash = await server.call('PUT', `/v2.0/ports/${second.id}`, { port: { mac_address: 'fa:16:3e:00:00:01' } }, TENANT_A);
      expect(clash.status).toBe(409);
      expect(clash.body.NeutronError.type).toBe('MacAddressInUse');

      const moved = await server.call('PUT', `/v2.0/ports/${second.id}`, { port: { fixed_ips: [{ ip_address: '10.0.0.10' }] } }, TENANT_A);
      expect(moved.status).toBe(200);
      // The address the port gave up is free again, and the port's own new one is taken.
      await createPort({ network_id: network.id, fixed_ips: [{ ip_address: '10.0.0.9' }] });
      expect((await server.call('POST', '/v2.0/ports', { port: { network_id: network.id, fixed_ips: [{ ip_address: '10.0.0.10' }] } }, TENANT_A)).status).toBe(409);

      expect((await server.call('DELETE', `/v2.0/ports/${port.id}`, undefined, TENANT_A)).status).toBe(204);
      await createPort({ network_id: network.id, mac_address: 'fa:16:3e:00:00:01', fixed_ips: [{ ip_address: '2001:db8::1' }] });
    });

    it('refuses unknown port attributes, bad vnic types and security groups with pointers', async () => {
      const network = await createNetwork();
      const refused = await server.call(
        'POST',
        '/v2.0/ports',
        { port: { network_id: network.id, 'binding:vnic_type': 'fast', security_groups: ['default'], qos_policy_id: 'q' } },
        TENANT_A,
      );
      expect(refused.status).toBe(400);
      expect(refused.body.violations.map((violation: { pointer: string }) => violation.pointer).sort()).toEqual(
        ['/port/binding:vnic_type', '/port/qos_policy_id', '/port/security_groups'].sort(),
      );
      const noNetwork = await server.call('POST', '/v2.0/ports', { port: {} }, TENANT_A);
      expect(noNetwork.body.violations).toEqual([{ pointer: '/port/network_id', message: 'is required', in: 'body' }]);
    });

    it('filters ports by network, device, fixed IP and status, and selects fields', async () => {
      const network = await createNetwork({}, TENANT_B);
      const other = await createNetwork({}, TENANT_B);
      const first = await createPort({ network_id: network.id, device_id: 'vm-a', fixed_ips: [{ ip_address: '192.0.2.1' }] }, TENANT_B);
      const second = await createPort({ network_id: network.id, device_id: 'vm-b' }, TENANT_B);
      const third = await createPort({ network_id: other.id, device_id: 'vm-a' }, TENANT_B);

      const ids = async (query: string) =>
        ((await server.call('GET', `/v2.0/ports?${query}`, undefined, TENANT_B)).body.ports as Array<Record<string, any>>).map((port) => port.id).sort();
      expect(await ids(`network_id=${network.id}`)).toEqual([first.id, second.id].sort());
      expect(await ids(`network_id=${network.id}&network_id=${other.id}&device_id=vm-a`)).toEqual([first.id, third.id].sort());
      expect(await ids('fixed_ips=ip_address%3D192.0.2.1')).toEqual([first.id]);
      expect(await ids(`status=DOWN&network_id=${other.id}`)).toEqual([third.id]);
      expect(await ids(`status=ACTIVE&network_id=${other.id}`)).toEqual([]);

      const fields = await server.call('GET', `/v2.0/ports?device_id=vm-b&fields=id&fields=mac_address`, undefined, TENANT_B);
      expect(fields.body.ports).toEqual([{ id: second.id, mac_address: second.mac_address }]);

      const ofA = (await server.call('GET', `/v2.0/ports?network_id=${network.id}`, undefined, TENANT_A)).body.ports;
      expect(ofA).toEqual([]);
    });

    it('refuses to delete a network that still has ports (409 NetworkInUse) and deletes it once they are gone', async () => {
      const network = await createNetwork();
      const port = await createPort({ network_id: network.id });
      const inUse = await server.call('DELETE', `/v2.0/networks/${network.id}`, undefined, TENANT_A);
      expect(inUse.status).toBe(409);
      expect(inUse.body.NeutronError.type).toBe('NetworkInUse');
      expect(inUse.body).toMatchObject({ status: 409, type: 'https://nfv-mano.local/problems/network-in-use' });
      expect((await server.call('GET', `/v2.0/networks/${network.id}`, undefined, TENANT_A)).status).toBe(200);

      expect((await server.call('DELETE', `/v2.0/ports/${port.id}`, undefined, TENANT_A)).status).toBe(204);
      expect((await server.call('DELETE', `/v2.0/networks/${network.id}`, undefined, TENANT_A)).status).toBe(204);
    });

    it('lets the admin create a port for another tenant, but not a tenant', async () => {
      const network = await createNetwork({ shared: true }, ADMIN);
      const forB = await createPort({ network_id: network.id, tenant_id: 'tenant-b' }, ADMIN);
      expect(forB).toMatchObject({ tenant_id: 'tenant-b', project_id: 'tenant-b' });
      const refused = await server.call('POST', '/v2.0/ports', { port: { network_id: network.id, project_id: 'tenant-b' } }, TENANT_A);
      expect(refused.status).toBe(403);
    });

    it('marks a port bound (ACTIVE, host and OpenFlow port recorded) and unbound (DOWN), and reads it through the directory', async () => {
      const network = await createNetwork();
      const port = await createPort({ network_id: network.id });

      const bound = await server.networks.markBound(port.id, { hostId: 'compute-1', ofport: 7 });
      expect(bound).toMatchObject({ status: 'ACTIVE', binding: { hostId: 'compute-1', ofport: 7, vifType: 'ovs' } });
      const shown = (await server.call('GET', `/v2.0/ports/${port.id}`, undefined, TENANT_A)).body.port;
      expect(shown).toMatchObject({ status: 'ACTIVE', 'binding:host_id': 'compute-1', 'binding:vif_type': 'ovs', 'binding:vif_details': { ofport: 7 } });
      expect(shown.revision_number).toBe(port.revision_number + 1);

      expect(await server.networks.port(port.id, 'tenant-a')).toMatchObject({ id: port.id, macAddress: port.mac_address, binding: { ofport: 7 } });
      expect(await server.networks.port(port.id, 'tenant-b')).toBeUndefined();
      expect((await server.networks.portsOfNetwork(network.id)).map(({ id }) => id)).toEqual([port.id]);
      expect((await server.networks.network(network.id, 'tenant-a'))?.segment.segmentationId).toBe(network['provider:segmentation_id']);
      expect(await server.networks.network(network.id, 'tenant-b')).toBeUndefined();

      const adminDown = await server.call('PUT', `/v2.0/ports/${port.id}`, { port: { admin_state_up: false } }, TENANT_A);
      expect(adminDown.body.port).toMatchObject({ status: 'DOWN', 'binding:host_id': 'compute-1' });
      expect((await server.call('PUT', `/v2.0/ports/${port.id}`, { port: { admin_state_up: true } }, TENANT_A)).body.port.status).toBe('ACTIVE');

      const unbound = await server.networks.markUnbound(port.id);
      expect(unbound).toMatchObject({ status: 'DOWN', binding: { hostId: '', ofport: null, vifType: 'unbound' } });
      expect((await server.call('GET', `/v2.0/ports/${port.id}?fields=status`, undefined, TENANT_A)).body).toEqual({ port: { status: 'DOWN' } });

      expect(await server.networks.markBound('no-such-port', { hostId: 'compute-1', ofport: 1 })).toBeUndefined();
    });

    it('lands in the OpenAPI document', async () => {
      const document = JSON.parse((await server.app.inject({ method: 'GET', url: '/docs/json' })).body) as { paths: Record<string, Record<string, unknown>> };
      expect(Object.keys(document.paths['/v2.0/networks/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
      expect(Object.keys(document.paths['/v2.0/ports'] ?? {}).sort()).toEqual(['get', 'post']);
    });

    it('answers 401 with a NeutronError without a valid token', async () => {
      const refused = await server.call('GET', '/v2.0/ports', undefined, 'not-a-token');
      expect(refused.status).toBe(401);
      expect(refused.body.NeutronError.type).toBe('HTTPUnauthorized');
    });
  });
});
