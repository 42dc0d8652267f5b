import fs from 'node:fs';
import path from 'node:path';
import { discoverHost, parseCpuList } from '../../sriov-dpdk/index.js';
import type { HostInventory, SriovPf } from '../../vim/index.js';
import { FIXTURE_SERVERS, FIXTURES_DIR, fixtureCpus, vfAddresses, vfMac, writeSysfsTree, type FixtureServer } from '../fixtures/sysfs/generate.js';
import { makeTempDir, removeTempDir } from '../support/tmp.js';

const KIB_PER_MIB = 1024;

/** What discovery must find in a fixture, derived from the fixture's description rather than its files. */
function expectedInventory(server: FixtureServer, physnets: Record<string, string> = {}): HostInventory {
  const cpus = fixtureCpus(server);
  const cells = Array.from({ length: server.sockets * server.nodesPerSocket }, (_, node) => ({
    id: node,
    cpus: cpus.filter((cpu) => cpu.node === node).map((cpu) => ({ id: cpu.id, core: cpu.coreId, socket: cpu.socket, siblings: cpu.siblings, role: 'guest' as const })),
    memory: {
      totalMiB: Math.floor((server.memTotalKiB[node] ?? 0) / KIB_PER_MIB),
      freeMiB: Math.floor((server.memFreeKiB[node] ?? 0) / KIB_PER_MIB),
      reservedForHostMiB: 0,
      reservedByUsMiB: 0,
    },
    hugepages: [...server.hugepages]
      .sort((a, b) => a.sizeKiB - b.sizeKiB)
      .map((pool) => {
        const total = pool.total[node] ?? 0;
        const free = pool.free[node] ?? 0;
        return { sizeKiB: pool.sizeKiB, total, free, reservedForHost: total - free, reservedByUs: 0 };
      }),
  }));
  const physicalFunctions: SriovPf[] = server.nics
    .filter((nic) => nic.sriov)
    .sort((a, b) => a.address.localeCompare(b.address))
    .map((nic) => ({
      address: nic.address,
      netdev: nic.netdev,
      numaNode: nic.numaNode < 0 ? undefined : nic.numaNode,
      physicalNetwork: physnets[nic.netdev],
      totalVfs: nic.sriov?.totalVfs ?? 0,
      configuredVfs: nic.sriov?.numVfs ?? 0,
      vfs: vfAddresses(nic).map((address, index) => ({ index, address, mac: index < (nic.sriov?.vfsWithNetdev ?? 0) ? vfMac(nic, index) : undefined, vlan: undefined })),
    }));
  return { cells, physicalFunctions, ovsDpdk: false };
}

function server(name: string): FixtureServer {
  const found = FIXTURE_SERVERS.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
}

const rootOf = (name: string): string => path.join(FIXTURES_DIR, name);

/** Every entry below a directory: file contents, link targets, directories. */
function treeOf(root: string): Map<string, string> {
  const entries = new Map<string, string>();
  const walk = (relative: string): void => {
    for (const name of fs.readdirSync(path.join(root, relative)).sort()) {
      const entry = path.join(relative, name);
      const stat = fs.lstatSync(path.join(root, entry));
      if (stat.isSymbolicLink()) entries.set(entry, `-> ${fs.readlinkSync(path.join(root, entry))}`);
      else if (stat.isDirectory()) {
        entries.set(entry, 'dir');
        walk(entry);
      } else entries.set(entry, fs.readFileSync(path.join(root, entry), 'utf8'));
    }
  };
  walk('');
  return entries;
}

describe('host discovery from sysfs', () => {
  it('the committed fixture trees are exactly what generate.ts writes', () => {
    const dir = makeTempDir('sysfs');
    try {
      for (const fixture of FIXTURE_SERVERS) {
        writeSysfsTree(fixture, path.join(dir, fixture.name));
        expect(treeOf(rootOf(fixture.name))).toEqual(treeOf(path.join(dir, fixture.name)));
      }
    } finally {
      removeTempDir(dir);
    }
  });

  it.each(FIXTURE_SERVERS.map((fixture) => fixture.name))('finds exactly the inventory of %s', async (name) => {
    const physnets = { ens1f0: 'sriov-a', ens4f0: 'sriov-b', ens2f0: 'fabric', ens5f0: 'fabric', ens3f0: 'backhaul', enp65s0f0np0: 'access' };
    const present = Object.fromEntries(Object.entries(physnets).filter(([netdev]) => server(name).nics.some((nic) => nic.netdev === netdev && nic.sriov)));
    const outcome = await discoverHost({ sysfsRoot: rootOf(name), physicalNetworks: present });
    expect(outcome).toMatchObject({ ok: true });
    if (!outcome.ok) return;
    expect(outcome.inventory).toEqual(expectedInventory(server(name), present));
  });

  it('reads the dual-socket server as the kernel describes it', async () => {
    const outcome = await discoverHost({ sysfsRoot: rootOf('dual-socket'), physicalNetworks: { ens1f0: 'sriov-a', ens4f0: 'sriov-b' } });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
    const { cells, physicalFunctions } = outcome.inventory;
    expect(cells.map((cell) => cell.cpus.length)).toEqual([32, 32]);
    expect(cells[0]?.cpus.slice(0, 2)).toEqual([
      { id: 0, core: 0, socket: 0, siblings: [0, 32], role: 'guest' },
      { id: 1, core: 1, socket: 0, siblings: [1, 33], role: 'guest' },
    ]);
    expect(cells[1]?.cpus.find((cpu) => cpu.id === 63)).toEqual({ id: 63, core: 25, socket: 1, siblings: [31, 63], role: 'guest' });
    expect(cells[0]?.memory).toEqual({ totalMiB: 191800, freeMiB: 113124, reservedForHostMiB: 0, reservedByUsMiB: 0 });
    expect(cells[0]?.hugepages).toEqual([
      { sizeKiB: 2048, total: 1024, free: 1024, reservedForHost: 0, reservedByUs: 0 },
      { sizeKiB: 1048576, total: 64, free: 62, reservedForHost: 2, reservedByUs: 0 },
    ]);
    expect(physicalFunctions.map((pf) => [pf.netdev, pf.address, pf.numaNode, pf.physicalNetwork, pf.totalVfs, pf.configuredVfs, pf.vfs.length])).toEqual([
      ['ens1f0', '0000:3b:00.0', 0, 'sriov-a', 64, 64, 64],
      ['ens4f0', '0000:af:00.0', 1, 'sriov-b', 64, 64, 64],
    ]);
    expect(physicalFunctions[0]?.vfs[0]).toEqual({ index: 0, address: '0000:3b:02.0', mac: '02:fd:fe:b4:21:00', vlan: undefined });
    expect(physicalFunctions[0]?.vfs[63]).toEqual({ index: 63, address: '0000:3b:09.7', mac: undefined, vlan: undefined });
    expect(outcome.warnings).toEqual([]);
  });

  it('odd servers: one cell, SNC cells on two sockets, a PF without NUMA node, no SR-IOV, no SMT', async () => {
    const single = await discoverHost({ sysfsRoot: rootOf('single-cell') });
    if (!single.ok) throw new Error('single-cell');
    expect(single.inventory.cells.map((cell) => cell.cpus.map((cpu) => cpu.siblings[0]))).toEqual([[0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14]]);
    expect(single.inventory.physicalFunctions.map((pf) => [pf.netdev, pf.configuredVfs, pf.vfs.length, pf.vfs.at(-1)?.address])).toEqual([
      ['enp65s0f0np0', 8, 8, '0000:41:01.1'],
      ['enp65s0f1np1', 0, 0, undefined],
    ]);

    const fourCell = await discoverHost({ sysfsRoot: rootOf('four-cell') });
    if (!fourCell.ok) throw new Error('four-cell');
    expect(fourCell.inventory.cells.map((cell) => [cell.id, cell.cpus[0]?.socket, cell.cpus.map((cpu) => cpu.id).join(',')])).toEqual([
      [0, 0, '0,1,2,3,16,17,18,19'],
      [1, 0, '4,5,6,7,20,21,22,23'],
      [2, 1, '8,9,10,11,24,25,26,27'],
      [3, 1, '12,13,14,15,28,29,30,31'],
    ]);

    const unknown = await discoverHost({ sysfsRoot: rootOf('numa-unknown'), physicalNetworks: { ens3f0: 'backhaul' } });
    if (!unknown.ok) throw new Error('numa-unknown');
    expect(unknown.inventory.physicalFunctions.map((pf) => [pf.netdev, pf.numaNode])).toEqual([
      ['ens2f0', 0],
      ['ens3f0', undefined],
    ]);
    expect(unknown.warnings.map((warning) => warning.message)).toEqual(['ens3f0 reports no NUMA node: its VFs serve legacy and preferred NUMA affinity from any cell, never required or socket']);

    const plain = await discoverHost({ sysfsRoot: rootOf('no-sriov'), physicalNetworks: { eno1: 'provider' } });
    if (!plain.ok) throw new Error('no-sriov');
    expect(plain.inventory.physicalFunctions).toEqual([]);
    expect(plain.inventory.cells.flatMap((cell) => cell.cpus.map((cpu) => cpu.siblings.length))).toEqual(Array(8).fill(1));
    expect(plain.warnings).toEqual([{ where: path.join(rootOf('no-sriov'), 'class/net/eno1'), message: 'physical network provider names eno1, which is not an SR-IOV PF here' }]);
  });

  it('takes host and PMD CPUs, host memory and host hugepages from configuration', async () => {
    const outcome = await discoverHost({
      sysfsRoot: rootOf('dual-socket'),
      hostCpus: [0, 32, 128],
      pmdCpus: [1, 33, 17, 49],
      memoryReservedForHostMiB: { 0: 4096 },
      hugepagesReservedForHost: [{ cell: 1, sizeKiB: 1048576, pages: 4 }],
    });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
    const roles = new Map(outcome.inventory.cells.flatMap((cell) => cell.cpus.map((cpu) => [cpu.id, cpu.role] as const)));
    expect([0, 32, 1, 33, 17, 49, 2].map((cpu) => roles.get(cpu))).toEqual(['host', 'host', 'pmd', 'pmd', 'pmd', 'pmd', 'guest']);
    expect(outcome.inventory.ovsDpdk).toBe(true);
    expect(outcome.inventory.cells[0]?.memory.reservedForHostMiB).toBe(4096);
    expect(outcome.inventory.cells[1]?.hugepages[1]).toMatchObject({ sizeKiB: 1048576, reservedForHost: 4 });
    expect(outcome.warnings.map((warning) => warning.message)).toEqual(['CPU 128 is configured for the host but the host has no such CPU']);
  });

  it('refuses with the path and the reason what it cannot use', async () => {
    const empty = makeTempDir('sysfs-empty');
    try {
      expect(await discoverHost({ sysfsRoot: empty })).toEqual({ ok: false, problems: [{ where: path.join(empty, 'devices/system/node'), message: 'no NUMA node directories (nodeN): is this a sysfs tree?' }] });
      const broken = path.join(empty, 'broken');
      writeSysfsTree(server('no-sriov'), broken);
      fs.writeFileSync(path.join(broken, 'devices/system/node/node1/cpulist'), '4-x\n');
      fs.rmSync(path.join(broken, 'devices/system/cpu/cpu2/topology/core_id'));
      const outcome = await discoverHost({ sysfsRoot: broken, hostCpus: [3], pmdCpus: [3, 99] });
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.problems.map((problem) => [problem.where.startsWith('/') ? path.relative(broken, problem.where) : problem.where, problem.message])).toEqual([
        ['pmdCpus', 'CPU 3 is given both to the host and to the OVS-DPDK PMD threads'],
        ['devices/system/cpu/cpu2/topology', 'CPU 2: core_id, physical_package_id and core_cpus_list (or thread_siblings_list) must be readable and name the CPU itself'],
        ['devices/system/node/node1/cpulist', '"4-x" is not a CPU list'],
      ]);
    } finally {
      removeTempDir(empty);
    }
  });

  it('parses Linux CPU lists', () => {
    expect(parseCpuList('0-3,8,10-11')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('')).toEqual([]);
    expect(parseCpuList('3-1')).toBeUndefined();
    expect(parseCpuList('0-3,^2')).toBeUndefined();
  });
});
