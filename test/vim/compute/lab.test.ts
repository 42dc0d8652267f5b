import { randomUUID } from 'node:crypto';
import { LabDriver, addVhostUserPort, vhostUserPortName, vhostUserSocketPath, type DomainRef, type VnfcSpec } from '../../../vim/compute/index.js';
import { run } from '../../support/command.js';
import { NAMESPACE_PREFIX } from '../../support/sweep.js';
import { TestSwitch } from '../../sfc/ovsdb/support.js';
import { claimOf, specOf } from './support.js';

const BRIDGE = 'br-lab';

function labVnfc(name: string, address: string, mac: string): VnfcSpec {
  return specOf(name, {
    claim: claimOf({}),
    disks: [],
    ports: [{ kind: 'virtio', portId: randomUUID(), cpId: 'cp-1', mac, bridge: BRIDGE, addresses: [address] }],
  });
}

async function namespaces(): Promise<string[]> {
  return (await run('ip', ['netns', 'list'])).stdout.split('\n').map((line) => line.split(' ')[0] ?? '');
}

async function ping(namespace: string, address: string): Promise<number> {
  const outcome = await run('ip', ['netns', 'exec', namespace, 'ping', '-c', '3', '-i', '0.2', '-W', '2', address]).catch((error: { stdout?: string }) => ({
    stdout: error.stdout ?? '',
  }));
  return Number(/(\d+) received/.exec(outcome.stdout)?.[1] ?? 0);
}

describe('lab compute driver: VNFCs as namespaces on a harness Open vSwitch', () => {
  let lab: TestSwitch;
  let driver: LabDriver;
  const refs: DomainRef[] = [];

  beforeAll(async () => {
    lab = await TestSwitch.start('lab', BRIDGE);
    await lab.ovs.ofctl('del-flows', BRIDGE);
    await lab.ovs.ofctl('add-flow', BRIDGE, 'priority=0,actions=NORMAL');
    driver = new LabDriver({ vswitch: lab.vswitch, namespacePrefix: `${NAMESPACE_PREFIX}vnfc-`, switchNamespace: lab.ovs.namespace.name });
  });

  afterAll(async () => {
    for (const ref of refs) await driver.undefine(ref);
    await driver.close();
    await lab.stop();
  });

  it('plugs each port as a veth whose switch end is an OVS port with the iface-id, and two VNFCs ping each other', async () => {
    const a = labVnfc(`a-${randomUUID().slice(0, 6)}`, '198.18.7.1/24', 'fa:16:3e:07:00:01');
    const b = labVnfc(`b-${randomUUID().slice(0, 6)}`, '198.18.7.2/24', 'fa:16:3e:07:00:02');
    for (const spec of [a, b]) refs.push(await driver.define(spec));
    expect(await driver.state({ name: a.name, uuid: a.uuid })).toBe('shutoff');
    for (const spec of [a, b]) await driver.start({ name: spec.name, uuid: spec.uuid });

    for (const spec of [a, b]) {
      const port = spec.ports[0];
      if (port === undefined) throw new Error('no port');
      expect(await driver.state(spec)).toBe('running');
      expect(await namespaces()).toContain(driver.namespaceOf(spec));
      const name = LabDriver.switchInterfaceOf(port.portId);
      expect((await lab.ovs.vsctl('get', 'Interface', name, 'external_ids:iface-id')).trim()).toBe(`"${port.portId}"`);
      expect((await lab.ovs.vsctl('list-ports', BRIDGE)).split('\n')).toContain(name);
      expect(Number((await lab.ovs.vsctl('get', 'Interface', name, 'ofport')).trim())).toBeGreaterThan(0);
      const { stdout } = await run('ip', ['netns', 'exec', driver.namespaceOf(spec), 'cat', '/sys/class/net/eth0/address']);
      expect(stdout.trim()).toBe(port.mac);
    }
    expect(await driver.list()).toEqual(
      expect.arrayContaining([
        { name: a.name, uuid: a.uuid, state: 'running' },
        { name: b.name, uuid: b.uuid, state: 'running' },
      ]),
    );

    expect(await ping(driver.namespaceOf(a), '198.18.7.2')).toBe(3);
    expect(await ping(driver.namespaceOf(b), '198.18.7.1')).toBe(3);

    for (const spec of [a, b]) await driver.destroy(spec);
    for (const spec of [a, b]) {
      expect(await driver.state(spec)).toBe('shutoff');
      expect(await namespaces()).not.toContain(driver.namespaceOf(spec));
      const port = spec.ports[0];
      expect((await lab.ovs.vsctl('--columns=name', 'find', 'Interface', `external_ids:iface-id=${port?.portId}`)).trim()).toBe('');
    }
    expect((await lab.ovs.vsctl('list-ports', BRIDGE)).trim()).toBe('');
    expect((await run('ip', ['-n', lab.ovs.namespace.name, '-o', 'link', 'show', 'type', 'veth'])).stdout.trim()).toBe('');

    await driver.start(a);
    await run('ip', ['netns', 'del', driver.namespaceOf(a)]);
    expect(await driver.state(a)).toBe('shutoff');
    await driver.destroy(a);
    expect((await lab.ovs.vsctl('list-ports', BRIDGE)).trim()).toBe('');

    await driver.start(a);
    expect(await driver.state(a)).toBe('running');
    await driver.undefine(a);
    expect(await driver.state(a)).toBe('missing');
    expect(await namespaces()).not.toContain(driver.namespaceOf(a));
    expect((await lab.ovs.vsctl('list-ports', BRIDGE)).trim()).toBe('');
  });

  it('refuses ports the lab cannot plug', async () => {
    const spec = specOf('vhu-guest', {
      claim: claimOf({}),
      disks: [],
      ports: [{ kind: 'sriov-vf', portId: randomUUID(), cpId: 'cp-vf', mac: 'fa:16:3e:07:00:09', vlan: 10 }],
    });
    await expect(driver.define(spec)).rejects.toMatchObject({
      problem: { kind: 'invalid-spec', problems: ['port cp-vf: the lab plugs virtio ports and VFs with a representor bridge only, not sriov-vf'] },
    });
  });

  it('creates the dpdkvhostuserclient row of a vhost-user port, even on a switch without DPDK', async () => {
    const portId = randomUUID();
    const vnfcUuid = randomUUID();
    const socketPath = vhostUserSocketPath('/var/run/nfv/vhost', portId);
    const name = vhostUserPortName(portId);
    await addVhostUserPort(lab.vswitch, BRIDGE, { portId, mac: 'FA:16:3E:07:00:0A', vnfcUuid, socketPath });
    try {
      expect(name).toHaveLength(15);
      expect(socketPath).toBe(`/var/run/nfv/vhost/${name}`);
      expect((await lab.ovs.vsctl('get', 'Interface', name, 'type')).trim()).toBe('dpdkvhostuserclient');
      expect((await lab.ovs.vsctl('get', 'Interface', name, 'options:vhost-server-path')).trim()).toBe(`"${socketPath}"`);
      expect((await lab.ovs.vsctl('get', 'Interface', name, 'external_ids:iface-id')).trim()).toBe(`"${portId}"`);
      expect((await lab.ovs.vsctl('get', 'Interface', name, 'external_ids:attached-mac')).trim()).toBe('"fa:16:3e:07:00:0a"');
      expect((await lab.ovs.vsctl('get', 'Interface', name, 'external_ids:vm-uuid')).trim()).toBe(`"${vnfcUuid}"`);
      expect((await lab.ovs.vsctl('list-ports', BRIDGE)).split('\n')).toContain(name);
    } finally {
      await lab.vswitch.deletePort(BRIDGE, name);
    }
  });
});
