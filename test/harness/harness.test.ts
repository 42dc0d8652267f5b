import { Domain } from '@unraid/libvirt';
import { NetworkNamespace } from '../support/netns.js';
import { OvsInstance } from '../support/ovs.js';
import { openTestHypervisor } from '../support/libvirt.js';

describe('test harness: Open vSwitch in a temp dir and network namespaces', () => {
  let ovs: OvsInstance;
  let left: NetworkNamespace;
  let right: NetworkNamespace;

  beforeAll(async () => {
    ovs = await OvsInstance.start('harness');
    await ovs.addBridge('br-test');
    left = await NetworkNamespace.create('left');
    right = await NetworkNamespace.create('right');
  });

  afterAll(async () => {
    await left?.delete();
    await right?.delete();
    await ovs?.stop();
  });

  it('runs its own ovsdb-server and a userspace bridge', async () => {
    expect(await ovs.vsctl('get', 'Bridge', 'br-test', 'datapath_type')).toContain('netdev');
    expect(await ovs.vsctl('list-br')).toContain('br-test');
  });

  it('lets two namespaces ping each other through the bridge, with packets counted by the switch', async () => {
    const a = await ovs.attach(left, 'br-test', { address: '198.18.0.1/24' });
    const b = await ovs.attach(right, 'br-test', { address: '198.18.0.2/24' });
    expect(a.ofport).toBeGreaterThan(0);
    expect(b.ofport).not.toBe(a.ofport);

    expect(await left.ping('198.18.0.2', 3)).toBe(3);

    const stats = await ovs.ofctl('dump-ports', 'br-test', String(b.ofport));
    const transmitted = Number(/tx pkts=(\d+)/.exec(stats)?.[1] ?? 0);
    expect(transmitted).toBeGreaterThanOrEqual(3);
  });

  it('traces a packet with ofproto/trace against the installed flows', async () => {
    await ovs.ofctl('add-flow', 'br-test', 'priority=100,ip,nw_dst=198.18.0.99,actions=drop');
    const dropped = await ovs.trace('br-test', 'in_port=1,ip,nw_src=198.18.0.1,nw_dst=198.18.0.99');
    expect(dropped).toMatch(/Datapath actions: drop/);
    const forwarded = await ovs.trace('br-test', 'in_port=1,ip,nw_src=198.18.0.1,nw_dst=198.18.0.2');
    expect(forwarded).not.toMatch(/Datapath actions: drop/);
  });

  it('stops cleanly: daemons gone, namespace gone', async () => {
    const extra = await OvsInstance.start('extra');
    const dir = extra.dir;
    await extra.stop();
    const fs = await import('node:fs');
    expect(fs.existsSync(dir)).toBe(false);
    const { run } = await import('../support/command.js');
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(extra.namespace.name);
  });
});

describe('test harness: libvirt test driver through @unraid/libvirt', () => {
  it('defines a domain on test:///default and reads back its XML', async () => {
    const hypervisor = await openTestHypervisor();
    try {
      const xml = `<domain type="test"><name>harness-vnfc</name><memory unit="KiB">1048576</memory><vcpu>2</vcpu><os><type arch="x86_64">hvm</type></os></domain>`;
      const domain: Domain = await hypervisor.domainDefineXML(xml);
      const readBack = await hypervisor.domainGetXMLDesc(domain);
      expect(readBack).toContain('<name>harness-vnfc</name>');
      expect(readBack).toMatch(/<vcpu[^>]*>2<\/vcpu>/);
      await hypervisor.domainUndefine(domain);
      await expect(hypervisor.domainLookupByName('harness-vnfc')).rejects.toThrow();
    } finally {
      await hypervisor.connectClose();
    }
  });

  it('opens a host described by a fixture file', async () => {
    const hypervisor = await openTestHypervisor('libvirt/compute-2socket.xml');
    try {
      const node = await hypervisor.nodeGetInfo();
      expect(node.cpus).toBe(32);
      expect(node.nodes).toBe(2);
      const domain = await hypervisor.domainLookupByName('fixture-vnfc-0');
      expect(await hypervisor.domainGetXMLDesc(domain)).toContain('6f3a1d2e-0c4b-4a5e-9d7f-1b2c3d4e5f60');
    } finally {
      await hypervisor.connectClose();
    }
  });
});
