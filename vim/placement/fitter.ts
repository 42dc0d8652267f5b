/**
 * The NUMA fitter: maps guest NUMA nodes onto host cells, each with a page size, puts the isolated
 * emulator thread on one of them, and gives every device request a physical function allowed by its NUMA
 * affinity policy. It works on counts (see capacity.ts), which decide exactly whether a layout fits;
 * pinning.ts then picks the concrete threads, pages and VFs the chosen fit describes.
 *
 * Rather than the first layout that fits, it scores candidates and keeps the best: threads stranded in
 * half-used cores (where no `isolate` or `require` guest can go any more), devices away from the guest's
 * cells, and a less wanted page size all cost. The search is a depth-first walk over injective maps of
 * guest nodes to host cells (a branch stops as soon as one node does not fit its cell), then a
 * backtracking match of devices to functions. It is bounded: at most MAX_LAYOUTS_SCORED layouts that fit
 * cell by cell are scored and MAX_SEARCH_STEPS steps taken per host, so a host with many cells and a guest
 * with many nodes cost bounded work. Within these bounds the walk is exhaustive: a one-node guest on
 * any real host, a two-node guest with one page size on up to eight cells.
 */
import type { PciNumaAffinityPolicy } from '../../descriptors/index.js';
import { SMALL_PAGE_KIB } from '../inventory/model.js';
import type { CellCapacity, HostCapacity, PfCapacity } from './capacity.js';
import type { DeviceRequest, GuestShape } from './request.js';

/** Layouts (complete maps of guest nodes to cells) scored per host at most. */
export const MAX_LAYOUTS_SCORED = 64;
/** Search steps per host at most, across layouts and device matchings. */
export const MAX_SEARCH_STEPS = 4096;

const COST_STRANDED_THREAD = 1;
const COST_DEVICE_OTHER_SOCKET = 4;
const COST_DEVICE_SAME_SOCKET = 2;
const COST_LESS_WANTED_PAGE_SIZE = 0.5;
/** Among otherwise equal layouts, the fuller cells first (bigger holes stay elsewhere), or the emptier ones when balancing. */
const COST_FREE_THREAD_LEFT = 0.001;

export interface CellPlacement {
  /** Index into the shape's cells. */
  guestCell: number;
  /** Index into the capacity's cells. */
  hostCell: number;
  pageSizeKiB: number;
}

export interface DevicePlacement {
  /** Index into the shape's devices. */
  request: number;
  /** Index into the capacity's physical functions. */
  pf: number;
}

/** What a fit takes, per host cell and per physical function (indexes as in the capacity), and host-wide. */
export interface Consumption {
  threads: number[];
  smallMemoryMiB: number[];
  hugepagesMiB: number[];
  vfs: number[];
  sharedVcpus: number;
  floatingMemoryMiB: number;
}

export interface Fit {
  cells: CellPlacement[];
  /** Host cell index of the isolated emulator thread. */
  emulatorCell: number | undefined;
  devices: DevicePlacement[];
  /** Lower is better. */
  score: number;
  consumption: Consumption;
}

export type Lack =
  | { constraint: 'cpus' }
  | { constraint: 'shared-cpus' }
  | { constraint: 'memory' }
  | { constraint: 'hugepages'; sizesKiB: number[] }
  | { constraint: 'vfs'; physicalNetwork: string | undefined }
  | { constraint: 'pci-devices'; physicalNetwork: string | undefined }
  | { constraint: 'numa-layout' };

export type FitOutcome = { ok: true; fit: Fit } | { ok: false; lack: Lack };

/** `fill`: fuller cells first, so whole cells stay free for big guests; `balance`: emptier cells first. */
export type CellChoice = 'fill' | 'balance';

interface Checks {
  cpus: boolean;
  memory: boolean;
  devices: boolean;
  cellChoice: CellChoice;
}

/** The best fit of the guest on the host, or the one constraint that rules the host out. */
export function fitGuest(capacity: HostCapacity, shape: GuestShape, cellChoice: CellChoice = 'fill'): FitOutcome {
  const fit = search(capacity, shape, { cpus: true, memory: true, devices: true, cellChoice });
  if (fit) return { ok: true, fit };
  return { ok: false, lack: diagnose(capacity, shape) };
}

/**
 * Which constraint fails on its own, in a fixed order (CPUs, memory, devices); when each could be met alone
 * but not together, the layout itself is what fails.
 */
function diagnose(capacity: HostCapacity, shape: GuestShape): Lack {
  if (!search(capacity, shape, { cpus: true, memory: false, devices: false, cellChoice: 'fill' })) {
    return shape.cpu.policy === 'shared' ? { constraint: 'shared-cpus' } : { constraint: 'cpus' };
  }
  if (!search(capacity, shape, { cpus: false, memory: true, devices: false, cellChoice: 'fill' })) {
    const sizes = [...new Set(shape.cells.flatMap((cell) => cell.pageOptions.map((option) => option.sizeKiB)))];
    return sizes.length === 0 || sizes.every((size) => size === SMALL_PAGE_KIB) ? { constraint: 'memory' } : { constraint: 'hugepages', sizesKiB: sizes };
  }
  const missing = devicesMissingAnywhere(capacity, shape.devices);
  if (missing) return missing;
  return { constraint: 'numa-layout' };
}

/** A device request the host cannot serve even ignoring NUMA. */
function devicesMissingAnywhere(capacity: HostCapacity, devices: readonly DeviceRequest[]): Lack | undefined {
  const free = capacity.pfs.map((pf) => ({ vfs: pf.freeVfs, whole: pf.passthroughFree }));
  for (const device of devices) {
    const candidates = capacity.pfs.filter((pf) => matchesNetwork(pf, device));
    if (device.kind === 'pci-passthrough') {
      const pf = candidates.find((candidate) => free[candidate.index]?.whole);
      if (!pf) return { constraint: 'pci-devices', physicalNetwork: device.physicalNetwork };
      free[pf.index] = { vfs: 0, whole: false };
    } else {
      const pf = candidates.find((candidate) => (free[candidate.index]?.vfs ?? 0) > 0);
      if (!pf) return { constraint: 'vfs', physicalNetwork: device.physicalNetwork };
      const slot = free[pf.index];
      if (slot) free[pf.index] = { vfs: slot.vfs - 1, whole: false };
    }
  }
  return undefined;
}

function matchesNetwork(pf: PfCapacity, device: DeviceRequest): boolean {
  return device.physicalNetwork === undefined || pf.physicalNetwork === device.physicalNetwork;
}

/** Threads one guest node takes on a host cell, with or without the emulator's extra CPU; undefined if it does not fit. */
export function threadsTaken(shape: GuestShape, vcpus: number, emulator: boolean, cell: CellCapacity): number | undefined {
  if (shape.cpu.policy === 'shared') return 0;
  const extra = emulator ? 1 : 0;
  switch (shape.cpu.thread) {
    case 'prefer':
      return cell.freeThreads >= vcpus + extra ? vcpus + extra : undefined;
    case 'isolate':
      return cell.freeCores >= vcpus + extra ? (vcpus + extra) * cell.smtWidth : undefined;
    case 'require': {
      if (cell.smtWidth < 2) return undefined;
      const cores = Math.ceil(vcpus / cell.smtWidth);
      return cell.freeFullCores >= cores && cell.freeCores >= cores + extra ? (cores + extra) * cell.smtWidth : undefined;
    }
  }
}

/** Threads left free in partly used cores after a `prefer` guest takes `taken` threads (as pinning picks them). */
function partialThreadsAfter(cell: CellCapacity, taken: number): number {
  const width = cell.smtWidth;
  const partial = Math.max(0, cell.freeThreads - cell.freeCores * width);
  const wholeGroups = Math.floor(taken / width);
  const rest = wholeGroups <= cell.freeCores ? taken % width : taken - cell.freeCores * width;
  if (rest === 0) return partial;
  return partial >= rest ? partial - rest : partial + width - rest;
}

interface Walk {
  steps: number;
  leaves: number;
  best: Fit | undefined;
}

function search(capacity: HostCapacity, shape: GuestShape, checks: Checks): Fit | undefined {
  const walk: Walk = { steps: 0, leaves: 0, best: undefined };
  if (shape.cells.length === 0) return floating(capacity, shape, checks, walk);
  const chosen: CellPlacement[] = [];
  const used = new Set<number>();
  const descend = (level: number): void => {
    if (walk.leaves >= MAX_LAYOUTS_SCORED || walk.steps >= MAX_SEARCH_STEPS) return;
    walk.steps += 1;
    const guest = shape.cells[level];
    if (!guest) {
      walk.leaves += 1;
      scoreLayout(capacity, shape, checks, chosen, walk);
      return;
    }
    capacity.cells.forEach((cell, hostCell) => {
      if (used.has(hostCell) || cell.guestThreads === 0) return;
      if (checks.cpus && threadsTaken(shape, guest.vcpus.length, false, cell) === undefined) return;
      guest.pageOptions.forEach((option) => {
        if (checks.memory && !memoryFits(cell, option.sizeKiB, guest.memoryMiB)) return;
        chosen.push({ guestCell: level, hostCell, pageSizeKiB: option.sizeKiB });
        used.add(hostCell);
        descend(level + 1);
        used.delete(hostCell);
        chosen.pop();
      });
    });
  };
  descend(0);
  return walk.best;
}

function memoryFits(cell: CellCapacity, sizeKiB: number, memoryMiB: number): boolean {
  if (sizeKiB === SMALL_PAGE_KIB) return cell.memoryFreeMiB >= memoryMiB;
  const page = cell.pages.find((candidate) => candidate.sizeKiB === sizeKiB);
  return page !== undefined && page.free * sizeKiB >= memoryMiB * 1024;
}

function emptyConsumption(capacity: HostCapacity, shape: GuestShape): Consumption {
  const cells = capacity.cells.map(() => 0);
  return {
    threads: [...cells],
    smallMemoryMiB: [...cells],
    hugepagesMiB: [...cells],
    vfs: capacity.pfs.map(() => 0),
    sharedVcpus: shape.cpu.policy === 'shared' ? shape.vcpus : 0,
    floatingMemoryMiB: shape.cells.length === 0 ? shape.memoryMiB : 0,
  };
}

/** A guest without a NUMA topology: host-wide counts, devices from anywhere. */
function floating(capacity: HostCapacity, shape: GuestShape, checks: Checks, walk: Walk): Fit | undefined {
  if (checks.cpus && capacity.sharedVcpusFree < shape.vcpus) return undefined;
  if (checks.memory && capacity.floatingMemoryFreeMiB < shape.memoryMiB) return undefined;
  const consumption = emptyConsumption(capacity, shape);
  const devices = checks.devices ? matchDevices(capacity, shape.devices, [], walk) : { placements: [], cost: 0 };
  if (!devices) return undefined;
  for (const placement of devices.placements) consumption.vfs[placement.pf] = (consumption.vfs[placement.pf] ?? 0) + 1;
  return { cells: [], emulatorCell: undefined, devices: devices.placements, score: devices.cost, consumption };
}

function scoreLayout(capacity: HostCapacity, shape: GuestShape, checks: Checks, layout: readonly CellPlacement[], walk: Walk): void {
  const hostCells = layout.map((placement) => placement.hostCell);
  const smallMemory = layout.reduce((sum, placement) => sum + (placement.pageSizeKiB === SMALL_PAGE_KIB ? (shape.cells[placement.guestCell]?.memoryMiB ?? 0) : 0), 0);
  if (checks.memory && smallMemory > capacity.floatingMemoryFreeMiB) return;
  if (checks.cpus && shape.cpu.policy === 'shared' && capacity.sharedVcpusFree < shape.vcpus) return;

  const emulatorChoices: Array<number | undefined> = shape.cpu.policy === 'dedicated' && shape.cpu.emulatorIsolated ? hostCells : [undefined];
  const devices = checks.devices ? matchDevices(capacity, shape.devices, hostCells, walk) : { placements: [], cost: 0 };
  if (!devices) return;
  for (const emulatorCell of emulatorChoices) {
    const consumption = emptyConsumption(capacity, shape);
    let cost = devices.cost;
    let feasible = true;
    for (const placement of layout) {
      const guest = shape.cells[placement.guestCell];
      const cell = capacity.cells[placement.hostCell];
      if (!guest || !cell) return;
      const taken = threadsTaken(shape, guest.vcpus.length, emulatorCell === placement.hostCell, cell);
      if (taken === undefined) {
        if (checks.cpus) feasible = false;
      } else {
        consumption.threads[placement.hostCell] = taken;
        const partialBefore = Math.max(0, cell.freeThreads - cell.freeCores * cell.smtWidth);
        if (shape.cpu.policy === 'dedicated' && shape.cpu.thread === 'prefer') cost += COST_STRANDED_THREAD * (partialThreadsAfter(cell, taken) - partialBefore);
        cost += COST_FREE_THREAD_LEFT * (checks.cellChoice === 'fill' ? cell.freeThreads - taken : taken - cell.freeThreads);
      }
      const memoryMiB = guest.memoryMiB;
      if (placement.pageSizeKiB === SMALL_PAGE_KIB) consumption.smallMemoryMiB[placement.hostCell] = memoryMiB;
      else consumption.hugepagesMiB[placement.hostCell] = memoryMiB;
      cost += COST_LESS_WANTED_PAGE_SIZE * guest.pageOptions.findIndex((option) => option.sizeKiB === placement.pageSizeKiB);
    }
    const threads = consumption.threads.reduce((sum, count) => sum + count, 0);
    if (checks.cpus && threads > capacity.dedicatedThreadsFree) feasible = false;
    if (!feasible) continue;
    for (const placement of devices.placements) consumption.vfs[placement.pf] = (consumption.vfs[placement.pf] ?? 0) + 1;
    if (walk.best === undefined || cost < walk.best.score) {
      walk.best = { cells: layout.map((placement) => ({ ...placement })), emulatorCell, devices: devices.placements, score: cost, consumption };
    }
  }
}

interface DeviceMatch {
  placements: DevicePlacement[];
  cost: number;
}

/** Cost of a function for a device, given the guest's cells; undefined when the policy forbids it. */
function affinityCost(policy: PciNumaAffinityPolicy, pf: PfCapacity, cells: ReadonlySet<number | undefined>, sockets: ReadonlySet<number | undefined>, floatingGuest: boolean): number | undefined {
  if (floatingGuest) return 0;
  const local = pf.numaNode !== undefined && cells.has(pf.numaNode);
  if (local) return 0;
  const sameSocket = pf.socket !== undefined && sockets.has(pf.socket);
  switch (policy) {
    case 'required':
      return undefined;
    case 'socket':
      return sameSocket ? COST_DEVICE_SAME_SOCKET : undefined;
    case 'preferred':
      return sameSocket ? COST_DEVICE_SAME_SOCKET : COST_DEVICE_OTHER_SOCKET;
    case 'legacy':
      return pf.numaNode === undefined ? COST_DEVICE_OTHER_SOCKET : undefined;
  }
}

/**
 * Gives each device request a physical function: most constrained requests first, local and emptier
 * functions first, backtracking when a choice leaves a later request without one.
 */
function matchDevices(capacity: HostCapacity, requests: readonly DeviceRequest[], hostCells: readonly number[], walk: Walk): DeviceMatch | undefined {
  if (requests.length === 0) return { placements: [], cost: 0 };
  const cellIds = new Set(hostCells.map((index) => capacity.cells[index]?.id));
  const sockets = new Set(hostCells.map((index) => capacity.cells[index]?.socket));
  const options = requests.map((request, index) => ({
    index,
    request,
    pfs: capacity.pfs
      .filter((pf) => matchesNetwork(pf, request) && (request.kind === 'pci-passthrough' ? pf.passthroughFree : pf.freeVfs > 0))
      .map((pf) => ({ pf, cost: affinityCost(request.affinity, pf, cellIds, sockets, hostCells.length === 0) }))
      .filter((option): option is { pf: PfCapacity; cost: number } => option.cost !== undefined),
  }));
  if (options.some((option) => option.pfs.length === 0)) return undefined;
  options.sort((a, b) => a.pfs.length - b.pfs.length || a.index - b.index);
  const freeVfs = capacity.pfs.map((pf) => pf.freeVfs);
  const whole = capacity.pfs.map((pf) => pf.passthroughFree);
  const placements: DevicePlacement[] = [];
  let cost = 0;
  const assign = (position: number): boolean => {
    const option = options[position];
    if (!option) return true;
    // Emptier functions first, counting what this match took already: VFs of one guest spread over PFs.
    const ordered = [...option.pfs].sort((a, b) => a.cost - b.cost || (freeVfs[b.pf.index] ?? 0) - (freeVfs[a.pf.index] ?? 0) || a.pf.index - b.pf.index);
    for (const { pf, cost: pfCost } of ordered) {
      if (walk.steps >= MAX_SEARCH_STEPS) return false;
      walk.steps += 1;
      const vfsBefore = freeVfs[pf.index] ?? 0;
      const wholeBefore = whole[pf.index] ?? false;
      if (option.request.kind === 'pci-passthrough') {
        if (!wholeBefore) continue;
        freeVfs[pf.index] = 0;
      } else {
        if (vfsBefore === 0) continue;
        freeVfs[pf.index] = vfsBefore - 1;
      }
      whole[pf.index] = false;
      placements.push({ request: option.index, pf: pf.index });
      cost += pfCost;
      if (assign(position + 1)) return true;
      cost -= pfCost;
      placements.pop();
      freeVfs[pf.index] = vfsBefore;
      whole[pf.index] = wholeBefore;
    }
    return false;
  };
  if (!assign(0)) return undefined;
  return { placements: [...placements].sort((a, b) => a.request - b.request), cost };
}
