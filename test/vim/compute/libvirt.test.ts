import { randomUUID } from 'node:crypto';
import { ComputeError, LibvirtDriver, domainXmlOf, type DomainRef, type VnfcSpec } from '../../../vim/compute/index.js';
import { openTestHypervisor } from '../../support/libvirt.js';
import { claimOf, specOf, vfOf } from './support.js';
import { cpusetMembers, parseXml, select, type XmlTree } from './xml-reader.js';

const GIB_KIB = 1024 * 1024;

/** Two guest cells on the fixture's two host cells, 1 GiB pages, emulator threads isolated, two VFs. */
function epaGuest(): VnfcSpec {
  const vfA = vfOf('cp-data-a', '0000:3b:02.1', 0);
  const vfB = { ...vfOf('cp-data-b', '0000:af:0a.7', 1), pfAddress: '0000:af:00.0' };
  return specOf(`vnfc-${randomUUID().slice(0, 8)}`, {
    vcpus: 4,
    memoryMiB: 4096,
    claim: claimOf({
      cells: [
        { guestCell: 0, hostCell: 0, vcpus: [0, 1], pinning: [{ vcpu: 0, cpu: 2 }, { vcpu: 1, cpu: 3 }], reservedCpus: [], memoryMiB: 2048, pageSizeKiB: GIB_KIB },
        { guestCell: 1, hostCell: 1, vcpus: [2, 3], pinning: [{ vcpu: 2, cpu: 20 }, { vcpu: 3, cpu: 21 }], reservedCpus: [], memoryMiB: 2048, pageSizeKiB: GIB_KIB },
      ],
      emulatorCpus: [4],
      devices: [vfA, vfB],
    }),
    disks: [{ path: '/var/lib/nfv/images/vnf-1/VDU1-0.qcow2', format: 'qcow2', target: 'vda' }],
    ports: [
      { kind: 'sriov-vf', portId: randomUUID(), cpId: 'cp-data-a', mac: 'fa:16:3e:00:00:0a', vlan: 100 },
      { kind: 'sriov-vf', portId: randomUUID(), cpId: 'cp-data-b', mac: 'fa:16:3e:00:00:0b', vlan: undefined },
      { kind: 'virtio', portId: randomUUID(), cpId: 'cp-mgmt', mac: 'fa:16:3e:00:00:01', bridge: 'br-int' },
      { kind: 'vhost-user', portId: randomUUID(), cpId: 'cp-fast', mac: 'fa:16:3e:00:00:02', socketPath: '/var/run/openvswitch/vhu-fast' },
    ],
  });
}

function only(from: XmlTree, path: string): XmlTree {
  const found = select(from, path);
  if (found.length !== 1 || found[0] === undefined) throw new Error(`${path}: ${found.length} elements`);
  return found[0];
}

function pciOf(node: XmlTree): string {
  const { domain = '', bus = '', slot = '', function: fn = '' } = node.attributes;
  const hex = (value: string, width: number) => Number(value).toString(16).padStart(width, '0');
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(slot, 2)}.${hex(fn, 1)}`;
}

describe('libvirt compute driver (test driver)', () => {
  let driver: LibvirtDriver;
  const hypervisor = () => openTestHypervisor('libvirt/compute-2socket.xml');

  beforeEach(async () => {
    driver = LibvirtDriver.over(await hypervisor(), 'test');
  });

  afterEach(async () => {
    await driver.close();
  });

  it('defines a domain whose XML, read back from libvirt, carries exactly the pinning, NUMA binding, hugepages and VFs of the claim', async () => {
    const spec = epaGuest();
    const ref = await driver.define(spec);
    expect(ref).toEqual({ name: spec.name, uuid: spec.uuid });
    const domain = parseXml(await driver.domainXml(ref));

    expect(only(domain, 'vcpu').attributes.placement).toBe('static');
    expect(Number(only(domain, 'vcpu').text)).toBe(4);
    const pins = select(domain, 'cputune/vcpupin').map((pin) => [Number(pin.attributes.vcpu), cpusetMembers(pin.attributes.cpuset ?? '')]);
    expect(pins).toEqual([
      [0, [2]],
      [1, [3]],
      [2, [20]],
      [3, [21]],
    ]);
    expect(cpusetMembers(only(domain, 'cputune/emulatorpin').attributes.cpuset ?? '')).toEqual([4]);

    expect(only(domain, 'numatune/memory').attributes).toMatchObject({ mode: 'strict', nodeset: '0-1' });
    expect(select(domain, 'numatune/memnode').map((node) => node.attributes)).toEqual([
      { cellid: '0', mode: 'strict', nodeset: '0' },
      { cellid: '1', mode: 'strict', nodeset: '1' },
    ]);

    expect(only(domain, 'cpu').attributes.mode).toBe('host-passthrough');
    expect(only(domain, 'cpu/topology').attributes).toMatchObject({ sockets: '2', cores: '2', threads: '1' });
    expect(select(domain, 'cpu/numa/cell').map((cell) => [cell.attributes.id, cpusetMembers(cell.attributes.cpus ?? ''), Number(cell.attributes.memory), cell.attributes.memAccess])).toEqual([
      ['0', [0, 1], 2 * GIB_KIB, 'shared'],
      ['1', [2, 3], 2 * GIB_KIB, 'shared'],
    ]);
    expect(select(domain, 'memoryBacking/hugepages/page').map((page) => page.attributes)).toEqual([{ size: String(GIB_KIB), unit: 'KiB', nodeset: '0-1' }]);
    expect(select(domain, 'memoryBacking/locked')).toHaveLength(1);

    const interfaces = select(domain, 'devices/interface');
    const hostdevs = interfaces.filter((node) => node.attributes.type === 'hostdev');
    expect(
      hostdevs.map((node) => ({
        managed: node.attributes.managed,
        pci: pciOf(only(node, 'source/address')),
        mac: only(node, 'mac').attributes.address,
        vlans: select(node, 'vlan/tag').map((tag) => Number(tag.attributes.id)),
      })),
    ).toEqual([
      { managed: 'yes', pci: '0000:3b:02.1', mac: 'fa:16:3e:00:00:0a', vlans: [100] },
      { managed: 'yes', pci: '0000:af:0a.7', mac: 'fa:16:3e:00:00:0b', vlans: [] },
    ]);

    const ovsPort = interfaces.find((node) => node.attributes.type === 'bridge');
    expect(ovsPort && only(ovsPort, 'source').attributes.bridge).toBe('br-int');
    expect(ovsPort && only(ovsPort, 'virtualport').attributes.type).toBe('openvswitch');
    expect(ovsPort && only(ovsPort, 'virtualport/parameters').attributes.interfaceid).toBe(spec.ports[2]?.portId);
    expect(ovsPort && only(ovsPort, 'target').attributes.dev).toBe(`tap${spec.ports[2]?.portId}`.slice(0, 15));

    const vhostUser = interfaces.find((node) => node.attributes.type === 'vhostuser');
    expect(vhostUser && only(vhostUser, 'source').attributes).toMatchObject({ type: 'unix', path: '/var/run/openvswitch/vhu-fast', mode: 'server' });

    const disk = only(domain, 'devices/disk');
    expect(only(disk, 'driver').attributes.type).toBe('qcow2');
    expect(only(disk, 'source').attributes.file).toBe('/var/lib/nfv/images/vnf-1/VDU1-0.qcow2');
  });

  it('writes untrusted names and paths as escaped text, never as markup', async () => {
    const spec = { ...epaGuest(), name: `vnfc <evil> & 'quoted' "too"` };
    spec.disks = [{ path: `/images/a'b"c<d>&e.qcow2`, format: 'qcow2', target: 'vda' }];
    const ref = await driver.define(spec);
    const domain = parseXml(await driver.domainXml(ref));
    expect(only(domain, 'name').text).toBe(spec.name);
    expect(only(domain, 'devices/disk/source').attributes.file).toBe(`/images/a'b"c<d>&e.qcow2`);
    expect(select(domain, 'evil')).toHaveLength(0);
  });

  it('refuses a spec the claim does not back, before touching the host', async () => {
    const spec = epaGuest();
    const noVf = { ...spec, claim: { ...spec.claim, devices: [] }, ports: spec.ports.filter((port) => port.kind !== 'vhost-user') };
    const outcome = domainXmlOf(noVf);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? [] : outcome.problems).toEqual([
      'port cp-data-a: the claim holds no sriov-vf for it',
      'port cp-data-b: the claim holds no sriov-vf for it',
    ]);
    const smallPages = { ...spec, claim: { ...spec.claim, cells: spec.claim.cells.map((cell) => ({ ...cell, pageSizeKiB: 4 })) } };
    await expect(driver.define(smallPages)).rejects.toMatchObject({
      problem: { kind: 'invalid-spec', problems: ['port cp-fast: vhost-user needs guest memory on shared hugepages'] },
    });
    expect((await driver.list()).map((vnfc) => vnfc.name)).toEqual(['fixture-vnfc-0']);
  });

  it('drives the lifecycle and reads every state back from libvirt', async () => {
    const ref = await driver.define(epaGuest());
    expect(await driver.state(ref)).toBe('shutoff');
    await driver.start(ref);
    expect(await driver.state(ref)).toBe('running');
    expect(await driver.list()).toEqual(expect.arrayContaining([{ ...ref, state: 'running' }, expect.objectContaining({ name: 'fixture-vnfc-0', state: 'running' })]));
    expect(await driver.stop(ref, { graceful: true, timeoutMs: 2000 })).toBe('shut-down');
    expect(await driver.state(ref)).toBe('shutoff');
    expect(await driver.stop(ref)).toBe('already-off');
    await driver.reboot(ref, { timeoutMs: 2000 });
    expect(await driver.state(ref)).toBe('running');
    expect(await driver.stop(ref, { graceful: false })).toBe('powered-off');
    await driver.start(ref);
    await driver.destroy(ref);
    expect(await driver.state(ref)).toBe('shutoff');
    await driver.start(ref);
    await driver.undefine(ref);
    expect(await driver.state(ref)).toBe('missing');
    await driver.undefine(ref);
    expect((await driver.list()).map((vnfc) => vnfc.name)).toEqual(['fixture-vnfc-0']);
  });

  it('powers a guest off when it ignores the graceful shutdown for longer than the timeout', async () => {
    const real = await hypervisor();
    // The test driver's guests always obey ACPI; this one's shutdown request is lost, as a hung guest's is.
    const deaf = new Proxy(real, {
      get(target, property, receiver) {
        if (property !== 'domainLookupByUUIDString') return Reflect.get(target, property, receiver) as unknown;
        return async (uuid: string) => Object.assign(await target.domainLookupByUUIDString(uuid), { shutdown: async () => undefined });
      },
    });
    const hung = LibvirtDriver.over(deaf, 'test');
    try {
      const ref = await hung.define(epaGuest());
      await hung.start(ref);
      const started = Date.now();
      expect(await hung.stop(ref, { graceful: true, timeoutMs: 300 })).toBe('powered-off');
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(await hung.state(ref)).toBe('shutoff');
    } finally {
      await hung.close();
    }
  });

  it('notices a domain undefined behind its back', async () => {
    const hypervisor = await openTestHypervisor();
    const shared = LibvirtDriver.over(hypervisor, 'test');
    const spec = epaGuest();
    let ref: DomainRef | undefined;
    try {
      ref = await shared.define(spec);
      expect(await shared.state(ref)).toBe('shutoff');
      const other = await openTestHypervisor();
      try {
        await (await other.domainLookupByUUIDString(spec.uuid)).undefine();
      } finally {
        await other.connectClose();
      }
      expect(await shared.state(ref)).toBe('missing');
      expect((await shared.list()).some((vnfc) => vnfc.uuid === spec.uuid)).toBe(false);
      await expect(shared.start(ref)).rejects.toEqual(new ComputeError({ kind: 'missing', name: spec.name }));
    } finally {
      if (ref) await shared.undefine(ref);
      await shared.close();
    }
  });
});
