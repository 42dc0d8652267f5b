/**
 * Hosts as the administration API shows them: what the host is, and per NUMA cell what placement can still
 * give (CPUs free, claimed by our guests, reserved for the host or OVS-DPDK; hugepages per size; VFs per PF).
 */
import { pageSizeLabel, poolFreePages, type Host, type NumaCell, type SriovPf } from '../inventory/model.js';
import type { PendingVfSetting } from './heartbeats.js';

export interface CellUsage {
  id: number;
  cpus: { total: number; free: number; claimed: number; reserved: number };
  memoryMiB: { total: number; reservedForHost: number; claimed: number };
  hugepages: Array<{ size: string; sizeKiB: number; total: number; free: number }>;
}

export interface PfUsage {
  address: string;
  netdev: string;
  numaNode: number | null;
  physicalNetwork: string | null;
  vfs: number;
  vfsFree: number;
  passedThrough: boolean;
}

export interface HostView {
  id: string;
  name: string;
  regionId: string;
  zoneId: string;
  libvirtUri: string;
  ovsdb: string | null;
  integrationBridge: string;
  tunnelAddress: string | null;
  adminState: Host['adminState'];
  health: Host['health'];
  discovered: boolean;
  ovsDpdk: boolean;
  claims: string[];
  cells: CellUsage[];
  physicalFunctions: PfUsage[];
  vfSettings: PendingVfSetting[];
}

function cellUsage(cell: NumaCell): CellUsage {
  const guest = cell.cpus.filter((cpu) => cpu.role === 'guest');
  const claimed = guest.filter((cpu) => cpu.claimedBy !== undefined).length;
  return {
    id: cell.id,
    cpus: { total: cell.cpus.length, free: guest.length - claimed, claimed, reserved: cell.cpus.length - guest.length },
    memoryMiB: { total: cell.memory.totalMiB, reservedForHost: cell.memory.reservedForHostMiB, claimed: cell.memory.reservedByUsMiB },
    hugepages: cell.hugepages.map((pool) => ({ size: pageSizeLabel(pool.sizeKiB), sizeKiB: pool.sizeKiB, total: pool.total, free: poolFreePages(pool) })),
  };
}

function pfUsage(pf: SriovPf): PfUsage {
  const free = pf.claimedBy === undefined ? pf.vfs.filter((vf) => vf.claimedBy === undefined).length : 0;
  return {
    address: pf.address,
    netdev: pf.netdev,
    numaNode: pf.numaNode ?? null,
    physicalNetwork: pf.physicalNetwork ?? null,
    vfs: pf.vfs.length,
    vfsFree: free,
    passedThrough: pf.claimedBy !== undefined,
  };
}

export function hostView(host: Host, vfSettings: PendingVfSetting[] = []): HostView {
  return {
    id: host.id,
    name: host.name,
    regionId: host.regionId,
    zoneId: host.zoneId,
    libvirtUri: host.libvirtUri,
    ovsdb: host.ovsdbEndpoint ?? null,
    integrationBridge: host.integrationBridge,
    tunnelAddress: host.tunnelAddress ?? null,
    adminState: host.adminState,
    health: host.health,
    discovered: host.inventory !== undefined,
    ovsDpdk: host.inventory?.ovsDpdk ?? false,
    claims: host.usage.claimIds,
    cells: (host.inventory?.cells ?? []).map(cellUsage),
    physicalFunctions: (host.inventory?.physicalFunctions ?? []).map(pfUsage),
    vfSettings,
  };
}
