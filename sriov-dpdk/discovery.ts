/**
 * Host EPA discovery from sysfs: NUMA cells with their CPUs (core, socket, hyperthread siblings), memory and
 * hugepages, and SR-IOV physical functions with their VFs. What sysfs cannot know comes from configuration:
 * the physical network each PF is cabled to, the CPUs kept for the host and for OVS-DPDK's PMD threads.
 *
 *   devices/system/node/nodeN/{cpulist,meminfo}
 *   devices/system/node/nodeN/hugepages/hugepages-<size>kB/{nr_hugepages,free_hugepages}
 *   devices/system/cpu/cpuN/topology/{core_id,physical_package_id,core_cpus_list|thread_siblings_list}
 *   class/net/<netdev>/device -> the PF's PCI device: {sriov_totalvfs,sriov_numvfs,numa_node,virtfnN -> VF}
 */
import type { Cpu, CpuRole, HostInventory, HugepagePool, NumaCell, SriovPf, SriovVf } from '../vim/index.js';
import { Sysfs, parseCpuList } from './sysfs.js';

export interface DiscoveryOptions {
  /** Default `/sys`. */
  sysfsRoot?: string;
  /** PF netdev name -> physical network label. */
  physicalNetworks?: Readonly<Record<string, string>>;
  /** CPUs kept for the host's own processes. */
  hostCpus?: readonly number[];
  /** CPUs OVS-DPDK polls with its PMD threads. */
  pmdCpus?: readonly number[];
  /** Whether OVS-DPDK runs on the host; default: when PMD CPUs are given. */
  ovsDpdk?: boolean;
  /** Small-page memory kept for the host, per NUMA cell, in MiB. */
  memoryReservedForHostMiB?: Readonly<Record<number, number>>;
  /**
   * Hugepages kept for the host (OVS-DPDK socket memory, for one). Default: the pages already in use at
   * discovery, which is right on a host that runs none of our guests yet.
   */
  hugepagesReservedForHost?: ReadonlyArray<{ cell: number; sizeKiB: number; pages: number }>;
}

/** A file or setting that discovery could not use, with the reason. */
export interface DiscoveryIssue {
  /** The sysfs path, or the name of the option. */
  where: string;
  message: string;
}

export type DiscoveryOutcome = { ok: true; inventory: HostInventory; warnings: DiscoveryIssue[] } | { ok: false; problems: DiscoveryIssue[] };

const NODES = 'devices/system/node';
const CPUS = 'devices/system/cpu';
const NETDEVS = 'class/net';

export async function discoverHost(options: DiscoveryOptions = {}): Promise<DiscoveryOutcome> {
  const sysfs = new Sysfs(options.sysfsRoot ?? '/sys');
  const problems: DiscoveryIssue[] = [];
  const warnings: DiscoveryIssue[] = [];
  const nodeIds = (await sysfs.list(NODES))
    .map((name) => /^node(\d+)$/.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  if (nodeIds.length === 0) {
    return { ok: false, problems: [{ where: sysfs.at(NODES), message: 'no NUMA node directories (nodeN): is this a sysfs tree?' }] };
  }
  const roles = cpuRoles(options, problems);
  const cells: NumaCell[] = [];
  for (const id of nodeIds) {
    const cell = await readCell(sysfs, id, roles, options, problems);
    if (cell) cells.push(cell);
  }
  const known = new Set(cells.flatMap((cell) => cell.cpus.map((cpu) => cpu.id)));
  for (const [cpu, role] of roles) {
    if (!known.has(cpu)) warnings.push({ where: sysfs.at(CPUS), message: `CPU ${cpu} is configured for the ${role} but the host has no such CPU` });
  }
  const physicalFunctions = await readPhysicalFunctions(sysfs, new Set(nodeIds), options, warnings);
  if (problems.length > 0) return { ok: false, problems };
  const inventory: HostInventory = { cells, physicalFunctions, ovsDpdk: options.ovsDpdk ?? (options.pmdCpus ?? []).length > 0 };
  return { ok: true, inventory, warnings };
}

function cpuRoles(options: DiscoveryOptions, problems: DiscoveryIssue[]): Map<number, CpuRole> {
  const roles = new Map<number, CpuRole>();
  for (const cpu of options.hostCpus ?? []) roles.set(cpu, 'host');
  for (const cpu of options.pmdCpus ?? []) {
    if (roles.has(cpu)) problems.push({ where: 'pmdCpus', message: `CPU ${cpu} is given both to the host and to the OVS-DPDK PMD threads` });
    roles.set(cpu, 'pmd');
  }
  return roles;
}

async function readCell(sysfs: Sysfs, id: number, roles: ReadonlyMap<number, CpuRole>, options: DiscoveryOptions, problems: DiscoveryIssue[]): Promise<NumaCell | undefined> {
  const node = `${NODES}/node${id}`;
  const cpulist = await sysfs.text(`${node}/cpulist`);
  const cpuIds = cpulist === undefined ? undefined : parseCpuList(cpulist);
  if (cpuIds === undefined) {
    problems.push({ where: sysfs.at(`${node}/cpulist`), message: cpulist === undefined ? 'missing' : `"${cpulist}" is not a CPU list` });
    return undefined;
  }
  const cpus: Cpu[] = [];
  for (const cpu of cpuIds) {
    const topology = `${CPUS}/cpu${cpu}/topology`;
    const core = await sysfs.integer(`${topology}/core_id`);
    const socket = await sysfs.integer(`${topology}/physical_package_id`);
    const siblingsText = (await sysfs.text(`${topology}/core_cpus_list`)) ?? (await sysfs.text(`${topology}/thread_siblings_list`));
    const siblings = siblingsText === undefined ? undefined : parseCpuList(siblingsText);
    if (core === undefined || socket === undefined || siblings === undefined || !siblings.includes(cpu)) {
      problems.push({ where: sysfs.at(topology), message: `CPU ${cpu}: core_id, physical_package_id and core_cpus_list (or thread_siblings_list) must be readable and name the CPU itself` });
      continue;
    }
    cpus.push({ id: cpu, core, socket, siblings, role: roles.get(cpu) ?? 'guest' });
  }
  const meminfo = parseMeminfo((await sysfs.text(`${node}/meminfo`)) ?? '');
  const totalKiB = meminfo.get('MemTotal');
  if (totalKiB === undefined) {
    problems.push({ where: sysfs.at(`${node}/meminfo`), message: 'no MemTotal line' });
    return undefined;
  }
  const hugepages = await readHugepages(sysfs, id, options, problems);
  return {
    id,
    cpus,
    memory: {
      totalMiB: Math.floor(totalKiB / 1024),
      freeMiB: Math.floor((meminfo.get('MemFree') ?? 0) / 1024),
      reservedForHostMiB: options.memoryReservedForHostMiB?.[id] ?? 0,
      reservedByUsMiB: 0,
    },
    hugepages,
  };
}

/** `Node 0 MemTotal:  197773468 kB` lines, as name -> KiB. */
function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^Node\s+\d+\s+(\w+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line.trim());
    if (match?.[1] && match[2]) values.set(match[1], Number(match[2]));
  }
  return values;
}

async function readHugepages(sysfs: Sysfs, cell: number, options: DiscoveryOptions, problems: DiscoveryIssue[]): Promise<HugepagePool[]> {
  const dir = `${NODES}/node${cell}/hugepages`;
  const pools: HugepagePool[] = [];
  for (const name of await sysfs.list(dir)) {
    const size = /^hugepages-(\d+)kB$/.exec(name)?.[1];
    if (size === undefined) continue;
    const sizeKiB = Number(size);
    const total = await sysfs.integer(`${dir}/${name}/nr_hugepages`);
    const free = await sysfs.integer(`${dir}/${name}/free_hugepages`);
    if (total === undefined || free === undefined) {
      problems.push({ where: sysfs.at(`${dir}/${name}`), message: 'nr_hugepages and free_hugepages must be whole numbers' });
      continue;
    }
    const configured = options.hugepagesReservedForHost?.find((entry) => entry.cell === cell && entry.sizeKiB === sizeKiB);
    pools.push({ sizeKiB, total, free, reservedForHost: configured?.pages ?? Math.max(0, total - free), reservedByUs: 0 });
  }
  return pools.sort((a, b) => a.sizeKiB - b.sizeKiB);
}

async function readPhysicalFunctions(sysfs: Sysfs, nodeIds: ReadonlySet<number>, options: DiscoveryOptions, warnings: DiscoveryIssue[]): Promise<SriovPf[]> {
  const pfs: SriovPf[] = [];
  const physnets = options.physicalNetworks ?? {};
  for (const netdev of await sysfs.list(NETDEVS)) {
    const device = `${NETDEVS}/${netdev}/device`;
    const totalVfs = await sysfs.integer(`${device}/sriov_totalvfs`);
    if (totalVfs === undefined) continue;
    const address = await sysfs.linkName(device);
    if (address === undefined) {
      warnings.push({ where: sysfs.at(device), message: `${netdev} reports SR-IOV but its device link cannot be read; skipped` });
      continue;
    }
    const reported = await sysfs.integer(`${device}/numa_node`);
    let numaNode = reported === undefined || reported < 0 ? undefined : reported;
    if (numaNode !== undefined && !nodeIds.has(numaNode)) {
      warnings.push({ where: sysfs.at(`${device}/numa_node`), message: `${netdev} reports NUMA node ${numaNode}, which the host does not have; taken as unknown` });
      numaNode = undefined;
    }
    if (numaNode === undefined) {
      warnings.push({ where: sysfs.at(`${device}/numa_node`), message: `${netdev} reports no NUMA node: its VFs serve legacy and preferred NUMA affinity from any cell, never required or socket` });
    }
    const vfs = await readVfs(sysfs, device);
    const configuredVfs = (await sysfs.integer(`${device}/sriov_numvfs`)) ?? 0;
    if (configuredVfs !== vfs.length) {
      warnings.push({ where: sysfs.at(`${device}/sriov_numvfs`), message: `${netdev} says ${configuredVfs} VFs are configured but links ${vfs.length}` });
    }
    pfs.push({ address, netdev, numaNode, physicalNetwork: physnets[netdev], totalVfs, configuredVfs, vfs });
  }
  for (const netdev of Object.keys(physnets)) {
    if (!pfs.some((pf) => pf.netdev === netdev)) warnings.push({ where: sysfs.at(`${NETDEVS}/${netdev}`), message: `physical network ${physnets[netdev]} names ${netdev}, which is not an SR-IOV PF here` });
  }
  return pfs.sort((a, b) => a.address.localeCompare(b.address));
}

async function readVfs(sysfs: Sysfs, device: string): Promise<SriovVf[]> {
  const vfs: SriovVf[] = [];
  for (const name of await sysfs.list(device)) {
    const index = /^virtfn(\d+)$/.exec(name)?.[1];
    if (index === undefined) continue;
    const address = await sysfs.linkName(`${device}/${name}`);
    if (address === undefined) continue;
    // A VF bound to a kernel driver has a netdev, and with it a MAC; one bound to vfio-pci has neither yet.
    const [vfNetdev] = await sysfs.list(`${device}/${name}/net`);
    const mac = vfNetdev === undefined ? undefined : await sysfs.text(`${device}/${name}/net/${vfNetdev}/address`);
    vfs.push({ index: Number(index), address, mac, vlan: undefined });
  }
  return vfs.sort((a, b) => a.index - b.index);
}
