import { Interface, InterfaceAttachError, Port, RowNotFoundError, type OvsdbClient, type Vswitch } from '../../../sfc/ovsdb/index.js';
import type { OvsInstance } from '../../support/ovs.js';
import { TestSwitch } from './support.js';

/** `ovs-vsctl get` output without the quotes OVS puts around strings. */
const unquoted = (text: string): string => text.trim().replace(/^"(.*)"$/, '$1');

describe('bridges, ports and interfaces through our OVSDB client, on a real Open vSwitch', () => {
  let testSwitch: TestSwitch | undefined;
  let ovs: OvsInstance;
  let client: OvsdbClient;
  let vswitch: Vswitch;

  beforeAll(async () => {
    testSwitch = await TestSwitch.start('ovsdb');
    ({ ovs, client, vswitch } = testSwitch);
  });
  afterAll(() => testSwitch?.stop());

  it('creates a netdev bridge (secure fail mode, OpenFlow13, other_config) that ovs-vsctl and ovs-vswitchd see', async () => {
    const uuid = await vswitch.addBridge({
      name: 'br-sfc',
      datapath_type: 'netdev',
      fail_mode: 'secure',
      protocols: ['OpenFlow13'],
      other_config: { 'datapath-id': '00000000000000a1', 'disable-in-band': 'true' },
      external_ids: { owner: 'nfv-mano' },
    });

    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-sfc', '_uuid'))).toBe(uuid);
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-sfc', 'datapath_type'))).toBe('netdev');
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-sfc', 'fail_mode'))).toBe('secure');
    expect((await ovs.vsctl('get', 'Bridge', 'br-sfc', 'protocols')).trim()).toBe('[OpenFlow13]');
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-sfc', 'other_config:disable-in-band'))).toBe('true');
    expect(unquoted(await ovs.vsctl('br-get-external-id', 'br-sfc', 'owner'))).toBe('nfv-mano');
    const show = await ovs.vsctl('show');
    expect(show).toMatch(/Bridge br-sfc\n\s+fail_mode: secure\n\s+datapath_type: netdev\n\s+Port br-sfc\n\s+Interface br-sfc\n\s+type: internal/);
    // ovs-vswitchd acted on it: it reports the datapath id taken from other_config, and our monitor sees it.
    const datapathId = await client.waitFor('ovs-vswitchd to report the datapath id', () => vswitch.bridge('br-sfc')?.datapath_id, 10000);
    expect(datapathId).toBe('00000000000000a1');
    expect(unquoted(await ovs.vsctl('get', 'Bridge', 'br-sfc', 'datapath_id'))).toBe(datapathId);
    expect(vswitch.bridge('br-sfc')).toMatchObject({ _uuid: uuid, fail_mode: 'secure', protocols: ['OpenFlow13'] });
  });

  it('adds internal, system, patch, vxlan and dpdkvhostuserclient ports and reads the ofports OVS assigns', async () => {
    await ovs.namespace.exec('ip', ['link', 'add', 'vsys0', 'type', 'veth', 'peer', 'name', 'vsys0peer']);
    await vswitch.addPort('br-sfc', { name: 'p-int', type: 'internal' });
    await vswitch.addPort('br-sfc', { name: 'vsys0', type: 'system' });
    await vswitch.addPort('br-sfc', { name: 'patch-a', type: 'patch', options: { peer: 'patch-b' } });
    await vswitch.addPort('br-sfc', { name: 'patch-b', type: 'patch', options: { peer: 'patch-a' } });
    await vswitch.addPort('br-sfc', { name: 'vx0', type: 'vxlan', options: { remote_ip: '198.18.0.9', key: 'flow' } });
    await vswitch.addPort('br-sfc', { name: 'vhu0', type: 'dpdkvhostuserclient', options: { 'vhost-server-path': `${ovs.dir}/vhu0.sock` } });

    const ports = (await ovs.vsctl('list-ports', 'br-sfc')).trim().split('\n').sort();
    expect(ports).toEqual(['p-int', 'patch-a', 'patch-b', 'vhu0', 'vsys0', 'vx0']);
    const show = await ovs.vsctl('show');
    expect(show).toMatch(/Interface p-int\n\s+type: internal/);
    expect(show).toMatch(/Interface vsys0\n\s+type: system/);
    expect(show).toMatch(/Interface patch-a\n\s+type: patch\n\s+options: \{peer=patch-b\}/);
    expect(show).toMatch(/Interface vx0\n\s+type: vxlan\n\s+options: \{key=flow, remote_ip="198.18.0.9"\}/);
    expect(show).toMatch(/Interface vhu0\n\s+type: dpdkvhostuserclient\n\s+options: \{vhost-server-path="[^"]+vhu0.sock"\}/);

    const ofports = new Map<string, number>();
    for (const name of ['p-int', 'vsys0', 'patch-a', 'patch-b', 'vx0']) {
      const ofport = await vswitch.ofport(name);
      expect(ofport).toBeGreaterThan(0);
      expect(Number(await ovs.vsctl('get', 'Interface', name, 'ofport'))).toBe(ofport);
      ofports.set(name, ofport);
    }
    expect(new Set(ofports.values()).size).toBe(5);

    // Without DPDK in ovs-vswitchd the row exists but OVS cannot open the device: ofport -1 and an error,
    // which our wait reports rather than waiting out its timeout.
    const dpdk = unquoted(await ovs.vsctl('get', 'Open_vSwitch', '.', 'dpdk_initialized'));
    if (dpdk === 'false') {
      const failure = await vswitch.ofport('vhu0').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(InterfaceAttachError);
      const reported = unquoted(await ovs.vsctl('get', 'Interface', 'vhu0', 'error'));
      expect(reported).toMatch(/could not open network device vhu0/);
      expect((failure as InterfaceAttachError).reason).toBe(reported);
      expect(show).toContain(`error: "${reported}"`);
      expect(vswitch.interface('vhu0')).toMatchObject({ type: 'dpdkvhostuserclient', ofport: -1 });
    } else {
      expect(await vswitch.ofport('vhu0')).toBeGreaterThan(0);
    }
  });

  it('sets a VLAN tag, trunks, the iface-id external id and an MTU, which ovs-vsctl reads back', async () => {
    await vswitch.setExternalIds(Interface, 'p-int', { 'attached-mac': '02:00:00:00:00:01' });
    await vswitch.updatePort('p-int', { tag: 101 });
    await vswitch.updatePort('vsys0', { trunks: [30, 10, 20], vlan_mode: 'trunk' });
    await vswitch.setExternalIds(Interface, 'p-int', { 'iface-id': 'vnf-fw-cp0', 'vm-uuid': '6f3a1d2e-0c4b-4a5e-9d7f-1b2c3d4e5f60' });

    expect((await ovs.vsctl('get', 'Port', 'p-int', 'tag')).trim()).toBe('101');
    expect((await ovs.vsctl('get', 'Port', 'vsys0', 'trunks')).trim()).toBe('[10, 20, 30]');
    expect(unquoted(await ovs.vsctl('get', 'Port', 'vsys0', 'vlan_mode'))).toBe('trunk');
    expect(unquoted(await ovs.vsctl('get', 'Interface', 'p-int', 'external_ids:iface-id'))).toBe('vnf-fw-cp0');
    // Setting some keys leaves the others.
    expect(unquoted(await ovs.vsctl('get', 'Interface', 'p-int', 'external_ids:attached-mac'))).toBe('02:00:00:00:00:01');
    // The cache already shows our own change when the transaction resolves.
    expect(vswitch.port('p-int')?.tag).toBe(101);
    expect(vswitch.interface('p-int')?.external_ids.get('iface-id')).toBe('vnf-fw-cp0');

    await vswitch.updateInterface('patch-a', { mtu_request: 1450, options: { peer: 'patch-b' } });
    expect((await ovs.vsctl('get', 'Interface', 'patch-a', 'mtu_request')).trim()).toBe('1450');

    await vswitch.updatePort('p-int', { tag: undefined });
    expect((await ovs.vsctl('get', 'Port', 'p-int', 'tag')).trim()).toBe('[]');
    expect(vswitch.port('p-int')?.tag).toBeUndefined();
  });

  it('sets the controller of a bridge: target and connection mode', async () => {
    await vswitch.setControllers('br-sfc', [{ target: 'tcp:127.0.0.1:6653', connection_mode: 'out-of-band', inactivity_probe: 5000 }]);
    expect((await ovs.vsctl('get-controller', 'br-sfc')).trim()).toBe('tcp:127.0.0.1:6653');
    expect(unquoted(await ovs.vsctl('get', 'Controller', 'br-sfc', 'connection_mode'))).toBe('out-of-band');
    await vswitch.setControllers('br-sfc', [{ target: 'unix:/nonexistent/controller.sock' }]);
    expect((await ovs.vsctl('get-controller', 'br-sfc')).trim()).toBe('unix:/nonexistent/controller.sock');
    // The replaced Controller row was collected: nothing references it.
    expect((await ovs.vsctl('--bare', '--columns=target', 'list', 'Controller')).trim()).toBe('unix:/nonexistent/controller.sock');
  });

  it('deletes a port by taking it out of Bridge.ports; OVSDB collects its Port and Interface rows', async () => {
    const port = vswitch.port('vx0');
    expect(port).toBeDefined();
    await vswitch.deletePort('br-sfc', 'vx0');
    expect(await ovs.vsctl('list-ports', 'br-sfc')).not.toMatch(/^vx0$/m);
    expect((await ovs.vsctl('--columns=_uuid', 'find', 'Port', 'name=vx0')).trim()).toBe('');
    expect((await ovs.vsctl('--columns=_uuid', 'find', 'Interface', 'name=vx0')).trim()).toBe('');
    expect(client.cache.get(Port, port?._uuid ?? '')).toBeUndefined();
    expect(vswitch.interface('vx0')).toBeUndefined();
    await expect(vswitch.deletePort('br-sfc', 'vx0')).rejects.toBeInstanceOf(RowNotFoundError);
  });

  it('deletes a bridge by taking it out of Open_vSwitch.bridges', async () => {
    await vswitch.addBridge({ name: 'br-tmp', datapath_type: 'netdev' });
    await vswitch.addPort('br-tmp', { name: 'tmp-int', type: 'internal' });
    expect((await ovs.vsctl('list-br')).split('\n')).toContain('br-tmp');
    await vswitch.deleteBridge('br-tmp');
    expect((await ovs.vsctl('list-br')).split('\n')).not.toContain('br-tmp');
    expect((await ovs.vsctl('--columns=_uuid', 'find', 'Interface', 'name=tmp-int')).trim()).toBe('');
    expect(vswitch.bridge('br-tmp')).toBeUndefined();
  });
});
