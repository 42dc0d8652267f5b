import type { VduEpa } from '../../descriptors/index.js';
import { claimedCpus, type Host, type HostInventory } from '../../vim/index.js';
import { claimOf, epa, fixtureInventory, openVim, refusalOf, request, syntheticInventory, vf, type Vim } from './support/hosts.js';

const GIB = 1024;
const DUAL_PHYSNETS = { ens1f0: 'sriov-a', ens4f0: 'sriov-b' };

function cpusOf(host: Host): Map<number, { siblings: number[]; claimedBy: string | undefined; cell: number }> {
  return new Map(host.inventory?.cells.flatMap((cell) => cell.cpus.map((cpu) => [cpu.id, { siblings: cpu.siblings, claimedBy: cpu.claimedBy, cell: cell.id }] as const)));
}

describe('placement: CPU, memory and NUMA policies', () => {
  let vim: Vim;
  const host = async (id = 'h1'): Promise<Host> => {
    const stored = await vim.inventory.host(id);
    if (!stored) throw new Error(`no host ${id}`);
    return stored.value;
  };
  const register = async (id: string, inventory: HostInventory, zoneId?: string) =>
    vim.inventory.registerHost({ id, libvirtUri: `qemu+ssh://root@${id}/system`, ovsdbEndpoint: `tcp:${id}:6640`, inventory, ...(zoneId ? { zoneId } : {}) });

  beforeEach(async () => {
    vim = await openVim();
  });
  afterEach(async () => vim.close());

  it('floats a shared-CPU guest without NUMA requirements over the host', async () => {
    await register('h1', await fixtureInventory('single-cell'));
    const outcome = await vim.scheduler.place(request(epa({ vcpus: 4, memoryMiB: 8 * GIB })));
    expect(outcome).toMatchObject({ ok: true, placement: { host: { id: 'h1', libvirtUri: 'qemu+ssh://root@h1/system', ovsdbEndpoint: 'tcp:h1:6640' } } });
    const claim = claimOf(outcome);
    expect(claim).toMatchObject({ cells: [], sharedVcpus: 4, floatingMemoryMiB: 8 * GIB, emulatorCpus: [], devices: [] });
    expect((await host()).usage).toEqual({ claimIds: [claim.id], sharedVcpus: 4, floatingMemoryMiB: 8 * GIB });
    expect(claimedCpus(claim)).toEqual([]);
  });

  it('dedicated + prefer: vCPUs on sibling threads, whole cores first, an odd vCPU into a half-used core', async () => {
    await register('h1', await fixtureInventory('dual-socket'));
    const first = claimOf(await vim.scheduler.place(request(epa({ vcpus: 3, cpuPolicy: 'dedicated', memoryMiB: 4 * GIB }))));
    expect(first.cells).toEqual([
      { guestCell: 0, hostCell: 0, vcpus: [0, 1, 2], pinning: [{ vcpu: 0, cpu: 0 }, { vcpu: 1, cpu: 32 }, { vcpu: 2, cpu: 1 }], reservedCpus: [], memoryMiB: 4 * GIB, pageSizeKiB: 4 },
    ]);
    // The next odd guest takes the free sibling of CPU 1 instead of breaking a new core.
    const second = claimOf(await vim.scheduler.place(request(epa({ vcpus: 1, cpuPolicy: 'dedicated', memoryMiB: GIB }))));
    expect(second.cells[0]?.pinning).toEqual([{ vcpu: 0, cpu: 33 }]);
    const cpus = cpusOf(await host());
    expect([0, 32, 1].map((cpu) => cpus.get(cpu)?.claimedBy)).toEqual([first.id, first.id, first.id]);
    expect(cpus.get(33)?.claimedBy).toBe(second.id);
    const cell0 = (await host()).inventory?.cells[0];
    expect(cell0?.memory.reservedByUsMiB).toBe(5 * GIB);
  });

  it('dedicated + isolate: one vCPU per core, the siblings claimed and kept idle', async () => {
    await register('h1', await fixtureInventory('dual-socket'));
    const claim = claimOf(await vim.scheduler.place(request(epa({ vcpus: 4, cpuPolicy: 'dedicated', threadPolicy: 'isolate', memoryMiB: 4 * GIB }))));
    const cell = claim.cells[0];
    expect(cell?.pinning.map((pin) => pin.cpu)).toEqual([0, 1, 2, 3]);
    expect(cell?.reservedCpus).toEqual([32, 33, 34, 35]);
    const cpus = cpusOf(await host());
    for (const cpu of [0, 1, 2, 3, 32, 33, 34, 35]) expect(cpus.get(cpu)?.claimedBy).toBe(claim.id);
    // A prefer guest cannot use the idle siblings.
    const other = claimOf(await vim.scheduler.place(request(epa({ vcpus: 2, cpuPolicy: 'dedicated', memoryMiB: GIB }))));
    expect(claimedCpus(other).some((cpu) => claimedCpus(claim).includes(cpu))).toBe(false);
  });

  it('dedicated + require: whole cores, an odd vCPU leaves its sibling claimed; refused on a host without SMT', async () => {
    await register('h1', await fixtureInventory('single-cell'));
    const claim = claimOf(await vim.scheduler.place(request(epa({ vcpus: 3, cpuPolicy: 'dedicated', threadPolicy: 'require', memoryMiB: GIB }))));
    expect(claim.cells[0]?.pinning).toEqual([{ vcpu: 0, cpu: 0 }, { vcpu: 1, cpu: 1 }, { vcpu: 2, cpu: 2 }]);
    expect(claim.cells[0]?.reservedCpus).toEqual([3]);

    await register('no-smt', await fixtureInventory('no-sriov'));
    await vim.inventory.setAdminState('h1', 'drained');
    const refused = refusalOf(await vim.scheduler.place(request(epa({ vcpus: 2, cpuPolicy: 'dedicated', threadPolicy: 'require', memoryMiB: GIB }))));
    expect(refused.message).toBe('no host in any zone has 2 dedicated CPUs on whole cores and 1 GiB of memory on one NUMA node: 1 host is drained, 1 lacks CPUs');
  });

  it('isolated emulator threads get one more dedicated CPU on the guest cell', async () => {
    await register('h1', await fixtureInventory('dual-socket'));
    const claim = claimOf(await vim.scheduler.place(request(epa({ vcpus: 2, cpuPolicy: 'dedicated', threadPolicy: 'isolate', emulatorThreadPolicy: 'isolate', memoryMiB: GIB }))));
    expect(claim.cells[0]?.pinning.map((pin) => pin.cpu)).toEqual([0, 1]);
    expect(claim.emulatorCpus).toEqual([2]);
    expect(claim.cells[0]?.reservedCpus).toEqual([32, 33, 34]);
  });

  it('hugepages come from the guest cell, in the size asked for, or the largest that fits for `large`', async () => {
    await register('h1', await fixtureInventory('dual-socket'));
    const oneGig = claimOf(await vim.scheduler.place(request(epa({ vcpus: 2, cpuPolicy: 'dedicated', pageSize: '1GB', memoryMiB: 8 * GIB }))));
    expect(oneGig.cells[0]).toMatchObject({ hostCell: 0, pageSizeKiB: 1048576, memoryMiB: 8 * GIB });
    const twoMeg = claimOf(await vim.scheduler.place(request(epa({ vcpus: 2, cpuPolicy: 'dedicated', pageSize: '2MB', memoryMiB: 1 * GIB }))));
    expect(twoMeg.cells[0]).toMatchObject({ pageSizeKiB: 2048 });
    const pools = (await host()).inventory?.cells.map((cell) => cell.hugepages.map((pool) => [pool.sizeKiB, pool.reservedByUs]));
    expect(pools).toEqual([
      [[2048, 512], [1048576, 8]],
      [[2048, 0], [1048576, 0]],
    ]);
    // Cell 0 has 54 usable 1G pages left (64, 2 in use by the host, 8 claimed), cell 1 has 64: 60 GiB fits on cell 1 only.
    const large = claimOf(await vim.scheduler.place(request(epa({ vcpus: 2, cpuPolicy: 'dedicated', pageSize: 'large', memoryMiB: 60 * GIB }))));
    expect(large.cells[0]).toMatchObject({ hostCell: 1, pageSizeKiB: 1048576 });
    const refused = refusalOf(await vim.scheduler.place(request(epa({ vcpus: 2, cpuPolicy: 'dedicated', pageSize: '1GB', memoryMiB: 64 * GIB }))));
    expect(refused.message).toBe('no host in any zone has 2 dedicated CPUs and 64 GiB of 1G pages on one NUMA node: 1 host lacks 1G pages');
  });

  it('falls back to 2M pages for `large` when no cell has enough 1G pages', async () => {
    await register('h1', syntheticInventory({ cells: [{ socket: 0, cores: 4, threads: 2, pages: { 2048: 1024, 1048576: 1 } }] }));
    const claim = claimOf(await vim.scheduler.place(request(epa({ vcpus: 2, cpuPolicy: 'dedicated', pageSize: 'large', memoryMiB: 2 * GIB }))));
    expect(claim.cells[0]?.pageSizeKiB).toBe(2048);
    const pool = (await host()).inventory?.cells[0]?.hugepages.find((candidate) => candidate.sizeKiB === 2048);
    expect(pool?.reservedByUs).toBe(1024);
  });

  it('spreads a multi-node guest over distinct cells with their share of vCPUs and memory', async () => {
    await register('h1', await fixtureInventory('four-cell'));
    const claim = claimOf(
      await vim.scheduler.place(
        request(epa({ vcpus: 6, memoryMiB: 6 * GIB, cpuPolicy: 'dedicated', pageSize: '1GB', numa: { nodes: [{ id: 0, vcpus: [0, 1, 2, 3], memoryMiB: 4 * GIB }, { id: 1, vcpus: [4, 5], memoryMiB: 2 * GIB }] } })),
      ),
    );
    expect(claim.cells.map((cell) => [cell.guestCell, cell.vcpus, cell.memoryMiB])).toEqual([
      [0, [0, 1, 2, 3], 4 * GIB],
      [1, [4, 5], 2 * GIB],
    ]);
    expect(new Set(claim.cells.map((cell) => cell.hostCell)).size).toBe(2);
    const cpus = cpusOf(await host());
    for (const cell of claim.cells) for (const pin of cell.pinning) expect(cpus.get(pin.cpu)?.cell).toBe(cell.hostCell);
  });

  it('refuses what no host could ever satisfy as an invalid request', async () => {
    await register('h1', await fixtureInventory('dual-socket'));
    expect(refusalOf(await vim.scheduler.place(request(epa({ memoryMiB: 1536, pageSize: '1GB', cpuPolicy: 'dedicated' }))))).toMatchObject({
      kind: 'invalid-request',
      problems: ['1536 MiB on guest NUMA node 0 is not a whole number of 1G pages'],
    });
    expect(refusalOf(await vim.scheduler.place(request(epa({ interfaces: [{ cpId: 'vhu', order: 0, kind: 'vhost-user', physicalNetwork: undefined, numaAffinity: undefined }] }))))).toMatchObject({
      kind: 'invalid-request',
      problems: [expect.stringContaining('vhost-user interface needs the guest memory in hugepages')],
    });
    expect(refusalOf(await vim.scheduler.place(request(epa({ threadPolicy: 'isolate' }))))).toMatchObject({ kind: 'invalid-request', problems: ['the isolate thread policy needs dedicated CPUs'] });
  });

  it('answers the same placement again for a claim id it already placed (idempotent retries)', async () => {
    await register('h1', await fixtureInventory('single-cell'));
    const first = claimOf(await vim.scheduler.place(request(epa(), { owner: 'op-x', claimId: 'vnf-1/VDU1/0' })));
    const again = claimOf(await vim.scheduler.place(request(epa(), { owner: 'op-x', claimId: 'vnf-1/VDU1/0' })));
    expect(again).toEqual(first);
    expect((await host()).usage.claimIds).toEqual(['vnf-1/VDU1/0']);
    expect(refusalOf(await vim.scheduler.place(request(epa(), { owner: 'op-y', claimId: 'vnf-1/VDU1/0' })))).toMatchObject({ kind: 'invalid-request' });
  });

  it('releases by owner: every CPU, page, VF and counter comes back', async () => {
    const inventory = await fixtureInventory('dual-socket', { physicalNetworks: DUAL_PHYSNETS });
    await register('h1', inventory);
    const before = await host();
    const owner = 'op-release';
    claimOf(await vim.scheduler.place(request(epa({ vcpus: 4, cpuPolicy: 'dedicated', threadPolicy: 'isolate', emulatorThreadPolicy: 'isolate', pageSize: '1GB', memoryMiB: 4 * GIB, interfaces: [vf('a', 'sriov-a', 'required')] }), { owner })));
    claimOf(await vim.scheduler.place(request(epa({ vcpus: 2, memoryMiB: 2 * GIB }), { owner })));
    claimOf(await vim.scheduler.place(request(epa({ vcpus: 2, cpuPolicy: 'dedicated', memoryMiB: 2 * GIB, interfaces: [{ cpId: 'pt', order: 0, kind: 'pci-passthrough', physicalNetwork: 'sriov-b', numaAffinity: 'preferred' }] }), { owner })));
    expect((await host()).usage.claimIds).toHaveLength(3);
    const released = await vim.scheduler.release(owner);
    expect(released).toHaveLength(3);
    expect(await host()).toEqual(before);
    expect(await vim.scheduler.claimsOf({ owner })).toEqual([]);
    expect(await vim.scheduler.release(owner)).toEqual([]);
  });
});

describe('placement: interfaces and their NUMA affinity', () => {
  let vim: Vim;
  const register = async (id: string, inventory: HostInventory) => vim.inventory.registerHost({ id, libvirtUri: 'qemu:///system', inventory });
  const dedicated = (vcpus: number, interfaces: VduEpa['interfaces'], extra: Partial<VduEpa> = {}): VduEpa =>
    epa({ vcpus, cpuPolicy: 'dedicated', threadPolicy: 'isolate', memoryMiB: 2 * GIB, pageSize: '1GB', interfaces, ...extra });

  beforeEach(async () => {
    vim = await openVim();
  });
  afterEach(async () => vim.close());

  it('required: the VF comes from a PF on the guest cell, which follows the VF; refused when that cell is full', async () => {
    await register('h1', await fixtureInventory('dual-socket', { physicalNetworks: DUAL_PHYSNETS }));
    const claim = claimOf(await vim.scheduler.place(request(dedicated(4, [vf('data', 'sriov-b', 'required')]))));
    expect(claim.cells[0]?.hostCell).toBe(1);
    expect(claim.devices).toEqual([{ cpId: 'data', kind: 'sriov-vf', pfAddress: '0000:af:00.0', netdev: 'ens4f0', vf: { index: 0, address: '0000:af:02.0' }, numaNode: 1, physicalNetwork: 'sriov-b' }]);
    // Cell 1 has 12 free cores left; 12 isolated vCPUs fill it.
    claimOf(await vim.scheduler.place(request(dedicated(12, [], { pageSize: undefined }))));
    const refused = refusalOf(await vim.scheduler.place(request(dedicated(2, [vf('data', 'sriov-b', 'required')]))));
    expect(refused.reasons).toEqual([{ constraint: 'numa-layout', hosts: 1 }]);
    expect(refused.message).toBe(
      'no host in any zone has 2 dedicated sibling-isolated CPUs, 2 GiB of 1G pages and 1 VF on physnet `sriov-b` (required NUMA affinity) on one NUMA node: 1 host has each resource, but not together on the same NUMA node(s)',
    );
  });

  it('socket: a VF from another cell of the same socket is accepted, one from the other socket is not', async () => {
    // four-cell: cells 0,1 on socket 0, cells 2,3 on socket 1; ens2f0 sits on cell 1, ens5f0 on cell 2.
    await register('h1', await fixtureInventory('four-cell', { physicalNetworks: { ens2f0: 'fabric', ens5f0: 'fabric-b' } }));
    // Fill cell 1 (4 cores) so the guest cannot sit next to ens2f0.
    const filler = claimOf(await vim.scheduler.place(request(dedicated(4, [vf('x', 'fabric', 'required')]))));
    expect(filler.cells[0]?.hostCell).toBe(1);
    const onSocket = claimOf(await vim.scheduler.place(request(dedicated(2, [vf('x', 'fabric', 'socket')]))));
    expect(onSocket.cells[0]?.hostCell).toBe(0);
    expect(onSocket.devices[0]?.netdev).toBe('ens2f0');
    // Fill cell 0 too: only socket 1 has CPUs left, and no `fabric` PF is there.
    claimOf(await vim.scheduler.place(request(dedicated(2, []))));
    const refused = refusalOf(await vim.scheduler.place(request(dedicated(1, [vf('x', 'fabric', 'socket')]))));
    expect(refused.reasons).toEqual([{ constraint: 'numa-layout', hosts: 1 }]);
    // `preferred` takes it from the other socket rather than refuse.
    const preferred = claimOf(await vim.scheduler.place(request(dedicated(1, [vf('x', 'fabric', 'preferred')]))));
    expect(preferred.cells[0]?.hostCell).toBeGreaterThanOrEqual(2);
    expect(preferred.devices[0]?.netdev).toBe('ens2f0');
  });

  it('preferred: local when the guest can sit next to the PF', async () => {
    await register('h1', await fixtureInventory('dual-socket', { physicalNetworks: DUAL_PHYSNETS }));
    const claim = claimOf(await vim.scheduler.place(request(dedicated(2, [vf('a', 'sriov-b', 'preferred')]))));
    expect(claim.cells[0]?.hostCell).toBe(1);
    expect(claim.devices[0]?.numaNode).toBe(1);
  });

  it('legacy: same cell when the device reports one, anywhere when it does not; required never takes an unknown one', async () => {
    await register('h1', await fixtureInventory('numa-unknown', { physicalNetworks: { ens2f0: 'known', ens3f0: 'unknown' } }));
    const legacyUnknown = claimOf(await vim.scheduler.place(request(dedicated(2, [vf('u', 'unknown')]))));
    expect(legacyUnknown.devices[0]).toMatchObject({ netdev: 'ens3f0', numaNode: undefined });
    const legacyKnown = claimOf(await vim.scheduler.place(request(dedicated(2, [vf('k', 'known')]))));
    expect(legacyKnown.cells[0]?.hostCell).toBe(0);
    expect(legacyKnown.devices[0]).toMatchObject({ netdev: 'ens2f0', numaNode: 0 });
    expect(refusalOf(await vim.scheduler.place(request(dedicated(2, [vf('u', 'unknown', 'required')]))))).toMatchObject({ reasons: [{ constraint: 'numa-layout', hosts: 1 }] });
  });

  it('takes several VFs and spreads them over the PFs of the physnet', async () => {
    await register('h1', syntheticInventory({ cells: [{ socket: 0, cores: 8, threads: 2, pages: { 1048576: 8 } }], pfs: [{ numaNode: 0, physnet: 'net', vfs: 4 }, { numaNode: 0, physnet: 'net', vfs: 4 }] }));
    const claim = claimOf(await vim.scheduler.place(request(dedicated(2, [vf('a', 'net', 'required'), vf('b', 'net', 'required')]))));
    expect(claim.devices.map((device) => device.netdev).sort()).toEqual(['ens1f0', 'ens2f0']);
  });

  it('a PCI passthrough takes a whole PF without VFs in use, and then its VFs are gone', async () => {
    await register('h1', syntheticInventory({ cells: [{ socket: 0, cores: 8, threads: 2, pages: { 1048576: 8 } }], pfs: [{ numaNode: 0, physnet: 'net', vfs: 2 }, { numaNode: 0, physnet: 'net', vfs: 2 }] }));
    const withVf = claimOf(await vim.scheduler.place(request(dedicated(1, [vf('a', 'net', 'required')]))));
    const passthrough = claimOf(await vim.scheduler.place(request(dedicated(1, [{ cpId: 'p', order: 0, kind: 'pci-passthrough', physicalNetwork: 'net', numaAffinity: 'required' }]))));
    expect(passthrough.devices[0]).toMatchObject({ kind: 'pci-passthrough', vf: undefined });
    expect(passthrough.devices[0]?.pfAddress).not.toBe(withVf.devices[0]?.pfAddress);
    const stored = (await vim.inventory.host('h1'))?.value.inventory?.physicalFunctions.find((pf) => pf.address === passthrough.devices[0]?.pfAddress);
    expect(stored?.claimedBy).toBe(passthrough.id);
    // One VF is left, on the PF that is not passed through.
    claimOf(await vim.scheduler.place(request(dedicated(1, [vf('b', 'net', 'required')]))));
    expect(refusalOf(await vim.scheduler.place(request(dedicated(1, [vf('c', 'net', 'required')]))))).toMatchObject({ reasons: [{ constraint: 'vfs', physicalNetwork: 'net', hosts: 1 }] });
    expect(refusalOf(await vim.scheduler.place(request(dedicated(1, [{ cpId: 'p', order: 0, kind: 'pci-passthrough', physicalNetwork: 'net', numaAffinity: undefined }]))))).toMatchObject({
      reasons: [{ constraint: 'pci-devices', physicalNetwork: 'net', hosts: 1 }],
    });
  });

  it('virtio interfaces need nothing; vhost-user needs an OVS-DPDK host, whose PMD CPUs guests never get', async () => {
    await register('plain', await fixtureInventory('single-cell'));
    const virtio = claimOf(await vim.scheduler.place(request(epa({ interfaces: [{ cpId: 'v', order: 0, kind: 'virtio', physicalNetwork: undefined, numaAffinity: undefined }] }))));
    expect(virtio.devices).toEqual([]);
    const vhostUser = dedicated(2, [{ cpId: 'vhu', order: 0, kind: 'vhost-user', physicalNetwork: undefined, numaAffinity: undefined }], { pageSize: '2MB', threadPolicy: 'prefer' });
    const refused = refusalOf(await vim.scheduler.place(request(vhostUser)));
    expect(refused.reasons).toEqual([{ constraint: 'ovs-dpdk', hosts: 1 }]);
    expect(refused.message).toContain('1 host has no OVS-DPDK (needed for vhost-user)');
    await register('dpdk', await fixtureInventory('single-cell', { hostCpus: [0, 1], pmdCpus: [2, 3] }));
    const claim = claimOf(await vim.scheduler.place(request(vhostUser)));
    expect(claim.hostId).toBe('dpdk');
    expect(claimedCpus(claim).some((cpu) => cpu < 4)).toBe(false);
  });
});
