/**
 * The VIM's picture of its compute hosts: Region > Zone > Host, and per host what placement needs to know
 * about its hardware (NUMA cells, CPU threads and their siblings, memory, hugepages, SR-IOV functions).
 *
 * The stored host document carries both what the host has (discovered) and what our claims hold on it
 * (`claimedBy`, `reservedByUs`, `usage`): one document, so that one compare-and-set on its revision takes
 * resources atomically.
 */
import { ADMIN_TENANT, type Entity } from '../../platform/index.js';

export const DEFAULT_REGION_ID = 'default';
export const DEFAULT_ZONE_ID = 'default';

/** Infrastructure is the operator's: regions, zones and hosts belong to the admin tenant. */
export const INFRASTRUCTURE_TENANT = ADMIN_TENANT;

export interface Region extends Entity {
  name: string;
}

export interface Zone extends Entity {
  name: string;
  regionId: string;
}

/** `drained`: the operator takes the host out of placement; what runs there stays. */
export type AdminState = 'enabled' | 'drained';
/** What the host agent's heartbeats say. */
export type HostHealth = 'up' | 'down';

export const DEFAULT_INTEGRATION_BRIDGE = 'br-int';

export interface Host extends Entity {
  name: string;
  regionId: string;
  zoneId: string;
  /** Where the compute driver reaches the host's libvirt, e.g. `qemu+ssh://root@compute-7/system`. */
  libvirtUri: string;
  /** The host's Open vSwitch database, `tcp:HOST:PORT` or `unix:PATH`. */
  ovsdbEndpoint: string | undefined;
  /** The OVS bridge VNFC ports are plugged into and SFC programs (`br-int` by convention). */
  integrationBridge: string;
  /** Where VXLAN tunnels from other hosts reach this host's integration bridge; undefined: no tunnels. */
  tunnelAddress?: string | undefined;
  adminState: AdminState;
  health: HostHealth;
  /** Undefined until the host is discovered: a valid host on which nothing is placed. */
  inventory: HostInventory | undefined;
  usage: HostUsage;
}

/** What claims hold on a host beyond the individual CPUs, pages and functions they mark. */
export interface HostUsage {
  claimIds: string[];
  /** vCPUs of shared-CPU guests, which float over the host's unpinned CPUs. */
  sharedVcpus: number;
  /** Memory of guests without a NUMA topology, taken from the host as a whole. */
  floatingMemoryMiB: number;
}

export interface HostInventory {
  cells: NumaCell[];
  physicalFunctions: SriovPf[];
  /** Open vSwitch runs the DPDK datapath here: vhost-user ports are possible. */
  ovsDpdk: boolean;
}

/**
 * `host`: kept for the host's own processes; `pmd`: polled by OVS-DPDK's PMD threads. Neither is ever given
 * to a guest.
 */
export type CpuRole = 'guest' | 'host' | 'pmd';

/** One hardware thread (a Linux CPU). */
export interface Cpu {
  id: number;
  /** The kernel's core_id: unique within a socket only. */
  core: number;
  socket: number;
  /** Every thread of this CPU's core, itself included, ascending. */
  siblings: number[];
  role: CpuRole;
  /** The claim that pins a vCPU or an emulator thread here, or keeps it idle next to an isolated vCPU. */
  claimedBy?: string;
}

export interface NumaCell {
  id: number;
  cpus: Cpu[];
  memory: CellMemory;
  hugepages: HugepagePool[];
}

/** The cell's memory in MiB. Hugepages are carved out of `totalMiB`; what is left is small-page memory. */
export interface CellMemory {
  totalMiB: number;
  /** As the kernel reported it at discovery. */
  freeMiB: number;
  reservedForHostMiB: number;
  /** Small-page memory our claims hold on this cell. */
  reservedByUsMiB: number;
}

export interface HugepagePool {
  sizeKiB: number;
  total: number;
  /** As the kernel reported it at discovery. */
  free: number;
  /** Pages something other than our guests uses (OVS-DPDK socket memory, for one). */
  reservedForHost: number;
  reservedByUs: number;
}

export interface SriovPf {
  /** PCI address, e.g. `0000:3b:00.0`. */
  address: string;
  netdev: string;
  /** Undefined when the device reports none (numa_node -1). */
  numaNode: number | undefined;
  /** The provider network the port is cabled to; from configuration, sysfs does not know it. */
  physicalNetwork: string | undefined;
  totalVfs: number;
  configuredVfs: number;
  vfs: SriovVf[];
  /** A claim that passes the whole function through to a guest. */
  claimedBy?: string;
}

export interface SriovVf {
  index: number;
  address: string;
  mac: string | undefined;
  vlan: number | undefined;
  claimedBy?: string;
}

export const SMALL_PAGE_KIB = 4;
export const KIB_PER_MIB = 1024;

/** `1G`, `2M`, `4K`: how operators write page sizes. */
export function pageSizeLabel(sizeKiB: number): string {
  if (sizeKiB % (1024 * 1024) === 0) return `${sizeKiB / (1024 * 1024)}G`;
  if (sizeKiB % 1024 === 0) return `${sizeKiB / 1024}M`;
  return `${sizeKiB}K`;
}

/** Small-page memory a cell can still give: what hugepages leave, less the host's share and our claims. */
export function cellSmallPageFreeMiB(cell: NumaCell): number {
  const hugepagesMiB = cell.hugepages.reduce((sum, pool) => sum + (pool.total * pool.sizeKiB) / KIB_PER_MIB, 0);
  return Math.max(0, Math.floor(cell.memory.totalMiB - hugepagesMiB) - cell.memory.reservedForHostMiB - cell.memory.reservedByUsMiB);
}

export function poolFreePages(pool: HugepagePool): number {
  return Math.max(0, pool.total - pool.reservedForHost - pool.reservedByUs);
}

export function emptyUsage(): HostUsage {
  return { claimIds: [], sharedVcpus: 0, floatingMemoryMiB: 0 };
}
