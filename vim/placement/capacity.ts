/**
 * A host reduced to the counts placement decides by: per NUMA cell the free threads, whole free cores,
 * small-page memory and hugepages per size; per physical function its free VFs. These counts decide
 * whether a guest fits exactly (any free thread serves `prefer`, any whole free core serves `isolate`), so
 * the fitter can rank thousands of hosts from these summaries and look at one host document only to pick
 * the concrete CPUs and VFs of the winner.
 */
import {
  cellSmallPageFreeMiB,
  poolFreePages,
  type Host,
  type HostInventory,
  type NumaCell,
} from '../inventory/model.js';

export type HostStatus = 'available' | 'drained' | 'down' | 'no-inventory';

export interface PageCapacity {
  sizeKiB: number;
  /** Pages placement may ever give out (total less the host's share). */
  allocatable: number;
  free: number;
}

export interface CellCapacity {
  id: number;
  socket: number | undefined;
  guestThreads: number;
  freeThreads: number;
  /** Cores whose every thread is a free guest thread: what `isolate` needs. */
  freeCores: number;
  /** Free cores with `smtWidth` threads: what `require` needs. */
  freeFullCores: number;
  smtWidth: number;
  memoryMiB: number;
  memoryFreeMiB: number;
  pages: PageCapacity[];
}

export interface PfCapacity {
  /** Position in the host's list of physical functions. */
  index: number;
  numaNode: number | undefined;
  socket: number | undefined;
  physicalNetwork: string | undefined;
  vfs: number;
  freeVfs: number;
  /** No VF of it is claimed and the function itself is not passed through. */
  passthroughFree: boolean;
}

export interface HostCapacity {
  hostId: string;
  zoneId: string;
  regionId: string;
  revision: number;
  status: HostStatus;
  ovsDpdk: boolean;
  cells: CellCapacity[];
  pfs: PfCapacity[];
  /** vCPUs shared-CPU guests may still get (unpinned threads times the allocation ratio, less what they hold). */
  sharedVcpusFree: number;
  sharedVcpusUsed: number;
  /** Threads dedicated guests may still pin without squeezing the shared guests below their ratio. */
  dedicatedThreadsFree: number;
  /** Small-page memory left for guests without a NUMA topology (and for NUMA guests, since they share it). */
  floatingMemoryFreeMiB: number;
  /** Equal for hosts whose counts are equal: placement evaluates each distinct shape once. */
  signature: string;
}

export function capacityOf(host: Host, revision: number, cpuAllocationRatio: number): HostCapacity {
  const status: HostStatus =
    host.adminState === 'drained' ? 'drained' : host.health === 'down' ? 'down' : host.inventory === undefined ? 'no-inventory' : 'available';
  const inventory: HostInventory = host.inventory ?? { cells: [], physicalFunctions: [], ovsDpdk: false };
  const cells = inventory.cells.map(cellCapacity);
  const socketOfCell = new Map(cells.map((cell) => [cell.id, cell.socket]));
  const pfs = inventory.physicalFunctions.map((pf, index): PfCapacity => {
    const freeVfs = pf.claimedBy === undefined ? pf.vfs.filter((vf) => vf.claimedBy === undefined).length : 0;
    return {
      index,
      numaNode: pf.numaNode,
      socket: pf.numaNode === undefined ? undefined : socketOfCell.get(pf.numaNode),
      physicalNetwork: pf.physicalNetwork,
      vfs: pf.vfs.length,
      freeVfs,
      passthroughFree: pf.claimedBy === undefined && freeVfs === pf.vfs.length,
    };
  });
  const unpinned = cells.reduce((sum, cell) => sum + cell.freeThreads, 0);
  const shared = host.usage.sharedVcpus;
  const sharedVcpusFree = Math.max(0, Math.floor(unpinned * cpuAllocationRatio) - shared);
  const dedicatedThreadsFree = Math.max(0, unpinned - Math.ceil(shared / cpuAllocationRatio));
  const floatingMemoryFreeMiB = Math.max(0, cells.reduce((sum, cell) => sum + cell.memoryFreeMiB, 0) - host.usage.floatingMemoryMiB);
  const capacity = {
    hostId: host.id,
    zoneId: host.zoneId,
    regionId: host.regionId,
    revision,
    status,
    ovsDpdk: inventory.ovsDpdk,
    cells,
    pfs,
    sharedVcpusFree,
    sharedVcpusUsed: shared,
    dedicatedThreadsFree,
    floatingMemoryFreeMiB,
  };
  return { ...capacity, signature: signatureOf(capacity) };
}

function cellCapacity(cell: NumaCell): CellCapacity {
  const cores = new Map<string, { threads: number; free: number }>();
  let freeThreads = 0;
  let guestThreads = 0;
  for (const cpu of cell.cpus) {
    const key = cpu.siblings.join(',');
    const core = cores.get(key) ?? { threads: 0, free: 0 };
    core.threads += 1;
    if (cpu.role === 'guest') {
      guestThreads += 1;
      if (cpu.claimedBy === undefined) {
        core.free += 1;
        freeThreads += 1;
      }
    }
    cores.set(key, core);
  }
  const smtWidth = Math.max(1, ...[...cores.values()].map((core) => core.threads));
  const wholeFree = [...cores.values()].filter((core) => core.free === core.threads);
  const smallPageFree = cellSmallPageFreeMiB(cell);
  return {
    id: cell.id,
    socket: cell.cpus[0]?.socket,
    guestThreads,
    freeThreads,
    freeCores: wholeFree.length,
    freeFullCores: wholeFree.filter((core) => core.threads === smtWidth).length,
    smtWidth,
    memoryMiB: smallPageFree + cell.memory.reservedByUsMiB,
    memoryFreeMiB: smallPageFree,
    pages: cell.hugepages.map((pool) => ({ sizeKiB: pool.sizeKiB, allocatable: Math.max(0, pool.total - pool.reservedForHost), free: poolFreePages(pool) })),
  };
}

function signatureOf(capacity: Omit<HostCapacity, 'signature'>): string {
  const cells = capacity.cells.map((cell) =>
    [cell.id, cell.socket ?? '-', cell.guestThreads, cell.freeThreads, cell.freeCores, cell.freeFullCores, cell.smtWidth, cell.memoryMiB, cell.memoryFreeMiB, ...cell.pages.flatMap((page) => [page.sizeKiB, page.allocatable, page.free])].join(' '),
  );
  const pfs = capacity.pfs.map((pf) => [pf.numaNode ?? '-', pf.socket ?? '-', JSON.stringify(pf.physicalNetwork ?? null), pf.vfs, pf.freeVfs, pf.passthroughFree ? 1 : 0].join(' '));
  return [capacity.status, capacity.ovsDpdk ? 1 : 0, capacity.sharedVcpusFree, capacity.sharedVcpusUsed, capacity.dedicatedThreadsFree, capacity.floatingMemoryFreeMiB, cells.join('|'), pfs.join('|')].join('/');
}
